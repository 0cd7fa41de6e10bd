/**
 * Fitting a checkpoint to the runbook as it is now: new steps and blocks appear as pending,
 * passed blocks whose content changed run again (drift), and a block that was running when
 * waymark died becomes `interrupted`. Pure: the orchestrator audits the changes it returns.
 */
import { createHash } from 'node:crypto';
import type { Block, Runbook, Step } from '../runbook/model.js';
import type { BlockState, RunState, StepState } from './run-state.js';
import { interruptBlock, isBlockDone } from './run-state.js';

/** Hash of what a block would run: its info string and its code. */
export function blockHash(block: Block): string {
  return createHash('sha256').update(block.info).update('\0').update(block.code).digest('hex').slice(0, 16);
}

/** Hash of a step's content, keying durations of earlier runs. */
export function stepHash(step: Step): string {
  const hash = createHash('sha256').update(step.title).update('\0').update(step.markdown);
  return hash.digest('hex').slice(0, 16);
}

function freshBlock(block: Block): BlockState {
  return { id: block.id, role: block.role, hash: blockHash(block), status: 'pending', exitCode: null, attempts: 0, executions: 0 };
}

function freshStep(step: Step): StepState {
  return {
    id: step.id,
    title: step.title,
    hash: stepHash(step),
    status: 'pending',
    blocks: step.blocks.filter((b) => b.executor !== null).map(freshBlock),
    ticked: {},
  };
}

/** A new run's checkpoint. */
export function initialRunState(
  runbook: Runbook,
  run: { id: string; operator: string; host: string; profile: string | null; vars: Record<string, string>; at: string },
): RunState {
  return {
    version: 1,
    runbook: runbook.id,
    runbookFile: runbook.file,
    title: runbook.title,
    run: run.id,
    operator: run.operator,
    host: run.host,
    profile: run.profile,
    startedAt: run.at,
    updatedAt: run.at,
    status: 'running',
    vars: run.vars,
    steps: runbook.steps.map(freshStep),
  };
}

/** One change made while reconciling, described for the operator and the audit trail. */
export type Reconciliation =
  | { kind: 'interrupted'; step: string; block: string }
  | { kind: 'drift-changed'; step: string; block: string }
  | { kind: 'drift-new-step'; step: string; beforeCurrent: boolean }
  | { kind: 'drift-new-block'; step: string; block: string }
  | { kind: 'drift-removed-step'; step: string; status: string }
  | { kind: 'drift-removed-block'; step: string; block: string; status: string };

/** The checkpoint rebuilt in the runbook's order, and what had to change. */
export function reconcile(runbook: Runbook, state: RunState, at: string): { state: RunState; changes: Reconciliation[] } {
  const changes: Reconciliation[] = [];
  const oldSteps = new Map(state.steps.map((s) => [s.id, s]));
  const lastTouched = Math.max(-1, ...state.steps.map((s, i) => (s.status === 'pending' ? -1 : i)));
  const lastTouchedId = state.steps[lastTouched]?.id;
  const currentIndex = lastTouchedId ? runbook.steps.findIndex((s) => s.id === lastTouchedId) : -1;

  const steps = runbook.steps.map((step, index): StepState => {
    const old = oldSteps.get(step.id);
    if (!old) {
      if (state.steps.length > 0) changes.push({ kind: 'drift-new-step', step: step.id, beforeCurrent: index < currentIndex });
      return freshStep(step);
    }
    oldSteps.delete(step.id);
    const oldBlocks = new Map(old.blocks.map((b) => [b.id, b]));
    let stepDrifted = false;
    const blocks = step.blocks
      .filter((b) => b.executor !== null)
      .map((block): BlockState => {
        const previous = oldBlocks.get(block.id);
        oldBlocks.delete(block.id);
        if (!previous) {
          if (old.status !== 'pending') {
            changes.push({ kind: 'drift-new-block', step: step.id, block: block.id });
            stepDrifted = true;
          }
          return freshBlock(block);
        }
        if (previous.status === 'running') {
          changes.push({ kind: 'interrupted', step: step.id, block: block.id });
          return { ...interruptBlock(previous, at), role: block.role };
        }
        if (isBlockDone(previous) && previous.hash !== blockHash(block)) {
          changes.push({ kind: 'drift-changed', step: step.id, block: block.id });
          stepDrifted = true;
          // What ran before the change stays in the block's history, as a reset in the reducer keeps it.
          return { ...freshBlock(block), executions: previous.executions, ...(previous.history ? { history: previous.history } : {}) };
        }
        return { ...previous, role: block.role };
      });
    for (const removed of oldBlocks.values()) {
      changes.push({ kind: 'drift-removed-block', step: step.id, block: removed.id, status: removed.status });
    }
    const interrupted = blocks.some((b) => b.status === 'interrupted');
    let status = old.status;
    if (interrupted) status = 'interrupted';
    // In progress with no block cut short (stopped at a checklist, a confirmation, or between two
    // blocks): nothing was interrupted, the step waits for the operator.
    else if (old.status === 'running' || old.status === 'interrupted') status = 'waiting';
    if (stepDrifted && (status === 'passed' || status === 'overridden')) status = 'pending';
    const rebuilt: StepState = { ...old, title: step.title, hash: stepHash(step), status, blocks };
    if (status === 'pending') delete rebuilt.finishedAt;
    return rebuilt;
  });
  for (const removed of oldSteps.values()) changes.push({ kind: 'drift-removed-step', step: removed.id, status: removed.status });
  return { state: { ...state, title: runbook.title, steps }, changes };
}

/** One line per reconciliation, in the operator's words. */
export function describeReconciliation(change: Reconciliation): string {
  switch (change.kind) {
    case 'interrupted':
      return `block ${change.block} (step ${change.step}) was running when waymark stopped: it is interrupted and will not be re-run without your decision`;
    case 'drift-changed':
      return `drift: block ${change.block} (step ${change.step}) changed since it passed; it will run again`;
    case 'drift-new-step':
      return change.beforeCurrent
        ? `drift: new step ${change.step} before the current one; it must run before the run goes on`
        : `drift: new step ${change.step}`;
    case 'drift-new-block':
      return `drift: new block ${change.block} in step ${change.step}; it will run`;
    case 'drift-removed-step':
      return `drift: step ${change.step} (${change.status}) is no longer in the runbook`;
    case 'drift-removed-block':
      return `drift: block ${change.block} (step ${change.step}, ${change.status}) is no longer in the runbook`;
  }
}
