import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { describeStop, guardAttempt, type StopReason } from '../../../src/engine/exec/deadline.js';

describe('the guard over one attempt (shared by the shell and sql executors)', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('stops the attempt once when its limit runs out, and still notes a cancel that comes after', () => {
    const stops: StopReason[] = [];
    const cancel = new AbortController();
    const guard = guardAttempt({ timeoutMs: 30_000, signal: cancel.signal }, (why) => stops.push(why));
    vi.advanceTimersByTime(29_999);
    expect(guard.stoppedBy).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect(stops).toEqual(['timeout']);
    cancel.abort();
    expect(stops).toEqual(['timeout']);
    expect(guard).toMatchObject({ stoppedBy: 'timeout', timedOut: true, canceled: true });
    guard.release();
  });

  it('a cancel stops it at once, before its limit, and the limit then says nothing', () => {
    const stops: StopReason[] = [];
    const cancel = new AbortController();
    const guard = guardAttempt({ timeoutMs: 1000, signal: cancel.signal }, (why) => stops.push(why));
    cancel.abort();
    vi.advanceTimersByTime(5000);
    expect(stops).toEqual(['cancel']);
    expect(guard).toMatchObject({ stoppedBy: 'cancel', canceled: true });
    guard.release();
  });

  it('a signal already aborted stops it before it starts', () => {
    const cancel = new AbortController();
    cancel.abort();
    const stops: StopReason[] = [];
    const guard = guardAttempt({ timeoutMs: 0, signal: cancel.signal }, (why) => stops.push(why));
    expect(stops).toEqual(['cancel']);
    guard.release();
  });

  it('once released, neither the timer nor the signal can stop an attempt that is over', () => {
    const stops: StopReason[] = [];
    const cancel = new AbortController();
    const guard = guardAttempt({ timeoutMs: 1000, signal: cancel.signal }, (why) => stops.push(why));
    guard.release();
    vi.advanceTimersByTime(5000);
    cancel.abort();
    expect(stops).toEqual([]);
    expect(guard).toMatchObject({ stoppedBy: undefined, timedOut: false, canceled: false });
    expect(vi.getTimerCount()).toBe(0);
  });

  it('no limit (0) never times out', () => {
    const stops: StopReason[] = [];
    const guard = guardAttempt({ timeoutMs: 0 }, (why) => stops.push(why));
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10 ** 9);
    expect(stops).toEqual([]);
    guard.release();
  });

  it('says how the attempt was stopped in the words both executors report', () => {
    expect(describeStop('timeout', 30_000)).toBe('timed out after 30s');
    expect(describeStop('timeout', 90 * 60_000)).toBe('timed out after 90m');
    expect(describeStop('timeout', 0)).toBe('timed out');
    expect(describeStop('cancel', 30_000)).toBe('canceled');
  });
});
