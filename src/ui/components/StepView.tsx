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
import { formatDuration } from '../../runbook/duration.js';
import { lookOf, ROLE_BADGE } from '../theme.js';
import { renderMarkdown } from '../markdown.js';
import { wrapWords } from '../wrap.js';

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
  width: number;
  height: number;
}

/** `${NAME}` in prose shows the variable's value (secrets are already masked in `vars`); unknown names stay as written. */
function withValues(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (ref, name: string) => vars[name] ?? ref);
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
  if (block.attrs.override) parts.push('override allowed');
  if (block.attrs.severity) parts.push('warning only');
  if (block.attrs.retries !== undefined) parts.push(`retries ${block.attrs.retries}`);
  if (block.attrs.rerunOnExit !== undefined) parts.push(`until exit≠${block.attrs.rerunOnExit}`);
  if (block.attrs.codes) parts.push('oslo codes');
  if (block.attrs.connection) parts.push(`db ${block.attrs.connection}`);
  return parts.join(', ');
}

function resultOf(state: BlockState | undefined): string {
  if (!state || state.status === 'pending') return '';
  // An interrupted block keeps the time and reason of an earlier execution: neither is this one's.
  if (state.status === 'interrupted') return 'interrupted';
  const took = state.durationMs !== undefined ? ` ${formatDuration(state.durationMs)}` : '';
  return `${state.status}${took}${state.reason && state.status !== 'passed' ? `: ${state.reason}` : ''}`;
}

/** The evidence of a failed block as screen rows: SQL rows as a table, or the output's tail. */
function evidenceRows(state: BlockState, width: number, max: number): string[] {
  if (state.columns && state.rows) {
    const widths = state.columns.map((c, i) => Math.min(24, Math.max(c.length, ...state.rows!.map((r) => (r[i] ?? '').length))));
    const line = (cells: string[]) => cells.map((c, i) => c.slice(0, 24).padEnd(widths[i] ?? 0)).join(' │ ');
    const rows = [line(state.columns), widths.map((w) => '─'.repeat(w)).join('─┼─'), ...state.rows.map(line)];
    const more = (state.rowCount ?? 0) > state.rows.length ? [`… ${(state.rowCount ?? 0) - state.rows.length} more rows`] : [];
    return [...rows.slice(0, max - more.length), ...more].map((r) => r.slice(0, width));
  }
  return (state.tail ?? []).slice(-max).map((r) => r.slice(0, width));
}

export function StepView({ step, state, next, selected, busy, vars, rollbacks, remedy, reason, fixes = [], width, height }: StepViewProps) {
  const rows: ReactNode[] = [];
  const tags = [step.optional ? 'optional' : '', ...step.tags.map((t) => `#${t}`)].filter(Boolean).join(' ');
  rows.push(
    <Text key="title" bold wrap="truncate-end">
      {step.title} <Text dimColor>({step.id}{tags ? ` · ${tags}` : ''})</Text>
    </Text>,
  );
  const byId = new Map(state.blocks.map((b) => [b.id, b]));
  const held = busy ? null : next.kind === 'refused' || next.kind === 'failed' || next.kind === 'interrupted' || next.kind === 'acknowledge' ? next : null;

  const blockRows: ReactNode[] = [];
  for (const block of step.blocks) {
    if (block.executor === null) continue;
    const blockState = byId.get(block.id);
    const look = lookOf(blockState?.status ?? 'pending');
    const used = usedVars(block, vars).map((name) => `${name}=${vars[name]}`).join(' ');
    const attrs = attributesOf(block);
    const result = resultOf(blockState);
    // The result comes before the attributes and variables: at 80 columns they are what gets cut.
    blockRows.push(
      <Text key={`b-${block.id}`} wrap="truncate-end">
        <Text color={look.color}>{look.glyph}</Text> <Text inverse>{` ${ROLE_BADGE[block.role] ?? block.role} `}</Text> {block.id}
        {result ? <Text color={look.color}> {result}</Text> : null}
        <Text dimColor>{attrs ? ` [${attrs}]` : ''}{used ? ` ${used}` : ''}</Text>
      </Text>,
    );
  }
  const gateRows: ReactNode[] = [];
  if (held) {
    const blockState = byId.get(held.block.id);
    const verb = blockState?.outcome === 'error' && held.kind === 'refused' ? 'GATE: check could not run' : { refused: 'GATE: check failed', failed: 'FAILED', interrupted: 'INTERRUPTED', acknowledge: 'WARNING' }[held.kind];
    gateRows.push(
      <Text key="gate" color={held.kind === 'acknowledge' ? 'yellow' : 'red'} bold wrap="truncate-end">
        {verb} {held.block.id}
        {(reason ?? blockState?.reason) ? `: ${reason ?? blockState?.reason}` : ''}
      </Text>,
    );
    // An interrupted block's evidence would be the execution before it's (the output pane has this one's).
    if (blockState && held.kind !== 'interrupted') {
      for (const [i, line] of evidenceRows(blockState, width - 2, 6).entries()) {
        gateRows.push(
          <Text key={`ev-${i}`} wrap="truncate-end">
            {'  '}
            {line}
          </Text>,
        );
      }
    }
    if (remedy) {
      // What the runbook says to do next: whole, wrapped, never cut at the screen's edge.
      wrapWords(`→ ${withValues(remedy, vars)}`, width - 2, 4).forEach((line, i) =>
        gateRows.push(
          <Text key={`note-${i}`} color="yellow" wrap="truncate-end">
            {i === 0 ? line : `  ${line}`}
          </Text>,
        ),
      );
    }
  }
  const listRows: ReactNode[] = [];
  const showRollbacks = !busy && rollbacks.length > 0;
  if (!busy && fixes.length > 0) {
    listRows.push(<Text key="fx-title" dimColor>steps that fix it (f works on the selected one now, then r re-runs the check):</Text>);
    fixes.forEach((fix, i) =>
      listRows.push(
        <Text key={`fx-${fix.id}`} wrap="truncate-end" inverse={i === selected}>
          {i === selected ? '›' : ' '} {fix.id}: {fix.title}
        </Text>,
      ),
    );
  } else if (showRollbacks) {
    listRows.push(<Text key="rb-title" dimColor>rollback (b runs the selected one):</Text>);
    rollbacks.forEach((block, i) =>
      listRows.push(
        <Text key={`rb-${block.id}`} wrap="truncate-end" inverse={i === selected}>
          {i === selected ? '›' : ' '} {block.id}: {block.code.split('\n')[0]}
        </Text>,
      ),
    );
  } else {
    step.checklist.forEach((item, i) => {
      const ticked = state.ticked[item.id];
      listRows.push(
        <Text key={`c-${item.id}`} wrap="truncate-end" inverse={i === selected}>
          {i === selected ? '›' : ' '} [{ticked ? 'x' : ' '}] {withValues(item.text, vars)}
          {ticked?.automatic ? ' (automatic)' : ''}
        </Text>,
      );
    });
  }

  const fixed = 1 + blockRows.length + gateRows.length + listRows.length;
  const proseHeight = Math.max(0, height - fixed - 1);
  const rendered = renderMarkdown(withValues(step.markdown, vars), Math.max(20, width - 1));
  const prose = rendered ? rendered.split('\n') : [];
  // An empty <Text> takes no row at all: a blank line between paragraphs is a space.
  const proseRows = prose.slice(0, proseHeight).map((line, i) => (
    <Text key={`p-${i}`} wrap="truncate-end" rendered>
      {line || ' '}
    </Text>
  ));
  if (prose.length > proseHeight && proseHeight > 0) {
    proseRows[proseRows.length - 1] = (
      <Text key="p-more" dimColor>
        … ({prose.length - proseHeight + 1} more lines: widen or heighten the terminal)
      </Text>
    );
  }
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {[...rows, ...proseRows, ...blockRows, ...gateRows, ...listRows].slice(0, height)}
    </Box>
  );
}
