/**
 * What the operator may do at a stop (asked of decisions.ts): override a check only where the runbook allows it, mark
 * done only an interrupted run/verify block; and which step the run is on under a selection.
 */
import { describe, expect, it } from 'vitest';
import { currentStepIndex, nextAction, rollbackBlocks } from '../../../src/engine/plan.js';
import { decisionsFor, type AnswerKind } from '../../../src/engine/decisions.js';
import type { RunState } from '../../../src/engine/run-state.js';
import { book, interrupted, passed, ran, sh, started, stateAfter, stepOf } from '../fixtures.js';

const GATES = book(
  '# Gates',
  '## Pre {#pre}',
  ...sh('check name=may override=allowed'),
  ...sh('check name=strict'),
  ...sh('name=work'),
  ...sh('rollback name=undo-1'),
  ...sh('rollback name=undo-2'),
);

/** Does the run offer this answer in that state (decisions.ts, the one place that decides)? */
function offers(kind: AnswerKind, state: RunState): boolean {
  return decisionsFor(GATES, state, nextAction(GATES, state)).choices.some((c) => c.kind === kind);
}

describe('override is offered', () => {
  it('a refused check with override=allowed may be overridden', () => {
    // Every check of a gate runs before it refuses (issue 14): strict runs, then may's refusal is decided.
    expect(offers('override', stateAfter(GATES, ...ran('pre', 'may', 'failure')))).toBe(false);
    expect(offers('override', stateAfter(GATES, ...ran('pre', 'may', 'failure'), ...ran('pre', 'strict')))).toBe(true);
  });

  it('an interrupted check with override=allowed may be overridden', () => {
    expect(offers('override', stateAfter(GATES, started('pre', 'may'), interrupted('pre', 'may')))).toBe(true);
  });

  it('a refused check without override=allowed may not', () => {
    const state = stateAfter(GATES, ...ran('pre', 'may'), ...ran('pre', 'strict', 'failure'));
    expect(nextAction(GATES, state).kind).toBe('refused');
    expect(offers('override', state)).toBe(false);
  });

  it('nothing else may be overridden: a block to run, a warning, a failed run block', () => {
    expect(offers('override', stateAfter(GATES))).toBe(false);
    expect(offers('override', stateAfter(GATES, ...ran('pre', 'may', 'warning'), ...ran('pre', 'strict')))).toBe(false);
    const failed = stateAfter(GATES, ...ran('pre', 'may'), ...ran('pre', 'strict'), ...ran('pre', 'work', 'failure'));
    expect(nextAction(GATES, failed).kind).toBe('failed');
    expect(offers('override', failed)).toBe(false);
  });
});

describe('mark-done is offered', () => {
  it('an interrupted run block may be marked done', () => {
    const state = stateAfter(GATES, ...ran('pre', 'may'), ...ran('pre', 'strict'), started('pre', 'work'), interrupted('pre', 'work'));
    expect(offers('mark-done', state)).toBe(true);
  });

  it('an interrupted check may not: a gate is re-run (or overridden), never marked done', () => {
    expect(offers('mark-done', stateAfter(GATES, started('pre', 'may'), interrupted('pre', 'may')))).toBe(false);
  });

  it('a failed block may not be marked done', () => {
    const state = stateAfter(GATES, ...ran('pre', 'may'), ...ran('pre', 'strict'), ...ran('pre', 'work', 'failure'));
    expect(offers('mark-done', state)).toBe(false);
  });
});

describe('rollbackBlocks', () => {
  it("lists the step's rollback blocks in document order", () => {
    expect(rollbackBlocks(stepOf(GATES, 'pre')).map((b) => b.id)).toEqual(['undo-1', 'undo-2']);
  });
});

describe('selection', () => {
  const TAGGED = book(
    '# T',
    '## A {#a tags=x}',
    ...sh('name=a1'),
    '## B {#b tags=y}',
    ...sh('name=b1'),
    '## C {#c tags=x}',
    ...sh('name=c1'),
  );
  const x = (s: { tags: string[] }) => s.tags.includes('x');
  const notX = (s: { tags: string[] }) => !s.tags.includes('x');

  it('the current step is the first selected step not done', () => {
    expect(currentStepIndex(TAGGED, stateAfter(TAGGED))).toBe(0);
    expect(currentStepIndex(TAGGED, stateAfter(TAGGED), notX)).toBe(1);
    expect(currentStepIndex(TAGGED, stateAfter(TAGGED, ...passed(TAGGED, 'a')), x)).toBe(2);
  });

  it('--only x: steps not selected are left pending, and the selection completes on its own', () => {
    const state = stateAfter(TAGGED, ...passed(TAGGED, 'a'), ...passed(TAGGED, 'c'));
    expect(nextAction(TAGGED, state, x).kind).toBe('complete');
    expect(nextAction(TAGGED, state).kind).toBe('run');
    expect(currentStepIndex(TAGGED, state, x)).toBe(-1);
  });
});
