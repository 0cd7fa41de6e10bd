/**
 * Issue 13, TUI: the host grid in the real App over a real RunSession at 80x24, resuming a run
 * that died mid-batch (its checkpoint written as a session writes it). ←, → and tab select hosts;
 * the selected host's status, rc, reason and output show under the grid.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkpointFleetRun } from '../engine/fleet-fixtures.js';
import { KEY, useScreens } from './harness.js';

const ui = useScreens();
const RIGHT = '\u001B[C';
const LEFT = '\u001B[D';
const TAB = '\t';

async function resumed() {
  const file = join(ui.dir(), 'computes.md');
  await checkpointFleetRun(file, join(ui.dir(), 'state'));
  const screen = await ui.open(file, { columns: 80, rows: 24, resume: true });
  screen.press(KEY.enter);
  await screen.until((f) => expect(f).toMatch(/hosts computes/));
  return screen;
}

describe('the host grid in the TUI at 80x24', () => {
  it('shows the counts, the budget and the hosts to look at, the hosts in flight interrupted, every line within 80 columns', async () => {
    const screen = await resumed();
    await screen.until((f) => expect(f).toContain('✓ 2 ok  ✗ 1 failed  ⊘ 1 unreachable  ▶ 0 running  · 5 pending'));
    const live = screen.live();
    expect(live).toContain('↯ 3 interrupted');
    expect(live).toContain('budget: 1 of 3 left');
    expect(live).toContain('look at: ✗ cmp-03 rc=1, ⊘ cmp-04 unreachable … +3 more (tab)');
    expect(live).toContain('↯ cmp-06');
    for (const line of live.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
    expect(live.split('\n').at(-1)).toContain('? help');
  });

  it('tab selects the next host to look at and shows its output; → and ← move one host', async () => {
    const screen = await resumed();
    screen.press(TAB);
    await screen.until((f) => expect(f).toMatch(/› cmp-03 ✗ failed · rc=1 · batch 2 · 1\.2s: exit 1, expected 0/));
    // The output pane has nothing of a fleet block: its rows go to the grid, and the host's output shows whole.
    expect(screen.live()).toContain('│ Reading package lists...');
    expect(screen.live()).toContain('│ E: nova-compute 29.0 conflicts with python3-nova 27.1');
    screen.press(TAB);
    await screen.until((f) => expect(f).toMatch(/› cmp-04 ⊘ unreachable · batch 2 · 1\.2s: ssh: connect to host 127\.0\.0\.5/));
    screen.press(RIGHT);
    await screen.until((f) => expect(f).toMatch(/› cmp-05 ↯ interrupted · batch 3/));
    screen.press(LEFT, LEFT);
    await screen.until((f) => expect(f).toMatch(/› cmp-03 ✗ failed/));
    for (const line of screen.live().split('\n')) expect([...line].length).toBeLessThanOrEqual(80);
  });

  it('? lists the grid keys while the grid is on screen', async () => {
    const screen = await resumed();
    screen.press('?');
    await screen.until((f) => expect(f).toContain('Keys that apply now'));
    expect(screen.live()).toMatch(/tab +next failed|tab +select the next host that failed/);
  });
});
