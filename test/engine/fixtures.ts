/**
 * Runbooks and run states for the pure engine's tests, built the way a run builds them: the
 * runbook from Markdown text with the real parser, the state from `initialRunState` and the
 * events a session would dispatch, through the real `reduce`. No hand-written state objects, so
 * a test can only reach a state a run can reach.
 */
import { parseRunbook } from '../../src/runbook/parse.js';
import type { Runbook, Step } from '../../src/runbook/model.js';
import { blockHash, initialRunState } from '../../src/engine/reconcile.js';
import type { NextAction } from '../../src/engine/plan.js';
import { reduce, type Decision, type Outcome, type RunEvent, type RunState } from '../../src/engine/run-state.js';

export const AT = '2026-12-04T10:00:00.000Z';
export const LATER = '2026-12-04T10:05:00.000Z';
const DECISION: Decision = { by: 'alice', at: AT };

/** A runbook from its Markdown lines (joined with newlines), parsed as `/tmp/book.md`. */
export function book(...lines: string[]): Runbook {
  return parseRunbook(`${lines.join('\n')}\n`, '/tmp/book.md');
}

/** Lines of a fenced shell block: ```` ```sh ROLE name=ID ATTRS ```` around `code`. */
export function sh(info: string, code = 'true'): string[] {
  return [`\`\`\`sh ${info}`, code, '```', ''];
}

/**
 * The state of a new run of `runbook`, after `events`. A block starts with the hash of its content,
 * as a session records it (`ran` and `started` leave it to this: `h` is filled in here).
 */
export function stateAfter(runbook: Runbook, ...events: RunEvent[]): RunState {
  let state = initialRunState(runbook, { id: 'run-1', operator: 'alice', host: 'host', profile: null, vars: {}, at: AT });
  const blocks = new Map(runbook.steps.flatMap((step) => step.blocks.map((block) => [`${step.id}/${block.id}`, block] as const)));
  for (const event of events) {
    const block = event.type === 'block-started' && event.hash === 'h' ? blocks.get(`${event.step}/${event.block}`) : undefined;
    state = reduce(state, event.type === 'block-started' && block ? { ...event, hash: blockHash(block) } : event);
  }
  return state;
}

/** The step `id` of the runbook. */
export function stepOf(runbook: Runbook, id: string): Step {
  const step = runbook.steps.find((s) => s.id === id);
  if (!step) throw new Error(`fixture: no step ${id}`);
  return step;
}

/** What a session dispatches around one block execution: started, then finished with `outcome`. */
export function ran(step: string, block: string, outcome: Outcome = 'success', exitCode = outcome === 'success' ? 0 : 1): RunEvent[] {
  return [
    { type: 'block-started', step, block, hash: 'h', log: `logs/${block}.1.log`, at: AT },
    {
      type: 'block-finished',
      step,
      block,
      outcome,
      exitCode,
      attempts: 1,
      durationMs: 5,
      at: LATER,
      ...(outcome === 'success' ? {} : { reason: `exit ${exitCode}` }),
    },
  ];
}

export const started = (step: string, block: string): RunEvent => ({
  type: 'block-started',
  step,
  block,
  hash: 'h',
  log: `logs/${block}.1.log`,
  at: AT,
});
export const interrupted = (step: string, block: string): RunEvent => ({ type: 'block-interrupted', step, block, at: LATER });
export const acknowledged = (step: string, block: string): RunEvent => ({ type: 'warning-acknowledged', step, block, decision: DECISION });
export const overridden = (step: string, block: string): RunEvent => ({
  type: 'check-overridden',
  step,
  block,
  decision: { ...DECISION, reason: 'known false positive' },
});
export const markedDone = (step: string, block: string): RunEvent => ({
  type: 'interrupted-marked-done',
  step,
  block,
  decision: { ...DECISION, reason: 'finished by hand' },
});
export const ticked = (step: string, item: string): RunEvent => ({ type: 'item-ticked', step, item, decision: DECISION });
export const unticked = (step: string, item: string): RunEvent => ({ type: 'item-unticked', step, item });
export const confirmed = (step: string): RunEvent => ({ type: 'step-confirmed', step, decision: DECISION });
export const skipped = (step: string): RunEvent => ({
  type: 'step-skipped',
  step,
  decision: { ...DECISION, reason: 'not on this testbed' },
});
export const finishedStep = (step: string): RunEvent => ({ type: 'step-finished', step, at: LATER });

/**
 * Everything that passes step `id` the way an operator would: each executable block run with
 * success in run order, each checklist item ticked, the step confirmed if it has nothing else, then
 * finished.
 */
export function passed(runbook: Runbook, id: string): RunEvent[] {
  const step = stepOf(runbook, id);
  const blocks = step.blocks.filter((b) => b.executor !== null && b.role !== 'rollback' && b.role !== 'example');
  const events: RunEvent[] = [
    ...blocks.filter((b) => b.role === 'check').flatMap((b) => ran(id, b.id)),
    ...blocks.filter((b) => b.role !== 'check').flatMap((b) => ran(id, b.id)),
    ...step.checklist.map((item) => ticked(id, item.id)),
  ];
  if (blocks.length === 0 && step.checklist.length === 0) events.push(confirmed(id));
  events.push(finishedStep(id));
  return events;
}

/** `kind step/block` of a next action: what the footer tells the operator, as one string. */
export function where(action: NextAction): string {
  if (action.kind === 'complete') return 'complete';
  return 'block' in action ? `${action.kind} ${action.step.id}/${action.block.id}` : `${action.kind} ${action.step.id}`;
}
