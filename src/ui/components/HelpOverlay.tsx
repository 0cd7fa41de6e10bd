/** Every key and what it does, generated from the one key table. */
import { Box } from 'ink';
import { Text } from '../inert-text.js';
import type { AnswerKind } from '../../engine/decisions.js';
import { KEY_TABLE, keyApplies, type KeyBinding } from '../keys.js';

const keysOf = (binding: KeyBinding) => binding.keys.join(', ');

/** One column of bindings; rows never shrink, so a row that does not fit is cut, not overdrawn. */
function Column({ bindings, width, keyWidth }: { bindings: readonly KeyBinding[]; width: number; keyWidth: number }) {
  return (
    <Box flexDirection="column" width={width} flexShrink={0}>
      {bindings.map((binding) => (
        <Text key={binding.action} wrap="truncate-end">
          <Text color="cyan">{keysOf(binding).padEnd(keyWidth)}</Text> {binding.help}
        </Text>
      ))}
    </Box>
  );
}

/** The keys that apply now (a key whose answer the run does not allow now is not listed). */
export function HelpOverlay({ width, height, allowed }: { width: number; height: number; allowed: readonly AnswerKind[] }) {
  const bindings = KEY_TABLE.filter((binding) => keyApplies(binding.action, allowed));
  const keyWidth = Math.max(...bindings.map((b) => keysOf(b).length));
  // Title and the text-prompt line take two rows; when the table does not fit in the rest, two columns.
  const perColumn = bindings.length <= height - 2 ? bindings.length : Math.ceil(bindings.length / 2);
  const columns = [bindings.slice(0, perColumn), bindings.slice(perColumn)].filter((c) => c.length > 0);
  const columnWidth = Math.floor(width / columns.length);
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold wrap="truncate-end">
        Keys that apply now (? or any key closes this help)
      </Text>
      <Box flexDirection="row" flexShrink={0}>
        {columns.map((bindings, i) => (
          <Column key={i} bindings={bindings} width={columnWidth} keyWidth={keyWidth} />
        ))}
      </Box>
      <Text dimColor wrap="truncate-end">
        In a text prompt: type, backspace to correct, enter to submit, esc to cancel.
      </Text>
    </Box>
  );
}
