/**
 * What happens next in a run: a pure function of the runbook and the checkpoint.
 * Both faces (TUI, headless) ask this and answer the decisions it returns, so the order of
 * steps, the gate and the checklist rule live here only.
 */
import type { Block, ChecklistItem, Runbook, Step } from '../runbook/model.js';
import type { BlockState, RunState, StepState } from './run-state.js';
import { isBlockDone, isStepDone } from './run-state.js';
import { approvalStanding, isApproved, type ApprovalStanding } from './approval.js';

/** The next thing the run needs. Everything but `run` and `finish-step` waits for a decision. */
export type NextAction =
  | { kind: 'complete' }
  | { kind: 'run'; step: Step; block: Block }
  | { kind: 'interrupted'; step: Step; block: Block }
  | { kind: 'refused'; step: Step; block: Block }
  | { kind: 'failed'; step: Step; block: Block; rollbacks: Block[] }
  | { kind: 'acknowledge'; step: Step; block: Block }
  /** Items to tick; `precondition` when they come before the step's first block, which waits for them. */
  | { kind: 'checklist'; step: Step; items: ChecklistItem[]; precondition?: true }
  | { kind: 'confirm-step'; step: Step }
  | { kind: 'blocked'; step: Step /** The needed stages not complete yet. */; needs: string[]; waitingFor: Step[] }
  | { kind: 'finish-step'; step: Step }
  /** An `approve=` block that would run next waits for approvals by operators other than the runner. */
  | { kind: 'approval'; step: Step; block: Block; standing: ApprovalStanding };

/** A step's gate first, then its run and verify blocks in document order. */
export function runOrder(step: Step): Block[] {
  const runnable = step.blocks.filter((b) => b.executor !== null && b.role !== 'rollback' && b.role !== 'example');
  return [...runnable.filter((b) => b.role === 'check'), ...runnable.filter((b) => b.role !== 'check')];
}

/**
 * The checklist items written before the step's first executable block: what must be true before
 * anything in the step runs ("Mitaka's configuration is deployed" before the services start).
 * A step with nothing to execute has no preconditions: its whole checklist is ticked at its end.
 */
export function preconditionsOf(step: Step): ChecklistItem[] {
  const blocks = runOrder(step);
  if (blocks.length === 0) return [];
  const firstBlock = Math.min(...blocks.map((block) => block.line));
  return step.checklist.filter((item) => item.line < firstBlock);
}

/**
 * What the runbook says to do about a block that stopped, to show the operator: the paragraph its
 * author wrote right after it, meant for a failure (a check that found what it looks for, a
 * command that failed). An `error` (database unreachable, command not found) is not that: the
 * remedy would be advice to change something the check never saw, so there is none.
 */
export function remedyFor(block: Block, state: BlockState | undefined): string | null {
  if (!block.note || state === undefined) return null;
  return state.outcome === 'failure' || state.outcome === 'warning' ? block.note : null;
}

/** Blocks offered after a failure, never run automatically. */
export function rollbackBlocks(step: Step): Block[] {
  return step.blocks.filter((b) => b.executor !== null && b.role === 'rollback');
}

/**
 * A rollback block cut short (cancelled, a signal, or left running when waymark died) in one of the
 * steps up to `through`, among those not done. What it undid is not known, and its processes may
 * still run: it holds the run until the operator re-runs it or marks it done. Without this, the
 * next action was the failure it was rolling back, and headless retried that failed block over a
 * half-done rollback.
 */
export function interruptedRollback(runbook: Runbook, state: RunState, through: number): { step: Step; block: Block } | undefined {
  for (let index = 0; index <= through && index < runbook.steps.length; index++) {
    const step = runbook.steps[index] as Step;
    const stepState = state.steps[index] as StepState;
    if (isStepDone(stepState)) continue;
    for (const block of rollbackBlocks(step)) {
      const status = stepState.blocks.find((b) => b.id === block.id)?.status;
      if (status === 'interrupted' || status === 'running') return { step, block };
    }
  }
  return undefined;
}

/** Which steps this invocation works on (stage selection); the default is all of them. */
export type StepFilter = (step: Step) => boolean;

/** The step the run is on: the first one not done among those selected. */
export function currentStepIndex(runbook: Runbook, state: RunState, selected: StepFilter = () => true): number {
  return runbook.steps.findIndex((step, i) => selected(step) && !isStepDone(state.steps[i] as StepState));
}

/** A check that failed and was not overridden: it holds every later step. */
export interface Gate {
  index: number;
  step: Step;
  block: Block;
  /** How the check stands: refused, interrupted (or left running by a crash), or a warning not yet acknowledged. */
  status: 'refused' | 'interrupted' | 'warning';
}

/** Check statuses that hold the steps after them: a check that has started and not passed. */
const HOLDING: Record<string, Gate['status']> = {
  refused: 'refused',
  interrupted: 'interrupted',
  running: 'interrupted',
  warning: 'warning',
  // A fleet check between batches has not passed on every host yet.
  paused: 'interrupted',
};

/**
 * The first check that started and has not passed (refused, interrupted, or a warning not yet
 * acknowledged) among the steps before `before` (all of them by default), in document order,
 * leaving out the steps named in `except`. A skipped optional step holds nothing.
 */
export function refusedGate(runbook: Runbook, state: RunState, before = runbook.steps.length, except: string[] = []): Gate | undefined {
  for (let index = 0; index < before; index++) {
    const step = runbook.steps[index] as Step;
    const stepState = state.steps[index] as StepState;
    if (except.includes(step.id) || isStepDone(stepState)) continue;
    for (const block of step.blocks) {
      if (block.role !== 'check') continue;
      const status = HOLDING[stepState.blocks.find((s) => s.id === block.id)?.status ?? 'pending'];
      if (status) return { index, step, block, status };
    }
  }
  return undefined;
}

/** A check of a step's gate that ended without passing, and how it stands. */
export interface OpenCheck {
  block: Block;
  state: BlockState;
}

/**
 * The checks of a step's gate that ran and have not passed, in document order: refused ones and
 * warnings not yet acknowledged. A gate shows them all at once, and a re-run re-runs them all.
 */
export function openChecks(step: Step, stepState: StepState): OpenCheck[] {
  const open: OpenCheck[] = [];
  for (const block of runOrder(step)) {
    if (block.role !== 'check') continue;
    const state = stepState.blocks.find((b) => b.id === block.id);
    if (state && (state.status === 'refused' || state.status === 'warning')) open.push({ block, state });
  }
  return open;
}

/**
 * Where a step's gate stands, or null once every check passed (or was acknowledged or overridden).
 * Every check runs, in document order, even after one refused or warned, so the operator sees every
 * problem at once; a refused check that says `after-failure=stop` keeps the later ones from running.
 * Only when none is left to run does the gate decide: an interrupted check first (it needs a
 * decision of its own), then the first refused check (the step is refused if any refuses), then the
 * first warning.
 */
export function gateAction(step: Step, stepState: StepState): NextAction | null {
  let stoppedBy: Block | undefined;
  for (const block of runOrder(step)) {
    if (block.role !== 'check') continue;
    const blockState = stepState.blocks.find((b) => b.id === block.id);
    if (blockState && isBlockDone(blockState)) continue;
    const status = blockState?.status ?? 'pending';
    if (status === 'interrupted' || status === 'running') return { kind: 'interrupted', step, block };
    if (status === 'refused' || status === 'warning') {
      if (status === 'refused' && block.attrs.afterFailure === 'stop') stoppedBy ??= block;
      continue;
    }
    // Pending, or a fleet check paused between batches: it runs, unless an earlier check stopped the gate.
    if (!stoppedBy) return { kind: 'run', step, block };
  }
  const open = openChecks(step, stepState);
  const refused = open.find((check) => check.state.status === 'refused');
  if (refused) return { kind: 'refused', step, block: refused.block };
  const warning = open[0];
  if (warning) return { kind: 'acknowledge', step, block: warning.block };
  return null;
}

/** The steps that declare `fixes=` for this step: those may run while its refused check holds the run. */
export function fixesFor(runbook: Runbook, gateStep: Step): Step[] {
  return runbook.steps.filter((step) => step.fixes.includes(gateStep.id));
}

/** The fix steps of `gateStep` not done yet: one already done has had its turn, and the check still refuses. */
export function pendingFixesFor(runbook: Runbook, state: RunState, gateStep: Step): Step[] {
  return fixesFor(runbook, gateStep).filter((step) => !isStepDone(state.steps[runbook.steps.indexOf(step)] as StepState));
}

/**
 * What the run needs next. `runner` is the operator running it now (the run's starter by default):
 * their own approval of an `approve=` block does not count.
 */
export function nextAction(
  runbook: Runbook,
  state: RunState,
  selected: StepFilter = () => true,
  runner: string = state.operator,
): NextAction {
  const index = currentStepIndex(runbook, state, selected);
  if (index === -1) return { kind: 'complete' };
  // A rollback cut short comes first: nothing else runs over a half-done rollback.
  const rollback = interruptedRollback(runbook, state, index);
  if (rollback) return { kind: 'interrupted', ...rollback };
  // A check that has not passed binds every later step, selected or not (--only cannot slip past it), except
  // a step that declares it fixes that gate; once the fix is done, the gate holds the next step.
  const gate = refusedGate(runbook, state, index, (runbook.steps[index] as Step).fixes);
  if (gate) {
    // The gate's own rule: its checks that have not run yet run first, then it refuses with all of them.
    const held = gateAction(gate.step, state.steps[gate.index] as StepState);
    if (held) return held;
    const kind = gate.status === 'refused' ? 'refused' : gate.status === 'interrupted' ? 'interrupted' : 'acknowledge';
    return { kind, step: gate.step, block: gate.block };
  }
  const step = runbook.steps[index] as Step;
  const stepState = state.steps[index] as StepState;
  if (step.needs.length > 0 && stepState.status === 'pending') {
    // needs=TAG: every other step of that stage must be done first (e.g. unpin RPC only after all services).
    const waitingFor = runbook.steps.filter(
      (other, i) => other !== step && other.tags.some((t) => step.needs.includes(t)) && !isStepDone(state.steps[i] as StepState),
    );
    // Name only the stages still incomplete, so the hint (`--only TAG`) points at one that is left to do.
    const needs = step.needs.filter((tag) => waitingFor.some((other) => other.tags.includes(tag)));
    if (waitingFor.length > 0) return { kind: 'blocked', step, needs, waitingFor };
  }
  const byId = new Map(stepState.blocks.map((b) => [b.id, b]));
  // Preconditions hold the step's first block (and, unticked again, every later one).
  const preconditions = preconditionsOf(step).filter((item) => !stepState.ticked[item.id]);
  if (preconditions.length > 0) return { kind: 'checklist', step, items: preconditions, precondition: true };

  const checks = gateAction(step, stepState);
  if (checks) return checks;
  for (const block of runOrder(step).filter((b) => b.role !== 'check')) {
    const blockState = byId.get(block.id);
    const status = blockState?.status ?? 'pending';
    if (blockState && isBlockDone(blockState)) continue;
    switch (status) {
      case 'interrupted':
      case 'running':
        return { kind: 'interrupted', step, block };
      case 'failed':
        return { kind: 'failed', step, block, rollbacks: rollbackBlocks(step) };
      case 'warning':
        return { kind: 'acknowledge', step, block };
      default: {
        const standing = approvalStanding(step, block, blockState, state, runner, runbook.shell);
        if (standing && !isApproved(standing)) return { kind: 'approval', step, block, standing };
        return { kind: 'run', step, block };
      }
    }
  }
  const unticked = step.checklist.filter((item) => !stepState.ticked[item.id]);
  if (unticked.length > 0) return { kind: 'checklist', step, items: unticked };
  if (runOrder(step).length === 0 && step.checklist.length === 0 && !stepState.confirmed) return { kind: 'confirm-step', step };
  return { kind: 'finish-step', step };
}
