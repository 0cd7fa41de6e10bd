/** A block's time limit: the timer that enforces it and the words that report it. */

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
