/**
 * Gate evidence as printed. A check's output tail is shown under the gate; a tab
 * measured as one column would cut `count\t40` to "count 4", as the output pane did before its
 * fix (issue 12, item 1); the gate's tail is cut to the screen's width only after tabs are expanded.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY, useScreens } from './harness.js';

const ui = useScreens();

describe('gate evidence', () => {
  it('expands tabs to 8-column stops, so no value loses a character', async () => {
    const runbook = join(ui.dir(), 'tabs.md');
    writeFileSync(
      runbook,
      "# Tabs\n\n## Count {#count}\n\n```sh check name=count-check\nprintf 'count\\t40\\ncollation\\tlatin1_swedish_ci\\n'\nexit 1\n```\n",
    );
    const screen = await ui.open(runbook);
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('GATE: check failed count-check'));
    const gate = screen.live().split('\n');
    expect(gate.some((l) => l.includes('count   40'))).toBe(true);
    expect(gate.some((l) => l.includes('collation       latin1_swedish_ci'))).toBe(true);
  });
});
