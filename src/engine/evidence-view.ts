/**
 * The evidence of a block's last execution (docs/running.md#a-gate), decided once for every face: which
 * blocks have some, whether it is the rows of an sql result or the tail of its output, how many
 * rows the block found beyond those the checkpoint keeps, and the text of each cell and line, made
 * inert. The headless run, the TUI's step view and the Markdown reports only lay it out.
 */
import { expandTabs, inert } from '../runbook/inert.js';
import type { BlockState, BlockStatus } from './run-state.js';

/** What a block's result shows: its rows as a table, or the last lines of its output. */
export type Evidence = EvidenceRows | EvidenceOutput;

/** An sql result: its columns and the rows the checkpoint kept, each cell one inert line. */
export interface EvidenceRows {
  kind: 'rows';
  columns: string[];
  rows: string[][];
  /** How many rows the block found: at least `rows.length` (the checkpoint keeps the first 50). */
  found: number;
}

/** The tail of a shell or python block's output, each line inert (tabs kept). */
export interface EvidenceOutput {
  kind: 'output';
  lines: string[];
}

/** The parts of a block's state its evidence is made of (a report block has them too). */
export type EvidenceSource = Pick<BlockState, 'columns' | 'rows' | 'rowCount' | 'tail'>;

/** Statuses that leave something to explain: the reports list these blocks' evidence under "What failed". */
const EXPLAINED: ReadonlySet<string> = new Set<BlockStatus>(['refused', 'failed', 'warning', 'overridden']);

/** True when a block that ended so is one whose evidence a record of the run shows. */
export function explainsStatus(status: string): boolean {
  return EXPLAINED.has(status);
}

/** Output lines a face that prints a log (the headless run) shows of a block's tail. */
export const OUTPUT_LINES_PRINTED = 10;

/** A block's evidence: its rows when it returned a result set, else its output's tail (empty when it printed nothing). */
export function evidenceOf(state: EvidenceSource): Evidence {
  if (state.columns && state.rows) {
    return {
      kind: 'rows',
      columns: state.columns.map(shown),
      rows: state.rows.map((row) => row.map(shown)),
      found: Math.max(state.rowCount ?? 0, state.rows.length),
    };
  }
  return { kind: 'output', lines: (state.tail ?? []).map(shown) };
}

/** Rows the block found that its evidence does not hold. */
export function rowsNotKept(evidence: EvidenceRows): number {
  return evidence.found - evidence.rows.length;
}

/** How a fixed-width face draws a table's separators. */
export interface TableStyle {
  /** The widest a column gets; longer cells are cut. */
  cellWidth: number;
  /** One row from its padded cells. */
  row: (cells: string[]) => string;
  /** The rule under the header, from the columns' widths. */
  rule: (widths: number[]) => string;
}

/** The rows of a fixed-width face (a terminal): cells with tabs expanded, cut and padded to their column. */
export function fixedWidthTable(evidence: EvidenceRows, style: TableStyle): { head: string[]; rows: string[] } {
  const columns = evidence.columns.map((c) => expandTabs(c));
  const cells = evidence.rows.map((row) => row.map((c) => expandTabs(c)));
  const widths = columns.map((c, i) => Math.min(style.cellWidth, Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length))));
  const line = (row: string[]) => style.row(row.map((c, i) => c.slice(0, style.cellWidth).padEnd(widths[i] ?? 0)));
  return { head: [line(columns), style.rule(widths)], rows: cells.map(line) };
}

function shown(text: string): string {
  return inert(text);
}
