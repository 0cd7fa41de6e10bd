/**
 * Captured values on the TUI (docs/capture.md): once the capturing block has run, the next step's
 * text shows the value through `${NAME}`, the block that uses it lists it with its variables, and
 * a capture from output that held a secret shows as ••••, while the block gets the real value.
 */
import { describe, expect, it } from 'vitest';
import { KEY, flat, useScreens } from './harness.js';

const ui = useScreens();

describe('captured values on screen', () => {
  it("shows a capture in the next step's text and the block's variables, a secret one masked", async () => {
    const screen = await ui.open(ui.fixture('capture.md'), { columns: 100, rows: 30 });
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toMatch(/✓ +RUN +count/));
    // A key counts once the block's run is over (the session idle again), not at its first ✓ frame:
    // on a loaded CI machine the Enter pressed at that frame came while the run was still closing,
    // and the session block never ran (seen once, 2026-12-07).
    await screen.until(() => expect(screen.session.busy).toBe(false));
    screen.press(KEY.enter);
    await screen.until((f) => expect(flat(f)).toContain('The pre-check found 40 records left; the session is ••••.'));
    const frame = screen.live();
    expect(frame).toContain('LEFT=40');
    expect(frame).toContain('SESSION=••••');
    expect(frame).not.toContain('s3cr3t-t0ken-value');
    expect(frame).not.toContain('${LEFT}');
    await screen.until(() => expect(screen.session.busy).toBe(false));
    screen.press(KEY.enter);
    await screen.until(() => expect(screen.lines('migrated.txt')).toEqual(['migrating 40 records with session-for-s3cr3t-t0ken-value']));
    expect(screen.frame()).not.toContain('s3cr3t-t0ken-value');
  });
});
