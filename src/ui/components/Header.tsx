/** Title, profile, operator, run id, elapsed time, progress and time left. */
import { Box } from 'ink';
import { Text } from '../inert-text.js';
import type { RunState } from '../../engine/run-state.js';
import { isStepDone } from '../../engine/run-state.js';
import { formatDuration } from '../../runbook/duration.js';
import { useClock } from '../hooks/use-clock.js';

export interface HeaderProps {
  state: RunState;
  width: number;
  /** Time left from earlier runs, or null when there is no earlier run to learn from. */
  timeLeftMs: number | null;
}

export function Header({ state, width, timeLeftMs }: HeaderProps) {
  const now = useClock();
  const done = state.steps.filter(isStepDone).length;
  const elapsed = formatDuration(now - Date.parse(state.startedAt));
  const eta = timeLeftMs === null ? 'ETA n/a' : `ETA ${formatDuration(timeLeftMs)}`;
  const info = [
    state.profile ? `profile ${state.profile}` : 'no profile',
    `operator ${state.operator}`,
    `run ${state.run}`,
    elapsed,
    `${done}/${state.steps.length}`,
    eta,
  ].join(' · ');
  return (
    <Box flexDirection="column" width={width} height={2}>
      <Text bold wrap="truncate-end">
        {state.title}
      </Text>
      <Text dimColor wrap="truncate-end">
        {info}
      </Text>
    </Box>
  );
}
