/**
 * A block's time limit and the operator's cancel: the timer and the abort listener that end an
 * attempt early, how it was ended, the words that report it, and their cleanup. The shell and sql
 * executors share this phase (as execa keeps its timeout and cancel apart from the spawn), and
 * each says only how its own work is stopped: a process group killed, a statement killed on the server.
 */

// setTimeout fires at once for delays beyond a signed 32-bit number of milliseconds.
const MAX_TIMER_MS = 2 ** 31 - 1;

/** A running time limit. */
export interface Deadline {
  clear(): void;
}

/** Call `onExpire` after `timeoutMs`; 0, a negative or a non-finite limit means none. */
export function startDeadline(timeoutMs: number, onExpire: () => void): Deadline {
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) return { clear: () => undefined };
  // Limits beyond ~24.8 days cannot be timed by one setTimeout; they are treated as none.
  if (timeoutMs > MAX_TIMER_MS) return { clear: () => undefined };
  const timer = setTimeout(onExpire, timeoutMs);
  return { clear: () => clearTimeout(timer) };
}

/** A limit as an author writes it: `30s`, `10m`, `1h`, `1500ms`. */
export function describeLimit(ms: number): string {
  if (ms >= 3_600_000 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** Why an attempt ended before it finished by itself: its time limit, or a cancel (the operator's ctrl+c, a signal). */
export type StopReason = 'timeout' | 'cancel';

/** The watch over one attempt: which of its limit and its cancel came, and the cleanup of both. */
export interface AttemptGuard {
  /** The first of the two that came; its `onStop` was called with it. */
  readonly stoppedBy: StopReason | undefined;
  /** The limit ran out (a cancel may have come too). */
  readonly timedOut: boolean;
  /** The attempt was canceled (its limit may have run out too). */
  readonly canceled: boolean;
  /** Clear the timer and the abort listener: call once the attempt is over, whatever way. */
  release(): void;
}

/**
 * Watch an attempt's time limit (`timeoutMs`, 0 for none) and its `signal`. `onStop` is called once,
 * with whichever comes first, at once if the signal is already aborted; the other is still noted.
 */
export function guardAttempt(
  limits: { timeoutMs: number; signal?: AbortSignal | undefined },
  onStop: (why: StopReason) => void,
): AttemptGuard {
  let stoppedBy: StopReason | undefined;
  let timedOut = false;
  let canceled = false;
  const stop = (why: StopReason): void => {
    if (why === 'timeout') timedOut = true;
    else canceled = true;
    if (stoppedBy !== undefined) return;
    stoppedBy = why;
    onStop(why);
  };
  const onAbort = (): void => stop('cancel');
  const deadline = startDeadline(limits.timeoutMs, () => stop('timeout'));
  const { signal } = limits;
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  return {
    get stoppedBy() {
      return stoppedBy;
    },
    get timedOut() {
      return timedOut;
    },
    get canceled() {
      return canceled;
    },
    release() {
      deadline.clear();
      signal?.removeEventListener('abort', onAbort);
    },
  };
}

/** How a stop reads for the operator: `timed out after 30s` (`timed out` with no limit), or `canceled`. */
export function describeStop(why: StopReason, timeoutMs: number): string {
  if (why === 'cancel') return 'canceled';
  return timeoutMs > 0 ? `timed out after ${describeLimit(timeoutMs)}` : 'timed out';
}
