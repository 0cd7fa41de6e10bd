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
import { shownVariable, usedValues } from '../../engine/vars.js';
import { programHeading } from '../../engine/output.js';
import { wrapWords } from '../wrap.js';

/** One screen row of the command: a line, or the continuation of a line wider than the screen. */
export interface CommandRow {
  text: string;
  continued: boolean;
  /** A row of the variables' values (shown dim, its own marks in `text`), not of the command. */
  value?: boolean;
}

export interface ConfirmBlockProps extends ConfirmView {
  rollback: boolean;
  /** The first command row on screen. */
  scroll: number;
  /** True once the command's last row has been on screen. */
  seenEnd: boolean;
  width: number;
  height: number;
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

/** How a value row begins: `with` before the first variable, its indent before the others, ┆ before a continuation. */
const WITH = '  with ';
const MORE = '       ';
const CONTINUED = '     ┆ ';

/**
 * The values of the variables the command uses (secrets already masked in `vars`), one variable
 * per row, a value wider than the screen continuing on the next rows (marked ┆) with nothing cut.
 */
export function valueRows(command: string, vars: Record<string, string>, width: number): CommandRow[] {
  const room = Math.max(8, width - WITH.length);
  return Object.entries(usedValues(command, vars)).flatMap(([name, value], v) =>
    cutColumns(inertLines(shownVariable(name, value)), room, { keepSpaces: true }).map(
      (text, i): CommandRow => ({ text: `${i > 0 ? CONTINUED : v === 0 ? WITH : MORE}${text}`, continued: i > 0, value: true }),
    ),
  );
}

/** What the confirmation shows: the block, its command and the program that runs it, the values it uses. */
export interface ConfirmView {
  block: Block;
  command: string;
  /** The program and its arguments as executed (session.describeProgram). */
  program: string;
  vars: Record<string, string>;
  fleetNote?: string | null;
}

/** The title: the block and where it runs, never cut. */
function titleRows({ block }: ConfirmView, width: number): string[] {
  const where = block.attrs.fleet ? ` on each host of hosts=${block.attrs.fleet.hosts}` : '';
  return wrapWords(`${block.id} (${block.executor}${where}) will run exactly:`, width);
}

/** The program that runs the code and its arguments, as executed (the runbook's `shell:`), never cut. */
function programRows({ program }: ConfirmView, width: number): string[] {
  const text = programHeading(program);
  return wrapWords(text, width - 2).map((row) => `  ${row}`);
}

/** The rows that scroll: the command's rows, then the values' rows; "all N lines shown" counts both. */
function scrolledRows(view: ConfirmView, width: number): CommandRow[] {
  return [...commandRows(view.command, width), ...valueRows(view.command, view.vars, width)];
}

/** How many rows the screen shows at once, of how many: the controller's "end shown" rule reads it. */
export function confirmWindow(view: ConfirmView, width: number, height: number): { rows: number; total: number } {
  const total = scrolledRows(view, width).length;
  // The first title row, the title and the program (wrapped), the fleet's note (if any), the position row and the instruction.
  const chrome =
    3 + titleRows(view, width).length + programRows(view, width).length + (view.fleetNote ? wrapWords(view.fleetNote, width).length : 0);
  return { rows: Math.max(1, Math.min(total, height - chrome)), total };
}

export function ConfirmBlock(props: ConfirmBlockProps) {
  const { rollback, scroll, seenEnd, width, height, fleetNote = null } = props;
  const lines = scrolledRows(props, width);
  const { rows: room, total } = confirmWindow(props, width, height);
  const first = Math.max(0, Math.min(scroll, total - room));
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
      {titleRows(props, width).map((line, i) => (
        <Text key={`title-${i}`} bold color="yellow" wrap="truncate-end">
          {line}
        </Text>
      ))}
      {programRows(props, width).map((line, i) => (
        <Text key={`program-${i}`} wrap="truncate-end">
          {line}
        </Text>
      ))}
      {lines.slice(first, first + room).map((line, i) =>
        line.value ? (
          <Text key={first + i} dimColor wrap="truncate-end">
            {line.text}
          </Text>
        ) : (
          <Text key={first + i} wrap="truncate-end">
            {line.continued ? '  ┆ ' : '  │ '}
            {line.text}
          </Text>
        ),
      )}
      <Text dimColor={whole || first + room >= total} color={whole || first + room >= total ? undefined : 'yellow'} wrap="truncate-end">
        {'  '}
        {position}
        {!whole && first + room >= total ? ' (end)' : ''}
      </Text>
      <Text wrap="truncate-end">Type yes and press enter to run it; esc to go back.</Text>
    </Box>
  );
}
