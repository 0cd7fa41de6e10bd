/**
 * A check that could not run shows the error and its cause, never the runbook's remedy. Reproduced:
 * with the database unreachable (or the command missing), the gate view said "→ If it lists
 * tables, convert them with the next step", advice for a check that found something.
 */
import { describe, expect, it } from 'vitest';
import { KEY, flat, useScreens } from './harness.js';

const ui = useScreens();

describe('a check whose outcome is error', () => {
  it('shows that it could not run and why, without the remedy paragraph', async () => {
    const screen = await ui.open(ui.fixture('check-error.md'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('GATE: check could not run charset-check'));
    const frame = flat(screen.live());
    expect(frame).toContain('exit 127');
    expect(frame).toContain('waymark-test-no-such-command');
    expect(frame).not.toContain('→ If it lists tables');
    expect(screen.lines('counter.txt')).toEqual([]);
  });
});
