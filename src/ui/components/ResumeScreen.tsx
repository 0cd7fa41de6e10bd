/** Shown before anything runs when a run is unfinished: when, by whom, how far, and what changed. */
import { Box } from 'ink';
import { Text } from '../inert-text.js';
import type { RunState } from '../../engine/run-state.js';
import { isStepDone } from '../../engine/run-state.js';
import { mayMarkDone, mayOverride, type NextAction } from '../../engine/plan.js';
import { describeAction } from '../../engine/session.js';
import { wrapWords } from '../wrap.js';

export interface ResumeScreenProps {
  state: RunState;
  notices: string[];
  next: NextAction;
  width: number;
  height: number;
}

/** A paragraph as rows the layout can count (ink's own wrap would let rows shrink and overdraw). */
function Paragraph({ text, width, color, bullet = '' }: { text: string; width: number; color?: string; bullet?: string }) {
  return (
    <>
      {wrapWords(text, width - bullet.length).map((line, i) => (
        <Text key={i} wrap="truncate-end" {...(color ? { color } : {})}>
          {i === 0 ? bullet : ' '.repeat(bullet.length)}
          {line}
        </Text>
      ))}
    </>
  );
}

/**
 * The settings the run started with and keeps (its profile and variables, as its checkpoint
 * recorded them: secrets are stored masked), so the operator sees what the checks run against.
 */
function settingsOf(state: RunState): string {
  const vars = Object.entries(state.vars).map(([name, value]) => `${name}=${value}`);
  return `settings fixed at its start: ${state.profile === null ? 'no profile' : `profile ${state.profile}`}${vars.length > 0 ? ` · ${vars.join(' ')}` : ''}`;
}

export function ResumeScreen({ state, notices, next, width, height }: ResumeScreenProps) {
  const done = state.steps.filter(isStepDone).length;
  const interrupted = next.kind === 'interrupted';
  // A crash leaves a notice about the interrupted block; a cancelled block does not: say it either way.
  const saysInterrupted = notices.some((notice) => /interrupt/.test(notice));
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold color="yellow">
        Resuming an unfinished run
      </Text>
      <Paragraph width={width} text={`run ${state.run}, started ${state.startedAt.replace('T', ' ').slice(0, 19)} UTC by ${state.operator} on ${state.host}`} />
      <Paragraph width={width} text={settingsOf(state)} />
      <Paragraph width={width} text={`${done}/${state.steps.length} steps done · ${describeAction(next)}`} {...(interrupted ? { color: 'red' } : {})} />
      {interrupted && !saysInterrupted ? (
        <Paragraph width={width} text={`block ${next.block.id} (step ${next.step.id}) was interrupted: after enter, r re-runs it${mayMarkDone(next) ? ', m marks it done' : ''}${mayOverride(next) ? ', o overrides it' : ''}`} color="red" bullet="• " />
      ) : null}
      {notices.length === 0 && !interrupted ? <Text dimColor>The runbook has not changed since the last session.</Text> : null}
      {notices.map((notice, i) => (
        <Paragraph key={i} width={width} text={notice} color={/interrupt/.test(notice) ? 'red' : 'yellow'} bullet="• " />
      ))}
      <Text> </Text>
      <Text>Nothing runs until you press enter. q quits.</Text>
    </Box>
  );
}
