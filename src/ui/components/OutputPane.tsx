/** The tail of the running (or last) block's output; scrolled back, a window of its full log. */
import { Box } from 'ink';
import { colourWanted, Text } from '../inert-text.js';
import type { UiSnapshot } from '../controller.js';

export interface OutputPaneProps {
  output: UiSnapshot['output'];
  running: boolean;
  width: number;
  height: number;
}

export function OutputPane({ output, running, width, height }: OutputPaneProps) {
  const body = Math.max(1, height - 1);
  const lines = output.lines.slice(-body);
  // A command's plain colours are kept (unless NO_COLOR); everything else it printed is shown inert.
  const colour = colourWanted();
  const where = output.scrolledBack > 0 ? `scrolled back ${output.scrolledBack} lines (pgdn to return)` : running ? 'live' : 'last block';
  const title = output.block ? `── output: ${output.block} · ${output.total} lines · ${where} ` : '── output ';
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text dimColor wrap="truncate-end">
        {title.padEnd(width, '─')}
      </Text>
      {lines.map((line, i) => (
        // An empty <Text> takes no row: a blank output line is a space, so the tail keeps its shape.
        <Text key={i} wrap="truncate-end" colour={colour}>
          {line || ' '}
        </Text>
      ))}
    </Box>
  );
}
