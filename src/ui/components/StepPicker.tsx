/**
 * Every step, to pick one to read (`g`): its number, status, title and id, the run's own step
 * marked. It takes the step list's and the output's room, as the help does; nothing here runs.
 */
import { Box } from 'ink';
import { Text } from '../inert-text.js';
import type { Step } from '../../runbook/model.js';
import type { RunState } from '../../engine/run-state.js';
import { lookOf } from '../theme.js';

export interface StepPickerProps {
  steps: readonly Step[];
  state: RunState;
  /** The highlighted step (↑/↓ move it, enter shows it). */
  picked: number;
  /** The step the run is on. */
  runStep: number;
  width: number;
  height: number;
}

export function StepPicker({ steps, state, picked, runStep, width, height }: StepPickerProps) {
  const visible = Math.max(1, height - 1);
  const start = Math.max(0, Math.min(picked - Math.floor(visible / 2), steps.length - visible));
  const digits = String(steps.length).length;
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold wrap="truncate-end">
        Steps: ↑/↓ select, enter shows the step to read (nothing runs), esc closes
      </Text>
      {steps.slice(start, start + visible).map((step, i) => {
        const index = start + i;
        const look = lookOf(state.steps[index]?.status ?? 'pending');
        return (
          <Text key={step.id} wrap="truncate-end" inverse={index === picked}>
            {index === picked ? '›' : ' '}
            <Text color={look.color}>{look.glyph}</Text> {String(index + 1).padStart(digits)} {step.title} <Text dimColor>({step.id})</Text>
            {index === runStep ? <Text color="cyan"> ← the run is here</Text> : null}
          </Text>
        );
      })}
    </Box>
  );
}
