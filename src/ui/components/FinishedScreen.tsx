/**
 * Shown instead of the run when the runbook's last run is complete: its summary (each step, its
 * status, when it ended), `q` to quit, and `n` for a new run behind a typed "yes" — a complete run
 * is never run again by opening the runbook.
 */
import { useRef, useState } from 'react';
import { Box, useInput, useStdout } from 'ink';
import { Text } from '../inert-text.js';
import type { RunState } from '../../engine/run-state.js';
import { formatDuration } from '../../runbook/duration.js';
import { lookOf } from '../theme.js';

export interface FinishedScreenProps {
  state: RunState;
  /** The session's notice: which run is complete and when it finished (session.finishedHeadline). */
  notice: string;
  /** The command that bundles the run's evidence for the change ticket (session.evidenceNotice): one line unless the path is long. */
  evidence: string;
  onNewRun: () => void;
  onQuit: () => void;
}

const when = (at: string | undefined): string => (at ? `${at.replace('T', ' ').slice(0, 19)} UTC` : '');

export function FinishedScreen({ state, notice, evidence, onNewRun, onQuit }: FinishedScreenProps) {
  const { stdout } = useStdout();
  const columns = stdout.columns || 80;
  const rows = stdout.rows || 24;
  const [asking, setAsking] = useState(false);
  const [typed, setTyped] = useState('');
  const [message, setMessage] = useState<string | null>(null);
  // Keys are judged against what was typed so far, not against the last render: keys that arrive
  // before React re-renders (typed fast, or under load) saw a stale answer and asked again.
  const askingNow = useRef(false);
  const typedNow = useRef('');
  const ask = (on: boolean): void => {
    askingNow.current = on;
    setAsking(on);
  };
  const type = (text: string): void => {
    typedNow.current = text;
    setTyped(text);
  };
  const answer = (): void => {
    if (typedNow.current.trim() === 'yes') return onNewRun();
    ask(false);
    setMessage('no new run started: type yes to start one');
  };

  useInput((input, key) => {
    if (key.ctrl && input === 'c') return onQuit();
    if (!askingNow.current) {
      if (input === 'q') return onQuit();
      if (input === 'n') {
        ask(true);
        type('');
        setMessage(null);
      }
      return;
    }
    if (key.escape) return ask(false);
    if (key.return) return answer();
    if (key.backspace || key.delete) return type(typedNow.current.slice(0, -1));
    // A read may hold several keys ("yes" and enter typed fast, a paste).
    type(typedNow.current + input.replace(/[\r\n]+$/, ''));
    if (/[\r\n]$/.test(input)) answer();
  });

  // Title, run line, the notice (wrapped), the evidence line, blank, step lines, blank, message,
  // prompt: the steps get what is left, so the prompt stays on screen however long the path is.
  const linesOf = (text: string): number => Math.max(1, Math.ceil((text.length + 8) / Math.max(20, columns)));
  const room = Math.max(1, rows - 7 - linesOf(notice) - linesOf(evidence));
  const shown = state.steps.length > room ? state.steps.slice(0, room - 1) : state.steps;
  return (
    <Box flexDirection="column" width={columns}>
      <Text bold color="green">
        {state.title}: run {state.run} is complete
      </Text>
      <Text wrap="truncate-end">
        started {when(state.startedAt)} by {state.operator} on {state.host}, finished {when(state.finishedAt ?? state.updatedAt)}
        {state.profile ? `, profile ${state.profile}` : ''}
      </Text>
      <Text wrap="wrap">{notice}</Text>
      <Text wrap="wrap">{evidence}</Text>
      <Text> </Text>
      {shown.map((step) => {
        const look = lookOf(step.status);
        return (
          <Text key={step.id} wrap="truncate-end">
            <Text color={look.color}>{look.glyph}</Text> {step.status.padEnd(10)} {step.id}: {step.title}
            <Text dimColor>
              {step.finishedAt ? ` · ended ${when(step.finishedAt)}` : ''}
              {step.durationMs !== undefined ? ` (${formatDuration(step.durationMs)})` : ''}
            </Text>
          </Text>
        );
      })}
      {shown.length < state.steps.length ? (
        <Text dimColor>… {state.steps.length - shown.length} more steps (waymark status shows them all)</Text>
      ) : null}
      <Text> </Text>
      {message ? <Text color="yellow">{message}</Text> : null}
      {asking ? (
        <Text>
          Start a new run from step 1? Every block runs again. Type yes and enter (esc to go back): <Text bold>{typed}</Text>
        </Text>
      ) : (
        <Text>
          <Text bold>n</Text> new run · <Text bold>q</Text> quit
        </Text>
      )}
    </Box>
  );
}
