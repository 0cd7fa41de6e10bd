/**
 * The one decision vocabulary. For what the run needs next (plan.ts's NextAction), the answers
 * allowed now, each with what a face needs to show it. The session validates every answer
 * against this list; the TUI's footer and help, and the headless policy, are derived from it.
 * No face decides what is permitted: a face maps keys or flags to these answers.
 */
import type { Block, ChecklistItem, Runbook, Step } from '../runbook/model.js';
import type { BlockState, RunState, StepState } from './run-state.js';
import { openChecks, pendingFixesFor, remedyFor, rollbackBlocks, type NextAction } from './plan.js';
import { ExitCode } from './errors.js';
import { withValues } from './vars.js';
import { blockHash } from './reconcile.js';
import { inert } from '../runbook/inert.js';
import { approvalReason, describeApprovalWait } from './approval.js';
import { countHosts, describeCounts, fleetChecksOf, summarizeFleet, type FleetSummary } from './fleet.js';

/** The minimum reason length for overrides, skips and mark-done, so "ok" is never a reason. */
export const MIN_REASON_LENGTH = 10;

/** One answer to the run's question. `automatic` marks an answer given by a flag, not a person. */
export type Answer =
  /** Run the next block (one without `confirm`). */
  | { kind: 'run' }
  /** Run the next block, which needs the operator's confirmation: they saw its command. */
  | { kind: 'confirm-run'; automatic?: boolean }
  /**
   * Run again an interrupted block, or, at a refused gate, every check of the step that has not
   * passed (refused, or a warning not acknowledged); `confirmed` where one of them has `confirm`.
   */
  | { kind: 'rerun'; confirmed?: boolean; automatic?: boolean }
  /** Run again a block that failed; `confirmed` where it has `confirm`. */
  | { kind: 'retry'; confirmed?: boolean; automatic?: boolean }
  /** Run a fleet block again on its unreachable hosts alone; `confirmed` where it has `confirm`. */
  | { kind: 'retry-hosts'; confirmed?: boolean; automatic?: boolean }
  /**
   * At a fleet block interrupted mid-batch: run the step's fleet checks on the hosts that were in
   * flight first; the block stays interrupted for the operator's decision (or a check refuses).
   */
  | { kind: 'check-hosts'; automatic?: boolean }
  /**
   * Let the run past one check that holds it, by name, where the check allows it, with a written
   * reason. Without `block`, the first check of the gate that may be overridden.
   */
  | { kind: 'override'; reason: string; block?: string }
  /** Accept a warning. */
  | { kind: 'acknowledge'; reason?: string; automatic?: boolean }
  /** Leave out an optional step, with a written reason. */
  | { kind: 'skip'; reason: string }
  /** Count an interrupted run, verify or rollback block as done without running it again, with a written reason. */
  | { kind: 'mark-done'; reason: string }
  /** Tick (or untick) one checklist item of the step. */
  | { kind: 'tick'; item: string; ticked?: boolean; automatic?: boolean }
  /** Confirm that a step with nothing to run was done. */
  | { kind: 'confirm-step'; automatic?: boolean }
  /**
   * Run one of the step's rollback blocks; always confirmed, since it changes systems too.
   * `automatic` when a flag (`--yes`) confirmed it, not a person.
   */
  | { kind: 'rollback'; block: string; confirmed: boolean; automatic?: boolean }
  /**
   * At a refused check, work on a step that declares it fixes that check (`fixes=`), in this
   * session: the run goes to that step until it is done, then the check holds the run again until
   * it is re-run. The TUI's answer to what headless does with `--only`.
   */
  | { kind: 'run-fix'; step: string }
  /** Stop the run: no block starts after it. */
  | { kind: 'stop' };

export type AnswerKind = Answer['kind'];

/** One answer allowed now, as a face shows it. */
export interface Choice {
  kind: AnswerKind;
  /** What it does, in a few words ("re-run check db-charset"). */
  label: string;
  /** The answer needs a written reason of MIN_REASON_LENGTH characters or more. */
  needsReason: boolean;
  /** The operator must see the command and confirm it (`confirm` blocks, rollbacks). */
  confirms: boolean;
}

/** A checklist item and whether it is ticked. */
export interface Item extends ChecklistItem {
  ticked: boolean;
  /** The item's text as a face shows it (`shownItem`). */
  shown: string;
}

/**
 * A checklist item's text as both faces show it: `${NAME}` filled in by `withValues` from `shown`
 * (secrets masked; docs/runbook-format.md#checklists), then inert on one line. A captured value is
 * a command's output: its newline must not print a line of its own under the item (`[x] …` that
 * was never ticked).
 */
export function shownItem(text: string, shown: Record<string, string>): string {
  return inert(withValues(text, shown));
}

/** One check of the step's gate that ran and has not passed, as a face shows it. */
export interface GateCheck {
  block: Block;
  state: BlockState;
  /** Why it refused or warned (masked). */
  reason: string | null;
  /** What the runbook says to do about it (a failure or warning only, never an error). */
  remedy: string | null;
  /** The check says `override=allowed`, and it refused: the answer `override` may name it. */
  overridable: boolean;
}

/** Everything a face needs to show the run's question and the answers allowed now. */
export interface Decisions {
  action: NextAction;
  /** One line saying what the run waits for. */
  summary: string;
  step: Step | null;
  stepState: StepState | null;
  /** The block the question is about (the next block, or the check that holds the run). */
  block: Block | null;
  blockState: BlockState | null;
  /** The block's command as it will run (secrets masked; variables are shown by name, never spliced). */
  command: string | null;
  /** Why the block ended as it did (masked), when it ran. */
  reason: string | null;
  /** What the runbook says to do about a failure: only for a failure, never for an error. */
  remedy: string | null;
  /** The step's checklist, with what is ticked. */
  items: Item[];
  /** The step's rollback blocks, offered after a failure. */
  rollbacks: Block[];
  /** The steps that may still run while this check refuses (they declare `fixes=` for it). */
  fixes: Step[];
  /** The answers allowed now. While a block runs, only `stop`. */
  choices: Choice[];
  /** For a fleet block: its hosts, batches and failure budget. */
  fleet: FleetSummary | null;
  /**
   * Every check of the step's gate that ran and has not passed (refused, or a warning not yet
   * acknowledged), in document order: a gate shows all of them at once.
   */
  gate: GateCheck[];
}

/** Where the run stands, for deciding: the state, whether a block is running, and a masker. */
export interface DecisionContext {
  busy?: boolean;
  mask?: (text: string) => string;
  /** The run's variable values safe to show (RunSession.shownValues): what `${NAME}` in a checklist item shows. */
  shown?: Record<string, string>;
}

/**
 * Why an interrupted block holds the run. The block's state may still carry the reason of an
 * earlier execution (a refusal, say), which is not why it stopped this time.
 */
export const INTERRUPTED_REASON = 'it did not finish (cancelled, or waymark stopped while it ran): what it changed is not known';

/** Kinds of next action that hold the run at one block. */
const AT_BLOCK = new Set<NextAction['kind']>(['run', 'interrupted', 'refused', 'failed', 'acknowledge', 'approval']);

/** The answers allowed for this next action, and what a face needs to show them. */
export function decisionsFor(runbook: Runbook, state: RunState, action: NextAction, context: DecisionContext = {}): Decisions {
  const mask = context.mask ?? ((text: string) => text);
  const step = action.kind === 'complete' ? null : action.step;
  const stepState = step ? (state.steps.find((s) => s.id === step.id) ?? null) : null;
  const block = 'block' in action && AT_BLOCK.has(action.kind) ? action.block : null;
  const blockState = block && stepState ? (stepState.blocks.find((b) => b.id === block.id) ?? null) : null;
  const shown = context.shown ?? {};
  const items: Item[] = step
    ? step.checklist.map((item) => ({ ...item, ticked: Boolean(stepState?.ticked[item.id]), shown: shownItem(item.text, shown) }))
    : [];
  const rollbacks =
    step && (action.kind === 'failed' || action.kind === 'refused' || action.kind === 'interrupted') ? rollbackBlocks(step) : [];
  const gate =
    step && stepState && AT_BLOCK.has(action.kind)
      ? openChecks(step, stepState).map(({ block: check, state: checkState }) => ({
          block: check,
          state: checkState,
          reason: checkState.reason ? mask(checkState.reason) : null,
          remedy: remedyFor(check, checkState),
          overridable: checkState.status === 'refused' && check.attrs.override === 'allowed' && sameContent(check, checkState),
        }))
      : [];
  const decisions: Decisions = {
    action,
    summary: describeAction(action),
    step,
    stepState,
    block,
    blockState,
    command: block ? mask(block.code) : null,
    reason:
      action.kind === 'interrupted'
        ? INTERRUPTED_REASON
        : action.kind === 'approval'
          ? approvalReason(runbook.file, action.block, action.standing)
          : blockState?.reason
            ? mask(blockState.reason)
            : null,
    remedy: block ? remedyFor(block, blockState ?? undefined) : null,
    items,
    rollbacks,
    fixes: action.kind === 'refused' && step ? pendingFixesFor(runbook, state, step) : [],
    choices: [],
    fleet: block?.attrs.fleet && blockState?.hosts ? summarizeFleet(block.attrs.fleet, blockState.hosts) : null,
    gate,
  };
  const refusing = gate.filter((check) => check.state.status === 'refused');
  if (action.kind === 'refused' && refusing.length > 1) {
    decisions.summary = `checks ${refusing.map((check) => check.block.id).join(', ')} failed and hold the run${refusing.some((check) => check.overridable) ? '' : ' (none can be overridden)'}`;
  }
  if (decisions.fleet && blockState?.status === 'paused') decisions.summary = describePause(action, decisions.fleet);
  if (action.kind === 'acknowledge' && blockState?.deviation)
    decisions.summary = `block ${action.block.id} departs from the rehearsal (${blockState.deviation.message}) and needs an acknowledgement`;
  decisions.choices = context.busy ? [choice('stop', 'stop the run')] : choicesFor(decisions);
  return decisions;
}

function choice(kind: AnswerKind, label: string, options: { needsReason?: boolean; confirms?: boolean } = {}): Choice {
  return { kind, label, needsReason: options.needsReason ?? false, confirms: options.confirms ?? false };
}

function choicesFor(d: Decisions): Choice[] {
  const { action, step, block } = d;
  const choices: Choice[] = [];
  // A rollback block is always confirmed before it runs, re-run after an interruption included.
  const confirms = Boolean(block?.attrs.confirm) || block?.role === 'rollback';
  switch (action.kind) {
    case 'complete':
    case 'finish-step':
      break;
    case 'run':
      if (d.blockState?.status === 'paused' && d.fleet) {
        // Between batches of a pause=confirm fleet block: the operator saw what the last batch did.
        choices.push(
          choice('confirm-run', `run batch ${d.fleet.nextBatch ?? ''}/${d.fleet.batches} of ${action.block.id} (after confirming)`, {
            confirms: true,
          }),
        );
        break;
      }
      choices.push(
        confirms
          ? choice('confirm-run', `run ${action.block.id} (after confirming its command)`, { confirms: true })
          : choice('run', `run ${action.block.id}`),
      );
      break;
    case 'refused': {
      // A re-run re-runs every check of the gate that has not passed, so one fix round clears them all.
      const again = d.gate.map((check) => check.block);
      const label =
        again.length > 1
          ? `re-run checks ${again.map((b) => b.id).join(', ')} once their causes are fixed`
          : `re-run check ${action.block.id} once its cause is fixed`;
      choices.push(choice('rerun', label, { confirms: again.some((b) => b.attrs.confirm) || confirms }));
      const overridable = d.gate.filter((check) => check.overridable).map((check) => check.block.id);
      if (overridable.length > 0) choices.push(choice('override', `override check ${overridable.join(' or ')}`, { needsReason: true }));
      if (d.fixes.length > 0) choices.push(choice('run-fix', `run fix step ${d.fixes.map((s) => s.id).join(' or ')} now`));
      break;
    }
    case 'interrupted':
      choices.push(choice('rerun', `re-run ${action.block.id}`, { confirms }));
      if (mayOverride(action) && d.blockState && sameContent(action.block, d.blockState))
        choices.push(choice('override', `override check ${action.block.id}`, { needsReason: true }));
      if (mayMarkDone(action)) choices.push(choice('mark-done', `mark ${action.block.id} done`, { needsReason: true }));
      if (d.fleet && d.fleet.counts.interrupted > 0 && fleetChecksOf(action.step).some((check) => check.id !== action.block.id)) {
        choices.push(choice('check-hosts', `run the step's checks on the ${d.fleet.counts.interrupted} interrupted host(s) first`));
      }
      break;
    case 'failed':
      choices.push(choice('retry', `retry ${action.block.id}`, { confirms }));
      break;
    case 'acknowledge':
      choices.push(
        choice(
          'acknowledge',
          d.blockState?.deviation
            ? `accept that ${action.block.id} departs from the rehearsal`
            : `accept the warning of ${action.block.id}`,
        ),
      );
      break;
    case 'checklist':
    // Only another operator's `waymark approve` moves it on: the runner has no answer to give.
    case 'approval':
      break;
    case 'confirm-step':
      choices.push(choice('confirm-step', `confirm step ${action.step.id} was done`));
      break;
    case 'blocked':
      break;
  }
  if (
    d.fleet &&
    d.fleet.counts.unreachable > 0 &&
    (action.kind === 'failed' || action.kind === 'refused' || action.kind === 'acknowledge')
  ) {
    choices.push(
      choice('retry-hosts', `retry ${action.block.id} on its ${d.fleet.counts.unreachable} unreachable host(s) alone`, { confirms }),
    );
  }
  if (d.rollbacks.length > 0) choices.push(choice('rollback', `run a rollback block of ${step?.id ?? ''}`, { confirms: true }));
  // The checklist can be ticked while its step is the one the run is on (docs/runbook-format.md#how-a-step-is-gated), not while a
  // needs= stage holds the step back from starting.
  if (step && action.kind !== 'blocked' && d.items.length > 0) choices.push(choice('tick', `tick a checklist item of ${step.id}`));
  if (step?.optional) choices.push(choice('skip', `skip step ${step.id}`, { needsReason: true }));
  choices.push(choice('stop', 'stop the run'));
  return choices;
}

/**
 * The check an override answer names, or the first the run may override when it names none:
 * at a refused gate, any of its refused checks that says `override=allowed`; at an interrupted
 * check, that check where it allows it.
 */
export function overrideTarget(d: Decisions, name?: string): Block | undefined {
  if (d.action.kind === 'interrupted')
    return d.choices.some((c) => c.kind === 'override') && (name === undefined || name === d.action.block.id) ? d.action.block : undefined;
  if (d.action.kind !== 'refused') return undefined;
  return d.gate.find((check) => check.overridable && (name === undefined || check.block.id === name))?.block;
}

/**
 * True when the block's recorded result came from its content as the runbook has it now. An
 * override lets a run past the refusal it names: one produced by other code (the runbook was
 * edited since, to add `override=allowed` say) is not the check's verdict any more, and the check
 * must run again first. A refused check is not drift (it runs again anyway), so nothing else
 * notices the edit.
 */
function sameContent(block: Block, state: BlockState): boolean {
  return state.hash === blockHash(block);
}

/**
 * May the operator override the check this action stops at? Only a refused or interrupted check,
 * and only where its block says `override=allowed`.
 */
function mayOverride(action: NextAction): boolean {
  if (action.kind !== 'refused' && action.kind !== 'interrupted') return false;
  return action.block.role === 'check' && action.block.attrs.override === 'allowed';
}

/**
 * May the operator mark the block this action stops at done without re-running it? Only an
 * interrupted run, verify or rollback block: a check is a gate, so it is re-run (or overridden where it
 * allows it), never marked done.
 */
function mayMarkDone(action: NextAction): boolean {
  return action.kind === 'interrupted' && action.block.role !== 'check';
}

/** Why an answer is not allowed now, with the exit code a headless run gives it. */
export interface Refusal {
  message: string;
  exitCode: ExitCode;
}

/**
 * The rollback blocks a request names by step (headless `--rollback STEP`), from the runbook alone:
 * refused for an unknown step or one without rollback blocks, before the run is opened.
 */
export function rollbackTarget(runbook: Runbook, stepId: string): { step: Step; blocks: Block[] } | Refusal {
  const step = runbook.steps.find((s) => s.id === stepId);
  if (!step)
    return {
      message: `--rollback ${stepId}: there is no step ${stepId} in ${runbook.file} (steps: ${runbook.steps.map((s) => s.id).join(', ')})`,
      exitCode: ExitCode.BadInput,
    };
  const blocks = rollbackBlocks(step);
  if (blocks.length === 0)
    return {
      message: `--rollback ${stepId}: step ${stepId} has no rollback block (a block marked \`rollback\` in its section)`,
      exitCode: ExitCode.BadInput,
    };
  return { step, blocks };
}

/**
 * The rollback blocks of step `stepId` that may run now, or why not: the rule of the answer
 * `rollback` — after a failure of that step, while it holds the run — with a message for each
 * way a request misses it.
 */
export function rollbackRequest(runbook: Runbook, state: RunState, d: Decisions, stepId: string): { blocks: Block[] } | Refusal {
  const target = rollbackTarget(runbook, stepId);
  if ('message' in target) return target;
  const stepState = state.steps.find((s) => s.id === stepId);
  if (!stepState || stepState.status === 'pending') {
    return {
      message: `--rollback ${stepId}: step ${stepId} has not run yet in run ${state.run}: there is nothing to roll back (${d.summary})`,
      exitCode: ExitCode.BadInput,
    };
  }
  if (d.step?.id !== stepId || d.rollbacks.length === 0) {
    return {
      message: `--rollback ${stepId}: rollback blocks are offered only after a failure of their step, while it holds the run; step ${stepId} is ${stepState.status}, and ${d.summary}`,
      exitCode: ExitCode.BadInput,
    };
  }
  return { blocks: target.blocks };
}

/** Why this answer is not allowed now, or null when it is. Nothing changes on a refusal. */
export function refusal(d: Decisions, answer: Answer): Refusal | null {
  const allowed = d.choices.find((c) => c.kind === answer.kind);
  if (!allowed) return { message: notAllowed(d, answer), exitCode: notAllowedCode(d, answer) };
  if (allowed.needsReason) {
    const reason = 'reason' in answer ? (answer.reason ?? '').trim() : '';
    if (reason.length < MIN_REASON_LENGTH) {
      return {
        message: `${allowed.label} needs a written reason of at least ${MIN_REASON_LENGTH} characters`,
        exitCode: ExitCode.BadInput,
      };
    }
  }
  if (allowed.confirms) {
    const confirmed = answer.kind === 'confirm-run' || ('confirmed' in answer && answer.confirmed === true);
    const which = answer.kind === 'rollback' ? answer.block : (d.block?.id ?? 'the block');
    if (!confirmed)
      return { message: `${which} needs the operator's confirmation of its command before it runs`, exitCode: ExitCode.Waiting };
  }
  if (answer.kind === 'override' && answer.block !== undefined && overrideTarget(d, answer.block) === undefined) {
    const check = d.gate.find((c) => c.block.id === answer.block);
    const allowed = d.gate
      .filter((c) => c.overridable)
      .map((c) => c.block.id)
      .join(', ');
    if (check && check.block.attrs.override === 'allowed' && !sameContent(check.block, check.state))
      return {
        message: `check ${answer.block} changed in the runbook since it refused: re-run it first; an override applies to the verdict of the check as it is now`,
        exitCode: ExitCode.Refused,
      };
    if (check && !check.overridable)
      return {
        message: `check ${answer.block} does not allow an override: the runbook must say override=allowed on it (the checks that do: ${allowed})`,
        exitCode: ExitCode.Refused,
      };
    return {
      message: `${answer.block} is not a failed check holding the run (the ones that may be overridden: ${allowed})`,
      exitCode: ExitCode.BadInput,
    };
  }
  if (answer.kind === 'tick' && !d.items.some((item) => item.id === answer.item)) {
    return { message: `no checklist item ${answer.item} in step ${d.step?.id ?? ''}`, exitCode: ExitCode.BadInput };
  }
  if (answer.kind === 'run-fix' && !d.fixes.some((s) => s.id === answer.step)) {
    return {
      message: `step ${answer.step} does not fix check ${d.block?.id ?? ''} (the steps that do: ${d.fixes.map((s) => s.id).join(', ')})`,
      exitCode: ExitCode.BadInput,
    };
  }
  if (answer.kind === 'rollback' && !d.rollbacks.some((b) => b.id === answer.block)) {
    return {
      message: `${answer.block} is not a rollback block of step ${d.step?.id ?? ''} (${d.rollbacks.map((b) => b.id).join(', ')})`,
      exitCode: ExitCode.BadInput,
    };
  }
  return null;
}

function notAllowed(d: Decisions, answer: Answer): string {
  const { action } = d;
  if (d.choices.length === 1 && d.choices[0]?.kind === 'stop' && action.kind !== 'complete')
    return 'another block is running: wait for it, or stop the run';
  switch (answer.kind) {
    case 'override':
      if ((action.kind === 'refused' || action.kind === 'interrupted') && action.block.role === 'check') {
        const stale = d.gate.find((c) => c.block.attrs.override === 'allowed' && !sameContent(c.block, c.state));
        if (stale ?? (action.block.attrs.override === 'allowed' && d.blockState && !sameContent(action.block, d.blockState)))
          return `check ${(stale?.block ?? action.block).id} changed in the runbook since it ${action.kind === 'interrupted' ? 'was interrupted' : 'refused'}: re-run it first; an override applies to the verdict of the check as it is now`;
        return `check ${action.block.id} does not allow an override: the runbook must say override=allowed on it`;
      }
      return `there is no failed check to override: ${d.summary}`;
    case 'mark-done':
      if (action.kind === 'interrupted' && action.block.role === 'check') {
        const instead =
          action.block.attrs.override === 'allowed'
            ? 're-run it, or override it by name with a reason'
            : 're-run it (it cannot be overridden)';
        return `check ${action.block.id} cannot be marked done: a check that did not finish is a gate that has not passed; ${instead}`;
      }
      return `only an interrupted run, verify or rollback block can be marked done: ${d.summary}`;
    case 'skip':
      return d.step ? `step ${d.step.id} is not optional: only steps marked {optional} can be skipped` : `nothing to skip: ${d.summary}`;
    case 'rollback':
      if (d.step && d.rollbacks.length === 0 && rollbackBlocks(d.step).length > 0)
        return `rollback blocks are offered only after a failure: ${d.summary}`;
      return d.step ? `step ${d.step.id} has no rollback block` : `nothing to roll back: ${d.summary}`;
    case 'tick':
      return d.step ? `step ${d.step.id} has no checklist to tick now: ${d.summary}` : `nothing to tick: ${d.summary}`;
    case 'run-fix':
      if (action.kind === 'refused')
        return `no step declares fixes=${action.step.id} for check ${action.block.id}, or each one is done already: ${d.summary}`;
      return `a fix step runs only while a check refuses: ${d.summary}`;
    case 'run':
    case 'confirm-run':
      if (action.kind === 'approval') return `${d.summary}: another operator approves it with waymark approve --block ${action.block.id}`;
      if (answer.kind === 'confirm-run') return `cannot ${answer.kind} now: ${d.summary}`;
      if (action.kind === 'run' && action.block.attrs.confirm)
        return `block ${action.block.id} needs the operator's confirmation of its command before it runs`;
      return `nothing to run now: ${d.summary}`;
    default:
      return `cannot ${answer.kind} now: ${d.summary}`;
  }
}

function notAllowedCode(d: Decisions, answer: Answer): ExitCode {
  const { action } = d;
  const atCheck = (action.kind === 'refused' || action.kind === 'interrupted') && action.block.role === 'check';
  // Trying to get past a gate that does not allow it is a refusal, as the check's own was.
  if ((answer.kind === 'override' || answer.kind === 'mark-done') && atCheck) return ExitCode.Refused;
  if (answer.kind === 'run' && action.kind === 'run' && action.block.attrs.confirm) return ExitCode.Waiting;
  if (action.kind === 'approval') return ExitCode.Waiting;
  return ExitCode.BadInput;
}

/**
 * The exit code for where the run stands when a face leaves it (docs/running.md#exit-codes): 0 when nothing is left
 * among the selected steps, 3 when a check refuses (or a needed stage is not done), 1 when a block
 * failed, 4 when a decision waits for a person.
 */
export function exitCodeFor(action: NextAction): ExitCode {
  switch (action.kind) {
    case 'complete':
      return ExitCode.Complete;
    case 'refused':
    case 'blocked':
      return ExitCode.Refused;
    case 'failed':
      return ExitCode.Failed;
    default:
      return ExitCode.Waiting;
  }
}

/** What the run waits for at a fleet block between batches. */
function describePause(action: NextAction, fleet: FleetSummary): string {
  const id = 'block' in action ? action.block.id : '';
  const last = fleet.lastBatch
    ? `batch ${fleet.lastBatch.batch}/${fleet.batches} ended: ${describeCounts(countHosts(fleet.lastBatch.hosts))}`
    : 'no batch has run';
  return `fleet block ${id} paused between batches (${last}); batch ${fleet.nextBatch ?? '?'}/${fleet.batches} waits for a confirmation`;
}

/** One line saying what the run waits for. */
export function describeAction(action: NextAction): string {
  switch (action.kind) {
    case 'complete':
      return 'the run is complete';
    case 'run':
      return `next is block ${action.block.id} of step ${action.step.id}`;
    case 'interrupted':
      if (action.block.role === 'check') return `check ${action.block.id} was interrupted and holds the run`;
      if (action.block.role === 'rollback')
        return `rollback block ${action.block.id} was interrupted and holds the run: what it undid is not known`;
      return `block ${action.block.id} was interrupted and needs a decision`;
    case 'refused':
      return `check ${action.block.id} failed and holds the run${mayOverride(action) ? '' : ' (it cannot be overridden)'}`;
    case 'failed':
      return `block ${action.block.id} failed`;
    case 'acknowledge':
      return `block ${action.block.id} ended with a warning that needs an acknowledgement`;
    case 'checklist':
      if (action.precondition)
        return `step ${action.step.id} has ${action.items.length} precondition(s) to tick before its first block runs`;
      return `step ${action.step.id} has ${action.items.length} checklist item(s) to tick`;
    case 'confirm-step':
      return `step ${action.step.id} needs a confirmation`;
    case 'finish-step':
      return `step ${action.step.id} is ready to finish`;
    case 'approval':
      return describeApprovalWait(action.block, action.standing);
    case 'blocked':
      return `step ${action.step.id} needs stage ${action.needs.join(', ')} complete first; still to do: ${action.waitingFor.map((s) => s.id).join(', ')}`;
  }
}

/** What an answer did, for a face's one-line message. */
export function describeAnswer(answer: Answer, d: Decisions): string {
  const block = d.block?.id ?? '';
  switch (answer.kind) {
    case 'override':
      return `check ${answer.block ?? overrideTarget(d)?.id ?? block} overridden: ${answer.reason}`;
    case 'skip':
      return `step ${d.step?.id ?? ''} skipped: ${answer.reason}`;
    case 'mark-done':
      return `${block} marked done: ${answer.reason}`;
    case 'acknowledge':
      return d.blockState?.deviation ? `departure of ${block} from the rehearsal acknowledged` : `warning of ${block} acknowledged`;
    case 'confirm-step':
      return `step ${d.step?.id ?? ''} confirmed`;
    case 'tick':
      return `${answer.ticked === false ? 'unticked' : 'ticked'} ${d.items.find((i) => i.id === answer.item)?.text ?? answer.item}`;
    case 'rollback':
      return `rollback ${answer.block} ran`;
    case 'run-fix':
      return `working on step ${answer.step}, which fixes check ${block}; the check is re-run after it`;
    case 'check-hosts':
      return `the step's checks ran on the interrupted hosts of ${block}`;
    default:
      return `${answer.kind} ${block}`;
  }
}
