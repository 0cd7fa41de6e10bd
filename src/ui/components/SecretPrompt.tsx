/**
 * Asks for the secrets a run needs and no flag, file or environment gave, before the run opens.
 * What is typed is never shown: not the characters, not how many (a fixed •••• once there is any).
 */
import { useRef, useState } from 'react';
import { Box, useInput } from 'ink';
import { Text } from '../inert-text.js';
import { SECRET_GLYPH } from '../../engine/output.js';
import type { VarDecl } from '../../runbook/model.js';

export interface SecretPromptProps {
  secrets: VarDecl[];
  /** Every secret answered (an optional one may be left empty: it is then unset). */
  onDone(values: Record<string, string>): void;
  /** esc or ctrl+c: the operator would rather not. */
  onCancel(): void;
}

export function SecretPrompt({ secrets, onDone, onCancel }: SecretPromptProps) {
  // Kept in a ref, not in state: keys typed faster than the screen redraws must see each other.
  const entry = useRef<{ answers: Record<string, string>; typed: string; problem: string | null }>({
    answers: {},
    typed: '',
    problem: null,
  });
  const [, redraw] = useState(0);
  const { answers, typed, problem } = entry.current;
  const current = secrets[Object.keys(answers).length];

  useInput((input, key) => {
    const state = entry.current;
    if (!secrets[Object.keys(state.answers).length]) return;
    if (key.escape || (key.ctrl && input === 'c')) return onCancel();
    // A paste or a fast typist arrives as one read: take it a character at a time.
    for (const ch of key.return ? '\r' : key.backspace || key.delete ? '\u007f' : input) {
      const asking = secrets[Object.keys(state.answers).length];
      if (!asking) break;
      if (ch === '\r' || ch === '\n') {
        if (state.typed === '' && asking.required) {
          state.problem = `${asking.name} is required`;
          continue;
        }
        state.answers = { ...state.answers, [asking.name]: state.typed };
        state.typed = '';
        state.problem = null;
      } else if (ch === '\u007f' || ch === '\b') state.typed = [...state.typed].slice(0, -1).join('');
      else if (ch >= ' ') state.typed += ch;
    }
    redraw((n) => n + 1);
    if (Object.keys(state.answers).length === secrets.length) {
      onDone(Object.fromEntries(Object.entries(state.answers).filter(([, value]) => value !== '')));
    }
  });

  return (
    <Box flexDirection="column">
      <Text bold>This run needs secrets that were not given. What you type is not shown.</Text>
      {secrets.map((secret, i) => {
        const answered = i < Object.keys(answers).length;
        const asking = secret === current;
        return (
          <Text key={secret.name} dimColor={!asking}>
            {asking ? '› ' : '  '}
            {secret.name}
            {secret.description ? ` (${secret.description})` : ''}
            {secret.required ? '' : ' [optional, enter leaves it unset]'}:{' '}
            {answered ? (answers[secret.name] === '' ? '(unset)' : SECRET_GLYPH) : asking && typed !== '' ? SECRET_GLYPH : ''}
          </Text>
        );
      })}
      {problem ? <Text color="red">{problem}</Text> : null}
      <Text dimColor>enter: next · esc: cancel</Text>
    </Box>
  );
}
