/**
 * approve=N (engine/approval.ts through plan.ts): the block waits until N distinct operators other
 * than the runner approved its exact resolved content; an approval of other content, or by the
 * runner, does not count.
 */
import { describe, expect, it } from 'vitest';
import { nextAction } from '../../../src/engine/plan.js';
import { approvalHash, approvalsLeft } from '../../../src/engine/approval.js';
import { exitCodeFor, decisionsFor } from '../../../src/engine/decisions.js';
import { ExitCode } from '../../../src/engine/errors.js';
import type { RunEvent, RunState } from '../../../src/engine/run-state.js';
import type { Runbook } from '../../../src/runbook/model.js';
import { book, sh, stateAfter, stepOf } from '../fixtures.js';

const CONTRACT = (approve: string, code = 'drop') =>
  book('# Contract', '## Contract {#contract}', ...sh(`name=drop-columns ${approve}`, code));

function approved(runbook: Runbook, by: string, state: Pick<RunState, 'vars' | 'secretDigests'> = { vars: {} }): RunEvent {
  const step = stepOf(runbook, 'contract');
  const block = step.blocks[0]!;
  return {
    type: 'block-approved',
    step: 'contract',
    block: block.id,
    approval: { by, at: '2026-12-04T10:01:00.000Z', hash: approvalHash(block, step, state) },
  };
}

describe('approve=', () => {
  it('waits for approval, exit 4, with no answer for the runner but stop', () => {
    const runbook = CONTRACT('approve=1');
    const state = stateAfter(runbook);
    const next = nextAction(runbook, state, undefined, 'alice');
    expect(next.kind).toBe('approval');
    expect(exitCodeFor(next)).toBe(ExitCode.Waiting);
    const d = decisionsFor(runbook, state, next);
    expect(d.summary).toBe('block drop-columns is waiting for approval by someone other than alice');
    expect(d.reason).toContain('waymark approve /tmp/book.md --block drop-columns --operator NAME');
    expect(d.choices.map((c) => c.kind)).toEqual(['stop']);
  });

  it("another operator's approval lets it run; the runner's own does not count", () => {
    const runbook = CONTRACT('approve=1');
    expect(nextAction(runbook, stateAfter(runbook, approved(runbook, 'alice')), undefined, 'alice').kind).toBe('approval');
    expect(nextAction(runbook, stateAfter(runbook, approved(runbook, 'bob')), undefined, 'alice').kind).toBe('run');
    // Bob resuming the run himself: his own approval does not count for his session.
    expect(nextAction(runbook, stateAfter(runbook, approved(runbook, 'bob')), undefined, 'bob').kind).toBe('approval');
  });

  it('says how many approvals are still needed, the one count both faces show (the TUI: "1 more needed")', () => {
    const runbook = CONTRACT('approve=3');
    const left = (...events: RunEvent[]) => {
      const next = nextAction(runbook, stateAfter(runbook, ...events), undefined, 'alice');
      return next.kind === 'approval' ? approvalsLeft(next.standing) : 0;
    };
    expect(left()).toBe(3);
    expect(left(approved(runbook, 'bob'), approved(runbook, 'bob'), approved(runbook, 'alice'))).toBe(2);
    expect(left(approved(runbook, 'bob'), approved(runbook, 'carol'))).toBe(1);
    expect(left(approved(runbook, 'bob'), approved(runbook, 'carol'), approved(runbook, 'dave'), approved(runbook, 'erin'))).toBe(0);
    expect(approvalsLeft(null)).toBe(0);
  });

  it('approve=2 needs two distinct approvers', () => {
    const runbook = CONTRACT('approve=2');
    const once = stateAfter(runbook, approved(runbook, 'bob'), approved(runbook, 'bob'));
    const next = nextAction(runbook, once, undefined, 'alice');
    expect(next.kind).toBe('approval');
    expect(decisionsFor(runbook, once, next).summary).toBe(
      'block drop-columns is waiting for 2 approvals (1 given: bob) by someone other than alice',
    );
    expect(nextAction(runbook, stateAfter(runbook, approved(runbook, 'bob'), approved(runbook, 'carol')), undefined, 'alice').kind).toBe(
      'run',
    );
  });

  it('an approval of other content does not count: the code, or the values it runs with, changed', () => {
    const before = CONTRACT('approve=1', 'drop');
    const after = CONTRACT('approve=1', 'drop --cascade');
    expect(nextAction(after, stateAfter(after, approved(before, 'bob')), undefined, 'alice').kind).toBe('approval');
    const otherValues = approved(before, 'bob', { vars: { TABLE: 'instances' } });
    expect(nextAction(before, stateAfter(before, otherValues), undefined, 'alice').kind).toBe('approval');
    const stepOfIt = stepOf(before, 'contract');
    expect(approvalHash(stepOfIt.blocks[0]!, stepOfIt, { vars: {}, secretDigests: { PW: 'a' } })).not.toBe(
      approvalHash(stepOfIt.blocks[0]!, stepOfIt, { vars: {}, secretDigests: { PW: 'b' } }),
    );
  });

  it('captured values are part of the content: another capture is another content; no captures, the hash is as before', () => {
    const runbook = CONTRACT('approve=1');
    const step = stepOf(runbook, 'contract');
    const block = step.blocks[0]!;
    const captured = (value: string) => ({ TABLE: { step: 'find', block: 'find-table', value, secret: false, at: 'x' } });
    expect(approvalHash(block, step, { vars: {}, captures: captured('shadow_instances') })).not.toBe(
      approvalHash(block, step, { vars: {}, captures: captured('instances') }),
    );
    const secret = (digest: string) => ({ PW: { step: 'find', block: 'find-pw', secret: true, digest, at: 'x' } });
    expect(approvalHash(block, step, { vars: {}, captures: secret('a') })).not.toBe(
      approvalHash(block, step, { vars: {}, captures: secret('b') }),
    );
    expect(approvalHash(block, step, { vars: {}, captures: {} })).toBe(approvalHash(block, step, { vars: {} }));
  });

  // Reproduced: bob approved drop-columns under the default shell; the runbook's front matter then
  // said `shell: ./wrapper`, and his approval still let the block run, now through ./wrapper.
  it("the runbook's shell: is part of the content: an approval given under bash does not cover ./wrapper; under bash the hash is as before", () => {
    const runbook = CONTRACT('approve=1');
    const approval = approved(runbook, 'bob');
    const wrapped: Runbook = { ...runbook, shell: './wrapper' };
    expect(nextAction(runbook, stateAfter(runbook, approval), undefined, 'alice').kind).toBe('run');
    expect(nextAction(wrapped, stateAfter(wrapped, approval), undefined, 'alice').kind).toBe('approval');
    const step = stepOf(runbook, 'contract');
    const block = step.blocks[0]!;
    expect(approvalHash(block, step, { vars: {} }, 'bash')).toBe(approvalHash(block, step, { vars: {} }));
    expect(approvalHash(block, step, { vars: {} }, './wrapper')).not.toBe(approvalHash(block, step, { vars: {} }));
  });

  it('a block without approve= never waits for one', () => {
    const runbook = book('# Plain', '## Contract {#contract}', ...sh('name=drop-columns'));
    expect(nextAction(runbook, stateAfter(runbook), undefined, 'alice').kind).toBe('run');
  });
});
