/**
 * A rollback block cancelled in the TUI holds the run. Reproduced by the gates attack pass: after
 * ctrl+c in the middle of a rollback, the footer offered `r retry` of the failed migration (which
 * ran it again over the half-done rollback) and `m` could not mark the rollback done; the
 * interrupted rollback was not the run's question at all.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY, blockOf, useScreens } from './harness.js';

const ui = useScreens();

const RUNBOOK = `---
id: rbcut
---
# Rollback cut short

## Migrate {#migrate}

\`\`\`sh name=migrate
echo migrate >> counter.txt
exit 1
\`\`\`

\`\`\`sh rollback name=undo
echo undo-start >> counter.txt
sleep 30
\`\`\`

## After {#after}

\`\`\`sh name=after
echo after >> counter.txt
\`\`\`
`;

describe('a rollback cancelled with ctrl+c', () => {
  it('holds the run: r re-runs the rollback (after yes), never the failed block; m marks it done', async () => {
    const file = join(ui.dir(), 'rbcut.md');
    writeFileSync(file, RUNBOOK);
    const screen = await ui.open(file);
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('FAILED migrate'));
    screen.press('b');
    await screen.until((f) => expect(f).toContain('Run this ROLLBACK block?'));
    screen.press('yes', KEY.enter);
    await screen.until(() => expect(screen.lines('counter.txt')).toEqual(['migrate', 'undo-start']));
    screen.press(KEY.ctrlC);
    await screen.until((f) => expect(f).toContain('Cancel the running block?'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('INTERRUPTED undo'));
    expect(blockOf(screen.session, 'undo').status).toBe('interrupted');
    expect(screen.live()).toMatch(/r re-run .*m mark done/);
    expect(screen.live()).not.toContain('r retry');

    screen.press('r');
    await screen.until((f) => expect(f).toContain('Run this ROLLBACK block?'));
    screen.press(KEY.escape);
    await screen.until((f) => expect(f).not.toContain('Run this ROLLBACK block?'));
    screen.press('m');
    await screen.until((f) => expect(f).toContain('reason to mark'));
    screen.press('checked: nothing was undone yet', KEY.enter);
    await screen.until((f) => expect(f).toContain('FAILED migrate'));
    expect(blockOf(screen.session, 'undo').markedDone?.reason).toBe('checked: nothing was undone yet');
    expect(screen.lines('counter.txt')).toEqual(['migrate', 'undo-start']);
  });
});
