/**
 * What the reducer keeps and replaces when a block runs again, a host is re-planned, or a decision
 * comes for a block it does not apply to: what `status --json` and the report show of a run after
 * retries, late events and stray answers. Issue 16 §7 (survivors of `npm run mutate -- engine/run-state.ts`).
 */
import { describe, expect, it } from 'vitest';
import {
  HISTORY_LIMIT,
  isHostDone,
  isHostFailed,
  reduce,
  type BlockState,
  type HostState,
  type RunEvent,
  type RunState,
} from '../../../src/engine/run-state.js';
import {
  AT,
  LATER,
  book,
  finishedStep,
  interrupted,
  markedDone,
  overridden,
  ran,
  sh,
  started,
  stateAfter,
  ticked,
  unticked,
} from '../fixtures.js';
import { FLEET_BOOK, fleetRun, hostFinished, hostsStarted } from '../fleet-fixtures.js';

const BOOK = book(
  '# R',
  '## Pre {#pre}',
  ...sh('check name=gate override=allowed'),
  ...sh('name=work'),
  '- [ ] looked at the dashboard',
  '- [ ] told the channel',
  '## Post {#post optional}',
  ...sh('name=post-work'),
);

function blockOf(state: RunState, id: string): BlockState {
  for (const s of state.steps) {
    const found = s.blocks.find((b) => b.id === id);
    if (found) return found;
  }
  throw new Error(`no block ${id}`);
}

function fleetBlock(state: RunState): BlockState {
  return blockOf(state, 'upgrade');
}

function host(state: RunState, name: string): HostState {
  const found = fleetBlock(state).hosts?.find((h) => h.host === name);
  if (!found) throw new Error(`no host ${name}`);
  return found;
}

const finished = (block: string, fields: Partial<Extract<RunEvent, { type: 'block-finished' }>> = {}): RunEvent => ({
  type: 'block-finished',
  step: 'pre',
  block,
  outcome: 'success',
  exitCode: 0,
  attempts: 1,
  durationMs: 5,
  at: LATER,
  ...fields,
});

describe('a block that runs again', () => {
  it('shows the output, rows and reason of its latest execution, never those of the one before', () => {
    const first = finished('gate', {
      outcome: 'failure',
      exitCode: 1,
      reason: '2 rows returned, expected none',
      tail: ['cmp-1 down'],
      columns: ['host'],
      rows: [['cmp-1'], ['cmp-2']],
      rowCount: 2,
      deviation: { on: 'rows', actual: 2, rehearsal: 0, rule: 'rows ±0', message: '2 rows, the rehearsal had 0' },
    });
    const second = finished('gate', { tail: ['all up'], columns: ['n'], rows: [['0']], rowCount: 1 });
    const afterRetry = blockOf(stateAfter(BOOK, started('pre', 'gate'), first, started('pre', 'gate'), second), 'gate');
    expect(afterRetry).toMatchObject({ status: 'passed', tail: ['all up'], columns: ['n'], rows: [['0']], rowCount: 1 });
    expect(afterRetry.reason).toBeUndefined();
    expect(afterRetry.deviation).toBeUndefined();
    // Its history tells both executions apart: the first with its reason, the second without one.
    expect(afterRetry.history?.map((e) => [e.execution, e.outcome, e.reason])).toEqual([
      [1, 'failure', '2 rows returned, expected none'],
      [2, 'success', undefined],
    ]);
    expect(afterRetry.history?.[1]).not.toHaveProperty('reason');

    const bare = blockOf(stateAfter(BOOK, started('pre', 'gate'), first, started('pre', 'gate'), finished('gate')), 'gate');
    for (const key of ['reason', 'tail', 'columns', 'rows', 'rowCount', 'deviation']) expect(bare, key).not.toHaveProperty(key);
  });

  it('keeps every execution up to the limit, and past it its first and latest ones', () => {
    const runs = (count: number): RunEvent[] => Array.from({ length: count }, () => [started('pre', 'work'), finished('work')]).flat();
    const full = blockOf(stateAfter(BOOK, ...runs(HISTORY_LIMIT)), 'work');
    expect(full.history?.map((e) => e.execution)).toEqual(Array.from({ length: HISTORY_LIMIT }, (_, i) => i + 1));
    const over = blockOf(stateAfter(BOOK, ...runs(HISTORY_LIMIT + 1)), 'work');
    expect(over.executions).toBe(HISTORY_LIMIT + 1);
    expect(over.history?.map((e) => e.execution)).toEqual([1, ...Array.from({ length: HISTORY_LIMIT - 1 }, (_, i) => i + 3)]);
  });

  it('does not rewrite a finished execution when a cancel or a second result arrives late', () => {
    const events = [started('pre', 'work'), finished('work', { outcome: 'failure', exitCode: 3, reason: 'exit 3' })];
    const late = blockOf(stateAfter(BOOK, ...events, interrupted('pre', 'work')), 'work');
    expect(late.history?.map((e) => [e.outcome, e.exitCode, e.reason])).toEqual([['failure', 3, 'exit 3']]);
    const twice = blockOf(stateAfter(BOOK, ...events, finished('work')), 'work');
    expect(twice.history?.map((e) => [e.outcome, e.exitCode])).toEqual([['failure', 3]]);
    // A block with no history (a checkpoint of an older version) gets none from a result.
    const noHistory = blockOf(stateAfter(BOOK, finished('work')), 'work');
    expect(noHistory.history).toBeUndefined();
    expect(noHistory.status).toBe('passed');
  });

  it('counts a failure or an error against its step, a warning or a success not', () => {
    const failures = (outcome: 'success' | 'warning' | 'failure' | 'error'): number | undefined =>
      stateAfter(BOOK, started('pre', 'work'), finished('work', { outcome })).steps[0]?.failures;
    expect([failures('success'), failures('warning'), failures('failure'), failures('error')]).toEqual([undefined, undefined, 1, 1]);
  });
});

describe('decisions for a block they do not apply to', () => {
  it('an override of a check that has not run, or of an interrupted change, changes nothing', () => {
    const untouched = stateAfter(BOOK, overridden('pre', 'gate'));
    expect(untouched.steps[0]?.status).toBe('pending');
    expect(blockOf(untouched, 'gate').status).toBe('pending');
    const cut = stateAfter(BOOK, ...ran('pre', 'gate'), started('pre', 'work'), interrupted('pre', 'work'), overridden('pre', 'work'));
    expect(blockOf(cut, 'work').status).toBe('interrupted');
    expect(blockOf(cut, 'work').override).toBeUndefined();
    // An interrupted check is a gate the operator may override.
    const gate = stateAfter(BOOK, started('pre', 'gate'), interrupted('pre', 'gate'), overridden('pre', 'gate'));
    expect(blockOf(gate, 'gate').status).toBe('overridden');
  });

  it('marking done applies to an interrupted change only: not to a failed one, nor to a check', () => {
    const failedWork = stateAfter(BOOK, ...ran('pre', 'gate'), ...ran('pre', 'work', 'failure'), markedDone('pre', 'work'));
    expect(blockOf(failedWork, 'work')).toMatchObject({ status: 'failed' });
    expect(blockOf(failedWork, 'work').markedDone).toBeUndefined();
    const cutGate = stateAfter(BOOK, started('pre', 'gate'), interrupted('pre', 'gate'), markedDone('pre', 'gate'));
    expect(blockOf(cutGate, 'gate').status).toBe('interrupted');
  });

  it('a late acknowledgement or override does not reopen a step that passed', () => {
    const done = [...ran('pre', 'gate'), ...ran('pre', 'work'), finishedStep('pre')];
    for (const late of [
      overridden('pre', 'gate'),
      { type: 'warning-acknowledged', step: 'pre', block: 'work', decision: { by: 'bob', at: LATER } } as RunEvent,
    ]) {
      expect(stateAfter(BOOK, ...done, late).steps[0]?.status).toBe('passed');
    }
  });

  it('an acknowledged warning lets its step go on running', () => {
    const warned = [started('pre', 'work'), finished('work', { outcome: 'warning', reason: 'slow' })];
    expect(stateAfter(BOOK, ...warned).steps[0]?.status).toBe('waiting');
    const acknowledged = stateAfter(BOOK, ...warned, {
      type: 'warning-acknowledged',
      step: 'pre',
      block: 'work',
      decision: { by: 'bob', at: LATER },
    });
    expect(acknowledged.steps[0]?.status).toBe('running');
    expect(blockOf(acknowledged, 'work').status).toBe('acknowledged');
  });

  it('unticking one item keeps the others ticked', () => {
    const state = stateAfter(
      BOOK,
      ticked('pre', 'looked-at-the-dashboard'),
      ticked('pre', 'told-the-channel'),
      unticked('pre', 'looked-at-the-dashboard'),
    );
    expect(Object.keys(state.steps[0]?.ticked ?? {})).toEqual(['told-the-channel']);
  });
});

describe('approvals', () => {
  it('counts one approval per operator and content: the same one twice is one, another operator or another content is another', () => {
    const approved = (by: string, hash: string): RunEvent => ({
      type: 'block-approved',
      step: 'pre',
      block: 'work',
      approval: { by, at: AT, hash },
    });
    const state = stateAfter(BOOK, approved('bob', 'h1'), approved('bob', 'h1'), approved('carol', 'h1'), approved('bob', 'h2'));
    expect(blockOf(state, 'work').approvals?.map((a) => `${a.by}:${a.hash}`)).toEqual(['bob:h1', 'carol:h1', 'bob:h2']);
  });
});

describe('a run that pauses', () => {
  it('leaves a step with no block running waiting, one with a block running or cut short as it is', () => {
    const paused = (events: RunEvent[], status: RunState['status']): string | undefined =>
      stateAfter(BOOK, ...events, { type: 'run-status', status, at: LATER }).steps[0]?.status;
    const between = [{ type: 'step-started', step: 'pre', at: AT } as RunEvent, ...ran('pre', 'gate')];
    expect(paused(between, 'waiting')).toBe('waiting');
    expect(paused(between, 'running')).toBe('running');
    expect(paused([started('pre', 'work')], 'interrupted')).toBe('running');
    expect(paused([started('pre', 'work'), interrupted('pre', 'work')], 'waiting')).toBe('interrupted');
    const state = stateAfter(BOOK, ...between, { type: 'run-status', status: 'waiting', at: LATER });
    expect(state.steps[1]?.status).toBe('pending');
    expect(state.finishedAt).toBeUndefined();
  });
});

describe('a fleet block', () => {
  it('counts ok, skipped and marked-done hosts as done, failed and unreachable ones against the budget', () => {
    const statuses: HostState['status'][] = ['pending', 'running', 'ok', 'failed', 'unreachable', 'skipped', 'interrupted', 'marked-done'];
    const h = (status: HostState['status']): HostState => ({ host: 'cmp', batch: 1, status });
    expect(statuses.filter((s) => isHostDone(h(s)))).toEqual(['ok', 'skipped', 'marked-done']);
    expect(statuses.filter((s) => isHostFailed(h(s)))).toEqual(['failed', 'unreachable']);
  });

  it('keeps the hosts already done, with their batch and result, when the block is planned again', () => {
    const hosts = ['cmp-01', 'cmp-02', 'cmp-03', 'cmp-04'];
    const state = fleetRun(
      hosts,
      3,
      hostsStarted(1, 'cmp-01'),
      hostFinished('cmp-01', 'ok', 0),
      hostsStarted(2, 'cmp-02', 'cmp-03'),
      hostFinished('cmp-02', 'skipped', 0),
      hostFinished('cmp-03', 'failed', 1, { reason: 'exit 1' }),
    );
    const replanned = reduce(state, {
      type: 'fleet-planned',
      step: 'computes',
      block: 'upgrade',
      hosts: [
        { host: 'cmp-03', batch: 1 },
        { host: 'cmp-04', batch: 2 },
        { host: 'cmp-01', batch: 2 },
        { host: 'cmp-02', batch: 2 },
      ],
      at: LATER,
    });
    expect(fleetBlock(replanned).hosts?.map((h) => [h.host, h.batch, h.status])).toEqual([
      ['cmp-03', 1, 'failed'],
      ['cmp-04', 2, 'pending'],
      ['cmp-01', 1, 'ok'],
      ['cmp-02', 2, 'skipped'],
    ]);
    expect(host(replanned, 'cmp-03').reason).toBe('exit 1');
  });

  it('shows only the latest result of a host run again', () => {
    const state = fleetRun(
      ['cmp-01'],
      3,
      hostsStarted(1, 'cmp-01'),
      hostFinished('cmp-01', 'failed', 1, { reason: 'exit 1', tail: ['E: conflict'] }),
      hostsStarted(1, 'cmp-01'),
      hostFinished('cmp-01', 'ok', 0, { tail: ['done'] }),
    );
    expect(host(state, 'cmp-01')).toMatchObject({ status: 'ok', rc: 0, tail: ['done'] });
    expect(host(state, 'cmp-01')).not.toHaveProperty('reason');
    const again = fleetRun(
      ['cmp-01'],
      3,
      hostsStarted(1, 'cmp-01'),
      hostFinished('cmp-01', 'failed', 1, { reason: 'exit 1', tail: ['E: conflict'] }),
      hostsStarted(1, 'cmp-01'),
      hostFinished('cmp-01', 'ok', 0),
    );
    expect(host(again, 'cmp-01')).not.toHaveProperty('tail');
    expect(host(again, 'cmp-01')).not.toHaveProperty('reason');
  });

  it('ignores host events for a block that has no hosts', () => {
    const before = stateAfter(FLEET_BOOK, started('look', 'services'));
    const after = [hostsStarted(1, 'cmp-01'), hostFinished('cmp-01', 'ok', 0)]
      .map((e) => ({ ...e, step: 'look', block: 'services' }) as RunEvent)
      .reduce(reduce, before);
    expect(blockOf(after, 'services').hosts).toBeUndefined();
  });

  it('closes the execution of a block paused between batches as a success that says so', () => {
    const state = fleetRun(['cmp-01', 'cmp-02'], 3, hostsStarted(1, 'cmp-01'), hostFinished('cmp-01', 'ok', 0), {
      type: 'block-paused',
      step: 'computes',
      block: 'upgrade',
      at: LATER,
    });
    expect(fleetBlock(state).status).toBe('paused');
    expect(fleetBlock(state).history?.at(-1)).toMatchObject({ outcome: 'success', finishedAt: LATER, reason: 'paused between batches' });
    expect(state.steps[0]?.status).toBe('waiting');
  });

  it('marking an interrupted fleet block done marks its cut hosts, and it passes once no host is left', () => {
    const cut = fleetRun(['cmp-01', 'cmp-02'], 3, hostsStarted(1, 'cmp-01'), hostFinished('cmp-01', 'ok', 0), hostsStarted(2, 'cmp-02'), {
      type: 'block-interrupted',
      step: 'computes',
      block: 'upgrade',
      at: LATER,
    });
    expect(host(cut, 'cmp-02').status).toBe('interrupted');
    const marked = reduce(cut, {
      type: 'interrupted-marked-done',
      step: 'computes',
      block: 'upgrade',
      decision: { by: 'alice', at: LATER, reason: 'by hand' },
    });
    expect(host(marked, 'cmp-02').status).toBe('marked-done');
    expect(fleetBlock(marked).status).toBe('passed');
  });
});
