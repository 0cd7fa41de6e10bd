/**
 * A `confirm` block's exact command, shown before the operator types yes: every row of it, in a
 * window that pgup/pgdn (and ↑/↓) move, with where the window stands. `yes` is accepted only once
 * the last row has been on screen (the controller holds that rule; this says how far it is).
 */
import { Box } from 'ink';
import { Text } from '../inert-text.js';
import { expandTabs, inertLines } from '../../runbook/inert.js';
import { cutColumns } from '../columns.js';
import type { Block } from '../../runbook/model.js';
import { wrapWords } from '../wrap.js';

/** One screen row of the command: a line, or the continuation of a line wider than the screen. */
export interface CommandRow {
  text: string;
  continued: boolean;
}

export interface ConfirmBlockProps {
  block: Block;
  command: string;
  vars: Record<string, string>;
  rollback: boolean;
  /** The first command row on screen. */
  scroll: number;
  /** True once the command's last row has been on screen. */
  seenEnd: boolean;
  width: number;
  height: number;
  /** For a fleet block: where its batches stand and what the last batch did (decisions' summary). */
  fleetNote?: string | null;
}

/**
 * The exact command as screen rows: a line wider than the screen continues on the next row (marked
 * ┆) instead of being cut, and never breaks just after a space, which the screen would not show.
 * Rows are measured in columns as ink measures them, tabs expanded: measured in characters, a row
 * of wide characters or tabs was wider than the screen and ink cut its end off.
 * Nothing in it styles the screen, not even a colour: every escape is shown inert, so nothing is hidden.
 */
export function commandRows(command: string, width: number): CommandRow[] {
  const room = Math.max(8, width - 4);
  return inertLines(command)
    .split('\n')
    .flatMap((line) => {
      const rows = cutColumns(expandTabs(line), room, { keepSpaces: true });
      return rows.map((text, i): CommandRow => ({ text, continued: i > 0 }));
    });
}

/** The variables the command uses, as `NAME=value` (secrets already masked in `vars`). */
function envOf(command: string, vars: Record<string, string>): string {
  return Object.entries(vars)
    .filter(([name]) => command.includes(name))
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
}

/** How many command rows the screen shows at once, of how many: the controller's "end shown" rule reads it. */
export function confirmWindow(
  command: string,
  vars: Record<string, string>,
  width: number,
  height: number,
  fleetNote?: string | null,
): { rows: number; total: number } {
  const total = commandRows(command, width).length;
  // Two title rows, the position row, the variables row (if any), the fleet's note (if any) and the instruction.
  const env = envOf(command, vars);
  const chrome = 4 + (env ? wrapWords(`with ${env}`, width).length : 0) + (fleetNote ? wrapWords(fleetNote, width).length : 0);
  return { rows: Math.max(1, Math.min(total, height - chrome)), total };
}

export function ConfirmBlock({ block, command, vars, rollback, scroll, seenEnd, width, height, fleetNote = null }: ConfirmBlockProps) {
  const lines = commandRows(command, width);
  const { rows: room, total } = confirmWindow(command, vars, width, height, fleetNote);
  const first = Math.max(0, Math.min(scroll, total - room));
  const env = envOf(command, vars);
  const whole = total <= room;
  const position = whole
    ? `all ${total} line${total === 1 ? '' : 's'} shown`
    : `lines ${first + 1}-${first + room} of ${total} · pgdn/pgup (↓/↑) scroll${seenEnd ? '' : ' · yes once the end is shown'}`;
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold color="yellow" wrap="truncate-end">
        {rollback ? 'Run this ROLLBACK block?' : 'This block needs your confirmation.'}
      </Text>
      {fleetNote
        ? wrapWords(fleetNote, width).map((line, i) => (
            <Text key={`fleet-${i}`} color="yellow" wrap="truncate-end">
              {line}
            </Text>
          ))
        : null}
      <Text bold color="yellow" wrap="truncate-end">
        {block.id} ({block.executor}
        {block.attrs.fleet ? ` on each host of hosts=${block.attrs.fleet.hosts}` : ''}) will run exactly:
      </Text>
      {lines.slice(first, first + room).map((line, i) => (
        <Text key={first + i} wrap="truncate-end">
          {line.continued ? '  ┆ ' : '  │ '}
          {line.text}
        </Text>
      ))}
      <Text dimColor={whole || first + room >= total} color={whole || first + room >= total ? undefined : 'yellow'} wrap="truncate-end">
        {'  '}
        {position}
        {!whole && first + room >= total ? ' (end)' : ''}
      </Text>
      {env
        ? wrapWords(`with ${env}`, width).map((line, i) => (
            <Text key={`env-${i}`} dimColor wrap="truncate-end">
              {line}
            </Text>
          ))
        : null}
      <Text wrap="truncate-end">Type yes and press enter to run it; esc to go back.</Text>
    </Box>
  );
}
