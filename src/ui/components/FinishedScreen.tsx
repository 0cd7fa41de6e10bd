/**
 * Shown instead of the run when the runbook's last run is complete: its summary (each step, its
 * status, when it ended), `q` to quit, and `n` for a new run behind a typed "yes" — a complete run
 * is never run again by opening the runbook.
 */
import { useState } from 'react';
import { Box, useInput, useStdout } from 'ink';
import { Text } from '../inert-text.js';
import type { RunState } from '../../engine/run-state.js';
import { formatDuration } from '../../runbook/duration.js';
import { lookOf } from '../theme.js';

export interface FinishedScreenProps {
  state: RunState;
  /** The session's notice: which run is complete and when it finished. */
  notice: string;
  onNewRun: () => void;
  onQuit: () => void;
}

const when = (at: string | undefined): string => (at ? `${at.replace('T', ' ').slice(0, 19)} UTC` : '');

export function FinishedScreen({ state, notice, onNewRun, onQuit }: FinishedScreenProps) {
  const { stdout } = useStdout();
  const columns = stdout.columns || 80;
  const rows = stdout.rows || 24;
  const [asking, setAsking] = useState(false);
  const [typed, setTyped] = useState('');
  const [message, setMessage] = useState<string | null>(null);

  useInput((input, key) => {
    if (key.ctrl && input === 'c') return onQuit();
    if (!asking) {
      if (input === 'q') return onQuit();
      if (input === 'n') {
        setAsking(true);
        setTyped('');
        setMessage(null);
      }
      return;
    }
    if (key.escape) {
      setAsking(false);
      return;
    }
    if (key.return) {
      if (typed.trim() === 'yes') return onNewRun();
      setAsking(false);
      setMessage('no new run started: type yes to start one');
      return;
    }
    if (key.backspace || key.delete) {
      setTyped((text) => text.slice(0, -1));
      return;
    }
    // A read may hold several keys ("yes" and enter typed fast, a paste).
    const text = input.replace(/[\r\n]+$/, '');
    setTyped((before) => before + text);
    if (/[\r\n]$/.test(input) && (typed + text).trim() === 'yes') onNewRun();
  });

  // Title, run line, notice, blank, step lines, blank, prompt: the steps get what is left.
  const room = Math.max(1, rows - 8);
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
      <Text wrap="wrap">{notice.replace('--new-run starts another run', 'n starts a new run')}</Text>
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
      {shown.length < state.steps.length ? <Text dimColor>… {state.steps.length - shown.length} more steps (waymark status shows them all)</Text> : null}
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
