/**
 * pgup/pgdn move through the whole log of the running or last block, first line included, and `/`
 * searches it (issue 12, "Whole output"). Before, the first page of a log showed its first line
 * alone at the bottom of an empty pane, and there was no search.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { matchingLines } from '../../src/ui/log-view.js';
import { KEY, useScreens, type Screen } from './harness.js';

const ui = useScreens();

/** The rows of the output pane: the lines under its title (each starts with its gutter), up to the footer. */
function paneRows(frame: string): string[] {
  const rows = frame.split('\n');
  const title = rows.findIndex((row) => row.startsWith('── output'));
  const after = rows.slice(title + 1);
  const end = after.findIndex((row) => !/^[ !]/.test(row));
  return end === -1 ? after : after.slice(0, end);
}

/** `line A` … `line B`, as the pane shows them. */
function linesFrom(a: number, b: number): string[] {
  return Array.from({ length: b - a + 1 }, (_, i) => `  line ${a + i}`);
}

/** The log lines the pane's title says it shows. */
function shownRange(frame: string): [number, number] {
  const match = /lines (\d+)–(\d+) of 500/.exec(frame);
  if (!match) throw new Error(`no range in the pane's title:\n${frame}`);
  return [Number(match[1]), Number(match[2])];
}

async function ranLongOutput(): Promise<Screen> {
  // 100x30: the output pane takes the rows the step leaves (the page size is the pane's height).
  const screen = await ui.open(ui.fixture('long-output.md'), { columns: 100, rows: 30 });
  screen.press(KEY.enter);
  await screen.until((f) => expect(f).toMatch(/output: migrate · 500 lines · last block/));
  return screen;
}

describe('the whole log', () => {
  it('reproduced: the first page showed `line 1` alone; now pgup reaches the start with the pane full, and pgdn comes back to the tail', async () => {
    const screen = await ranLongOutput();
    expect(paneRows(screen.frame()).at(-1)).toBe('  line 500');
    const height = paneRows(screen.frame()).length;
    expect(height).toBeGreaterThanOrEqual(4);
    screen.press('u');
    await screen.until((f) => expect(f).toMatch(/lines \d+–\d+ of 500/));
    const [from, to] = shownRange(screen.frame());
    expect(to - from + 1).toBe(height);
    expect(to).toBeLessThan(500);
    expect(paneRows(screen.frame())).toEqual(linesFrom(from, to));
    for (let i = 0; i < 60; i++) screen.press('u');
    await screen.until((f) => expect(f).toContain(`lines 1–${height} of 500 (start)`));
    expect(paneRows(screen.frame())).toEqual(linesFrom(1, height));
    for (let i = 0; i < 60; i++) screen.press('d');
    await screen.until((f) => expect(f).toMatch(/output: migrate · 500 lines · last block/));
    expect(paneRows(screen.frame()).at(-1)).toBe('  line 500');
  });

  it('/ searches it: enter shows the nearest match above, n the one before, N the one after, with "match X of Y"', async () => {
    const screen = await ranLongOutput();
    screen.press('/');
    for (const ch of 'error') screen.press(ch);
    await screen.until((f) => expect(f).toContain('search: error▏'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('search: error, match 3 of 3'));
    expect(paneRows(screen.frame()).at(-1)).toBe(' >ERROR at 450');
    expect(shownRange(screen.frame())[1]).toBe(450);
    screen.press('n');
    await screen.until((f) => expect(f).toContain('match 2 of 3'));
    expect(paneRows(screen.frame()).at(-1)).toBe(' >ERROR at 250');
    screen.press('n');
    await screen.until((f) => expect(f).toContain('match 1 of 3'));
    // Near the start the pane is filled from the first line; the match is marked where it is.
    expect(paneRows(screen.frame())).toContain(' >ERROR at 50');
    screen.press('n');
    await screen.until((f) => expect(f).toContain('match 3 of 3'));
    screen.press('N');
    await screen.until((f) => expect(f).toContain('match 1 of 3'));
    // While typing, keys are the pattern's: `q` does not quit, and no match is said as such.
    screen.press('/', 'q', 'x', 'z', KEY.enter);
    await screen.until((f) => expect(f).toContain('search: qxz, no match'));
    expect(screen.controller.getSnapshot().quit).toBe(false);
    // pgdn to the end leaves the log and the search.
    for (let i = 0; i < 60; i++) screen.press('d');
    await screen.until((f) => expect(f).toMatch(/output: migrate · 500 lines · last block ─/));
  });

  it('esc stops typing a search; n without a search says how to start one', async () => {
    const screen = await ranLongOutput();
    screen.press('n');
    await screen.until((f) => expect(f).toContain('no search yet: / to search the output'));
    screen.press('/', 'a');
    await screen.until((f) => expect(f).toContain('search: a▏'));
    screen.press(KEY.escape);
    await screen.until((f) => expect(f).not.toContain('search: a'));
    expect(screen.controller.typing).toBe(false);
    // Keys are keys again: q asks nothing of a search.
    screen.press('q');
    await screen.until(() => expect(screen.controller.getSnapshot().quit).toBe(true));
  });

  it('viewLog shows the whole log of a block the face picks, not only the last one', async () => {
    const screen = await ranLongOutput();
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toMatch(/output: after · 1 lines · last block/));
    const log = screen.session.state.steps[0]?.blocks.find((b) => b.id === 'migrate')?.log as string;
    await screen.controller.viewLog('migrate', join(screen.session.paths.dir, log));
    await screen.until((f) => expect(f).toMatch(/output: migrate · lines \d+–500 of 500/));
    screen.press('d');
    await screen.until((f) => expect(f).toMatch(/output: after · 1 lines · last block/));
  });
});

describe('matchingLines', () => {
  it('matches the pattern literally, case ignored', () => {
    expect(matchingLines(['nova.instances', 'novaXinstances', 'NOVA.INSTANCES ok', '[ERROR] x'], 'nova.instances')).toEqual([0, 2]);
    expect(matchingLines(['[ERROR] x', 'ERROR'], '[error]')).toEqual([0]);
  });
});
