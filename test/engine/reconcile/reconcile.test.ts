/**
 * Fitting a checkpoint to the runbook as it is now: what the operator is told, and what runs
 * again, when waymark died mid-block or the runbook was edited between two invocations.
 */
import { describe, expect, it } from 'vitest';
import { describeReconciliation, reconcile } from '../../../src/engine/reconcile.js';
import { nextAction } from '../../../src/engine/plan.js';
import type { RunEvent, RunState } from '../../../src/engine/run-state.js';
import { blockHash, initialRunState, stepHash } from '../../../src/engine/reconcile.js';
import type { Runbook } from '../../../src/runbook/model.js';
import { createHash } from 'node:crypto';
import { LATER, book, finishedStep, overridden, passed, ran, sh, started, stateAfter, stepOf } from '../fixtures.js';

const V1 = book(
  '# R',
  '## Stop {#stop}',
  ...sh('name=stop-api', 'echo stop'),
  '## Migrate {#migrate}',
  ...sh('name=db-sync', 'echo sync'),
  '## Start {#start}',
  ...sh('name=start-api', 'echo start'),
);

/** Events as a session dispatches them: the hash each block ran with is its real content hash. */
function hashed(runbook: Runbook, events: RunEvent[]): RunEvent[] {
  return events.map((event) => {
    if (event.type !== 'block-started') return event;
    const block = stepOf(runbook, event.step).blocks.find((b) => b.id === event.block);
    return block ? { ...event, hash: blockHash(block) } : event;
  });
}
function ranWith(runbook: Runbook, ...events: RunEvent[]): RunState {
  return stateAfter(runbook, ...hashed(runbook, events));
}
const statuses = (state: RunState) => state.steps.map((s) => `${s.id}:${s.status}`);

describe('reconcile', () => {
  it('the same runbook and a clean checkpoint: no change', () => {
    const state = ranWith(V1, ...passed(V1, 'stop'));
    const { state: fitted, changes } = reconcile(V1, state, LATER);
    expect(changes).toEqual([]);
    expect(statuses(fitted)).toEqual(statuses(state));
  });

  it('a block left running by a crash is interrupted, never pending: it is not re-run silently', () => {
    const state = ranWith(V1, ...passed(V1, 'stop'), started('migrate', 'db-sync'));
    const { state: fitted, changes } = reconcile(V1, state, LATER);
    expect(changes).toEqual([{ kind: 'interrupted', step: 'migrate', block: 'db-sync' }]);
    expect(fitted.steps[1]?.status).toBe('interrupted');
    expect(fitted.steps[1]?.blocks[0]).toMatchObject({ status: 'interrupted', finishedAt: LATER });
    expect(nextAction(V1, fitted).kind).toBe('interrupted');
    expect(describeReconciliation(changes[0]!)).toContain('will not be re-run without your decision');
  });

  it('a passed block whose content changed runs again (drift), and its step is pending again', () => {
    const state = ranWith(V1, ...passed(V1, 'stop'), ...passed(V1, 'migrate'));
    const v2 = book(
      '# R',
      '## Stop {#stop}',
      ...sh('name=stop-api', 'echo stop'),
      '## Migrate {#migrate}',
      ...sh('name=db-sync', 'echo sync --all'),
      '## Start {#start}',
      ...sh('name=start-api', 'echo start'),
    );
    const { state: fitted, changes } = reconcile(v2, state, LATER);
    expect(changes).toEqual([{ kind: 'drift-changed', step: 'migrate', block: 'db-sync' }]);
    expect(statuses(fitted)).toEqual(['stop:passed', 'migrate:pending', 'start:pending']);
    expect(fitted.steps[1]?.blocks[0]).toMatchObject({ status: 'pending', executions: 1 });
    const action = nextAction(v2, fitted);
    expect(action.kind === 'run' && action.block.id).toBe('db-sync');
  });

  // Reproduced (issue 16 §7): with blockHash in reconcile.ts hashing only the code, none of these
  // edits was drift: the block stayed passed although what counts as its success had changed.
  it.each([
    ['its success code (exit=)', 'name=db-sync exit=3'],
    ['what its output must match (expect=)', 'name=db-sync expect="^synced$"'],
    ['its role (now a check)', 'check name=db-sync'],
  ])('a passed block whose info string changed %s, with the same code, is drift and runs again', (_what, info) => {
    const state = ranWith(V1, ...passed(V1, 'stop'), ...passed(V1, 'migrate'));
    const v2 = book(
      '# R',
      '## Stop {#stop}',
      ...sh('name=stop-api', 'echo stop'),
      '## Migrate {#migrate}',
      ...sh(info, 'echo sync'),
      '## Start {#start}',
      ...sh('name=start-api', 'echo start'),
    );
    expect(stepOf(v2, 'migrate').blocks[0]?.code).toBe(stepOf(V1, 'migrate').blocks[0]?.code);
    const { state: fitted, changes } = reconcile(v2, state, LATER);
    expect(changes).toEqual([{ kind: 'drift-changed', step: 'migrate', block: 'db-sync' }]);
    expect(statuses(fitted)).toEqual(['stop:passed', 'migrate:pending', 'start:pending']);
    const action = nextAction(v2, fitted);
    expect(action.kind === 'run' && action.block.id).toBe('db-sync');
  });

  it('a block that changed but never passed is not drift: it runs anyway', () => {
    const state = ranWith(V1, ...passed(V1, 'stop'), ...ran('migrate', 'db-sync', 'failure'));
    const v2 = book(
      '# R',
      '## Stop {#stop}',
      ...sh('name=stop-api', 'echo stop'),
      '## Migrate {#migrate}',
      ...sh('name=db-sync', 'echo fixed'),
      '## Start {#start}',
      ...sh('name=start-api'),
    );
    expect(reconcile(v2, state, LATER).changes.filter((c) => c.kind === 'drift-changed')).toEqual([]);
  });

  it('a new step before the current one is reported as before it, and must run first', () => {
    const state = ranWith(V1, ...passed(V1, 'stop'), ...passed(V1, 'migrate'));
    const v2 = book(
      '# R',
      '## Backup {#backup}',
      ...sh('name=dump'),
      '## Stop {#stop}',
      ...sh('name=stop-api', 'echo stop'),
      '## Migrate {#migrate}',
      ...sh('name=db-sync', 'echo sync'),
      '## Start {#start}',
      ...sh('name=start-api', 'echo start'),
    );
    const { state: fitted, changes } = reconcile(v2, state, LATER);
    expect(changes).toEqual([{ kind: 'drift-new-step', step: 'backup', beforeCurrent: true }]);
    expect(describeReconciliation(changes[0]!)).toContain('it must run before the run goes on');
    const action = nextAction(v2, fitted);
    expect(action.kind === 'run' && action.step.id).toBe('backup');
  });

  it('a new step after the current one is a plain drift notice', () => {
    const state = ranWith(V1, ...passed(V1, 'stop'));
    const v2 = book(
      '# R',
      '## Stop {#stop}',
      ...sh('name=stop-api', 'echo stop'),
      '## Migrate {#migrate}',
      ...sh('name=db-sync', 'echo sync'),
      '## Start {#start}',
      ...sh('name=start-api', 'echo start'),
      '## Smoke {#smoke}',
      ...sh('name=smoke-run'),
    );
    expect(reconcile(v2, state, LATER).changes).toEqual([{ kind: 'drift-new-step', step: 'smoke', beforeCurrent: false }]);
  });

  it('a new block in a step that started: drift, and a passed step runs it', () => {
    const state = ranWith(V1, ...passed(V1, 'stop'));
    const v2 = book(
      '# R',
      '## Stop {#stop}',
      ...sh('name=stop-api', 'echo stop'),
      ...sh('verify name=stopped'),
      '## Migrate {#migrate}',
      ...sh('name=db-sync', 'echo sync'),
      '## Start {#start}',
      ...sh('name=start-api', 'echo start'),
    );
    const { state: fitted, changes } = reconcile(v2, state, LATER);
    expect(changes).toEqual([{ kind: 'drift-new-block', step: 'stop', block: 'stopped' }]);
    expect(statuses(fitted)[0]).toBe('stop:pending');
    const action = nextAction(v2, fitted);
    expect(action.kind === 'run' && action.block.id).toBe('stopped');
  });

  it('a new block in a step not started yet is simply part of it, not drift', () => {
    const v2 = book(
      '# R',
      '## Stop {#stop}',
      ...sh('name=stop-api', 'echo stop'),
      '## Migrate {#migrate}',
      ...sh('name=db-sync', 'echo sync'),
      ...sh('name=db-online'),
      '## Start {#start}',
      ...sh('name=start-api', 'echo start'),
    );
    expect(reconcile(v2, ranWith(V1, ...passed(V1, 'stop')), LATER).changes).toEqual([]);
  });

  it('removed steps and blocks are reported with the status they had', () => {
    const state = ranWith(V1, ...passed(V1, 'stop'), ...ran('migrate', 'db-sync', 'failure'));
    const v2 = book('# R', '## Migrate {#migrate}', 'nothing to run any more', '## Start {#start}', ...sh('name=start-api', 'echo start'));
    const { state: fitted, changes } = reconcile(v2, state, LATER);
    expect(changes).toEqual([
      { kind: 'drift-removed-block', step: 'migrate', block: 'db-sync', status: 'failed' },
      { kind: 'drift-removed-step', step: 'stop', status: 'passed' },
    ]);
    expect(fitted.steps.map((s) => s.id)).toEqual(['migrate', 'start']);
    expect(describeReconciliation(changes[1]!)).toBe('drift: step stop (passed) is no longer in the runbook');
  });

  it('a new step between two untouched ones, in a run that has not passed any step yet, is after the current one', () => {
    const state = ranWith(V1);
    const v2 = book(
      '# R',
      '## Stop {#stop}',
      ...sh('name=stop-api', 'echo stop'),
      '## Backup {#backup}',
      ...sh('name=dump'),
      '## Migrate {#migrate}',
      ...sh('name=db-sync', 'echo sync'),
      '## Start {#start}',
      ...sh('name=start-api', 'echo start'),
    );
    expect(reconcile(v2, state, LATER).changes).toEqual([{ kind: 'drift-new-step', step: 'backup', beforeCurrent: false }]);
    // Even first in the runbook: nothing ran yet, so nothing is behind it.
    const v3 = book(
      '# R',
      '## Backup {#backup}',
      ...sh('name=dump'),
      '## Stop {#stop}',
      ...sh('name=stop-api', 'echo stop'),
      '## Migrate {#migrate}',
      ...sh('name=db-sync', 'echo sync'),
      '## Start {#start}',
      ...sh('name=start-api', 'echo start'),
    );
    expect(reconcile(v3, state, LATER).changes).toEqual([{ kind: 'drift-new-step', step: 'backup', beforeCurrent: false }]);
  });

  it('a new step right after the only step that ran is after the current one, not before', () => {
    const state = ranWith(V1, ...passed(V1, 'stop'));
    const v2 = book(
      '# R',
      '## Stop {#stop}',
      ...sh('name=stop-api', 'echo stop'),
      '## Backup {#backup}',
      ...sh('name=dump'),
      '## Migrate {#migrate}',
      ...sh('name=db-sync', 'echo sync'),
      '## Start {#start}',
      ...sh('name=start-api', 'echo start'),
    );
    expect(reconcile(v2, state, LATER).changes).toEqual([{ kind: 'drift-new-step', step: 'backup', beforeCurrent: false }]);
  });

  it('a checkpoint made before the runbook had any step takes the new steps without drift notices', () => {
    const empty = book('# R', 'Nothing yet.');
    expect(empty.steps).toEqual([]);
    const { state: fitted, changes } = reconcile(V1, stateAfter(empty), LATER);
    expect(changes).toEqual([]);
    expect(statuses(fitted)).toEqual(['stop:pending', 'migrate:pending', 'start:pending']);
  });

  it('display-only blocks are not part of the checkpoint: adding one to a passed step is no drift', () => {
    const withText = book(
      '# R',
      '## Stop {#stop}',
      '```text',
      'just the expected output',
      '```',
      '',
      ...sh('name=stop-api', 'echo stop'),
      '## Migrate {#migrate}',
      ...sh('name=db-sync', 'echo sync'),
      '## Start {#start}',
      ...sh('name=start-api', 'echo start'),
    );
    expect(stateAfter(withText).steps[0]?.blocks.map((b) => b.id)).toEqual(['stop-api']);
    const state = ranWith(V1, ...passed(V1, 'stop'));
    const { state: fitted, changes } = reconcile(withText, state, LATER);
    expect(changes).toEqual([]);
    expect(fitted.steps[0]).toMatchObject({ status: 'passed', blocks: [{ id: 'stop-api', status: 'passed' }] });
  });

  it('a passed step keeps when it finished; one that must run again because of drift loses it', () => {
    const state = ranWith(V1, ...passed(V1, 'stop'), ...passed(V1, 'migrate'));
    expect(state.steps[0]?.finishedAt).toBe(LATER);
    const v2 = book(
      '# R',
      '## Stop {#stop}',
      ...sh('name=stop-api', 'echo stop'),
      '## Migrate {#migrate}',
      ...sh('name=db-sync', 'echo sync --all'),
      '## Start {#start}',
      ...sh('name=start-api', 'echo start'),
    );
    const { state: fitted } = reconcile(v2, state, LATER);
    expect(fitted.steps[0]?.finishedAt).toBe(LATER);
    expect(fitted.steps[1]?.status).toBe('pending');
    expect(fitted.steps[1]).not.toHaveProperty('finishedAt');
  });

  it('a step passed by an override runs again when one of its blocks changed', () => {
    const gated = book(
      '# R',
      '## Gate {#gate}',
      ...sh('check name=charset', 'true'),
      ...sh('name=after', 'echo after'),
      '## End {#end}',
      ...sh('name=end'),
    );
    const state = ranWith(
      gated,
      ...ran('gate', 'charset', 'failure'),
      overridden('gate', 'charset'),
      ...ran('gate', 'after'),
      finishedStep('gate'),
    );
    expect(state.steps[0]?.status).toBe('overridden');
    const v2 = book(
      '# R',
      '## Gate {#gate}',
      ...sh('check name=charset', 'true'),
      ...sh('name=after', 'echo after, changed'),
      '## End {#end}',
      ...sh('name=end'),
    );
    const { state: fitted, changes } = reconcile(v2, state, LATER);
    expect(changes).toEqual([{ kind: 'drift-changed', step: 'gate', block: 'after' }]);
    expect(fitted.steps[0]?.status).toBe('pending');
  });

  it('a step left interrupted with no block cut short any more waits for the operator, it is not interrupted again', () => {
    const state = ranWith(V1, ...passed(V1, 'stop'), ...ran('migrate', 'db-sync'));
    const left: RunState = { ...state, steps: state.steps.map((s) => (s.id === 'migrate' ? { ...s, status: 'interrupted' } : s)) };
    const { state: fitted, changes } = reconcile(V1, left, LATER);
    expect(changes).toEqual([]);
    expect(fitted.steps[1]?.status).toBe('waiting');
  });

  it('keeps the hashes of checkpoints already written: 16 hex characters of SHA-256 over the info string, a NUL, and the code', () => {
    // A changed formula would make every passed block of every open run look changed (drift) after an upgrade.
    const block = stepOf(V1, 'migrate').blocks[0]!;
    const expected = createHash('sha256').update('sh name=db-sync\0echo sync').digest('hex').slice(0, 16);
    expect(blockHash(block)).toBe(expected);
    const step = stepOf(V1, 'migrate');
    expect(stepHash(step)).toBe(createHash('sha256').update(`${step.title}\0${step.markdown}`).digest('hex').slice(0, 16));
    expect(initialRunState(V1, { id: 'r', operator: 'a', host: 'h', profile: null, vars: {}, at: LATER }).steps[1]).toMatchObject({
      hash: stepHash(step),
      blocks: [{ hash: expected }],
    });
  });

  it('tells the operator every kind of change in words', () => {
    const said = (
      [
        { kind: 'interrupted', step: 's', block: 'b' },
        { kind: 'drift-changed', step: 's', block: 'b' },
        { kind: 'drift-new-step', step: 's', beforeCurrent: true },
        { kind: 'drift-new-step', step: 's', beforeCurrent: false },
        { kind: 'drift-new-block', step: 's', block: 'b' },
        { kind: 'drift-removed-step', step: 's', status: 'passed' },
        { kind: 'drift-removed-block', step: 's', block: 'b', status: 'failed' },
      ] as const
    ).map(describeReconciliation);
    expect(said).toEqual([
      'block b (step s) was running when waymark stopped: it is interrupted and will not be re-run without your decision',
      'drift: block b (step s) changed since it passed; it will run again',
      'drift: new step s before the current one; it must run before the run goes on',
      'drift: new step s',
      'drift: new block b in step s; it will run',
      'drift: step s (passed) is no longer in the runbook',
      'drift: block b (step s, failed) is no longer in the runbook',
    ]);
  });
});
