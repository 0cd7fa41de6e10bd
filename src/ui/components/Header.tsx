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

/** `parts` joined with ` · `, leaving out whole parts from the end that do not fit in `width`. */
function fitParts(parts: string[], width: number): string {
  let text = '';
  for (const part of parts) {
    const next = text ? `${text} · ${part}` : part;
    if ([...next].length > width) break;
    text = next;
  }
  return text;
}

export function Header({ state, width, timeLeftMs }: HeaderProps) {
  const now = useClock();
  const done = state.steps.filter(isStepDone).length;
  const elapsed = formatDuration(now - Date.parse(state.startedAt));
  const eta = timeLeftMs === null ? 'ETA n/a' : `ETA ${formatDuration(timeLeftMs)}`;
  // Progress and time are never cut: they sit at the end of the title row, which gives way instead.
  const progress = `${done}/${state.steps.length} · ${elapsed} · ${eta}`;
  const titleRoom = Math.max(0, width - [...progress].length - 2);
  const who = fitParts(
    [state.profile ? `profile ${state.profile}` : 'no profile', `operator ${state.operator}`, `run ${state.run}`],
    width,
  );
  return (
    <Box flexDirection="column" width={width} height={2}>
      <Box flexDirection="row" width={width}>
        <Box width={titleRoom} flexShrink={0}>
          <Text bold wrap="truncate-end">
            {state.title}
          </Text>
        </Box>
        <Box flexGrow={1} justifyContent="flex-end">
          <Text wrap="truncate-start">{progress}</Text>
        </Box>
      </Box>
      <Text dimColor wrap="truncate-end">
        {who}
      </Text>
    </Box>
  );
}
