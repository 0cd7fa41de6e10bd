/** Every key and what it does, generated from the one key table. */
import { Box, Text } from 'ink';
import { KEY_TABLE } from '../keys.js';

export function HelpOverlay({ width, height }: { width: number; height: number }) {
  const keyWidth = Math.max(...KEY_TABLE.map((b) => b.keys.join(', ').length));
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold>Keys (? or any key closes this help)</Text>
      {KEY_TABLE.map((binding) => (
        <Text key={binding.action} wrap="truncate-end">
          <Text color="cyan">{binding.keys.join(', ').padEnd(keyWidth)}</Text> {binding.help}
        </Text>
      ))}
      <Text dimColor wrap="truncate-end">
        In a text prompt: type, backspace to correct, enter to submit, esc to cancel.
      </Text>
    </Box>
  );
}
