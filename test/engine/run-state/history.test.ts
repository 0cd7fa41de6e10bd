/**
 * Each block keeps the history of its executions in the run (issue 12, "reports say what
 * happened"): before it, a check refused and then passed kept only its last execution, and the
 * report read `passed, attempts 1`.
 */
import { describe, expect, it } from 'vitest';
import { HISTORY_LIMIT, type BlockState, type RunEvent } from '../../../src/engine/run-state.js';
import { reconcile } from '../../../src/engine/reconcile.js';
import { AT, LATER, book, interrupted, markedDone, ran, sh, started, stateAfter } from '../fixtures.js';

const BOOK = book('# R', '## Pre {#pre}', ...sh('check name=gate'), ...sh('name=work'));

function block(events: RunEvent[], id: string): BlockState {
  const found = stateAfter(BOOK, ...events)
    .steps.flatMap((s) => s.blocks)
    .find((b) => b.id === id);
  if (!found) throw new Error(`no block ${id}`);
  return found;
}

describe("a block's execution history", () => {
  it('reproduced: a check refused, then passed after a fix, keeps both executions with their outcome and reason', () => {
    const gate = block([...ran('pre', 'gate', 'failure'), ...ran('pre', 'gate')], 'gate');
    expect(gate.status).toBe('passed');
    expect(gate.history).toEqual([
      { execution: 1, outcome: 'failure', exitCode: 1, reason: 'exit 1', attempts: 1, startedAt: AT, finishedAt: LATER, durationMs: 5 },
      { execution: 2, outcome: 'success', exitCode: 0, attempts: 1, startedAt: AT, finishedAt: LATER, durationMs: 5 },
    ]);
  });

  it('records an execution cut short as interrupted, and a mark-done after it leaves that entry as it was', () => {
    const work = block([started('pre', 'work'), interrupted('pre', 'work'), markedDone('pre', 'work')], 'work');
    expect(work.status).toBe('passed');
    expect(work.markedDone?.reason).toBe('finished by hand');
    expect(work.history).toEqual([{ execution: 1, outcome: 'interrupted', exitCode: null, attempts: 0, startedAt: AT, finishedAt: LATER }]);
  });

  it("keeps the operator's confirmation with the execution it allowed", () => {
    const confirmation = { by: 'alice', at: AT };
    const work = block(
      [{ type: 'block-started', step: 'pre', block: 'work', hash: 'h', log: 'logs/work.1.log', at: AT, confirmed: confirmation }],
      'work',
    );
    expect(work.history?.[0]).toMatchObject({ execution: 1, outcome: 'running', confirmed: confirmation });
  });

  it('is bounded: past the limit it keeps the first execution and the latest ones, while executions counts them all', () => {
    const events = Array.from({ length: HISTORY_LIMIT + 5 }, () => ran('pre', 'gate', 'failure')).flat();
    const gate = block(events, 'gate');
    expect(gate.executions).toBe(HISTORY_LIMIT + 5);
    expect(gate.history).toHaveLength(HISTORY_LIMIT);
    expect(gate.history?.map((e) => e.execution).slice(0, 3)).toEqual([1, 7, 8]);
    expect(gate.history?.at(-1)?.execution).toBe(HISTORY_LIMIT + 5);
  });

  it('survives a reset for drift: what ran in this run stays part of its story', () => {
    const gate = block([...ran('pre', 'gate', 'failure'), { type: 'block-reset', step: 'pre', block: 'gate', hash: 'new' }], 'gate');
    expect(gate.status).toBe('pending');
    expect(gate.history?.map((e) => e.outcome)).toEqual(['failure']);
  });
});

describe('the history after a crash', () => {
  it('reproduced: a block found running when the session resumes reads interrupted in its history, not running', () => {
    const { state } = reconcile(BOOK, stateAfter(BOOK, ...ran('pre', 'gate'), started('pre', 'work')), LATER);
    const work = state.steps[0]?.blocks.find((b) => b.id === 'work');
    expect(work?.status).toBe('interrupted');
    expect(work?.history).toEqual([
      { execution: 1, outcome: 'interrupted', exitCode: null, attempts: 0, startedAt: AT, finishedAt: LATER },
    ]);
  });

  it('keeps what ran before a block changed on disk', () => {
    const changed = book('# R', '## Pre {#pre}', ...sh('check name=gate', 'false'), ...sh('name=work'));
    const { state } = reconcile(changed, stateAfter(BOOK, ...ran('pre', 'gate')), LATER);
    const gate = state.steps[0]?.blocks.find((b) => b.id === 'gate');
    expect(gate?.status).toBe('pending');
    expect(gate?.history?.map((e) => e.outcome)).toEqual(['success']);
  });
});
