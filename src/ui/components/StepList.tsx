/** Every step with its status glyph; scrolls to keep the current step visible with 200+ steps. */
import { Box } from 'ink';
import { Text } from '../inert-text.js';
import type { RunState } from '../../engine/run-state.js';
import { lookOf } from '../theme.js';

export interface StepListProps {
  state: RunState;
  current: number;
  width: number;
  height: number;
}

export function StepList({ state, current, width, height }: StepListProps) {
  const total = state.steps.length;
  const visible = Math.max(1, height);
  const focus = current === -1 ? total - 1 : current;
  const start = Math.max(0, Math.min(focus - Math.floor(visible / 2), total - visible));
  const shown = state.steps.slice(start, start + visible);
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      {shown.map((step, i) => {
        const index = start + i;
        const look = lookOf(step.status);
        const marker = index === current ? '›' : ' ';
        return (
          <Text key={step.id} wrap="truncate-end" bold={index === current} color={index === current ? 'cyan' : undefined}>
            {marker}
            <Text color={look.color}>{look.glyph}</Text> {String(index + 1).padStart(String(total).length)} {step.title}
          </Text>
        );
      })}
    </Box>
  );
}
