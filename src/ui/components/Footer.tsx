/** Key hints for what can be done now, built from the key table; the message line above them. */
import { Box } from 'ink';
import { Text } from '../inert-text.js';
import type { UiSnapshot } from '../controller.js';
import { hintsFor, keyApplies, type KeyAction } from '../keys.js';
import { wrapWords } from '../wrap.js';

/** The footer's keys, in the order shown; only those that apply now are. */
const FOOTER: readonly KeyAction[] = [
  'run-next',
  'run-step',
  'rerun',
  'run-fix',
  'acknowledge',
  'tick',
  'select-down',
  'override',
  'mark-done',
  'rollback',
  'skip',
  'log',
  'quit',
  'help',
];

function actionsNow(snapshot: UiSnapshot): KeyAction[] {
  const { prompt, busy } = snapshot;
  if (prompt?.kind === 'resume') return ['run-next', 'quit', 'help'];
  if (prompt) return [];
  if (busy) return ['cancel', 'scroll-up', 'help'];
  // The step list says its own keys (↑/↓, enter, esc); enter there shows a step, it runs nothing.
  if (snapshot.picking !== null) return ['quit', 'help'];
  if (snapshot.browsing !== null) return ['browse-back', 'browse-forward', 'steps', 'quit', 'help'];
  const allowed = snapshot.decisions.choices.map((c) => c.kind);
  return FOOTER.filter((action) => keyApplies(action, allowed));
}

/**
 * The open prompt's question, what the operator has typed so far (null for yes/no questions), and
 * why what they submitted was refused, while it is what they typed.
 */
function promptText(snapshot: UiSnapshot): { question: string; input: string | null; error?: string | undefined } | null {
  const prompt = snapshot.prompt;
  if (!prompt) return null;
  switch (prompt.kind) {
    case 'cancel':
      if (prompt.ended)
        return { question: 'The block finished before it was cancelled: nothing to cancel. Press any key to go on.', input: null };
      return { question: 'Cancel the running block? enter or ctrl+c again = yes, any other key = no', input: null };
    case 'quit':
      return { question: 'A block is running. Cancel it and quit? enter or q again = yes, any other key = no', input: null };
    case 'confirm-block':
      return { question: `type yes and enter to run ${prompt.block.id} · esc cancels`, input: prompt.input, error: prompt.error };
    case 'reason': {
      const what = {
        override: `override ${prompt.block?.id ?? ''}`,
        skip: `skip ${prompt.step.id}`,
        'mark-done': `mark ${prompt.block?.id ?? ''} done`,
      }[prompt.purpose];
      return { question: `reason to ${what} (10+ characters), enter to record · esc cancels`, input: prompt.input, error: prompt.error };
    }
    case 'resume':
      return null;
  }
}

/** Which step is shown while the operator browses, and which one the run is on. */
function browsingText(snapshot: UiSnapshot): string | null {
  if (snapshot.browsing === null) return null;
  const shown = snapshot.state.steps[snapshot.browsing];
  const run = snapshot.decisions.step;
  const on = run ? `the run is on ${run.id}` : 'nothing is left to run';
  return `reading step ${snapshot.browsing + 1} ${shown?.id ?? ''} (not run from here): ${on}; esc goes back to it`;
}

/** One footer row. */
interface FooterRow {
  text: string;
  color?: string;
  dim?: boolean;
  /** The typed answer keeps its end in view when it is longer than the row. */
  keepEnd?: boolean;
}

/**
 * The footer's rows: the message or question (wrapped to two rows at most, so nothing the
 * operator must read is cut at 80 columns), then the typed answer or the key hints. While a text
 * prompt is open, a refusal of what was typed (reason too short, not "yes") replaces the question,
 * so it is seen; it goes once the input changes or the prompt closes.
 */
export function footerRows(snapshot: UiSnapshot, width: number): FooterRow[] {
  const message = snapshot.message;
  const prompt = promptText(snapshot);
  const hints = hintsFor(actionsNow(snapshot)).join('  ');
  if (prompt) {
    const refused = prompt.error;
    const head = wrapWords(refused ?? prompt.question, width, 2).map((text) => ({ text, color: refused ? 'red' : 'yellow' }));
    return [...head, prompt.input === null ? { text: '' } : { text: `› ${prompt.input}`, color: 'yellow', keepEnd: true }];
  }
  const browsing = browsingText(snapshot);
  if (browsing && !message) return [...wrapWords(browsing, width, 2).map((text) => ({ text, color: 'cyan' })), { text: hints, dim: true }];
  const head = message
    ? wrapWords(message.text, width, 2).map((text) => ({ text, ...(message.tone === 'error' ? { color: 'red' } : {}) }))
    : [{ text: '' }];
  return [...head, { text: hints, dim: true }];
}

export function Footer({ snapshot, width }: { snapshot: UiSnapshot; width: number }) {
  const rows = footerRows(snapshot, width);
  return (
    <Box flexDirection="column" width={width} height={rows.length}>
      {rows.map((row, i) => (
        <Text
          key={i}
          wrap={row.keepEnd ? 'truncate-start' : 'truncate-end'}
          {...(row.color ? { color: row.color } : {})}
          dimColor={row.dim ?? false}
        >
          {row.text}
        </Text>
      ))}
    </Box>
  );
}
