/** A `confirm` block's exact command, shown before the operator types yes. */
import { Box } from 'ink';
import { Text } from '../inert-text.js';
import { inertLines } from '../../runbook/inert.js';
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
  // The exact command: a line wider than the screen continues on the next row (marked ┆) instead
  // of being cut, and never breaks just after a space, which the screen would not show. Nothing in
  // it styles the screen, not even a colour: every escape is shown inert, so that nothing is hidden.
  const room0 = Math.max(8, width - 4);
  const lines = inertLines(command).split('\n').flatMap((line) => {
    const chars = [...line];
    const rows: { text: string; continued: boolean }[] = [];
    let at = 0;
    do {
      let end = Math.min(chars.length, at + room0);
      while (end < chars.length && end - 1 > at && chars[end - 1] === ' ') end--;
      rows.push({ text: chars.slice(at, end).join(''), continued: at > 0 });
      at = end;
    } while (at < chars.length);
    return rows;
  });
  const env = Object.entries(vars).filter(([name]) => command.includes(name));
  const room = Math.max(1, height - 5 - (env.length > 0 ? 1 : 0));
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold color="yellow" wrap="truncate-end">
        {rollback ? 'Run this ROLLBACK block?' : 'This block needs your confirmation.'}
      </Text>
      <Text bold color="yellow" wrap="truncate-end">
        {block.id} ({block.executor}) will run exactly:
      </Text>
      {lines.slice(0, room).map((line, i) => (
        <Text key={i} wrap="truncate-end">
          {line.continued ? '  ┆ ' : '  │ '}
          {line.text}
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
