/** A `confirm` block's exact command, shown before the operator types yes. */
import { Box, Text } from 'ink';
import type { Block } from '../../runbook/model.js';

export interface ConfirmBlockProps {
  block: Block;
  command: string;
  vars: Record<string, string>;
  rollback: boolean;
  width: number;
  height: number;
}

export function ConfirmBlock({ block, command, vars, rollback, width, height }: ConfirmBlockProps) {
  const lines = command.split('\n');
  const env = Object.entries(vars).filter(([name]) => command.includes(name));
  const room = Math.max(1, height - 4 - (env.length > 0 ? 1 : 0));
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold color="yellow">
        {rollback ? 'Run this ROLLBACK block?' : 'This block needs your confirmation.'} {block.id} ({block.executor}) will run exactly:
      </Text>
      {lines.slice(0, room).map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {'  │ '}
          {line}
        </Text>
      ))}
      {lines.length > room ? <Text dimColor>  … {lines.length - room} more lines (l opens the runbook block in the log after it runs)</Text> : null}
      {env.length > 0 ? (
        <Text dimColor wrap="truncate-end">
          with {env.map(([k, v]) => `${k}=${v}`).join(' ')}
        </Text>
      ) : null}
      <Text>Type yes and press enter to run it; esc to go back.</Text>
    </Box>
  );
}
