/** Every key and what it does, generated from the one key table. */
import { Box } from 'ink';
import { Text } from '../inert-text.js';
import type { AnswerKind } from '../../engine/decisions.js';
import { HOST_KEYS, KEY_TABLE, keyApplies, type KeyBinding } from '../keys.js';
import { wrapWords } from '../wrap.js';

const keysOf = (binding: KeyBinding) => binding.keys.join(', ');

/** A binding's rows at `width`: its keys, then its help wrapped beside them (never cut). */
function bindingRows(binding: KeyBinding, width: number, keyWidth: number): { keys: string; text: string }[] {
  return wrapWords(binding.help, width - keyWidth - 1).map((text, i) => ({
    keys: i === 0 ? keysOf(binding).padEnd(keyWidth) : ' '.repeat(keyWidth),
    text,
  }));
}

/** One column of bindings, every help line wrapped to the column. */
function Column({ bindings, width, keyWidth }: { bindings: readonly KeyBinding[]; width: number; keyWidth: number }) {
  return (
    <Box flexDirection="column" width={width} flexShrink={0}>
      {bindings.flatMap((binding) =>
        bindingRows(binding, width - 1, keyWidth).map((row, i) => (
          <Text key={`${binding.action}-${i}`} wrap="truncate-end">
            <Text color="cyan">{row.keys}</Text> {row.text}
          </Text>
        )),
      )}
    </Box>
  );
}

/** Every key that applies now on one row each, `keys  label`, in columns: for a screen too small for the long form. */
function ShortHelp({ bindings, width, height }: { bindings: readonly KeyBinding[]; width: number; height: number }) {
  const cells = bindings.map((b) => `${keysOf(b)}  ${b.hint}`);
  const cellWidth = Math.max(...cells.map((c) => [...c].length)) + 3;
  const perRow = Math.max(1, Math.floor(width / cellWidth));
  const rows: string[][] = [];
  for (let i = 0; i < cells.length; i += perRow) rows.push(cells.slice(i, i + perRow));
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {wrapWords(
        'Keys that apply now, short form (a taller or wider terminal shows what each does; docs/running.md lists them). ? or any key closes this help',
        width,
      ).map((line, i) => (
        <Text key={`t-${i}`} bold wrap="truncate-end">
          {line}
        </Text>
      ))}
      {rows.map((row, i) => (
        <Text key={i} wrap="truncate-end">
          {row.map((cell) => cell.padEnd(cellWidth)).join('')}
        </Text>
      ))}
    </Box>
  );
}

/** The keys that apply now (a key whose answer the run does not allow now is not listed). */
export function HelpOverlay({
  width,
  height,
  allowed,
  textScrolls,
  hosts = false,
}: {
  width: number;
  height: number;
  allowed: readonly AnswerKind[];
  /** The step's text does not fit: < and > scroll it. */
  textScrolls: boolean;
  /** A fleet block's host grid is on screen: its keys select hosts. */
  hosts?: boolean;
}) {
  const bindings = KEY_TABLE.filter(
    (binding) =>
      keyApplies(binding.action, allowed) &&
      (textScrolls || (binding.action !== 'text-up' && binding.action !== 'text-down')) &&
      (hosts || !HOST_KEYS.includes(binding.action)),
  );
  const keyWidth = Math.max(...bindings.map((b) => keysOf(b).length));
  const rowsAt = (list: readonly KeyBinding[], columnWidth: number) =>
    list.reduce((n, b) => n + bindingRows(b, columnWidth - 1, keyWidth).length, 0);
  // Title and the text-prompt line take two rows. One column when its wrapped rows fit; else two
  // columns, split where their heights are closest.
  const room = height - 2;
  let columns: KeyBinding[][] = [[...bindings]];
  if (rowsAt(bindings, width) > room) {
    const half = Math.floor(width / 2);
    let best = 1;
    for (let split = 1; split < bindings.length; split++) {
      const worst = Math.max(rowsAt(bindings.slice(0, split), half), rowsAt(bindings.slice(split), half));
      const bestWorst = Math.max(rowsAt(bindings.slice(0, best), half), rowsAt(bindings.slice(best), half));
      if (worst < bestWorst) best = split;
    }
    columns = [bindings.slice(0, best), bindings.slice(best)];
  }
  const columnWidth = Math.floor(width / columns.length);
  // Still too tall (many keys apply, a small terminal): each key on one row with its short label,
  // in as many columns as fit; nothing is cut, and the title says where the long form is.
  if (columns.some((list) => rowsAt(list, columnWidth) > room)) return <ShortHelp bindings={bindings} width={width} height={height} />;
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold wrap="truncate-end">
        Keys that apply now (? or any key closes this help)
      </Text>
      <Box flexDirection="row" flexShrink={0}>
        {columns.map((list, i) => (
          <Column key={i} bindings={list} width={columnWidth} keyWidth={keyWidth} />
        ))}
      </Box>
      <Text dimColor wrap="truncate-end">
        In a text prompt: type, backspace to correct, enter to submit, esc to cancel.
      </Text>
    </Box>
  );
}
