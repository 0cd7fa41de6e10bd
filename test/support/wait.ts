/** The one way tests wait for something to happen: poll a condition with a bounded timeout, no fixed sleeps. */

/** How long and how often {@link waitFor} looks, and what it waits for (named in the failure). */
export interface WaitOptions {
  /** Give up after this many ms. */
  timeout: number;
  /** Look again after this many ms (default 20). */
  interval?: number;
  /** What the condition means, for the failure message ("the block started"). */
  what: string;
}

const pause = (ms: number) => new Promise((done) => setTimeout(done, ms));

async function poll(condition: () => unknown | Promise<unknown>, timeout: number, interval: number): Promise<boolean> {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await pause(Math.max(0, Math.min(interval, deadline - Date.now())));
  }
}

/**
 * Poll `condition` until it holds.
 * - `waitFor(condition, { timeout, interval, what })` throws `<what> did not happen within <timeout> ms`
 *   when it never holds.
 * - `waitFor(condition, timeoutMs, everyMs?)` resolves to whether it held, for a test that asserts
 *   on it with its own message, or that only waits a bounded while (a kill at a random moment).
 */
export function waitFor(condition: () => unknown | Promise<unknown>, options: WaitOptions): Promise<void>;
export function waitFor(condition: () => unknown | Promise<unknown>, timeoutMs: number, everyMs?: number): Promise<boolean>;
export async function waitFor(condition: () => unknown | Promise<unknown>, options: WaitOptions | number, everyMs = 20): Promise<unknown> {
  if (typeof options === 'number') return poll(condition, options, everyMs);
  if (!(await poll(condition, options.timeout, options.interval ?? 20)))
    throw new Error(`${options.what} did not happen within ${options.timeout} ms`);
}

/**
 * Poll `look` until `accept` takes what it returned; that value. The failure names `what` and
 * shows the last value seen (a screen, a file), so a timeout says what was there instead.
 */
export async function waitForValue<T>(
  look: () => T | Promise<T>,
  accept: (value: T) => boolean,
  options: WaitOptions & { show?: (value: T) => string },
): Promise<T> {
  let last: T | undefined;
  let seen = false;
  const held = await poll(
    async () => {
      last = await look();
      seen = true;
      return accept(last);
    },
    options.timeout,
    options.interval ?? 20,
  );
  if (held) return last as T;
  const shown = seen ? (options.show ?? String)(last as T) : '(nothing was seen)';
  throw new Error(`${options.what} did not happen within ${options.timeout} ms; last seen:\n${shown}`);
}
