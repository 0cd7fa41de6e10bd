/**
 * A rollback block cut short holds the run. Reproduced by the gates attack pass: a migration
 * failed, `--rollback migrate --yes` started its rollback, waymark was killed (or the operator
 * pressed ctrl+c) in the middle of it; the next headless invocation said the rollback "will not be
 * re-run without your decision", then retried the failed migration over the half-done rollback and
 * ran every later step to exit 0. The next action ignored rollback blocks altogether, so the TUI
 * offered the same (r retried the migration; m could not mark the rollback done).
 */
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../../src/runbook/parse.js';
import { initialRunState } from '../../../src/engine/reconcile.js';
import { reduce, type RunEvent, type RunState } from '../../../src/engine/run-state.js';
import { nextAction } from '../../../src/engine/plan.js';
import { decisionsFor, exitCodeFor, refusal } from '../../../src/engine/decisions.js';
import { headlessPolicy, type HeadlessFlags } from '../../../src/engine/headless-policy.js';
import { ExitCode } from '../../../src/engine/errors.js';

const AT = '2026-12-07T00:00:00.000Z';
const RUNBOOK = parseRunbook(
  [
    '# Rollback cut short',
    '',
    '## Pre {#pre}',
    '',
    '```sh check name=ready',
    'true',
    '```',
    '',
    '## Migrate {#migrate}',
    '',
    '```sh check name=room',
    'test -f room',
    '```',
    '',
    '```sh name=migrate',
    'echo migrate',
    '```',
    '',
    '```sh rollback name=undo',
    'echo undo',
    '```',
    '',
    '## After {#after tags=later}',
    '',
    '```sh name=after',
    'echo after',
    '```',
    '',
  ].join('\n'),
  '/tmp/rollback.md',
);

function after(...events: RunEvent[]): RunState {
  let state = initialRunState(RUNBOOK, { id: 'r', operator: 'o', host: 'h', profile: null, vars: {}, at: AT });
  for (const event of events) state = reduce(state, event);
  return state;
}

const start = (step: string, block: string): RunEvent => ({
  type: 'block-started',
  step,
  block,
  hash: 'h',
  log: `logs/${block}.1.log`,
  at: AT,
});
const end = (step: string, block: string, outcome: 'success' | 'failure'): RunEvent => ({
  type: 'block-finished',
  step,
  block,
  outcome,
  exitCode: outcome === 'success' ? 0 : 1,
  attempts: 1,
  durationMs: 1,
  at: AT,
});
const passedPre = [start('pre', 'ready'), end('pre', 'ready', 'success'), { type: 'step-finished', step: 'pre', at: AT } as RunEvent];
const migrateFailed = [
  ...passedPre,
  start('migrate', 'room'),
  end('migrate', 'room', 'success'),
  start('migrate', 'migrate'),
  end('migrate', 'migrate', 'failure'),
];
const FLAGS: HeadlessFlags = { yes: true, acceptWarnings: true, rerunInterrupted: true, overrides: new Map(), skips: new Map() };

describe('a rollback block cut short', () => {
  it('cancelled (ctrl+c, SIGTERM): the next action is the rollback, not a retry of the failed block', () => {
    const state = after(...migrateFailed, start('migrate', 'undo'), { type: 'block-interrupted', step: 'migrate', block: 'undo', at: AT });
    const action = nextAction(RUNBOOK, state);
    expect(action.kind).toBe('interrupted');
    expect(action.kind === 'interrupted' && action.block.id).toBe('undo');
    expect(exitCodeFor(action)).toBe(ExitCode.Waiting);
    const d = decisionsFor(RUNBOOK, state, action);
    expect(d.summary).toContain('rollback block undo was interrupted');
    // Re-run (confirmed, as every rollback), mark done with a reason, or the step's rollbacks; never a retry.
    expect(d.choices.map((c) => c.kind)).toEqual(['rerun', 'mark-done', 'rollback', 'stop']);
    expect(d.choices.find((c) => c.kind === 'rerun')?.confirms).toBe(true);
    expect(refusal(d, { kind: 'retry' })?.message).toMatch(/cannot retry now/);
    expect(refusal(d, { kind: 'rerun' })?.message).toContain("needs the operator's confirmation");
    expect(refusal(d, { kind: 'mark-done', reason: 'checked: the dump was restored' })).toBeNull();
    // Headless does not re-run it with --rerun-interrupted (that would go on to retry the failure): --rollback STEP does.
    expect(headlessPolicy(d, FLAGS, { ranHere: () => false, operator: 'o' })).toEqual({ kind: 'wait', exitCode: ExitCode.Waiting });
  });

  it('left running by a SIGKILL: the same, whatever --only selects', () => {
    const state = after(...migrateFailed, start('migrate', 'undo'));
    const action = nextAction(RUNBOOK, state, (step) => step.tags.includes('later'));
    expect(action.kind === 'interrupted' && action.block.id).toBe('undo');
  });

  it('after a refused check: the rollback holds the run before the check is re-run', () => {
    const state = after(...passedPre, start('migrate', 'room'), end('migrate', 'room', 'failure'), start('migrate', 'undo'), {
      type: 'block-interrupted',
      step: 'migrate',
      block: 'undo',
      at: AT,
    });
    const action = nextAction(RUNBOOK, state);
    expect(action.kind === 'interrupted' && action.block.id).toBe('undo');
  });

  it('marked done: the failure it was rolling back holds the run again', () => {
    const state = after(
      ...migrateFailed,
      start('migrate', 'undo'),
      { type: 'block-interrupted', step: 'migrate', block: 'undo', at: AT },
      {
        type: 'interrupted-marked-done',
        step: 'migrate',
        block: 'undo',
        decision: { by: 'o', at: AT, reason: 'checked: the dump was restored' },
      },
    );
    const action = nextAction(RUNBOOK, state);
    expect(action.kind === 'failed' && action.block.id).toBe('migrate');
  });

  it('a rollback that ended (passed or failed) holds nothing of its own: the failure does', () => {
    for (const outcome of ['success', 'failure'] as const) {
      const action = nextAction(RUNBOOK, after(...migrateFailed, start('migrate', 'undo'), end('migrate', 'undo', outcome)));
      expect(action.kind === 'failed' && action.block.id).toBe('migrate');
    }
  });
});
