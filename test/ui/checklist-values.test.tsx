/**
 * `${NAME}` in a checklist item on the TUI (docs/runbook-format.md#checklists): the item the
 * operator ticks reads the front matter's value, a secret as ••••, an unknown name as written,
 * and the block it gates runs once it is ticked. The headless face's side is
 * test/e2e/checklist-values.test.ts; both fill it in with the engine's withValues over the
 * session's shownValues().
 */
import { describe, expect, it } from 'vitest';
import { KEY, flat, useScreens } from './harness.js';

const ui = useScreens();

describe('checklist items show variable values in the TUI', () => {
  it('shows the value in the item, masks the secret, and ticks it', async () => {
    const screen = await ui.open(ui.fixture('checklist-values.md'), { columns: 100, rows: 24 });
    await screen.until((f) => expect(flat(f)).toContain('[ ] db-7 is drained (token ••••, ${UNKNOWN} kept)'));
    expect(screen.frame()).not.toContain('${HOST}');
    expect(screen.frame()).not.toContain('tok-s3cr3t-9');
    screen.press(KEY.space);
    await screen.until((f) => expect(flat(f)).toContain('[x] db-7 is drained (token ••••, ${UNKNOWN} kept)'));
    screen.press(KEY.enter);
    await screen.until(() => expect(screen.lines('drained.txt')).toEqual(['drained db-7']));
    expect(screen.frame()).not.toContain('tok-s3cr3t-9');
  });
});
