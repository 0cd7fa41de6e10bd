/** The tail of the running (or last) block's output; scrolled back or searched, a window of its whole log. */
import { Box } from 'ink';
import { displayLine } from '../../runbook/inert.js';
import { useClock } from '../hooks/use-clock.js';
import { colourWanted, Text } from '../inert-text.js';
import type { AttemptShown, PaneLine, SearchShown, UiSnapshot } from '../controller.js';

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
/** The mark of the line that holds the search match shown. */
export const MATCH_MARK = '>';

export function OutputPane({ output, running, width, height }: OutputPaneProps) {
  const body = Math.max(1, height - 1);
  // Live: the last rows. Scrolled: the rows above `bottom`; near the log's start, its first rows.
  const end = output.bottom ?? output.lines.length;
  const start = Math.max(0, end - body);
  const lines = output.lines.slice(start, start + body);
  const from = output.from ?? 0;
  const matchRow = output.search?.line === undefined ? -1 : output.search.line - from - start;
  // A command's plain colours are kept (unless NO_COLOR); everything else it printed is shown inert.
  const colour = colourWanted();
  const marks = lines.some((line) => line.stream === 'stderr') ? ` · ${STDERR_MARK} stderr` : '';
  const where =
    output.bottom === undefined
      ? `${output.total} lines · ${running ? 'live' : 'last block'}${marks}`
      : `lines ${from + start + 1}–${from + start + lines.length} of ${output.total}${start === 0 && from === 0 ? ' (start)' : ''} · pgdn returns`;
  // What the operator acts on comes first (the search, the attempt): a narrow pane cuts the rest.
  const title = (attempt: string): string =>
    (output.block ? `── output: ${output.block}${attempt}${searchLabel(output.search)} · ${where} ` : '── output ').padEnd(width, '─');
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {output.attempt && running ? (
        <AttemptTitle attempt={output.attempt} title={title} />
      ) : (
        <Text dimColor={!output.search} wrap="truncate-end">
          {title('')}
        </Text>
      )}
      {lines.map((line, i) => (
        <OutputRow key={i} line={line} colour={colour} match={i === matchRow} />
      ))}
    </Box>
  );
}

/** ` · search: X, match 3 of 9` (or what is being typed, or that nothing matched). */
function searchLabel(search: SearchShown | null | undefined): string {
  if (!search) return '';
  if (search.typing) return ` · search: ${search.pattern}▏ enter to search, esc to stop`;
  if (search.of === 0) return ` · search: ${search.pattern}, no match`;
  return ` · search: ${search.pattern}, match ${search.match} of ${search.of}`;
}

/** One line: its stream's mark (a gutter of two columns), then the line inert with its tabs expanded (measured as it will be shown). */
function OutputRow({ line, colour, match }: { line: PaneLine; colour: boolean; match: boolean }) {
  // The gutter gives every row a character: a blank output line still takes its row.
  const text = displayLine(line.text, { colour });
  return (
    <Text wrap="truncate-end" colour={colour}>
      <Text color="red">{line.stream === 'stderr' ? STDERR_MARK : ' '}</Text>
      <Text color="yellow">{match ? MATCH_MARK : ' '}</Text>
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
