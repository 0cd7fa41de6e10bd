/** Shown before anything runs when a run is unfinished: when, by whom, how far, and what changed. */
import { Box, Text } from 'ink';
import type { RunState } from '../../engine/run-state.js';
import { isStepDone } from '../../engine/run-state.js';
import type { NextAction } from '../../engine/plan.js';
import { describeAction } from '../../engine/session.js';

export interface ResumeScreenProps {
  state: RunState;
  notices: string[];
  next: NextAction;
  width: number;
  height: number;
}

export function ResumeScreen({ state, notices, next, width, height }: ResumeScreenProps) {
  const done = state.steps.filter(isStepDone).length;
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold color="yellow">
        Resuming an unfinished run
      </Text>
      <Text wrap="truncate-end">
        run {state.run}, started {state.startedAt.replace('T', ' ').slice(0, 19)} UTC by {state.operator} on {state.host}
      </Text>
      <Text wrap="truncate-end">
        {done}/{state.steps.length} steps done · {describeAction(next)}
      </Text>
      {notices.length === 0 ? <Text dimColor>No interrupted block and no change to the runbook since the last session.</Text> : null}
      {notices.map((notice, i) => (
        <Text key={i} color={/interrupt/.test(notice) ? 'red' : 'yellow'} wrap="wrap">
          • {notice}
        </Text>
      ))}
      <Text> </Text>
      <Text>Nothing runs until you press enter. q quits.</Text>
    </Box>
  );
}
