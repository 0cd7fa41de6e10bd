/**
 * A block's evidence has one home (issue 16 §5: the table was rendered three times). The headless
 * run, the TUI's step view and the Markdown report are given the same block state and must show
 * the same cells, the same output lines and the same count of rows found, inert in each.
 */
import { describe, expect, it } from 'vitest';
import { evidence as printed } from '../../src/cli/run.js';
import { evidenceOf, explainsStatus, OUTPUT_LINES_PRINTED } from '../../src/engine/evidence-view.js';
import type { BlockState } from '../../src/engine/run-state.js';
import { evidenceMarkdown } from '../../src/report/markdown.js';
import { expandTabs } from '../../src/runbook/inert.js';
import { evidenceRows } from '../../src/ui/components/StepView.js';

// eslint-disable-next-line no-control-regex
const ACTING = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

function refused(extra: Partial<BlockState>): BlockState {
  return {
    id: 'dup-hypervisors',
    role: 'check',
    hash: 'h',
    status: 'refused',
    exitCode: null,
    attempts: 1,
    executions: 1,
    history: [],
    ...extra,
  };
}

/** What each face shows of a block, as text. */
function faces(state: BlockState): { headless: string; tui: string; markdown: string } {
  const tui = evidenceRows(state, 200);
  return { headless: printed(state).join('\n'), tui: [...tui.head, ...tui.rows].join('\n'), markdown: evidenceMarkdown(state).join('\n') };
}

describe('the evidence of a block is the same in every face', () => {
  const rows = refused({
    columns: ['host', 'hypervisor_hostname'],
    rows: [
      ['cmp-6.example.org', 'cmp-6\x1b]0;owned\x07'],
      ['cmp-7.example.org', 'cmp-7'],
    ],
    rowCount: 73,
  });

  it('an sql check: every cell, inert, and how many rows it found beyond those kept', () => {
    const shown = evidenceOf(rows);
    expect(shown).toMatchObject({ kind: 'rows', found: 73 });
    const { headless, tui, markdown } = faces(rows);
    for (const cell of [...(shown.kind === 'rows' ? shown.columns : []), ...(shown.kind === 'rows' ? shown.rows.flat() : [])]) {
      expect(headless).toContain(cell);
      expect(tui).toContain(cell);
      expect(markdown).toContain(cell);
    }
    expect(headless).toContain('cmp-6␛]0;owned␇');
    for (const text of [headless, tui, markdown]) expect(text).not.toMatch(ACTING);
    expect(headless).toContain('(71 more rows)');
    expect(evidenceRows(rows, 200).found).toBe(73);
    expect(markdown).toContain('(73 rows, the first 2 shown)');
  });

  it('a shell check: its output tail, the same last lines in each face, tabs expanded where columns are counted', () => {
    const tail = Array.from({ length: 14 }, (_, i) => `line ${i + 1}\tok`);
    tail[13] = 'last\x1b[2Jline';
    const state = refused({ tail, exitCode: 1 });
    const { headless, tui, markdown } = faces(state);
    const lastPrinted = printed(state);
    expect(lastPrinted).toHaveLength(OUTPUT_LINES_PRINTED);
    expect(lastPrinted.at(-1)).toBe('last␛[2Jline');
    expect(lastPrinted[0]).toBe('line 5\tok');
    // The screen and the report keep the whole tail; the log-like headless run keeps its end.
    expect(evidenceRows(state, 200).rows).toHaveLength(14);
    expect(tui).toContain('line 1  ok');
    expect(markdown).toContain('line 1\tok');
    for (const line of lastPrinted) {
      expect(markdown).toContain(line);
      expect(tui).toContain(expandTabs(line));
    }
    for (const text of [headless, tui, markdown]) expect(text).not.toMatch(ACTING);
  });

  it('a block that printed nothing and returned no rows shows no evidence anywhere', () => {
    const state = refused({ exitCode: 1 });
    expect(printed(state)).toEqual([]);
    expect(evidenceRows(state, 80)).toEqual({ head: [], rows: [], found: 0 });
    expect(evidenceMarkdown(state)).toEqual([]);
  });

  it('the reports explain the blocks that refused, failed, warned or were overridden, and no others', () => {
    expect(['refused', 'failed', 'warning', 'overridden'].every(explainsStatus)).toBe(true);
    expect(['passed', 'pending', 'running', 'acknowledged', 'interrupted', 'paused', 'marked done'].some(explainsStatus)).toBe(false);
  });
});
