/**
 * The current step: its prose, each block with role badge, the attributes that matter, the
 * variables it uses (secrets masked) and its last result, the checklist, and — when a gate holds
 * the run — the failed check's name, why it failed and what the runbook says to do next.
 */
import type { ReactNode } from 'react';
import { Box } from 'ink';
import { Text } from '../inert-text.js';
import type { Block, Step } from '../../runbook/model.js';
import type { BlockState, StepState } from '../../engine/run-state.js';
import type { NextAction } from '../../engine/plan.js';
import { shownItem, type GateCheck } from '../../engine/decisions.js';
import { formatDuration } from '../../runbook/duration.js';
import { withValues } from '../../engine/vars.js';
import { lookOf, ROLE_BADGE } from '../theme.js';
import { renderMarkdown } from '../markdown.js';
import { wrapWords } from '../wrap.js';
import { expandTabs } from '../../runbook/inert.js';
import { evidenceOf, fixedWidthTable, type TableStyle } from '../../engine/evidence-view.js';
import { fleetShown, fleetView, hostGridSize, type FleetView } from '../host-grid.js';
import { hostGridRows } from './HostGrid.js';

export interface StepViewProps {
  step: Step;
  state: StepState;
  next: NextAction;
  selected: number;
  /** A block of this session is running: `next` then names it, but it is running, not held. */
  busy: boolean;
  /** Variable values safe to show (secrets already masked). */
  vars: Record<string, string>;
  /** The rollback blocks the run offers now (after a failure), from the engine's decisions. */
  rollbacks: Block[];
  /** What the runbook says to do about the block holding the run; null for an error, which its advice does not cure. */
  remedy: string | null;
  /** Why the block holding the run stopped, from the engine's decisions (an interrupted block's is not its last reason). */
  reason?: string | null;
  /** The steps that fix the refused check (fixes=), offered to run in place; the selection is on them. */
  fixes?: Step[];
  /** The host selected in the fleet block's grid (by name), if any. */
  host?: string | null;
  /**
   * Every check of the gate that ran and has not passed (the engine's decisions): besides the one
   * holding the run, the view lists the others with their evidence, so every problem shows at once.
   */
  gate?: GateCheck[];
  /** The rehearsal's figures of each block, by block id (`rehearsal: 4m12s, 12,408 rows`), when the run has a baseline. */
  rehearsal?: ReadonlyMap<string, string>;
  width: number;
  height: number;
}

/** Variable names a block uses: `$NAME`/`${NAME}` in scripts, `:NAME` in SQL. */
function usedVars(block: Block, vars: Record<string, string>): string[] {
  const pattern = block.executor === 'sql' ? /:([A-Za-z_][A-Za-z0-9_]*)/g : /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g;
  const names = new Set<string>();
  for (const match of block.code.matchAll(pattern)) if (match[1] && match[1] in vars) names.add(match[1]);
  return [...names];
}

function attributesOf(block: Block): string {
  const parts: string[] = [];
  if (block.attrs.timeoutMs !== undefined) parts.push(`timeout ${formatDuration(block.attrs.timeoutMs)}`);
  if (block.attrs.confirm) parts.push('confirm');
  if (block.attrs.approve !== undefined) parts.push(`approve ${block.attrs.approve}`);
  if (block.attrs.override) parts.push('override allowed');
  if (block.attrs.severity) parts.push('warning only');
  if (block.attrs.retries !== undefined) parts.push(`retries ${block.attrs.retries}`);
  if (block.attrs.rerunOnExit !== undefined) parts.push(`until exit≠${block.attrs.rerunOnExit}`);
  if (block.attrs.codes) parts.push('oslo codes');
  if (block.attrs.connection) parts.push(`db ${block.attrs.connection}`);
  if (block.attrs.fleet) parts.push(`hosts ${block.attrs.fleet.hosts}`);
  return parts.join(', ');
}

/** The block's result in two parts: its status and time, then why (the rehearsal's figures go between them). */
function resultOf(state: BlockState | undefined): { head: string; why: string } {
  if (!state || state.status === 'pending') return { head: '', why: '' };
  // An interrupted block keeps the time and reason of an earlier execution: neither is this one's.
  if (state.status === 'interrupted') return { head: 'interrupted', why: '' };
  const took = state.durationMs !== undefined ? ` ${formatDuration(state.durationMs)}` : '';
  return { head: `${state.status}${took}`, why: state.reason && state.status !== 'passed' ? `: ${state.reason}` : '' };
}

/** A failed block's evidence as the step view lays it out: SQL rows as a table (with how many rows the check found), or the output's tail. */
interface ShownEvidence {
  /** Table header and rule (none for an output tail). */
  head: string[];
  rows: string[];
  /** Rows the check found, when more than the checkpoint keeps (it keeps at most 50). */
  found: number;
}

/** The screen's table: box-drawing rules, cells up to 24 characters (the step view shares the screen). */
const SCREEN_TABLE: TableStyle = {
  cellWidth: 24,
  row: (cells) => cells.join(' │ '),
  rule: (widths) => widths.map((w) => '─'.repeat(w)).join('─┼─'),
};

/** A block's evidence (engine/evidence-view.ts) laid out in `width` columns: tabs expanded before anything is measured or cut. */
export function evidenceRows(state: BlockState, width: number): ShownEvidence {
  const evidence = evidenceOf(state);
  if (evidence.kind === 'output') {
    const tail = evidence.lines.map((line) => expandTabs(line).slice(0, width));
    return { head: [], rows: tail, found: tail.length };
  }
  const { head, rows } = fixedWidthTable(evidence, SCREEN_TABLE);
  return { head: head.map((line) => line.slice(0, width)), rows: rows.map((line) => line.slice(0, width)), found: evidence.found };
}

/** One screen row of the step view, and what it belongs to: prose scrolls, the rest is what the operator acts on. */
interface Row {
  key: string;
  node: ReactNode;
}

/** The step view's rows, built once per frame: the layout counts them before the view draws them. */
export interface StepSections {
  title: Row[];
  prose: string[];
  blocks: Row[];
  gate: Row[];
  evidence: ShownEvidence | null;
  remedy: Row[];
  list: Row[];
  /** A fleet block's host grid, shown under the blocks, and the rows it needs and would fill. */
  fleet: { view: FleetView; needed: number; wanted: number } | null;
}

export type StepSectionsProps = Omit<StepViewProps, 'height'>;

/** Data rows of evidence shown for each check of a gate besides the one holding the run. */
const OTHER_EVIDENCE_ROWS = 5;

export function stepSections({
  step,
  state,
  next,
  selected,
  busy,
  vars,
  rollbacks,
  remedy,
  reason,
  fixes = [],
  host = null,
  gate: open = [],
  rehearsal,
  width,
}: StepSectionsProps): StepSections {
  const tags = [step.optional ? 'optional' : '', ...step.tags.map((t) => `#${t}`)].filter(Boolean).join(' ');
  // A long title wraps: two steps that differ only at the end must not look alike.
  const title: Row[] = wrapWords(`${step.title} (${step.id}${tags ? ` · ${tags}` : ''})`, width).map((line, i) => ({
    key: `title-${i}`,
    node: (
      <Text key={`title-${i}`} bold wrap="truncate-end">
        {line}
      </Text>
    ),
  }));
  const byId = new Map(state.blocks.map((b) => [b.id, b]));
  const held = busy
    ? null
    : next.kind === 'refused' ||
        next.kind === 'failed' ||
        next.kind === 'interrupted' ||
        next.kind === 'acknowledge' ||
        next.kind === 'approval'
      ? next
      : null;

  const blocks: Row[] = [];
  for (const block of step.blocks) {
    if (block.executor === null) continue;
    const blockState = byId.get(block.id);
    const look = lookOf(blockState?.status ?? 'pending');
    const used = usedVars(block, vars)
      .map((name) => `${name}=${vars[name]}`)
      .join(' ');
    const attrs = attributesOf(block);
    const result = resultOf(blockState);
    const figures = rehearsal?.get(block.id);
    // The result and the rehearsal's figures come before the attributes and variables: at 80 columns they are what gets cut.
    blocks.push({
      key: `b-${block.id}`,
      node: (
        <Text key={`b-${block.id}`} wrap="truncate-end">
          <Text color={look.color}>{look.glyph}</Text> <Text inverse>{` ${ROLE_BADGE[block.role] ?? block.role} `}</Text> {block.id}
          {result.head ? <Text color={look.color}> {result.head}</Text> : null}
          {figures ? <Text color="cyan">{` (${figures})`}</Text> : null}
          {result.why ? <Text color={look.color}>{result.why}</Text> : null}
          <Text dimColor>
            {attrs ? ` [${attrs}]` : ''}
            {used ? ` ${used}` : ''}
          </Text>
        </Text>
      ),
    });
  }
  const gate: Row[] = [];
  let evidence: StepSections['evidence'] = null;
  const remedyRows: Row[] = [];
  if (held) {
    const blockState = byId.get(held.block.id);
    const verb =
      blockState?.outcome === 'error' && held.kind === 'refused'
        ? 'GATE: check could not run'
        : { refused: 'GATE: check failed', failed: 'FAILED', interrupted: 'INTERRUPTED', acknowledge: 'WARNING', approval: 'APPROVAL' }[
            held.kind
          ];
    const color = held.kind === 'acknowledge' || held.kind === 'approval' ? 'yellow' : 'red';
    // Why the run is held is read whole: it wraps.
    const why = reason ?? blockState?.reason;
    wrapWords(`${verb} ${held.block.id}${why ? `: ${why}` : ''}`, width).forEach((line, i) =>
      gate.push({
        key: `gate-${i}`,
        node: (
          <Text key={`gate-${i}`} color={color} bold wrap="truncate-end">
            {line}
          </Text>
        ),
      }),
    );
    // An interrupted block's evidence would be the execution before it's (the output pane has this one's).
    if (blockState && held.kind !== 'interrupted' && held.kind !== 'approval') evidence = evidenceRows(blockState, width - 2);
    if (remedy) {
      // What the runbook says to do next: whole, wrapped, never cut at the screen's edge.
      wrapWords(`→ ${withValues(remedy, vars)}`, width - 2).forEach((line, i) =>
        remedyRows.push({
          key: `note-${i}`,
          node: (
            <Text key={`note-${i}`} color="yellow" wrap="truncate-end">
              {i === 0 ? line : `  ${line}`}
            </Text>
          ),
        }),
      );
    }
    // The gate's other problems, each with its verdict, the start of its evidence and the runbook's advice.
    for (const check of held.kind === 'refused' || held.kind === 'acknowledge' ? open.filter((c) => c.block.id !== held.block.id) : []) {
      const warning = check.state.status === 'warning';
      const color = warning ? 'yellow' : 'red';
      const head = warning ? 'WARNING' : check.state.outcome === 'error' ? 'also: check could not run' : 'also: check failed';
      const push = (key: string, text: string, tone: string, bold = false) =>
        remedyRows.push({
          key,
          node: (
            <Text key={key} color={tone} bold={bold} wrap="truncate-end">
              {text}
            </Text>
          ),
        });
      wrapWords(`${head} ${check.block.id}${check.reason ? `: ${check.reason}` : ''}`, width).forEach((line, i) =>
        push(`other-${check.block.id}-${i}`, line, color, true),
      );
      const shownEvidence = evidenceRows(check.state, width - 2);
      const data = shownEvidence.rows.slice(0, OTHER_EVIDENCE_ROWS);
      [...shownEvidence.head, ...data].forEach((line, i) => push(`other-${check.block.id}-ev-${i}`, `  ${line}`, 'white'));
      if (shownEvidence.found > data.length && shownEvidence.head.length > 0)
        push(`other-${check.block.id}-more`, `  (${shownEvidence.found} rows found, ${data.length} shown)`, 'gray');
      if (check.remedy)
        wrapWords(`→ ${withValues(check.remedy, vars)}`, width - 2).forEach((line, i) =>
          push(`other-${check.block.id}-note-${i}`, i === 0 ? line : `  ${line}`, 'yellow'),
        );
    }
  }
  const list: Row[] = [];
  // A row the operator picks or ticks wraps under its marker, so they never tick what they cannot read.
  const item = (key: string, marker: string, text: string, chosen: boolean) =>
    wrapWords(text, width - marker.length).forEach((line, i) =>
      list.push({
        key: `${key}-${i}`,
        node: (
          <Text key={`${key}-${i}`} wrap="truncate-end" inverse={chosen}>
            {i === 0 ? marker : ' '.repeat(marker.length)}
            {line}
          </Text>
        ),
      }),
    );
  if (!busy && fixes.length > 0) {
    list.push({
      key: 'fx-title',
      node: (
        <Text key="fx-title" dimColor>
          steps that fix it (f works on the selected one now, then r re-runs the check):
        </Text>
      ),
    });
    fixes.forEach((fix, i) => item(`fx-${fix.id}`, `${i === selected ? '›' : ' '} `, `${fix.id}: ${fix.title}`, i === selected));
  } else if (!busy && rollbacks.length > 0) {
    list.push({
      key: 'rb-title',
      node: (
        <Text key="rb-title" dimColor>
          rollback (b runs the selected one):
        </Text>
      ),
    });
    rollbacks.forEach((block, i) =>
      item(`rb-${block.id}`, `${i === selected ? '›' : ' '} `, `${block.id}: ${block.code.split('\n')[0] ?? ''}`, i === selected),
    );
  } else {
    step.checklist.forEach((entry, i) => {
      const ticked = state.ticked[entry.id];
      item(
        `c-${entry.id}`,
        `${i === selected ? '›' : ' '} [${ticked ? 'x' : ' '}] `,
        `${shownItem(entry.text, vars)}${ticked?.automatic ? ' (automatic)' : ''}`,
        i === selected,
      );
    });
  }

  const shown = fleetShown(step, state, next);
  const view = shown
    ? fleetView(shown.block, shown.state, host, evidence !== null && held?.block.id === shown.block.id && evidence.head.length > 0)
    : null;
  const fleet = view ? { view, ...hostGridSize(view, width) } : null;
  const rendered = renderMarkdown(withValues(step.markdown, vars), Math.max(20, width - 1));
  return { title, prose: rendered ? rendered.split('\n') : [], blocks, gate, evidence, remedy: remedyRows, list, fleet };
}

/** The evidence table's rows as shown: as many data rows as `room` holds, and how many there are. */
function evidenceShown(evidence: NonNullable<StepSections['evidence']>, room: number): { count: string | null; lines: string[] } {
  const { head, rows, found } = evidence;
  if (head.length === 0) return { count: null, lines: rows.slice(-Math.max(0, room)) };
  if (rows.length <= room - head.length && found <= rows.length) return { count: null, lines: [...head, ...rows] };
  const shown = Math.max(0, Math.min(rows.length, room - head.length - 1));
  const count = `${found} row${found === 1 ? '' : 's'}, ${shown} shown · whole table: l (its log), pgup (output)`;
  return { count, lines: [...head, ...rows.slice(0, shown)] };
}

/** Rows the step view needs to show everything without scrolling. */
export function stepRowsWanted(sections: StepSections): number {
  const ev = sections.evidence;
  const evRows = ev ? ev.head.length + ev.rows.length + (ev.found > ev.rows.length ? 1 : 0) : 0;
  const grid = sections.fleet?.wanted ?? 0;
  return (
    grid +
    sections.title.length +
    sections.prose.length +
    sections.blocks.length +
    sections.gate.length +
    evRows +
    sections.remedy.length +
    sections.list.length
  );
}

/** Rows the step view cannot do without: what the operator acts on, the start of the evidence, a row of text. */
export function stepRowsNeeded(sections: StepSections): number {
  const ev = sections.evidence;
  const evRows = ev
    ? Math.min(EVIDENCE_FIRST, ev.head.length + ev.rows.length) +
      (ev.found > ev.rows.length || ev.rows.length + ev.head.length > EVIDENCE_FIRST ? 1 : 0)
    : 0;
  const grid = sections.fleet?.needed ?? 0;
  return (
    grid +
    sections.title.length +
    (sections.prose.length > 0 ? 1 : 0) +
    sections.blocks.length +
    sections.gate.length +
    evRows +
    sections.remedy.length +
    sections.list.length
  );
}

/** Evidence rows (a table's header and first row) shown even when the prose wants the room. */
const EVIDENCE_FIRST = 3;

export function StepView({
  sections,
  height,
  width,
  proseScroll,
}: {
  sections: StepSections;
  height: number;
  width: number;
  proseScroll: number;
}) {
  const { title, prose, blocks, gate, evidence, remedy, list, fleet } = sections;
  // What the operator acts on is shown whole, with the host grid's counts, budget and failed hosts;
  // the evidence table, the rest of the grid and the prose share what is left.
  const grid = fleet ?? { needed: 0, wanted: 0 };
  const acted = title.length + blocks.length + gate.length + remedy.length + list.length + grid.needed;
  let left = Math.max(0, height - acted);
  const evWanted = evidence ? evidence.head.length + evidence.rows.length + (evidence.found > evidence.rows.length ? 1 : 0) : 0;
  // The evidence goes first, leaving the prose at least the row that says there is more (and scroll).
  const evRoom = Math.min(evWanted, prose.length > 0 ? Math.max(Math.min(evWanted, EVIDENCE_FIRST), left - 1) : left);
  const ev = evidence ? evidenceShown(evidence, evRoom) : { count: null, lines: [] };
  left -= ev.lines.length + (ev.count ? 1 : 0);
  // The grid grows into what the evidence left, keeping the prose its row that says there is more.
  const gridExtra = Math.max(0, Math.min(grid.wanted - grid.needed, prose.length > 0 ? left - 1 : left));
  left -= gridExtra;
  let proseRows: ReactNode[] = [];
  const first = Math.max(0, Math.min(proseScroll, prose.length - Math.max(1, left - 1)));
  if (prose.length <= left) {
    proseRows = prose.map((line, i) => (
      // An empty <Text> takes no row at all: a blank line between paragraphs is a space.
      <Text key={`p-${i}`} wrap="truncate-end" rendered>
        {line || ' '}
      </Text>
    ));
  } else if (left > 0) {
    const room = Math.max(0, left - 1);
    proseRows = prose.slice(first, first + room).map((line, i) => (
      <Text key={`p-${first + i}`} wrap="truncate-end" rendered>
        {line || ' '}
      </Text>
    ));
    const after = prose.length - first - room;
    const where = [first > 0 ? `${first} above (<)` : '', after > 0 ? `${after} more below (>)` : ''].filter(Boolean).join(', ');
    proseRows.push(
      <Text key="p-more" dimColor wrap="truncate-end">
        {`── text: ${where} `.padEnd(Math.min(width, 40), '─')}
      </Text>,
    );
  }
  const evRows = [
    ...(ev.count
      ? [
          <Text key="ev-count" color="yellow" wrap="truncate-end">
            {'  '}
            {ev.count}
          </Text>,
        ]
      : []),
    ...ev.lines.map((line, i) => (
      <Text key={`ev-${i}`} wrap="truncate-end">
        {'  '}
        {line}
      </Text>
    )),
  ];
  const gridRows = fleet ? hostGridRows(fleet.view, width, grid.needed + gridExtra) : [];
  const rows = [
    ...title.map((r) => r.node),
    ...proseRows,
    ...blocks.map((r) => r.node),
    ...gridRows,
    ...gate.map((r) => r.node),
    ...evRows,
    ...remedy.map((r) => r.node),
    ...list.map((r) => r.node),
  ];
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {rows.slice(0, height)}
    </Box>
  );
}
