/** Key hints for what can be done now, built from the key table; the message line above them. */
import { Box, Text } from 'ink';
import type { UiSnapshot } from '../controller.js';
import { hintsFor, type KeyAction } from '../keys.js';

function actionsNow(snapshot: UiSnapshot): KeyAction[] {
  const { next, prompt, busy } = snapshot;
  if (prompt?.kind === 'resume') return ['run-next', 'quit', 'help'];
  if (prompt) return [];
  if (busy) return ['cancel', 'scroll-up', 'help'];
  switch (next.kind) {
    case 'run':
      return ['run-next', 'run-step', ...(next.step.optional ? (['skip'] as const) : []), 'log', 'quit', 'help'];
    case 'refused':
      return ['rerun', ...(next.block.attrs.override === 'allowed' ? (['override'] as const) : []), 'rollback', 'log', 'quit', 'help'];
    case 'failed':
      return ['rerun', 'rollback', 'select-down', 'log', 'quit', 'help'];
    case 'interrupted':
      return ['rerun', 'mark-done', 'quit', 'help'];
    case 'acknowledge':
      return ['acknowledge', 'log', 'quit', 'help'];
    case 'checklist':
      return ['tick', 'select-down', ...(next.step.optional ? (['skip'] as const) : []), 'quit', 'help'];
    case 'confirm-step':
      return ['run-next', ...(next.step.optional ? (['skip'] as const) : []), 'quit', 'help'];
    default:
      return ['log', 'quit', 'help'];
  }
}

function promptHint(snapshot: UiSnapshot): string | null {
  const prompt = snapshot.prompt;
  if (!prompt) return null;
  switch (prompt.kind) {
    case 'cancel':
      return 'Cancel the running block? enter or ctrl+c again = yes, any other key = no';
    case 'quit':
      return 'A block is running. Cancel it and quit? enter or q again = yes, any other key = no';
    case 'confirm-block':
      return `type yes and enter to run ${prompt.block.id} · esc cancels › ${prompt.input}`;
    case 'reason': {
      const what = { override: `override ${prompt.block?.id ?? ''}`, skip: `skip ${prompt.step.id}`, 'mark-done': `mark ${prompt.block?.id ?? ''} done` }[prompt.purpose];
      return `reason to ${what} (10+ characters), enter to record · esc cancels › ${prompt.input}`;
    }
    case 'resume':
      return null;
  }
}

export function Footer({ snapshot, width }: { snapshot: UiSnapshot; width: number }) {
  const message = snapshot.message;
  const prompt = promptHint(snapshot);
  const hints = hintsFor(actionsNow(snapshot)).join('  ');
  return (
    <Box flexDirection="column" width={width} height={2}>
      <Text wrap="truncate-end" color={prompt ? 'yellow' : message?.tone === 'error' ? 'red' : undefined}>
        {prompt ?? message?.text ?? ''}
      </Text>
      <Text dimColor wrap="truncate-end">
        {hints}
      </Text>
    </Box>
  );
}
