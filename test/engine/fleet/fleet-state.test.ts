/**
 * A fleet block's hosts in the pure engine: the rolling plan, per-host records in the reducer,
 * the failure budget, and what the run offers between batches, after an unreachable host and
 * after a crash mid-batch. Built with the real parser and reducer (test/engine/fixtures.ts).
 */
import { describe, expect, it } from 'vitest';
import { AT, LATER, book, sh, stateAfter } from '../fixtures.js';
import { failureBudget, planBatches, summarizeFleet } from '../../../src/engine/fleet.js';
import { batchesToRun, hostsToCheck, planHosts } from '../../../src/engine/fleet-run.js';
import { nextAction } from '../../../src/engine/plan.js';
import { decisionsFor, refusal } from '../../../src/engine/decisions.js';
import { headlessPolicy, type HeadlessFlags } from '../../../src/engine/headless-policy.js';
import { blockHash, reconcile } from '../../../src/engine/reconcile.js';
import { reduce, type HostState, type RunEvent, type RunState } from '../../../src/engine/run-state.js';
import type { Block, FleetAttributes } from '../../../src/runbook/model.js';
import { ExitCode } from '../../../src/engine/errors.js';

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `cmp-${i + 1}`);

describe('the rolling plan (batch=)', () => {
  it('takes the sizes in order and repeats the last, as Ansible serial does: 1,5,25% of 12 is 1, 5, 3, 3', () => {
    expect(planBatches(hosts(12), [{ count: 1 }, { count: 5 }, { percent: 25 }]).map((b) => b.length)).toEqual([1, 5, 3, 3]);
  });
  it('runs every host in one batch without batch=, and a percentage never rounds to an empty batch', () => {
    expect(planBatches(hosts(4), [])).toEqual([hosts(4)]);
    expect(planBatches(hosts(3), [{ percent: 10 }]).map((b) => b.length)).toEqual([1, 1, 1]);
  });
  it('counts the failure budget over the whole block: max-fail=10% of 12 is 1, absent is 0', () => {
    const fleet = (maxFail?: FleetAttributes['maxFail']): FleetAttributes => ({
      hosts: 'all',
      batches: [],
      ...(maxFail ? { maxFail } : {}),
    });
    expect(failureBudget(fleet({ percent: 10 }), 12)).toBe(1);
    expect(failureBudget(fleet({ percent: 5 }), 12)).toBe(0);
    expect(failureBudget(fleet({ count: 2 }), 12)).toBe(2);
    expect(failureBudget(fleet(), 12)).toBe(0);
  });
});

const FLEET = book(
  '# Fleet',
  '',
  '## Computes {#computes}',
  '',
  ...sh('name=upgrade hosts=computes batch=1,5,25% max-fail=10% pause=confirm', 'upgrade'),
);
const STEP = 'computes';
const BLOCK = 'upgrade';

function planned(n: number): RunEvent {
  const plan = planBatches(hosts(n), [{ count: 1 }, { count: 5 }, { percent: 25 }]);
  return {
    type: 'fleet-planned',
    step: STEP,
    block: BLOCK,
    hosts: plan.flatMap((batch, i) => batch.map((host) => ({ host, batch: i + 1 }))),
    at: AT,
  };
}
const started = (execution: number): RunEvent => ({
  type: 'block-started',
  step: STEP,
  block: BLOCK,
  hash: 'h',
  log: `logs/upgrade.${execution}.log`,
  at: AT,
});
const batchStarted = (batch: number, names: string[], execution = 1): RunEvent => ({
  type: 'hosts-started',
  step: STEP,
  block: BLOCK,
  hosts: names,
  batch,
  execution,
  at: AT,
});
const hostDone = (host: string, status: 'ok' | 'failed' | 'unreachable', rc: number | null = status === 'ok' ? 0 : 1): RunEvent => ({
  type: 'host-finished',
  step: STEP,
  block: BLOCK,
  host,
  status,
  rc,
  durationMs: 1000,
  at: LATER,
  ...(status === 'failed' ? { reason: 'exit 1, expected 0' } : {}),
});
const hostsOf = (state: RunState): HostState[] => state.steps[0]?.blocks[0]?.hosts ?? [];

describe('per-host records in the checkpoint', () => {
  it('records each host as its result arrives, and a paused block waits for a confirmation naming the last batch', () => {
    const state = stateAfter(FLEET, started(1), planned(12), batchStarted(1, ['cmp-1']), hostDone('cmp-1', 'ok'), {
      type: 'block-paused',
      step: STEP,
      block: BLOCK,
      at: LATER,
    });
    expect(hostsOf(state).map((h) => [h.host, h.batch, h.status])).toContainEqual(['cmp-1', 1, 'ok']);
    expect(hostsOf(state).filter((h) => h.status === 'pending')).toHaveLength(11);
    expect(state.steps[0]?.status).toBe('waiting');
    const d = decisionsFor(FLEET, state, nextAction(FLEET, state));
    expect(d.choices.map((c) => c.kind)).toContain('confirm-run');
    expect(d.choices.find((c) => c.kind === 'confirm-run')?.confirms).toBe(true);
    expect(d.summary).toMatch(/paused between batches \(batch 1\/4 ended: 1 ok\); batch 2\/4 waits for a confirmation/);
    // Unconfirmed, the next batch does not start.
    expect(refusal(d, { kind: 'run' })).not.toBeNull();
    expect(refusal(d, { kind: 'confirm-run' })).toBeNull();
  });

  it('runs again only the hosts that are not done: a passed host is never in a later batch', () => {
    const state = stateAfter(
      FLEET,
      started(1),
      planned(12),
      batchStarted(1, ['cmp-1']),
      hostDone('cmp-1', 'ok'),
      batchStarted(2, hosts(6).slice(1), 2),
      hostDone('cmp-2', 'ok'),
      hostDone('cmp-3', 'failed'),
    );
    const next = batchesToRun(hostsOf(state));
    expect(next.flatMap(([, names]) => names)).not.toContain('cmp-1');
    expect(next.flatMap(([, names]) => names)).not.toContain('cmp-2');
    expect(next[0]).toEqual([2, ['cmp-3', 'cmp-4', 'cmp-5', 'cmp-6']]);
  });

  it('keeps the hosts that are done and their batches when the inventory grows, and plans the new ones after them', () => {
    const state = stateAfter(FLEET, started(1), planned(2), batchStarted(1, ['cmp-1']), hostDone('cmp-1', 'ok'));
    const fleet = FLEET.steps[0]?.blocks[0]?.attrs.fleet as FleetAttributes;
    const plan = planHosts(hosts(4), hostsOf(state), fleet);
    expect(plan).toEqual([
      { host: 'cmp-1', batch: 1 },
      { host: 'cmp-2', batch: 2 },
      { host: 'cmp-3', batch: 3 },
      { host: 'cmp-4', batch: 3 },
    ]);
  });

  it('a crash mid-batch leaves the hosts in flight interrupted; marking them done leaves the rest to run (reproduced: kill waymark during batch 2)', () => {
    const crashed = stateAfter(
      FLEET,
      started(1),
      planned(12),
      batchStarted(1, ['cmp-1']),
      hostDone('cmp-1', 'ok'),
      started(2),
      batchStarted(2, hosts(6).slice(1), 2),
      hostDone('cmp-2', 'ok'),
    );
    const { state } = reconcile(FLEET, crashed, LATER);
    const byStatus = (s: RunState, status: string) =>
      hostsOf(s)
        .filter((h) => h.status === status)
        .map((h) => h.host);
    expect(byStatus(state, 'interrupted')).toEqual(['cmp-3', 'cmp-4', 'cmp-5', 'cmp-6']);
    expect(byStatus(state, 'ok')).toEqual(['cmp-1', 'cmp-2']);
    const d = decisionsFor(FLEET, state, nextAction(FLEET, state));
    expect(d.action.kind).toBe('interrupted');
    expect(d.choices.map((c) => c.kind)).toEqual(expect.arrayContaining(['rerun', 'mark-done']));
    // No fleet check in the step: nothing to check the hosts with first.
    expect(d.choices.map((c) => c.kind)).not.toContain('check-hosts');
    const checked = book(
      '# Fleet',
      '',
      '## Computes {#computes}',
      '',
      ...sh('check name=ready hosts=computes'),
      ...sh('name=upgrade hosts=computes batch=1,5,25%', 'upgrade'),
    );
    const checkPassed: RunEvent[] = [
      {
        type: 'block-started',
        step: STEP,
        block: 'ready',
        hash: blockHash(checked.steps[0]?.blocks[0] as Block),
        log: 'logs/ready.1.log',
        at: AT,
      },
      { type: 'block-finished', step: STEP, block: 'ready', outcome: 'success', exitCode: null, attempts: 1, durationMs: 5, at: AT },
    ];
    const withCheck = reconcile(
      checked,
      stateAfter(checked, ...checkPassed, started(1), planned(12), batchStarted(1, ['cmp-1'])),
      LATER,
    ).state;
    expect(decisionsFor(checked, withCheck, nextAction(checked, withCheck)).choices.map((c) => c.kind)).toContain('check-hosts');
    const marked = reduce(state, {
      type: 'interrupted-marked-done',
      step: STEP,
      block: BLOCK,
      decision: { by: 'alice', at: LATER, reason: 'upgraded by hand on the console' },
    });
    expect(byStatus(marked, 'marked-done')).toEqual(['cmp-3', 'cmp-4', 'cmp-5', 'cmp-6']);
    expect(marked.steps[0]?.blocks[0]?.status).toBe('pending');
    expect(batchesToRun(hostsOf(marked)).flatMap(([, names]) => names)).toEqual(hosts(12).slice(6));
  });

  it('offers the unreachable hosts alone after a failure, and --retry-hosts takes it once', () => {
    const state = stateAfter(FLEET, started(1), planned(12), batchStarted(1, ['cmp-1']), hostDone('cmp-1', 'unreachable', null), {
      type: 'block-finished',
      step: STEP,
      block: BLOCK,
      outcome: 'failure',
      exitCode: null,
      attempts: 1,
      durationMs: 10,
      at: LATER,
      reason: 'over budget',
    });
    const d = decisionsFor(FLEET, state, nextAction(FLEET, state));
    expect(d.action.kind).toBe('failed');
    expect(d.choices.map((c) => c.kind)).toContain('retry-hosts');
    expect(batchesToRun(hostsOf(state), 'unreachable')).toEqual([[1, ['cmp-1']]]);
    const flags: HeadlessFlags = {
      yes: false,
      acceptWarnings: false,
      rerunInterrupted: false,
      retryHosts: true,
      overrides: new Map(),
      skips: new Map(),
    };
    const fresh = headlessPolicy(d, flags, { ranHere: () => false, operator: 'alice' });
    expect(fresh).toMatchObject({ kind: 'answer', answer: { kind: 'retry-hosts' } });
    // After one retry in this invocation the run waits for a person, rather than retrying forever.
    expect(headlessPolicy(d, flags, { ranHere: () => true, operator: 'alice' })).toEqual({ kind: 'wait', exitCode: ExitCode.Failed });
  });

  it('sums a fleet the same way for every face: counts, batches done, budget used', () => {
    const state = stateAfter(
      FLEET,
      started(1),
      planned(12),
      batchStarted(1, ['cmp-1']),
      hostDone('cmp-1', 'ok'),
      batchStarted(2, hosts(6).slice(1)),
      hostDone('cmp-2', 'failed'),
    );
    const summary = summarizeFleet(FLEET.steps[0]?.blocks[0]?.attrs.fleet as FleetAttributes, hostsOf(state));
    expect(summary).toMatchObject({ total: 12, batches: 4, batchesDone: 1, nextBatch: 2, budget: 1, failed: 1 });
    expect(summary.counts).toMatchObject({ ok: 1, failed: 1, running: 4, pending: 6 });
  });
});

describe('a fleet block in the runbook', () => {
  it('reads hosts=, batch=, max-fail=, forks= and pause=, and inventory: per profile', () => {
    const runbook = book(
      '---',
      'inventory: inventories/${SITE}.ini',
      'vars:',
      '  SITE: lab',
      'profiles:',
      '  testbed:',
      '    inventory: fleet/inventory.ini',
      '---',
      '# F',
      '## S',
      '',
      ...sh('hosts=controllers:&ctl-* batch=1,25% max-fail=2 forks=10 pause=confirm'),
    );
    expect(runbook.diagnostics).toEqual([]);
    expect(runbook.inventory).toMatchObject({ path: 'inventories/${SITE}.ini', byProfile: { testbed: 'fleet/inventory.ini' } });
    expect(runbook.steps[0]?.blocks[0]?.attrs.fleet).toEqual({
      hosts: 'controllers:&ctl-*',
      batches: [{ count: 1 }, { percent: 25 }],
      maxFail: { count: 2 },
      forks: 10,
      pause: 'confirm',
    });
  });
  it('refuses hosts= on an sql block and fleet attributes without hosts=, naming the fix', () => {
    const runbook = book('# F', '## S', '', '```sql check hosts=all', 'SELECT 1', '```', '', ...sh('batch=2'));
    const messages = runbook.diagnostics.map((d) => `${d.line}: ${d.message}`);
    expect(messages).toContainEqual(expect.stringMatching(/^4: hosts= is not for sql blocks/));
    expect(messages).toContainEqual(expect.stringMatching(/^8: batch= is only for fleet blocks: add hosts=PATTERN/));
  });
});

// check-hosts on a check whose hosts are none of the interrupted ones: before, it ran on no host and
// its earlier pass was reported as a new one (test/e2e/fleet-check-hosts-elsewhere.test.ts).
describe('the hosts check-hosts runs a fleet check on', () => {
  const fleet = { hosts: 'computes', batches: [] } as unknown as FleetAttributes;
  const planned = hosts(3).map((host) => ({ host }));
  it('are the interrupted hosts the check targets', () => {
    expect(hostsToCheck(['cmp-2', 'ctl-2'], planned, fleet)).toEqual({ only: ['cmp-2', 'ctl-2'] });
    expect(hostsToCheck(undefined, planned, fleet)).toEqual({ only: undefined });
    expect(hostsToCheck('unreachable', planned, fleet)).toEqual({ only: 'unreachable' });
  });
  it('are all of its own when it targets none of them, and it says so', () => {
    expect(hostsToCheck(['ctl-2'], planned, fleet)).toEqual({
      only: ['cmp-1', 'cmp-2', 'cmp-3'],
      note: 'hosts=computes targets none of the interrupted hosts (ctl-2): checked on all 3 of its own hosts instead',
    });
    expect(hostsToCheck([], planned, fleet).only).toEqual(['cmp-1', 'cmp-2', 'cmp-3']);
  });
});
