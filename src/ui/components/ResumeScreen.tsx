/** Shown before anything runs when a run is unfinished: when, by whom, how far, and what changed. */
import { Box } from 'ink';
import { Text } from '../inert-text.js';
import type { RunState } from '../../engine/run-state.js';
import { isStepDone } from '../../engine/run-state.js';
import type { Decisions } from '../../engine/decisions.js';
import { wrapWords } from '../wrap.js';

export interface ResumeScreenProps {
  state: RunState;
  notices: string[];
  /** What the run waits for, and the answers it allows. */
  decisions: Decisions;
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
 * The settings the run started with and keeps (its profile, its --inventory and variables, as its checkpoint
 * recorded them: secrets are stored masked), so the operator sees what the checks run against.
 */
function settingsOf(state: RunState): string {
  const vars = Object.entries(state.vars).map(([name, value]) => `${name}=${value}`);
  const inventory = typeof state.inventory === 'string' ? ` · --inventory ${state.inventory}` : '';
  return `settings fixed at its start: ${state.profile === null ? 'no profile' : `profile ${state.profile}`}${inventory}${vars.length > 0 ? ` · ${vars.join(' ')}` : ''}`;
}

export function ResumeScreen({ state, notices, decisions, width, height }: ResumeScreenProps) {
  const next = decisions.action;
  const allows = (kind: string) => decisions.choices.some((c) => c.kind === kind);
  const done = state.steps.filter(isStepDone).length;
  const interrupted = next.kind === 'interrupted';
  // A crash leaves a notice about the interrupted block; a cancelled block does not: say it either way.
  const saysInterrupted = notices.some((notice) => /interrupt/.test(notice));
  return (
    <Box flexDirection="column" width={width} height={height} overflow="hidden">
      <Text bold color="yellow">
        Resuming an unfinished run
      </Text>
      <Paragraph
        width={width}
        text={`run ${state.run}, started ${state.startedAt.replace('T', ' ').slice(0, 19)} UTC by ${state.operator} on ${state.host}`}
      />
      <Paragraph width={width} text={settingsOf(state)} />
      <Paragraph
        width={width}
        text={`${done}/${state.steps.length} steps done · ${decisions.summary}`}
        {...(interrupted ? { color: 'red' } : {})}
      />
      {interrupted && !saysInterrupted ? (
        <Paragraph
          width={width}
          text={`block ${next.block.id} (step ${next.step.id}) was interrupted: after enter, r re-runs it${allows('mark-done') ? ', m marks it done' : ''}${allows('override') ? ', o overrides it' : ''}`}
          color="red"
          bullet="• "
        />
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
