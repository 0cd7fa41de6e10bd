/**
 * Every step with its status glyph, around the current one: a column beside the step (titles wrap,
 * so two long titles never look alike), or on a narrow screen a strip of the current step's
 * neighbourhood above it. Scrolls to keep the current step visible with 200+ steps.
 */
import { Box } from 'ink';
import { Text } from '../inert-text.js';
import type { RunState } from '../../engine/run-state.js';
import { lookOf } from '../theme.js';
import { wrapWords } from '../wrap.js';

export interface StepListProps {
  state: RunState;
  current: number;
  width: number;
  height: number;
}

/** Rows a step's title may take in the list: enough to tell long titles apart. */
const TITLE_ROWS = 2;

type ListRow = { key: string; step: number; text: string; first: boolean };

/** A step's rows in the list: its number and title, the title wrapped. */
function stepRows(state: RunState, index: number, width: number): ListRow[] {
  const step = state.steps[index]!;
  const number = String(state.steps.length).length;
  return wrapWords(step.title, width - (3 + number + 1), TITLE_ROWS).map((line, i) => ({
    key: `${step.id}-${i}`,
    step: index,
    text: `${i === 0 ? String(index + 1).padStart(number) : ' '.repeat(number)} ${line}`,
    first: i === 0,
  }));
}

export function StepList({ state, current, width, height }: StepListProps) {
  const total = state.steps.length;
  const visible = Math.max(1, height);
  const focus = current === -1 ? total - 1 : current;
  const rowsOf = (index: number) => stepRows(state, index, width);
  // The current step, then steps above it for half the room, then below it; then above again if the list ended.
  const rows: ListRow[] = focus >= 0 ? rowsOf(focus) : [];
  let above = focus - 1;
  let below = focus + 1;
  const half = Math.floor((visible - rows.length) / 2);
  let aboveRows = 0;
  while (above >= 0 && aboveRows + rowsOf(above).length <= half) {
    const add = rowsOf(above--);
    aboveRows += add.length;
    rows.unshift(...add);
  }
  while (below < total && rows.length + rowsOf(below).length <= visible) rows.push(...rowsOf(below++));
  while (above >= 0 && rows.length + rowsOf(above).length <= visible) rows.unshift(...rowsOf(above--));
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {rows.map((row) => {
        const look = lookOf(state.steps[row.step]!.status);
        const here = row.step === current;
        return (
          <Text key={row.key} wrap="truncate-end" bold={here} color={here ? 'cyan' : undefined}>
            {row.first ? (here ? '›' : ' ') : ' '}
            {row.first ? <Text color={look.color}>{look.glyph}</Text> : ' '} {row.text}
          </Text>
        );
      })}
    </Box>
  );
}
