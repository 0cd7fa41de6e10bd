/** The tail of the running (or last) block's output; scrolled back, a window of its full log. */
import { Box } from 'ink';
import { displayLine } from '../../runbook/inert.js';
import { useClock } from '../hooks/use-clock.js';
import { colourWanted, Text } from '../inert-text.js';
import type { AttemptShown, PaneLine, UiSnapshot } from '../controller.js';

export interface OutputPaneProps {
  output: UiSnapshot['output'];
  running: boolean;
  width: number;
  height: number;
}

/**
 * The mark before each line: stderr is `!`, a glyph and not only a colour, so that it survives
 * NO_COLOR. Other lines, and lines read back from the log (which does not keep the stream), have
 * a blank gutter, so that columns stay where they were.
 */
export const STDERR_MARK = '!';

export function OutputPane({ output, running, width, height }: OutputPaneProps) {
  const body = Math.max(1, height - 1);
  const lines = output.lines.slice(-body);
  // A command's plain colours are kept (unless NO_COLOR); everything else it printed is shown inert.
  const colour = colourWanted();
  const where = output.scrolledBack > 0 ? `scrolled back ${output.scrolledBack} lines (pgdn to return)` : running ? 'live' : 'last block';
  const marks = lines.some((line) => line.stream === 'stderr') ? ` · ${STDERR_MARK} stderr` : '';
  const title = (attempt: string): string => (output.block ? `── output: ${output.block}${attempt} · ${output.total} lines · ${where}${marks} ` : '── output ').padEnd(width, '─');
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {output.attempt && running ? (
        <AttemptTitle attempt={output.attempt} title={title} />
      ) : (
        <Text dimColor wrap="truncate-end">
          {title('')}
        </Text>
      )}
      {lines.map((line, i) => (
        <OutputRow key={i} line={line} colour={colour} />
      ))}
    </Box>
  );
}

/** One line: its stream's mark (a gutter of two columns), then the line inert with its tabs expanded (measured as it will be shown). */
function OutputRow({ line, colour }: { line: PaneLine; colour: boolean }) {
  // The gutter gives every row a character: a blank output line still takes its row.
  const text = displayLine(line.text, { colour });
  return (
    <Text wrap="truncate-end" colour={colour}>
      <Text color="red">
        {line.stream === 'stderr' ? `${STDERR_MARK} ` : '  '}
      </Text>
      {text}
    </Text>
  );
}

/** `attempt 3/8, next in 5 s` while a retrying block waits, then `attempt 3/8`: its own clock, so only a retry ticks. */
function AttemptTitle({ attempt, title }: { attempt: AttemptShown; title: (attempt: string) => string }) {
  const now = useClock();
  const waitS = Math.ceil((attempt.startsAt - now) / 1000);
  const label = ` · attempt ${attempt.attempt}/${attempt.of}${waitS > 0 ? `, next in ${waitS} s` : ''}`;
  return (
    <Text dimColor wrap="truncate-end">
      {title(label)}
    </Text>
  );
}
