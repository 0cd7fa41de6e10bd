/**
 * The run-state reducer, one event type at a time: the statuses `status --json` reports for a
 * step and a block after each thing that can happen to a run.
 */
import { describe, expect, it } from 'vitest';
import { isBlockDone, isStepDone, reduce, statusForOutcome, type BlockState, type StepState } from '../../../src/engine/run-state.js';
import {
  AT,
  LATER,
  acknowledged,
  book,
  confirmed,
  finishedStep,
  interrupted,
  markedDone,
  overridden,
  ran,
  sh,
  skipped,
  started,
  stateAfter,
  ticked,
  unticked,
} from '../fixtures.js';
import type { RunEvent } from '../../../src/engine/run-state.js';

const BOOK = book(
  '# R',
  '## Pre {#pre}',
  ...sh('check name=gate override=allowed'),
  ...sh('name=work'),
  '- [ ] looked at the dashboard',
  '## Post {#post optional}',
  ...sh('name=post-work'),
);

function step(events: RunEvent[], id = 'pre'): StepState {
  const found = stateAfter(BOOK, ...events).steps.find((s) => s.id === id);
  if (!found) throw new Error(`no step ${id}`);
  return found;
}
function block(events: RunEvent[], id: string): BlockState {
  for (const s of stateAfter(BOOK, ...events).steps) {
    const found = s.blocks.find((b) => b.id === id);
    if (found) return found;
  }
  throw new Error(`no block ${id}`);
}

describe('a new run', () => {
  it('has every step and executable block pending, nothing ticked, status running', () => {
    const state = stateAfter(BOOK);
    expect(state.status).toBe('running');
    expect(state.steps.map((s) => [s.id, s.status, s.blocks.map((b) => `${b.id}:${b.status}`)])).toEqual([
      ['pre', 'pending', ['gate:pending', 'work:pending']],
      ['post', 'pending', ['post-work:pending']],
    ]);
    expect(state.steps[0]?.ticked).toEqual({});
  });
});

describe('reduce', () => {
  it('step-started: the step runs and keeps its first start time', () => {
    const s = step([
      { type: 'step-started', step: 'pre', at: AT },
      { type: 'step-started', step: 'pre', at: LATER },
    ]);
    expect(s.status).toBe('running');
    expect(s.startedAt).toBe(AT);
  });

  it('block-started: block and step running, one more execution, its log recorded', () => {
    const events = [started('pre', 'gate')];
    expect(block(events, 'gate')).toMatchObject({ status: 'running', executions: 1, log: 'logs/gate.1.log' });
    expect(step(events).status).toBe('running');
    expect(stateAfter(BOOK, ...events).status).toBe('running');
  });

  it('block-finished success: passed, exit code and duration kept', () => {
    expect(block(ran('pre', 'gate'), 'gate')).toMatchObject({ status: 'passed', outcome: 'success', exitCode: 0, durationMs: 5 });
    expect(step(ran('pre', 'gate')).status).toBe('running');
  });

  it('block-finished failure: a check refuses (and its step), a run block fails (and its step); failures are counted', () => {
    expect(block(ran('pre', 'gate', 'failure'), 'gate').status).toBe('refused');
    expect(step(ran('pre', 'gate', 'failure'))).toMatchObject({ status: 'refused', failures: 1 });
    const work = [...ran('pre', 'gate'), ...ran('pre', 'work', 'failure')];
    expect(block(work, 'work')).toMatchObject({ status: 'failed', reason: 'exit 1' });
    expect(step(work).status).toBe('failed');
  });

  it('block-finished error: like a failure', () => {
    expect(block(ran('pre', 'gate', 'error', 127), 'gate')).toMatchObject({ status: 'refused', outcome: 'error', exitCode: 127 });
  });

  it('block-finished warning: the block warns and the step waits', () => {
    expect(block(ran('pre', 'gate', 'warning'), 'gate').status).toBe('warning');
    expect(step(ran('pre', 'gate', 'warning')).status).toBe('waiting');
  });

  it('a retry that passes clears the old reason, but the step still counts the failure', () => {
    const events = [...ran('pre', 'gate', 'failure'), ...ran('pre', 'gate')];
    const b = block(events, 'gate');
    expect(b.status).toBe('passed');
    expect(b.reason).toBeUndefined();
    expect(b.executions).toBe(2);
    expect(step(events)).toMatchObject({ status: 'running', failures: 1 });
  });

  it('block-interrupted: block, step and run are interrupted', () => {
    const events = [started('pre', 'gate'), interrupted('pre', 'gate')];
    expect(block(events, 'gate').status).toBe('interrupted');
    expect(step(events).status).toBe('interrupted');
    expect(stateAfter(BOOK, ...events).status).toBe('interrupted');
  });

  it('warning-acknowledged: only a warning becomes acknowledged, with who decided', () => {
    const events = [...ran('pre', 'gate', 'warning'), acknowledged('pre', 'gate')];
    expect(block(events, 'gate')).toMatchObject({ status: 'acknowledged', acknowledged: { by: 'alice' } });
    expect(step(events).status).toBe('running');
    expect(block([...ran('pre', 'gate', 'failure'), acknowledged('pre', 'gate')], 'gate').status).toBe('refused');
  });

  it('check-overridden: a refused or interrupted check becomes overridden with the reason; nothing else changes', () => {
    expect(block([...ran('pre', 'gate', 'failure'), overridden('pre', 'gate')], 'gate')).toMatchObject({
      status: 'overridden',
      override: { reason: 'known false positive' },
    });
    expect(block([started('pre', 'gate'), interrupted('pre', 'gate'), overridden('pre', 'gate')], 'gate').status).toBe('overridden');
    expect(block([...ran('pre', 'gate'), ...ran('pre', 'work', 'failure'), overridden('pre', 'work')], 'work').status).toBe('failed');
  });

  it('a step finished with an overridden check ends overridden, not passed', () => {
    const events = [
      ...ran('pre', 'gate', 'failure'),
      overridden('pre', 'gate'),
      ...ran('pre', 'work'),
      ticked('pre', 'pre-check-1'),
      finishedStep('pre'),
    ];
    expect(step(events).status).toBe('overridden');
  });

  it('interrupted-marked-done: an interrupted run block passes with the reason; a check never does', () => {
    const work = [...ran('pre', 'gate'), started('pre', 'work'), interrupted('pre', 'work'), markedDone('pre', 'work')];
    expect(block(work, 'work')).toMatchObject({ status: 'passed', markedDone: { reason: 'finished by hand' } });
    expect(block([started('pre', 'gate'), interrupted('pre', 'gate'), markedDone('pre', 'gate')], 'gate').status).toBe('interrupted');
  });

  it('item-ticked and item-unticked', () => {
    expect(Object.keys(step([ticked('pre', 'pre-check-1')]).ticked)).toEqual(['pre-check-1']);
    expect(step([ticked('pre', 'pre-check-1'), unticked('pre', 'pre-check-1')]).ticked).toEqual({});
  });

  it('step-confirmed records the decision', () => {
    expect(step([confirmed('pre')]).confirmed?.by).toBe('alice');
  });

  it('step-skipped: the step is skipped with its reason, and done', () => {
    const s = step([skipped('post')], 'post');
    expect(s).toMatchObject({ status: 'skipped', skipped: { reason: 'not on this testbed' } });
    expect(isStepDone(s)).toBe(true);
  });

  it('step-finished: passed, with its duration from its start', () => {
    const s = step([...ran('pre', 'gate'), ...ran('pre', 'work'), ticked('pre', 'pre-check-1'), finishedStep('pre')]);
    expect(s).toMatchObject({ status: 'passed', finishedAt: LATER, durationMs: 5 * 60 * 1000 });
  });

  it('block-reset: a passed block is pending again with its new hash, and a passed step with it', () => {
    const events: RunEvent[] = [
      ...ran('pre', 'gate'),
      ...ran('pre', 'work'),
      ticked('pre', 'pre-check-1'),
      finishedStep('pre'),
      { type: 'block-reset', step: 'pre', block: 'work', hash: 'new' },
    ];
    expect(block(events, 'work')).toMatchObject({ status: 'pending', hash: 'new', exitCode: null, attempts: 0, executions: 1 });
    expect(step(events).status).toBe('pending');
  });

  it('run-status: complete and abandoned finish the run; waiting does not', () => {
    expect(stateAfter(BOOK, { type: 'run-status', status: 'complete', at: LATER })).toMatchObject({
      status: 'complete',
      finishedAt: LATER,
    });
    expect(stateAfter(BOOK, { type: 'run-status', status: 'abandoned', at: LATER }).finishedAt).toBe(LATER);
    const waiting = stateAfter(BOOK, { type: 'run-status', status: 'waiting', at: LATER });
    expect(waiting.status).toBe('waiting');
    expect(waiting.finishedAt).toBeUndefined();
  });

  it('an event for an unknown step or block leaves the state as it was', () => {
    const before = stateAfter(BOOK);
    expect(reduce(before, started('nope', 'gate'))).toEqual({ ...before, status: 'running', updatedAt: AT });
    expect(reduce(before, ticked('nope', 'x'))).toEqual(before);
    expect(reduce(before, started('pre', 'nope')).steps[0]?.blocks).toEqual(before.steps[0]?.blocks);
  });
});

describe('done', () => {
  it('a block is done when passed, acknowledged or overridden', () => {
    const status = (s: BlockState['status']) =>
      isBlockDone({ id: 'b', role: 'run', hash: 'h', status: s, exitCode: null, attempts: 0, executions: 0 });
    expect(['passed', 'acknowledged', 'overridden'].every((s) => status(s as BlockState['status']))).toBe(true);
    expect(['pending', 'running', 'failed', 'refused', 'warning', 'interrupted'].some((s) => status(s as BlockState['status']))).toBe(
      false,
    );
  });

  it('a step is done when passed, skipped or overridden', () => {
    const status = (s: StepState['status']) => isStepDone({ id: 's', title: 't', hash: 'h', status: s, blocks: [], ticked: {} });
    expect(['passed', 'skipped', 'overridden'].every((s) => status(s as StepState['status']))).toBe(true);
    expect(['pending', 'running', 'failed', 'refused', 'waiting', 'interrupted'].some((s) => status(s as StepState['status']))).toBe(false);
  });

  it('an outcome gives its status by role', () => {
    expect([
      statusForOutcome('success', 'check'),
      statusForOutcome('warning', 'run'),
      statusForOutcome('failure', 'check'),
      statusForOutcome('error', 'verify'),
    ]).toEqual(['passed', 'warning', 'refused', 'failed']);
  });
});
