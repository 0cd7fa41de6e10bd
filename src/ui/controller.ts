/**
 * The TUI's controller: turns key actions and typed answers into session calls, and keeps what
 * only the screen needs (open prompt, selection, output tail, scroll). No React here, and no
 * run rule either: what may run, and when, is the session's decision.
 */
import { join } from 'node:path';
import type { Block, Step } from '../runbook/model.js';
import type { RunSession, SessionEvent } from '../engine/session.js';
import { MIN_REASON_LENGTH, overrideTarget, refusal, type Answer, type AnswerKind, type Decisions } from '../engine/decisions.js';
import { currentStepIndex, type NextAction } from '../engine/plan.js';
import { approvalsLeft } from '../engine/approval.js';
import type { RunState } from '../engine/run-state.js';
import { OutputTail, type OutputLine } from '../engine/output.js';
import { KEY_FOR, type KeyAction } from './keys.js';
import { LogView, type SearchShown } from './log-view.js';
import { fleetShown, moveHost } from './host-grid.js';

/** A question the screen is waiting on. */
export type Prompt =
  | { kind: 'resume' }
  /**
   * A command shown in full before it runs: typing yes gives `answer`, once the screen has shown
   * the command's last row (`seenEnd`). `scroll` is the first command row on screen; `view` is
   * what the screen reported it can show (rows on screen, rows in all), null until it has.
   */
  | {
      kind: 'confirm-block';
      step: Step;
      block: Block;
      input: string;
      rollback: boolean;
      answer: Answer;
      scroll: number;
      seenEnd: boolean;
      view: { rows: number; total: number } | null;
      error?: string;
    }
  | { kind: 'reason'; purpose: 'override' | 'skip' | 'mark-done'; step: Step; block?: Block; input: string; error?: string }
  /**
   * Cancel the running block? `ended` once the block finished before the answer: the question is
   * then moot, and the next key only closes it (an enter meant as "yes" must not run the next block).
   */
  | { kind: 'cancel'; ended?: true }
  | { kind: 'quit' };

/** One row of the output pane: a line, and the stream it came from when known (the log file does not keep it). */
export type PaneLine = Omit<OutputLine, 'stream'> & Partial<Pick<OutputLine, 'stream'>>;

/** The attempt a retrying block is on: `attempt` of at most `of`, started (or to start) at `startsAt` (epoch ms). */
export interface AttemptShown {
  attempt: number;
  of: number;
  startsAt: number;
}

export type { SearchShown };

/**
 * A one-line message under the step. It lasts as long as what it describes: a refusal of what was
 * typed in a prompt is the prompt's own `error`, not a message; a message about the running block
 * (`until: 'block-finished'`) goes when the block finishes; any other goes with the next key that acts.
 */
export interface Message {
  text: string;
  tone: 'info' | 'error';
  until?: 'block-finished';
}

/** Everything the screen renders, as one immutable snapshot. */
export interface UiSnapshot {
  state: RunState;
  next: NextAction;
  /** The answers the run allows now, and what to show about them (the engine's, never re-derived here). */
  decisions: Decisions;
  busy: boolean;
  running: { step: Step; block: Block; since: number } | null;
  prompt: Prompt | null;
  message: Message | null;
  /** Index of the selected entry of the current step's list (`selectionOf`: fix steps, rollback blocks or checklist items). */
  selected: number;
  /** Which list the selection moves over now. */
  selecting: Selection;
  /** The host selected in a fleet block's grid (←, →, tab), by name; null when none is. */
  host: string | null;
  /** The step shown to read, when the operator browses away from the run's step (`[`, `]`); null on the run's step. */
  browsing: number | null;
  /** The step highlighted in the step list of `g` while it is open; null when closed. */
  picking: number | null;
  help: boolean;
  /** Output of the running (or last) block: its tail, or a window of its log when scrolled. */
  output: {
    block: string | null;
    lines: PaneLine[];
    scrolledBack: number;
    total: number;
    attempt?: AttemptShown | null;
    /** Scrolled: the log line (0-based) that `lines[0]` is. */
    from?: number;
    /** Scrolled: the index in `lines` just after the last row to show (the rows above it fill the pane; near the top, the rows below do). */
    bottom?: number;
    search?: SearchShown | null;
  };
  /** Bumped on every change, so throttled renders know something moved. */
  version: number;
  quit: boolean;
}

/**
 * The list ↑/↓ move over: at a refused check with steps that fix it, those steps; after a
 * failure, the rollback blocks; else the checklist.
 */
export type Selection = 'fixes' | 'rollbacks' | 'items';

/** Which list the selection moves over for these decisions. */
export function selectionOf(d: Decisions): Selection {
  if (d.choices.some((c) => c.kind === 'run-fix')) return 'fixes';
  return d.rollbacks.length > 0 ? 'rollbacks' : 'items';
}

/** The step the run is on, as the screen shows it: the decisions' step, else the first not done, else the last. */
export function runStepIndex(session: RunSession, d: Decisions): number {
  const onStep = d.step ? session.runbook.steps.indexOf(d.step) : -1;
  const current = onStep !== -1 ? onStep : currentStepIndex(session.runbook, session.state);
  return current === -1 ? session.runbook.steps.length - 1 : current;
}

/** Lines of output shown by the live pane; the log file has the rest. */
const TAIL_LINES = 200;
/** Bytes of output kept in memory for those lines (more than 200 lines of most output). */
const TAIL_BYTES = 256 * 1024;
/**
 * Output and state notifications are coalesced to this interval (10 frames a second): never one
 * render per line, and a fast block is not slowed by frames nobody could read.
 */
const OUTPUT_NOTIFY_MS = 100;
/** How often the TUI looks for another operator's approval while a block waits for one. */
const APPROVAL_POLL_MS = 1000;

/** On the confirm screen, pgup/pgdn page through the command and ↑/↓ move it a row. */
const CONFIRM_SCROLL: Partial<Record<KeyAction, number | 'page-up' | 'page-down'>> = {
  'scroll-up': 'page-up',
  'scroll-down': 'page-down',
  'select-up': -1,
  'select-down': 1,
};

/** The text prompt with new input: a refusal of what was typed before no longer applies. */
function withInput<P extends Extract<Prompt, { input: string }>>(prompt: P, input: string): P {
  const { error: _refused, ...rest } = prompt;
  return { ...rest, input } as P;
}

/** Drives one session from the TUI. */
export class UiController {
  readonly session: RunSession;
  #listeners = new Set<() => void>();
  #snapshot: UiSnapshot;
  // Output is kept as the bytes arrived; only what a frame shows is ever decoded and split.
  #tail = new OutputTail(TAIL_BYTES);
  #tailTotal = 0;
  #tailBlock: string | null = null;
  #lastLog: string | null = null;
  // Scrolled back or searched: a window of the whole log instead of the tail.
  #logView = new LogView((text, tone) => this.#say(text, tone));
  /** A block whose log the operator chose to read (viewLog), instead of the running or last one. */
  #chosenLog: { block: string; path: string } | null = null;
  #attemptShown: AttemptShown | null = null;
  #frameTimer: NodeJS.Timeout | null = null;
  #running: UiSnapshot['running'] = null;
  /** The last block this session ran has finished (its answer may still be writing its records). */
  #blockEnded = false;
  #prompt: Prompt | null;
  #message: Message | null = null;
  #selected = 0;
  /** The list the selection is in (step and kind): on another list it starts again at its first entry. */
  #selectedList = '';
  #host: string | null = null;
  #browsing: number | null = null;
  #picking: number | null = null;
  #help = false;
  #quit = false;
  #version = 0;
  /** Looks for approvals from other terminals while an `approve=` block waits (watchApprovals). */
  #approvalPoll: NodeJS.Timeout | null = null;
  #polling = false;

  constructor(session: RunSession, options: { resume: boolean }) {
    this.session = session;
    this.#prompt = options.resume ? { kind: 'resume' } : null;
    // The resume screen lists the notices; a new run shows them (a secret given with --var) as the message.
    if (!options.resume && session.notices.length > 0) this.#message = { text: session.notices.join(' '), tone: 'error' };
    session.subscribe((event) => this.#onSession(event));
    this.#snapshot = this.#build();
  }

  /**
   * While the run waits for another operator's approval, look for it every `everyMs`: when it
   * arrives the session records it and the screen shows the block as next, with no key pressed.
   * Resolves nothing; returns the function that stops looking (the TUI calls it before closing).
   */
  watchApprovals(everyMs = APPROVAL_POLL_MS): () => void {
    this.#approvalPoll ??= setInterval(() => void this.#pollApprovals(), everyMs);
    this.#approvalPoll.unref();
    return () => {
      if (this.#approvalPoll) clearInterval(this.#approvalPoll);
      this.#approvalPoll = null;
    };
  }

  async #pollApprovals(): Promise<void> {
    if (this.#polling || this.#quit || this.session.busy || this.session.next().kind !== 'approval') return;
    this.#polling = true;
    try {
      const before = this.session.next();
      if ((await this.session.refreshApprovals()) === 0) return;
      const after = this.session.next();
      if (before.kind === 'approval') {
        const left = after.kind === 'approval' && after.block.id === before.block.id ? approvalsLeft(after.standing) : 0;
        this.#say(`approval of ${before.block.id} received; ${left > 0 ? `${left} more needed` : 'it may run now'}`);
      }
    } catch (error) {
      this.#say(error instanceof Error ? error.message : String(error), 'error');
    } finally {
      this.#polling = false;
    }
    this.#notify();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  getSnapshot = (): UiSnapshot => this.#snapshot;

  #notify(): void {
    this.#version++;
    this.#snapshot = this.#build();
    for (const listener of this.#listeners) listener();
  }

  #build(): UiSnapshot {
    const decisions = this.session.decisions();
    return {
      state: this.session.state,
      next: decisions.action,
      decisions,
      busy: this.session.busy,
      running: this.#running,
      prompt: this.#prompt,
      message: this.#message,
      selected: this.#selection(decisions),
      selecting: selectionOf(decisions),
      host: this.#host,
      browsing: this.#browsing,
      picking: this.#picking,
      help: this.#help,
      output: this.#output(),
      version: this.#version,
      quit: this.#quit,
    };
  }

  #onSession(event: SessionEvent): void {
    switch (event.type) {
      case 'block-started':
        // The pager and scroll-back follow the running block, not the one before it.
        this.#lastLog = null;
        this.#tail = new OutputTail(TAIL_BYTES);
        this.#tailTotal = 0;
        this.#tailBlock = event.block.id;
        this.#logView.reset();
        this.#chosenLog = null;
        this.#attemptShown = null;
        this.#running = { step: event.step, block: event.block, since: Date.now() };
        this.#blockEnded = false;
        // Drawn with the block's first output, at most one output interval from now: a frame
        // drawn right away would hold up reading the block's first chunks.
        this.#notifySoon();
        break;
      case 'output':
        this.#tail.push(event.chunk, event.stream);
        this.#tailTotal = this.#tail.lineCount;
        this.#notifySoon();
        break;
      case 'attempt':
        this.#attemptShown = { attempt: event.attempt, of: event.of, startsAt: Date.now() + event.nextInMs };
        this.#notifySoon();
        break;
      case 'block-finished':
        this.#running = null;
        this.#blockEnded = true;
        // "cancelling…", "a block is running…": no longer true once it finished.
        if (this.#message?.until === 'block-finished') this.#message = null;
        // Asked while the block ran: quitting needs no confirmation any more, and there is nothing to cancel.
        if (this.#prompt?.kind === 'quit') {
          this.#prompt = null;
          this.#quit = true;
        } else if (this.#prompt?.kind === 'cancel') this.#prompt = { kind: 'cancel', ended: true };
        this.#lastLog = event.state.log ? join(this.session.paths.dir, event.state.log) : null;
        if (this.#frameTimer) {
          clearTimeout(this.#frameTimer);
          this.#frameTimer = null;
        }
        this.#notify();
        break;
      case 'notify-failed':
        // The status line: the run goes on (docs/notify.md).
        this.#message = { text: event.message, tone: 'error' };
        this.#notifySoon();
        break;
      default:
        // Transitions (state saved, step started or finished, notices) are drawn with the next
        // output interval; a key's own action draws when it settles. A frame drawn right away
        // would be rendered by ink while the block that just started prints.
        this.#notifySoon();
    }
  }

  /** A frame within OUTPUT_NOTIFY_MS: at most one per interval, however fast output and transitions come. */
  #notifySoon(): void {
    this.#frameTimer ??= setTimeout(() => {
      this.#frameTimer = null;
      this.#notify();
    }, OUTPUT_NOTIFY_MS);
  }

  #tailLines(): PaneLine[] {
    return this.#tail.lines(TAIL_LINES);
  }

  #say(text: string, tone: Message['tone'] = 'info', until?: Message['until']): void {
    this.#message = until ? { text, tone, until } : { text, tone };
  }

  /** Run an operation; an operator error becomes a message on screen, never a crash. */
  async #attempt(operation: () => Promise<void>): Promise<void> {
    for (const step of [operation, () => this.#settle()]) {
      try {
        await step();
      } catch (error) {
        const text = error instanceof Error ? error.message : String(error);
        this.#say(text, 'error');
      }
    }
    this.#notify();
  }

  /** After an answer: keep the selection in range, and say when nothing is left to do. */
  async #settle(): Promise<void> {
    const count = this.#selectable().length;
    this.#selected = Math.min(this.#selected, Math.max(0, count - 1));
    if (this.session.next().kind !== 'complete') return;
    if (this.session.complete)
      this.#say(`run ${this.session.state.run} is complete: q to quit (waymark report ${this.session.runbook.file} for the report)`);
    else this.#say(`selected steps done; the steps not selected remain for a later run: q to quit`);
  }

  /**
   * The selected index in the list the decisions show now. When the run moves to another step (or
   * from its checklist to its rollback blocks), the selection starts at that list's first entry,
   * not at the position it had in the list before.
   */
  #selection(d: Decisions): number {
    const list = `${d.step?.id ?? ''}/${selectionOf(d)}`;
    if (list !== this.#selectedList) {
      this.#selectedList = list;
      this.#selected = 0;
    }
    return this.#selected;
  }

  /** The entries the selection moves over (selectionOf). */
  #selectable(): { id: string }[] {
    const d = this.session.decisions();
    this.#selection(d);
    return { fixes: d.fixes, rollbacks: d.rollbacks, items: d.items }[selectionOf(d)];
  }

  /** The prompt's typed text changed. */
  type(input: string, key: { backspace?: boolean; delete?: boolean; escape?: boolean }): void {
    if (this.#logView.typing) {
      this.#logView.type(input, key);
      return this.#notify();
    }
    const prompt = this.#prompt;
    if (!prompt || (prompt.kind !== 'confirm-block' && prompt.kind !== 'reason')) return;
    if (key.escape) {
      this.#prompt = null;
      this.#say('cancelled');
    } else if (key.backspace || key.delete) {
      this.#prompt = withInput(prompt, prompt.input.slice(0, -1));
    } else if (input && !/[\u0000-\u001f]/.test(input)) {
      this.#prompt = withInput(prompt, prompt.input + input);
    }
    this.#notify();
  }

  /** True when typed keys belong to a text prompt rather than to the key table. */
  get typing(): boolean {
    return this.#logView.typing || this.#prompt?.kind === 'confirm-block' || this.#prompt?.kind === 'reason';
  }

  /** True while a yes/no question (cancel the block? quit?) waits for its answer. */
  get asking(): boolean {
    return this.#prompt?.kind === 'cancel' || this.#prompt?.kind === 'quit';
  }

  /**
   * A key that is not in the key table: it closes the help, is a "no" to a yes/no question, and
   * (esc) brings the view back from a browsed step to the run's step.
   */
  otherKey(): void {
    if (this.#help) {
      this.#help = false;
      return this.#notify();
    }
    if (this.#picking !== null) {
      this.#picking = null;
      return this.#notify();
    }
    if (this.#browsing !== null && !this.#prompt) {
      this.#browsing = null;
      this.#message = null;
      return this.#notify();
    }
    const prompt = this.#prompt;
    if (prompt?.kind === 'cancel' || prompt?.kind === 'quit') {
      this.#prompt = null;
      if (prompt.kind === 'quit' || !prompt.ended) this.#say('the block keeps running', 'info', 'block-finished');
      this.#notify();
    }
  }

  /** Handle one key action. Resolves when whatever it started is finished. */
  async press(action: KeyAction): Promise<void> {
    // Quitting: the app is leaving, and no key starts anything after it.
    if (this.#quit) return;
    if (this.session.busy && this.#running === null && this.#blockEnded) {
      // The screen already shows the block ended, and the session is writing its records: the key
      // is meant for what comes next, not refused with "a block is running".
      await this.session.idle;
      if (this.#quit) return;
    }
    const prompt = this.#prompt;
    if (action === 'help') {
      this.#help = !this.#help;
      return this.#notify();
    }
    if (this.#help) {
      this.#help = false;
      return this.#notify();
    }
    if (prompt?.kind === 'cancel' || prompt?.kind === 'quit') return this.#answerYesNo(prompt, action);
    if (this.#picking !== null) {
      if (action === 'select-up' || action === 'select-down' || action === 'run-next' || action === 'steps') return this.#pick(action);
      // Any other key closes the list and does what it does.
      this.#picking = null;
    }
    if (prompt?.kind === 'resume') {
      if (action === 'run-next') {
        this.#prompt = null;
        return this.#notify();
      }
      if (action === 'quit' || action === 'cancel') return this.#exit();
      this.#say('press enter to continue this run, or q to quit');
      return this.#notify();
    }
    if (this.#logView.typing) {
      // enter searches; ctrl+c leaves the search (and does nothing else).
      if (action === 'run-next') await this.#logView.search(this.#logInView());
      else this.#logView.stopSearch();
      return this.#notify();
    }
    if (prompt && action === 'run-next') return this.#submit(prompt);
    if (prompt?.kind === 'confirm-block' && CONFIRM_SCROLL[action] !== undefined)
      return this.#scrollConfirm(prompt, CONFIRM_SCROLL[action]);
    if (action === 'cancel') return this.#cancelOrQuit();
    if (action === 'quit') {
      if (this.session.busy) {
        this.#prompt = { kind: 'quit' };
        return this.#notify();
      }
      return this.#exit();
    }
    if (action === 'scroll-up' || action === 'scroll-down') return this.#scroll(action === 'scroll-up' ? 1 : -1);
    if (action === 'search') return this.#openSearch();
    if (action === 'search-next' || action === 'search-previous') {
      await this.#logView.nextMatch(action === 'search-next' ? -1 : 1, this.#logInView());
      return this.#notify();
    }
    if (action === 'browse-back' || action === 'browse-forward') return this.#browse(action === 'browse-back' ? -1 : 1);
    if (action === 'steps') {
      this.#picking = this.#browsing ?? runStepIndex(this.session, this.session.decisions());
      return this.#notify();
    }
    if (action === 'shell' || action === 'log') return this.#notify();
    // The grid is read, not answered: its keys work while a block runs and on a step being read.
    if (action === 'host-previous' || action === 'host-next' || action === 'host-attention') return this.#selectHost(action);
    if (this.#browsing !== null) {
      // Keys that answer act on the run's step, never on the one being read: the view goes back
      // to it first, so the operator sees what they answer.
      this.#browsing = null;
      this.#say(`back at step ${this.session.decisions().step?.id ?? ''}, the run's step: keys act on it`);
      return this.#notify();
    }
    if (action === 'select-up' || action === 'select-down') {
      const count = this.#selectable().length;
      if (count > 0) this.#selected = (this.#selected + (action === 'select-up' ? count - 1 : 1)) % count;
      return this.#notify();
    }
    if (this.session.busy) {
      this.#say('a block is running: wait for it, or ctrl+c to cancel it', 'info', 'block-finished');
      return this.#notify();
    }
    this.#message = null;
    switch (action) {
      case 'run-next':
        return this.#attempt(() => this.#runNext());
      case 'run-step':
        return this.#attempt(() => this.#runStep());
      case 'rerun':
        return this.#attempt(() => this.#rerun());
      case 'retry-hosts':
        return this.#attempt(() => this.#rerun(true));
      case 'check-hosts':
        return this.#attempt(() => this.#give({ kind: 'check-hosts' }));
      case 'tick':
        return this.#attempt(() => this.#tick());
      case 'acknowledge':
        return this.#attempt(() => this.#give({ kind: 'acknowledge' }));
      case 'override':
      case 'skip':
      case 'mark-done':
        return this.#openReason(action);
      case 'rollback':
        return this.#attempt(() => this.#rollback());
      case 'run-fix':
        return this.#attempt(() => this.#runFix());
      default:
        return this.#notify();
    }
  }

  /** The full log in the output pane (a block chosen with viewLog, else the running or last block), for the pager. */
  get logPath(): string | null {
    return this.#logInView();
  }

  /**
   * Show the whole log of `block` (its file at `path`) in the output pane, from its end; pgup, pgdn
   * and `/` then move through it, and pgdn past its end returns to the running block's output. For
   * a face that lets the operator pick a block (a step list, a finished step's blocks).
   */
  async viewLog(block: string, path: string): Promise<void> {
    this.#chosenLog = (await this.#logView.open(path)) ? { block, path } : null;
    this.#notify();
  }

  /** Give an answer the run allows; one it does not allow is said on screen, with why. */
  async #give(answer: Answer): Promise<void> {
    const why = refusal(this.session.decisions(), answer);
    if (why) return this.#say(why.message, 'error');
    await this.session.answer(answer);
  }

  /** Ask for the typed confirmation of a command before it runs. */
  #confirm(answer: Answer, block: Block, rollback = false): void {
    const d = this.session.decisions();
    this.#prompt = {
      kind: 'confirm-block',
      step: d.step as Step,
      block,
      input: '',
      rollback,
      answer,
      scroll: 0,
      seenEnd: false,
      view: null,
    };
  }

  /**
   * The confirm screen shows `rows` of the command's `total` rows (it says so on every layout
   * change): once the last row has been on screen, `yes` is accepted.
   */
  confirmView(rows: number, total: number): void {
    const prompt = this.#prompt;
    if (prompt?.kind !== 'confirm-block' || (prompt.view?.rows === rows && prompt.view.total === total)) return;
    const scroll = Math.max(0, Math.min(prompt.scroll, total - rows));
    this.#prompt = { ...prompt, scroll, view: { rows, total }, seenEnd: prompt.seenEnd || scroll + rows >= total };
    this.#notify();
  }

  /** Moves the confirm screen's command by `by` rows (a page: the rows shown, less one kept for context). */
  #scrollConfirm(prompt: Extract<Prompt, { kind: 'confirm-block' }>, step: number | 'page-up' | 'page-down'): void {
    if (!prompt.view) return;
    const page = Math.max(1, prompt.view.rows - 1);
    const by = step === 'page-up' ? -page : step === 'page-down' ? page : step;
    const scroll = Math.max(0, Math.min(prompt.scroll + by, prompt.view.total - prompt.view.rows));
    this.#prompt = { ...prompt, scroll, seenEnd: prompt.seenEnd || scroll + prompt.view.rows >= prompt.view.total };
    this.#notify();
  }

  /** enter: run the next block (after its confirmation if it needs one), or confirm a step with nothing to run. */
  async #runNext(): Promise<void> {
    const d = this.session.decisions();
    const allows = (kind: AnswerKind) => d.choices.some((c) => c.kind === kind);
    if (allows('confirm-run') && d.block) return this.#confirm({ kind: 'confirm-run' }, d.block);
    if (allows('run')) return void (await this.session.answer({ kind: 'run' }));
    if (allows('confirm-step')) return void (await this.session.answer({ kind: 'confirm-step' }));
    this.#say(this.#waiting(d), d.action.kind === 'complete' ? 'info' : 'error');
  }

  /** What the run waits for, and the keys that answer it (only those the decisions allow). */
  #waiting(d: Decisions): string {
    if (d.action.kind === 'complete') return this.session.complete ? 'the run is complete: q to quit' : 'selected steps done: q to quit';
    const keys = d.choices.filter((c) => c.kind !== 'stop').map((c) => `${KEY_FOR[c.kind]} to ${c.label}`);
    return `${d.summary}${keys.length > 0 ? `: ${keys.join(', ')}` : ''}`;
  }

  /** a: run the step's blocks in order, up to a failure, a prompt, or another step. */
  async #runStep(): Promise<void> {
    const stepId = this.session.decisions().step?.id;
    for (;;) {
      const d = this.session.decisions();
      const allows = (kind: AnswerKind) => d.choices.some((c) => c.kind === kind);
      if (d.step?.id !== stepId || (!allows('run') && !allows('confirm-run'))) {
        // Still on the step (a checklist, a confirmation): say what it waits for.
        if (d.step?.id === stepId) await this.#runNext();
        return;
      }
      if (allows('confirm-run') && d.block) return this.#confirm({ kind: 'confirm-run' }, d.block);
      const result = await this.session.answer({ kind: 'run' });
      if (result?.status !== 'passed') return;
    }
  }

  /**
   * r: re-run the check or block that holds the run, or retry the failed one; where neither is
   * offered (a fleet block's warning), its unreachable hosts. x (`unreachableOnly`): those alone.
   */
  async #rerun(unreachableOnly = false): Promise<void> {
    const d = this.session.decisions();
    const choice = unreachableOnly
      ? d.choices.find((c) => c.kind === 'retry-hosts')
      : (d.choices.find((c) => c.kind === 'rerun' || c.kind === 'retry') ?? d.choices.find((c) => c.kind === 'retry-hosts'));
    if (!choice || !d.block)
      return this.#say(unreachableOnly ? `no unreachable hosts to retry: ${this.#waiting(d)}` : `nothing to re-run: ${this.#waiting(d)}`);
    const kind = choice.kind as 'rerun' | 'retry' | 'retry-hosts';
    if (choice.confirms) return this.#confirm({ kind, confirmed: true }, d.block, d.block.role === 'rollback');
    await this.session.answer({ kind });
  }

  /**
   * space: tick or untick the selected checklist item. The selection stays where it is: only ↑/↓
   * move it, so "space, ↓, space" ticks items 1 and 2 (space used to move on as well, so the
   * second space landed on item 3).
   */
  async #tick(): Promise<void> {
    const d = this.session.decisions();
    const item = d.items[this.#selection(d)];
    if (!item) return this.#say(d.step ? `step ${d.step.id} has no checklist item to tick` : `nothing to tick: ${d.summary}`);
    await this.#give({ kind: 'tick', item: item.id, ticked: !item.ticked });
  }

  /**
   * f: at a refused check, work on the selected step that fixes it, in place. Its blocks then run
   * as the run's next ones (enter, a); once it is done, the check holds the run until r re-runs it.
   */
  async #runFix(): Promise<void> {
    const d = this.session.decisions();
    const fix = selectionOf(d) === 'fixes' ? d.fixes[this.#selection(d)] : undefined;
    const answer: Answer = { kind: 'run-fix', step: fix?.id ?? '' };
    const why = refusal(d, answer);
    if (why || !fix) return this.#say(why?.message ?? `nothing to fix: ${d.summary}`, 'error');
    await this.session.answer(answer);
    this.#say(`working on step ${fix.id} (it fixes check ${d.block?.id ?? ''}): enter runs its blocks; then r re-runs the check`);
  }

  /** ←, →, tab: move the selection over the hosts of the fleet block the step view shows (host-grid.ts). */
  #selectHost(action: 'host-previous' | 'host-next' | 'host-attention'): void {
    const d = this.session.decisions();
    const index = this.#browsing ?? runStepIndex(this.session, d);
    const step = this.session.runbook.steps[index];
    const stepState = this.session.state.steps[index];
    const shown = step && stepState ? fleetShown(step, stepState, this.#browsing === null ? d.action : { kind: 'complete' }) : null;
    if (!shown) this.#say('no fleet block of this step has hosts yet: ← → and tab select hosts in its grid once it has run');
    else this.#host = moveHost(shown.state.hosts ?? [], this.#host, action);
    this.#notify();
  }

  /** [ and ]: show the step before or after the one shown, to read it; back on the run's step, browsing ends. */
  #browse(direction: 1 | -1): void {
    const run = runStepIndex(this.session, this.session.decisions());
    const shown = this.#browsing ?? run;
    const next = Math.min(this.session.runbook.steps.length - 1, Math.max(0, shown + direction));
    this.#browsing = next === run ? null : next;
    this.#message = null;
    this.#notify();
  }

  /** In the step list of `g`: ↑/↓ move, enter shows the step to read (the run's own step ends browsing), g closes. */
  #pick(action: 'select-up' | 'select-down' | 'run-next' | 'steps'): void {
    const picked = this.#picking ?? 0;
    const last = this.session.runbook.steps.length - 1;
    if (action === 'select-up') this.#picking = Math.max(0, picked - 1);
    else if (action === 'select-down') this.#picking = Math.min(last, picked + 1);
    else {
      if (action === 'run-next') this.#browsing = picked === runStepIndex(this.session, this.session.decisions()) ? null : picked;
      this.#picking = null;
      this.#message = null;
    }
    this.#notify();
  }

  /**
   * Where the shell of `!` opens, or why it does not now: not while a block runs (the TUI is
   * stopped while the shell has the terminal, and the block's output and deadline with it).
   */
  shellRequest(base: NodeJS.ProcessEnv): { cwd: string; env: NodeJS.ProcessEnv } | { refused: string } {
    if (this.session.busy) return { refused: 'a block is running: the shell opens once it has finished (or ctrl+c cancels it)' };
    if (this.session.finished) return { refused: 'this run is complete: open a shell from your terminal after quitting' };
    return this.session.shellSetting(base);
  }

  /** The shell of `!` has exited: the audit records it and how long it was open; the screen says so. */
  shellClosed(startedAt: Date, durationMs: number, error: string | null): Promise<void> {
    return this.#attempt(async () => {
      await this.session.recordShell(startedAt, durationMs);
      if (error) this.#say(error, 'error');
      else this.#say(`back from the shell (${Math.round(durationMs / 1000)} s, recorded in the audit trail)`);
    });
  }

  /** b: after a failure, show the selected rollback block; it runs once confirmed. */
  async #rollback(): Promise<void> {
    const d = this.session.decisions();
    // The selection may be on the fix steps of a refused check: then only a lone rollback block is meant.
    const block = selectionOf(d) === 'rollbacks' ? d.rollbacks[this.#selection(d)] : d.rollbacks.length === 1 ? d.rollbacks[0] : undefined;
    const why = refusal(d, { kind: 'rollback', block: block?.id ?? '', confirmed: true });
    if (why || !block) return this.#say(why?.message ?? 'no rollback block', 'error');
    // A rollback changes systems too: it is always shown and confirmed before it runs.
    this.#confirm({ kind: 'rollback', block: block.id, confirmed: true }, block, true);
  }

  /** o, s, m: ask for the reason, if the run allows the answer now. */
  #openReason(purpose: 'override' | 'skip' | 'mark-done'): void {
    const d = this.session.decisions();
    // Asked with a reason long enough, so that what is refused is the answer itself.
    const why = refusal(d, { kind: purpose, reason: 'x'.repeat(MIN_REASON_LENGTH) });
    if (why || !d.step) {
      this.#say(why?.message ?? d.summary, 'error');
      return this.#notify();
    }
    const prompt: Prompt = { kind: 'reason', purpose, step: d.step, input: '' };
    // At a gate with several failed checks, o overrides them one at a time, by name: the first that allows it.
    const block = purpose === 'override' ? overrideTarget(d) : d.block;
    if (block) prompt.block = block;
    this.#prompt = prompt;
    this.#notify();
  }

  async #submit(prompt: Prompt): Promise<void> {
    if (prompt.kind === 'confirm-block') {
      if (!prompt.seenEnd) {
        const hidden = prompt.view ? prompt.view.total - prompt.scroll - prompt.view.rows : 0;
        // The prompt's own refusal: it lasts until the input changes or the prompt closes.
        this.#prompt = {
          ...prompt,
          error: `read the whole command first: pgdn shows the rest${hidden > 0 ? ` (${hidden} more lines)` : ''}; yes is accepted once its end was shown`,
        };
        return this.#notify();
      }
      if (prompt.input.trim() !== 'yes') {
        this.#prompt = { ...prompt, error: 'type yes (and enter) to run it, or esc to cancel' };
        return this.#notify();
      }
      this.#prompt = null;
      return this.#attempt(async () => {
        await this.session.answer(prompt.answer);
      });
    }
    if (prompt.kind === 'reason') {
      if (prompt.input.trim().length < MIN_REASON_LENGTH) {
        this.#prompt = { ...prompt, error: `the reason must be at least ${MIN_REASON_LENGTH} characters` };
        return this.#notify();
      }
      this.#prompt = null;
      const reason = prompt.input.trim();
      return this.#attempt(async () => {
        if (prompt.purpose === 'override' && prompt.block) await this.session.answer({ kind: 'override', reason, block: prompt.block.id });
        else await this.session.answer({ kind: prompt.purpose, reason });
      });
    }
  }

  async #answerYesNo(prompt: { kind: 'cancel'; ended?: true } | { kind: 'quit' }, action: KeyAction): Promise<void> {
    this.#prompt = null;
    if (prompt.kind === 'cancel' && prompt.ended) return this.#notify();
    // Only enter or the same key again says yes; anything else keeps the block running.
    const yes = action === 'run-next' || (prompt.kind === 'cancel' && action === 'cancel') || (prompt.kind === 'quit' && action === 'quit');
    if (!yes) {
      this.#say('the block keeps running', 'info', 'block-finished');
      return this.#notify();
    }
    // Quitting stops the run: no block starts after it. A cancel only ends the running block.
    if (prompt.kind === 'quit') {
      this.session.stop();
      this.#quit = true;
    } else this.session.cancel();
    // True only until the block has ended: then the step view shows it interrupted.
    this.#say('cancelling: the block gets TERM, then KILL after 5s; it will be recorded as interrupted', 'info', 'block-finished');
    this.#notify();
  }

  #cancelOrQuit(): Promise<void> {
    if (this.session.busy) {
      this.#prompt = { kind: 'cancel' };
      this.#notify();
      return Promise.resolve();
    }
    return this.#exit();
  }

  #exit(): Promise<void> {
    this.#quit = true;
    if (this.#approvalPoll) clearInterval(this.#approvalPoll);
    this.#approvalPoll = null;
    this.#notify();
    return Promise.resolve();
  }

  /** The output pane's content: the live tail, or a window of the whole log when scrolled or searched. */
  #output(): UiSnapshot['output'] {
    const window = this.#logView.window;
    const output: UiSnapshot['output'] = {
      block: this.#chosenLog?.block ?? this.#tailBlock,
      lines: window?.lines ?? this.#tailLines(),
      scrolledBack: this.#logView.scrolledBack,
      total: window?.total ?? this.#tailTotal,
      attempt: this.#attemptShown,
      search: this.#logView.searchShown(),
    };
    if (window) {
      output.from = window.from;
      output.bottom = window.bottom;
    }
    return output;
  }

  /** pgup / pgdn: a page back or forward through the whole log, from its first line to its last; past its end, the live tail. */
  async #scroll(direction: 1 | -1): Promise<void> {
    if (!(await this.#logView.scroll(direction, this.#logInView(), this.#chosenLog !== null))) this.#chosenLog = null;
    this.#notify();
  }

  /** `/`: type a pattern to search the whole log for. */
  #openSearch(): void {
    if (this.#logInView()) this.#logView.startSearch();
    else this.#say('no block has run yet in this session: no output to search', 'error');
    this.#notify();
  }

  /** The log the pane pages through: a block the operator chose, else the running or last block's. */
  #logInView(): string | null {
    return this.#chosenLog?.path ?? this.#lastLog ?? this.#runningLog();
  }

  #runningLog(): string | null {
    const running = this.#running;
    if (!running) return null;
    const log = this.session.state.steps.find((s) => s.id === running.step.id)?.blocks.find((b) => b.id === running.block.id)?.log;
    return log ? join(this.session.paths.dir, log) : null;
  }

  /** Called after a block finishes while the operator asked to quit. */
  get quitting(): boolean {
    return this.#quit;
  }
}
