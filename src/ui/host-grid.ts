/**
 * A fleet block's hosts as the TUI shows them: a line of counts with the batch and the failure
 * budget, the hosts that need a look, a grid of one status glyph per host, and the selected host's
 * status, rc, reason and output. Built as lines of text, not a component per host: a frame makes
 * one pass over the hosts (`fleetView`) and then only touches the cells it shows (`hostGridLines`),
 * so a grid of 1,000 hosts updating stays well under a frame's budget.
 */
import type { Block, Step } from '../runbook/model.js';
import type { BlockState, HostState, HostStatus, StepState } from '../engine/run-state.js';
import type { NextAction } from '../engine/plan.js';
import { summarizeFleet, type FleetSummary } from '../engine/fleet.js';
import { formatDuration } from '../runbook/duration.js';
import { displayLine } from '../runbook/inert.js';
import { colourWanted } from './inert-text.js';
import { KEY_TABLE, type KeyAction } from './keys.js';
import { hostLookOf } from './theme.js';

/** Host names are cut to this many columns in the grid (the selected host's line has it whole). */
const NAME_MAX = 24;
/** Lines of the selected host's output shown under the grid, when there is room. */
const TAIL_SHOWN = 4;
/** Compact cells come in groups of this many, a space between groups, so that positions can be counted. */
const GROUP = 10;

/** What the grid of one fleet block shows in a frame, from one pass over its hosts. */
export interface FleetView {
  block: Block;
  hosts: readonly HostState[];
  summary: FleetSummary;
  /** Hosts that need a look, in plan order: failed, unreachable, interrupted. */
  attention: number[];
  /** The selected host's index, or null. */
  selected: number | null;
  /** Where the grid's window goes when no host is selected: the first host running, else the first not done. */
  focus: number;
  /** The batch the running hosts belong to, or null when none runs. */
  runningBatch: number | null;
  /** Columns of the longest name, at most NAME_MAX. */
  nameWidth: number;
  /** The block's evidence table (failed hosts first) is on screen too: the line of hosts that need a look would repeat it. */
  evidenceShown: boolean;
}

const needsLook = (status: HostStatus) => status === 'failed' || status === 'unreachable' || status === 'interrupted';

/**
 * The fleet block whose grid a step shows: the block the run is on (running, held or next), else a
 * running one, else the last one that has hosts. Null when no fleet block of the step has hosts yet.
 */
export function fleetShown(step: Step, state: StepState, next: NextAction): { block: Block; state: BlockState } | null {
  const candidates: { block: Block; state: BlockState }[] = [];
  for (const block of step.blocks) {
    if (!block.attrs.fleet) continue;
    const blockState = state.blocks.find((b) => b.id === block.id);
    if (blockState?.hosts && blockState.hosts.length > 0) candidates.push({ block, state: blockState });
  }
  if (candidates.length === 0) return null;
  const onRun = 'block' in next ? candidates.find((c) => c.block.id === next.block.id) : undefined;
  return (
    onRun ??
    candidates.find((c) => c.state.status === 'running') ??
    (candidates[candidates.length - 1] as { block: Block; state: BlockState })
  );
}

/** The one pass over a fleet block's hosts for this frame. `selectedHost`: the name the operator selected, if any. */
export function fleetView(block: Block, state: BlockState, selectedHost: string | null, evidenceShown = false): FleetView | null {
  const fleet = block.attrs.fleet;
  const hosts = state.hosts ?? [];
  if (!fleet || hosts.length === 0) return null;
  const attention: number[] = [];
  let selected: number | null = null;
  let running = -1;
  let notDone = -1;
  let nameWidth = 1;
  for (let i = 0; i < hosts.length; i++) {
    const host = hosts[i] as HostState;
    if (needsLook(host.status)) attention.push(i);
    if (host.host === selectedHost) selected = i;
    if (running < 0 && host.status === 'running') running = i;
    if (notDone < 0 && (host.status === 'pending' || host.status === 'running')) notDone = i;
    if (host.host.length > nameWidth) nameWidth = Math.min(NAME_MAX, host.host.length);
  }
  return {
    block,
    hosts,
    summary: summarizeFleet(fleet, hosts),
    attention,
    selected,
    focus: running >= 0 ? running : Math.max(0, notDone),
    runningBatch: running >= 0 ? (hosts[running] as HostState).batch : null,
    nameWidth,
    evidenceShown,
  };
}

/** The host the selection moves to with a grid key: one before or after (wrapping), or the next that needs a look. */
export function moveHost(
  hosts: readonly HostState[],
  selectedHost: string | null,
  action: Extract<KeyAction, 'host-previous' | 'host-next' | 'host-attention'>,
): string | null {
  if (hosts.length === 0) return null;
  const at = selectedHost === null ? -1 : hosts.findIndex((h) => h.host === selectedHost);
  if (action === 'host-attention') {
    for (let step = 1; step <= hosts.length; step++) {
      const host = hosts[(at + step + hosts.length) % hosts.length] as HostState;
      if (needsLook(host.status)) return host.host;
    }
    return selectedHost;
  }
  if (at < 0) return (action === 'host-next' ? hosts[0] : hosts[hosts.length - 1])?.host ?? null;
  const to = (at + (action === 'host-next' ? 1 : -1) + hosts.length) % hosts.length;
  return hosts[to]?.host ?? null;
}

/** Rows the grid cannot do without (`needed`), and rows it would fill with every host named (`wanted`). */
export function hostGridSize(view: FleetView, width: number): { needed: number; wanted: number } {
  const top = summaryLines(view, width).length + (attentionLine(view, width) === null ? 0 : 1);
  const pane = paneLines(view, width);
  const paneNeeded = pane.head.length + Math.min(pane.tail.length, 1);
  const n = view.hosts.length;
  const compactFits = n <= compactPerRow(width);
  const named = Math.ceil(n / namedPerRow(view, width));
  return { needed: top + paneNeeded + (compactFits ? 1 : 2), wanted: top + pane.head.length + pane.tail.length + named + 1 };
}

/**
 * The grid's lines for `rows` rows at `width` columns, each at most `width` wide: counts, the hosts
 * that need a look, the cells (named when every host fits named, else compact glyphs; a window with
 * its position when even those do not fit), then the selected host.
 */
export function hostGridLines(view: FleetView, width: number, rows: number): string[] {
  const top = summaryLines(view, width);
  const attention = attentionLine(view, width);
  if (attention !== null) top.push(attention);
  let left = rows - top.length;
  const { head, tail } = paneLines(view, width);
  // The selected host's own line stays, with its last line of output; the lines before that give way to the cells first.
  const tailShown = Math.min(tail.length, Math.max(1, left - head.length - 2));
  const pane = [...head, ...tail.slice(tail.length - tailShown)];
  left -= pane.length;
  return [...top, ...cellLines(view, width, Math.max(1, left)), ...pane].slice(0, Math.max(0, rows));
}

// ── painting ────────────────────────────────────────────────────────────────────────────────

/** SGR foreground codes for the theme's colour names. */
const FOREGROUND: Record<string, number> = { gray: 90, cyan: 36, green: 32, red: 31, yellow: 33, magenta: 35 };

function paint(text: string, color: string): string {
  const code = FOREGROUND[color];
  return code === undefined || !colourWanted() ? text : `\u001B[${code}m${text}\u001B[39m`;
}

/** Inverse is not a colour: the selected cell is marked under NO_COLOR too. */
function inverse(text: string): string {
  return `\u001B[7m${text}\u001B[27m`;
}

function glyph(status: HostStatus): string {
  const look = hostLookOf(status);
  return paint(look.glyph, look.color);
}

/** A host name as shown: inert (it comes from the inventory), cut to `width` columns. */
function nameOf(host: string, width: number): string {
  const shown = [...displayLine(host)];
  return shown.length <= width ? shown.join('') : `${shown.slice(0, Math.max(0, width - 1)).join('')}…`;
}

/** Pack parts (plain text and its painted form) into lines of at most `width` columns, `gap` between parts. */
function pack(parts: { plain: string; painted: string }[], width: number, gap = '  '): string[] {
  const lines: string[] = [];
  let plain = '';
  let painted = '';
  for (const part of parts) {
    if (plain && [...plain].length + gap.length + [...part.plain].length > width) {
      lines.push(painted);
      plain = '';
      painted = '';
    }
    const cut =
      [...part.plain].length > width
        ? { plain: [...part.plain].slice(0, width).join(''), painted: [...part.plain].slice(0, width).join('') }
        : part;
    plain += plain ? `${gap}${cut.plain}` : cut.plain;
    painted += painted ? `${gap}${cut.painted}` : cut.painted;
  }
  if (plain) lines.push(painted);
  return lines;
}

// ── the parts of the grid ───────────────────────────────────────────────────────────────────

/** Counts always show ok, failed, unreachable, running and pending; the other statuses when some host has them. */
const COUNTED: readonly HostStatus[] = ['ok', 'failed', 'unreachable', 'running', 'pending', 'interrupted', 'skipped', 'marked-done'];
const ALWAYS_COUNTED = new Set<HostStatus>(['ok', 'failed', 'unreachable', 'running', 'pending']);

/** "batch 2/4 running", "batch 3/4 next" (the first with a host not done), "4/4 batches done". */
export function batchText(summary: FleetSummary, runningBatch: number | null): string {
  if (summary.batches === 0) return 'no batch planned';
  if (runningBatch !== null) return `batch ${runningBatch}/${summary.batches} running`;
  if (summary.nextBatch === null) return `${summary.batches}/${summary.batches} batches done`;
  return `batch ${summary.nextBatch}/${summary.batches} next`;
}

/** "budget: 1 of 2 left", or how far over it the block is. */
export function budgetText(summary: FleetSummary): string {
  if (summary.failed > summary.budget) return `budget: exceeded, ${summary.failed} failed of ${summary.budget} allowed`;
  return `budget: ${summary.budget - summary.failed} of ${summary.budget} left`;
}

function summaryLines(view: FleetView, width: number): string[] {
  const { summary } = view;
  const parts = COUNTED.filter((s) => ALWAYS_COUNTED.has(s) || summary.counts[s] > 0).map((status) => {
    const text = `${summary.counts[status]} ${status}`;
    return { plain: `${hostLookOf(status).glyph} ${text}`, painted: `${glyph(status)} ${text}` };
  });
  const batch = batchText(summary, view.runningBatch);
  parts.push({ plain: batch, painted: batch });
  const budget = budgetText(summary);
  parts.push({ plain: budget, painted: summary.failed > summary.budget ? paint(budget, 'red') : budget });
  return pack(parts, width);
}

/**
 * The hosts that need a look, named on one line whatever window the cells show: a failed or
 * unreachable host is never hidden. Left out when the block's evidence table (failed hosts first)
 * is on screen below.
 */
function attentionLine(view: FleetView, width: number): string | null {
  if (view.attention.length === 0 || view.evidenceShown) return null;
  const key = keyOf('host-attention');
  const head = 'look at: ';
  let plain = head;
  let painted = head;
  let shown = 0;
  for (const index of view.attention) {
    const host = view.hosts[index] as HostState;
    const rest = view.attention.length - shown - 1;
    const entry = `${shown > 0 ? ', ' : ''}${hostLookOf(host.status).glyph} ${nameOf(host.host, NAME_MAX)}${lookFact(host)}`;
    const more = rest > 0 ? ` … +${rest} more (${key})` : '';
    if ([...plain].length + [...entry].length + more.length > width && shown > 0) break;
    plain += entry;
    painted += entry.replace(hostLookOf(host.status).glyph, glyph(host.status));
    shown += 1;
  }
  const hidden = view.attention.length - shown;
  const tail = hidden > 0 ? ` … +${hidden} more (${key})` : '';
  const line = [...plain].length + tail.length > width ? [...plain].slice(0, Math.max(0, width - tail.length)).join('') : plain;
  return `${line === plain ? painted : line}${tail}`;
}

/** What to say after a host to look at: a failed host's rc; for the others, their status (the glyph alone is easy to miss). */
function lookFact(host: HostState): string {
  if (host.status !== 'failed') return ` ${host.status}`;
  return host.rc === undefined || host.rc === null ? '' : ` rc=${host.rc}`;
}

function keyOf(action: KeyAction): string {
  return KEY_TABLE.find((b) => b.action === action)?.keys[0] ?? '';
}

function namedPerRow(view: FleetView, width: number): number {
  // "›✓ name" and a space between cells.
  return Math.max(1, Math.floor((width + 1) / (view.nameWidth + 4)));
}

function compactPerRow(width: number): number {
  if (width < GROUP) return Math.max(1, width);
  return Math.floor((width + 1) / (GROUP + 1)) * GROUP;
}

function cellLines(view: FleetView, width: number, rows: number): string[] {
  const { hosts, selected } = view;
  const n = hosts.length;
  const hints = `${keyOf('host-previous')} ${keyOf('host-next')} select a host · ${keyOf('host-attention')} next to look at`;
  const perNamed = namedPerRow(view, width);
  if (Math.ceil(n / perNamed) <= rows) {
    const lines: string[] = [];
    for (let start = 0; start < n; start += perNamed) {
      const cells: string[] = [];
      for (let i = start; i < Math.min(n, start + perNamed); i++) {
        const host = hosts[i] as HostState;
        const name = nameOf(host.host, view.nameWidth).padEnd(view.nameWidth);
        cells.push(i === selected ? `›${glyph(host.status)} ${inverse(name)}` : ` ${glyph(host.status)} ${name}`);
      }
      lines.push(cells.join(' ').trimEnd());
    }
    if (lines.length < rows) lines.push(fitHint(hints, width));
    return lines;
  }
  const perRow = compactPerRow(width);
  const all = Math.ceil(n / perRow) <= rows;
  const cellRows = all ? rows : Math.max(1, rows - 1);
  const perPage = perRow * cellRows;
  const focus = selected ?? view.focus;
  const start = all ? 0 : Math.floor(focus / perPage) * perPage;
  const end = Math.min(n, start + perPage);
  const lines: string[] = [];
  for (let rowStart = start; rowStart < end; rowStart += perRow) lines.push(compactRow(view, rowStart, Math.min(end, rowStart + perRow)));
  if (!all) lines.push(fitHint(`hosts ${start + 1}–${end} of ${n} · ${hints}`, width));
  else if (lines.length < rows) lines.push(fitHint(`${n} hosts · ${hints}`, width));
  return lines;
}

/** One row of compact cells: a glyph per host, runs of one status painted together, a space every GROUP cells. */
function compactRow(view: FleetView, from: number, to: number): string {
  let line = '';
  let run = '';
  let runStatus: HostStatus | null = null;
  const flush = () => {
    if (runStatus !== null && run) line += paint(run, hostLookOf(runStatus).color);
    run = '';
  };
  for (let i = from; i < to; i++) {
    const host = view.hosts[i] as HostState;
    if (i > from && (i - from) % GROUP === 0) {
      flush();
      line += ' ';
    }
    if (i === view.selected) {
      flush();
      line += inverse(glyph(host.status));
      runStatus = null;
      continue;
    }
    if (host.status !== runStatus) {
      flush();
      runStatus = host.status;
    }
    run += hostLookOf(host.status).glyph;
  }
  flush();
  return line;
}

function fitHint(text: string, width: number): string {
  const chars = [...text];
  return chars.length <= width ? text : chars.slice(0, width).join('');
}

/** The selected host: its name, status, rc, batch, time and reason (wrapped), then the last lines of its output. */
function paneLines(view: FleetView, width: number): { head: string[]; tail: string[] } {
  if (view.selected === null) return { head: [], tail: [] };
  const host = view.hosts[view.selected] as HostState;
  const facts = [
    host.status,
    host.rc !== undefined && host.rc !== null ? `rc=${host.rc}` : '',
    `batch ${host.batch}`,
    host.durationMs !== undefined ? formatDuration(host.durationMs) : '',
  ].filter(Boolean);
  const reason = host.reason
    ? `: ${displayLine(host.reason)}`
    : host.markedDone?.reason
      ? `: marked done by ${displayLine(host.markedDone.by)} (${displayLine(host.markedDone.reason)})`
      : '';
  const prefix = `› ${nameOf(host.host, Math.max(8, width - 30))} `;
  const lines = wrapHard(`${prefix}${hostLookOf(host.status).glyph} ${facts.join(' · ')}${reason}`, width, 2);
  // The glyph is painted after wrapping, so that the rows are cut on what the terminal shows.
  const first = [...(lines[0] as string)];
  const at = [...prefix].length;
  if (first.length > at) lines[0] = `${first.slice(0, at).join('')}${glyph(host.status)}${first.slice(at + 1).join('')}`;
  const tail = (host.tail ?? []).slice(-TAIL_SHOWN).map((line) => fitHint(`  │ ${displayLine(line)}`, width));
  if (tail.length === 0 && host.status !== 'pending' && host.status !== 'running') tail.push('  │ (no output)');
  return { head: lines, tail };
}

/** `text` in rows of `width` columns, at most `max` rows (the last ends in … when cut). */
function wrapHard(text: string, width: number, max: number): string[] {
  const chars = [...text];
  const rows: string[] = [];
  for (let i = 0; i < chars.length && rows.length < max; i += width) rows.push(chars.slice(i, i + width).join(''));
  if (chars.length > width * max) rows[max - 1] = `${[...(rows[max - 1] as string)].slice(0, width - 1).join('')}…`;
  return rows;
}
