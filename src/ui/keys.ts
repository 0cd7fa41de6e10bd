/**
 * The one key table. Every binding carries its keys and its help text, so the footer hints,
 * the help overlay and what the keys do can never disagree (docs/running.md#keys).
 */
import type { Key } from 'ink';
import type { AnswerKind } from '../engine/decisions.js';

/**
 * A key press with no special key held: what the screen gives each key of a read that held several
 * (src/ui/app.tsx), and what tests of the table start from.
 */
export const PLAIN_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** Everything the operator can ask for with a key. */
export type KeyAction =
  | 'run-next'
  | 'run-step'
  | 'rerun'
  | 'retry-hosts'
  | 'check-hosts'
  | 'tick'
  | 'select-up'
  | 'select-down'
  | 'host-previous'
  | 'host-next'
  | 'host-attention'
  | 'acknowledge'
  | 'override'
  | 'skip'
  | 'mark-done'
  | 'rollback'
  | 'run-fix'
  | 'shell'
  | 'browse-back'
  | 'browse-forward'
  | 'steps'
  | 'log'
  | 'scroll-up'
  | 'scroll-down'
  | 'search'
  | 'search-next'
  | 'search-previous'
  | 'text-up'
  | 'text-down'
  | 'cancel'
  | 'quit'
  | 'help';

/** One binding: the keys as shown, how to recognise them, and what they do. */
export interface KeyBinding {
  action: KeyAction;
  /** Keys as the operator reads them, e.g. `enter`, `ctrl+c`. */
  keys: string[];
  /** Short label for the footer. */
  hint: string;
  /** One line for the help overlay. */
  help: string;
  matches(input: string, key: Key): boolean;
}

export const KEY_TABLE: readonly KeyBinding[] = [
  {
    action: 'run-next',
    keys: ['enter'],
    hint: 'run next',
    help: 'run the next pending block of the step, or answer the open prompt',
    matches: (_, k) => k.return,
  },
  {
    action: 'run-step',
    keys: ['a'],
    hint: 'run step',
    help: "run the rest of the step's blocks in order, up to a failure or a prompt",
    matches: (i) => i === 'a',
  },
  {
    action: 'rerun',
    keys: ['r'],
    hint: 're-run',
    help: 're-run the failed checks of the gate (every one that has not passed) or the interrupted block, or retry the failed block (a fleet block: its hosts that are not done; at a warning, its unreachable hosts)',
    matches: (i) => i === 'r',
  },
  {
    action: 'check-hosts',
    keys: ['c'],
    hint: 'check hosts',
    help: "at a fleet block interrupted mid-batch, run the step's checks on the interrupted hosts first",
    matches: (i, k) => i === 'c' && !k.ctrl,
  },
  {
    action: 'retry-hosts',
    keys: ['x'],
    hint: 'retry unreachable',
    help: 'run the fleet block again on its unreachable hosts alone',
    matches: (i) => i === 'x',
  },
  { action: 'tick', keys: ['space'], hint: 'tick', help: 'tick / untick the selected checklist item', matches: (i) => i === ' ' },
  {
    action: 'select-up',
    keys: ['↑', 'k'],
    hint: 'select',
    help: 'select the previous checklist item, fix step or rollback block',
    matches: (i, k) => k.upArrow || i === 'k',
  },
  {
    action: 'select-down',
    keys: ['↓', 'j'],
    hint: 'select',
    help: 'select the next checklist item, fix step or rollback block',
    matches: (i, k) => k.downArrow || i === 'j',
  },
  {
    action: 'host-previous',
    keys: ['←'],
    hint: 'host before',
    help: "select the host before in a fleet block's host grid: its status, rc, reason and output show under the grid",
    matches: (_, k) => k.leftArrow,
  },
  {
    action: 'host-next',
    keys: ['→'],
    hint: 'host after',
    help: "select the host after in a fleet block's host grid",
    matches: (_, k) => k.rightArrow,
  },
  {
    action: 'host-attention',
    keys: ['tab'],
    hint: 'next failed',
    help: 'select the next host that failed, was unreachable or was interrupted, in the host grid',
    matches: (_, k) => k.tab,
  },
  {
    action: 'acknowledge',
    keys: ['w'],
    hint: 'accept warning',
    help: 'acknowledge the warning the run is waiting on',
    matches: (i) => i === 'w',
  },
  {
    action: 'override',
    keys: ['o'],
    hint: 'override',
    help: 'override the failed or interrupted check (where the runbook allows it; at a gate with several, the first that does, named in the prompt) with a reason',
    matches: (i) => i === 'o',
  },
  {
    action: 'skip',
    keys: ['s'],
    hint: 'skip step',
    help: 'skip the current step, if it is optional, with a written reason',
    matches: (i) => i === 's',
  },
  {
    action: 'mark-done',
    keys: ['m'],
    hint: 'mark done',
    help: 'mark an interrupted run/verify block done without re-running it, with a reason (never a check)',
    matches: (i) => i === 'm',
  },
  {
    action: 'rollback',
    keys: ['b'],
    hint: 'rollback',
    help: 'after a failure, run the selected rollback block of the step',
    matches: (i) => i === 'b',
  },
  {
    action: 'run-fix',
    keys: ['f'],
    hint: 'fix in place',
    help: 'at a refused check, work on the selected step that fixes it (fixes=) now; then r re-runs the check',
    matches: (i) => i === 'f',
  },
  {
    action: 'browse-back',
    keys: ['['],
    hint: 'step before',
    help: "show the step before the one shown, to read it (keys that answer still act on the run's step)",
    matches: (i) => i === '[',
  },
  {
    action: 'browse-forward',
    keys: [']'],
    hint: 'step after',
    help: "show the step after the one shown; esc goes back to the run's step",
    matches: (i) => i === ']',
  },
  {
    action: 'steps',
    keys: ['g'],
    hint: 'steps',
    help: 'list every step to pick one to read (enter shows it, esc closes)',
    matches: (i) => i === 'g',
  },
  {
    action: 'shell',
    keys: ['!'],
    hint: 'shell',
    help: "open $SHELL in the runbook's folder with the run's variables (no secrets); exit it to come back",
    matches: (i) => i === '!',
  },
  { action: 'log', keys: ['l'], hint: 'full log', help: "open the last block's full log in $PAGER (less)", matches: (i) => i === 'l' },
  {
    action: 'scroll-up',
    keys: ['pgup', 'u'],
    hint: 'output back',
    help: "scroll the output back through the block's whole log",
    matches: (i, k) => k.pageUp || i === 'u',
  },
  {
    action: 'scroll-down',
    keys: ['pgdn', 'd'],
    hint: 'output on',
    help: 'scroll the output forward',
    matches: (i, k) => k.pageDown || i === 'd',
  },
  {
    action: 'search',
    keys: ['/'],
    hint: 'search',
    help: "search the block's whole log: type a pattern, enter shows the nearest match above",
    matches: (i) => i === '/',
  },
  {
    action: 'search-next',
    keys: ['n'],
    hint: 'next match',
    help: 'show the next match of the search, towards the start of the log',
    matches: (i) => i === 'n',
  },
  {
    action: 'search-previous',
    keys: ['N'],
    hint: 'previous match',
    help: 'show the match of the search after the one shown, towards the end of the log',
    matches: (i) => i === 'N',
  },
  {
    action: 'text-up',
    keys: ['<'],
    hint: 'text back',
    help: "scroll the step's text back, when it does not fit on the screen",
    matches: (i) => i === '<',
  },
  {
    action: 'text-down',
    keys: ['>'],
    hint: 'text on',
    help: "scroll the step's text forward, when it does not fit on the screen",
    matches: (i) => i === '>',
  },
  {
    action: 'cancel',
    keys: ['ctrl+c'],
    hint: 'cancel',
    help: 'cancel the running block (asks first); with nothing running, quit',
    matches: (i, k) => k.ctrl && i === 'c',
  },
  {
    action: 'quit',
    keys: ['q'],
    hint: 'quit',
    help: 'quit; the checkpoint is already saved (asks first if a block is running)',
    matches: (i) => i === 'q',
  },
  { action: 'help', keys: ['?'], hint: 'help', help: 'show or hide this help', matches: (i) => i === '?' },
];

/** The action a key press asks for, if any. */
export function actionFor(input: string, key: Key): KeyAction | undefined {
  return KEY_TABLE.find((binding) => binding.matches(input, key))?.action;
}

/** `enter run next` style hint for a list of actions, built from the table. */
export function hintsFor(actions: readonly KeyAction[]): string[] {
  return actions.flatMap((action) => {
    const binding = KEY_TABLE.find((b) => b.action === action);
    return binding ? [`${binding.keys[0]} ${binding.hint}`] : [];
  });
}

/**
 * The answers each key gives. A key with answers applies only when the run allows one of them
 * (the engine's decisions); the others (log, scroll, quit, help) always apply.
 */
const ANSWERS: Partial<Record<KeyAction, readonly AnswerKind[]>> = {
  'run-next': ['run', 'confirm-run', 'confirm-step'],
  'run-step': ['run', 'confirm-run'],
  rerun: ['rerun', 'retry', 'retry-hosts'],
  'retry-hosts': ['retry-hosts'],
  'check-hosts': ['check-hosts'],
  tick: ['tick'],
  'select-up': ['tick', 'rollback', 'run-fix'],
  'select-down': ['tick', 'rollback', 'run-fix'],
  acknowledge: ['acknowledge'],
  override: ['override'],
  skip: ['skip'],
  'mark-done': ['mark-done'],
  rollback: ['rollback'],
  'run-fix': ['run-fix'],
};

/** The host grid's keys: the help lists them only while a fleet block's grid is on screen. */
export const HOST_KEYS: readonly KeyAction[] = ['host-previous', 'host-next', 'host-attention'];

/** True when the key does something now: it gives an answer the run allows, or it is not an answer. */
export function keyApplies(action: KeyAction, allowed: readonly AnswerKind[]): boolean {
  const answers = ANSWERS[action];
  return answers === undefined || answers.some((kind) => allowed.includes(kind));
}

/** The key that gives each answer, as the operator reads it (for messages such as "r to re-run"). */
export const KEY_FOR: Record<AnswerKind, string> = {
  run: 'enter',
  'confirm-run': 'enter',
  'confirm-step': 'enter',
  rerun: 'r',
  retry: 'r',
  'retry-hosts': 'x',
  'check-hosts': 'c',
  override: 'o',
  acknowledge: 'w',
  skip: 's',
  'mark-done': 'm',
  tick: 'space',
  rollback: 'b',
  'run-fix': 'f',
  stop: 'q',
};
