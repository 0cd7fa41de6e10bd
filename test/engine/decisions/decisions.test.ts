/**
 * decisions.ts is the one place that knows which answers the run allows; headlessPolicy picks
 * among them from flags. These tests walk a small runbook through its states with the real
 * parser and reducer, and check what an operator would be offered (or refused) at each.
 */
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../../src/runbook/parse.js';
import type { Runbook } from '../../../src/runbook/model.js';
import { blockHash, initialRunState } from '../../../src/engine/reconcile.js';
import { reduce, type RunEvent, type RunState } from '../../../src/engine/run-state.js';
import { nextAction, remedyFor } from '../../../src/engine/plan.js';
import { INTERRUPTED_REASON, decisionsFor, exitCodeFor, refusal, type Answer, type Decisions } from '../../../src/engine/decisions.js';
import { headlessPolicy, type HeadlessFlags } from '../../../src/engine/headless-policy.js';
import { ExitCode } from '../../../src/engine/errors.js';

const SOURCE = `---
id: decide
---
# Decide

## Gate {#gate}

\`\`\`sh check name=strict
exit 1
\`\`\`

Convert the tables with the next step.

\`\`\`sh check override=allowed name=soft
exit 1
\`\`\`

\`\`\`sh name=migrate confirm
echo migrate
\`\`\`

\`\`\`sh rollback name=undo
echo undo
\`\`\`

- [ ] dashboards are green

## Fix {#fix optional fixes=gate}

\`\`\`sh name=convert
echo convert
\`\`\`

## Tell {#tell}

Tell the team.
`;

const AT = '2026-12-05T00:00:00.000Z';
const runbook: Runbook = parseRunbook(SOURCE, 'runbooks/decide.md');

function start(): RunState {
  return initialRunState(runbook, { id: 'r1', operator: 'alice', host: 'h', profile: null, vars: {}, at: AT });
}

function apply(state: RunState, ...events: RunEvent[]): RunState {
  return events.reduce(reduce, state);
}

function ran(step: string, block: string, outcome: 'success' | 'failure' | 'error' | 'warning', reason = ''): RunEvent[] {
  // The hash of the block's content, as a session records it: an override answers the check as it is now.
  const found = runbook.steps.find((s) => s.id === step)?.blocks.find((b) => b.id === block);
  return [
    { type: 'block-started', step, block, hash: found ? blockHash(found) : 'h', log: 'l', at: AT },
    {
      type: 'block-finished',
      step,
      block,
      outcome,
      exitCode: outcome === 'success' ? 0 : 1,
      attempts: 1,
      durationMs: 1,
      at: AT,
      ...(reason ? { reason } : {}),
    },
  ];
}

function decide(state: RunState, busy = false): Decisions {
  return decisionsFor(runbook, state, nextAction(runbook, state), { busy });
}

// Every check of a gate runs before it refuses (issue 14): a refused strict is decided once soft ran too.
const kinds = (d: Decisions) => d.choices.map((c) => c.kind);
const NO_FLAGS: HeadlessFlags = { yes: false, acceptWarnings: false, rerunInterrupted: false, overrides: new Map(), skips: new Map() };

describe('decisionsFor: the answers allowed now', () => {
  it('a fresh run offers only to run its first check, and a stop', () => {
    const d = decide(start());
    expect(d.action.kind).toBe('run');
    expect(d.block?.id).toBe('strict');
    // The checklist of the step the run is on can be ticked; nothing to roll back, nothing to override.
    expect(kinds(d)).toEqual(['run', 'tick', 'stop']);
  });

  it('while a block runs, only stop', () => {
    expect(kinds(decide(start(), true))).toEqual(['stop']);
    expect(refusal(decide(start(), true), { kind: 'run' })?.message).toMatch(/another block is running/);
  });

  it('a refused check without override=allowed: re-run, run its fix step, roll back, tick, stop; never override or mark done', () => {
    const d = decide(apply(start(), ...ran('gate', 'strict', 'failure', 'exit 1'), ...ran('gate', 'soft', 'success')));
    expect(d.action.kind).toBe('refused');
    expect(kinds(d)).toEqual(['rerun', 'run-fix', 'rollback', 'tick', 'stop']);
    expect(d.summary).toContain('(it cannot be overridden)');
    expect(d.remedy).toBe('Convert the tables with the next step.');
    expect(d.fixes.map((s) => s.id)).toEqual(['fix']);
    expect(refusal(d, { kind: 'override', reason: 'the DBA said so, twice' })).toMatchObject({ exitCode: ExitCode.Refused });
    expect(refusal(d, { kind: 'mark-done', reason: 'the DBA said so, twice' })).toMatchObject({ exitCode: ExitCode.Refused });
  });

  it('a check that could not run (an error) is not given the runbook remedy for a failure', () => {
    const state = apply(start(), ...ran('gate', 'strict', 'error', 'connection refused'), ...ran('gate', 'soft', 'success'));
    const d = decide(state);
    expect(d.action.kind).toBe('refused');
    expect(d.reason).toBe('connection refused');
    expect(d.remedy).toBeNull();
    expect(remedyFor(d.block!, d.blockState!)).toBeNull();
  });

  it('an override needs a reason of ten characters; an allowed one is accepted', () => {
    const state = apply(start(), ...ran('gate', 'strict', 'success'), ...ran('gate', 'soft', 'failure'));
    const d = decide(state);
    expect(kinds(d)).toContain('override');
    expect(refusal(d, { kind: 'override', reason: 'ok' })?.message).toMatch(/at least 10 characters/);
    expect(refusal(d, { kind: 'override', reason: 'checked the disk by hand' })).toBeNull();
  });

  it('a confirm block: run is refused (exit 4), confirm-run is the answer', () => {
    const state = apply(start(), ...ran('gate', 'strict', 'success'), ...ran('gate', 'soft', 'success'));
    const d = decide(state);
    expect(d.block?.id).toBe('migrate');
    expect(d.command).toBe('echo migrate');
    expect(kinds(d)).toEqual(['confirm-run', 'tick', 'stop']);
    expect(refusal(d, { kind: 'run' })).toMatchObject({ exitCode: ExitCode.Waiting });
    expect(refusal(d, { kind: 'confirm-run' })).toBeNull();
  });

  it('an interrupted run block may be re-run or marked done; an interrupted check only re-run', () => {
    const passed = apply(start(), ...ran('gate', 'strict', 'success'), ...ran('gate', 'soft', 'success'));
    const block = decide(
      apply(
        passed,
        { type: 'block-started', step: 'gate', block: 'migrate', hash: 'h', log: 'l', at: AT },
        { type: 'block-interrupted', step: 'gate', block: 'migrate', at: AT },
      ),
    );
    expect(block.action.kind).toBe('interrupted');
    // The interrupted block needs a confirmation again: its command is shown before it re-runs.
    expect(block.choices.find((c) => c.kind === 'rerun')).toMatchObject({ confirms: true });
    expect(kinds(block)).toEqual(['rerun', 'mark-done', 'rollback', 'tick', 'stop']);
    expect(refusal(block, { kind: 'rerun' })).toMatchObject({ exitCode: ExitCode.Waiting });

    const check = decide(
      apply(
        start(),
        { type: 'block-started', step: 'gate', block: 'strict', hash: 'h', log: 'l', at: AT },
        { type: 'block-interrupted', step: 'gate', block: 'strict', at: AT },
      ),
    );
    expect(kinds(check)).toEqual(['rerun', 'rollback', 'tick', 'stop']);
    expect(refusal(check, { kind: 'mark-done', reason: 'it would have passed' })).toMatchObject({
      exitCode: ExitCode.Refused,
      message: expect.stringMatching(/cannot be marked done/),
    });
  });

  it('rollback: only a rollback block of the step, and only once confirmed', () => {
    const d = decide(apply(start(), ...ran('gate', 'strict', 'failure'), ...ran('gate', 'soft', 'success')));
    expect(d.rollbacks.map((b) => b.id)).toEqual(['undo']);
    expect(refusal(d, { kind: 'rollback', block: 'undo', confirmed: false })).toMatchObject({ exitCode: ExitCode.Waiting });
    expect(refusal(d, { kind: 'rollback', block: 'migrate', confirmed: true })?.message).toMatch(/not a rollback block/);
    expect(refusal(d, { kind: 'rollback', block: 'undo', confirmed: true })).toBeNull();
    // Before anything failed, no rollback is offered (reproduced: the footer advertised b rollback on any step).
    expect(refusal(decide(start()), { kind: 'rollback', block: 'undo', confirmed: true })?.message).toMatch(/only after a failure/);
  });

  it('a step with nothing to run asks a confirmation; an optional step may be skipped, a required one not', () => {
    let state = apply(
      start(),
      ...ran('gate', 'strict', 'success'),
      ...ran('gate', 'soft', 'success'),
      ...ran('gate', 'migrate', 'success'),
    );
    state = apply(state, { type: 'item-ticked', step: 'gate', item: runbook.steps[0]!.checklist[0]!.id, decision: { by: 'a', at: AT } });
    state = apply(state, { type: 'step-finished', step: 'gate', at: AT });
    const fix = decide(state);
    expect(fix.step?.id).toBe('fix');
    expect(kinds(fix)).toEqual(['run', 'skip', 'stop']);
    state = apply(state, { type: 'step-skipped', step: 'fix', decision: { by: 'a', at: AT, reason: 'no latin1 tables left' } });
    const tell = decide(state);
    expect(kinds(tell)).toEqual(['confirm-step', 'stop']);
    expect(refusal(tell, { kind: 'skip', reason: 'not needed this time' })?.message).toMatch(/not optional/);
  });

  // Issue 12, "move freely": at a refused check the operator had to quit and relaunch with
  // --only to run the step that fixes it. The answer run-fix does it in the same session.
  it('run-fix: offered at a refused check for the steps that declare fixes= for it, and only those', () => {
    const refused = apply(start(), ...ran('gate', 'strict', 'failure', 'exit 1'), ...ran('gate', 'soft', 'success'));
    const d = decide(refused);
    expect(d.choices.find((c) => c.kind === 'run-fix')).toMatchObject({
      label: 'run fix step fix now',
      needsReason: false,
      confirms: false,
    });
    expect(refusal(d, { kind: 'run-fix', step: 'fix' })).toBeNull();
    expect(refusal(d, { kind: 'run-fix', step: 'tell' })).toMatchObject({
      exitCode: ExitCode.BadInput,
      message: 'step tell does not fix check strict (the steps that do: fix)',
    });
    // Not before the check ran, and not at an interrupted check: there is nothing refused to fix.
    expect(refusal(decide(start()), { kind: 'run-fix', step: 'fix' })?.message).toMatch(/a fix step runs only while a check refuses/);
    const cut = decide(
      apply(
        start(),
        { type: 'block-started', step: 'gate', block: 'strict', hash: 'h', log: 'l', at: AT },
        { type: 'block-interrupted', step: 'gate', block: 'strict', at: AT },
      ),
    );
    expect(kinds(cut)).not.toContain('run-fix');
    // A fix step that is done has had its turn: the check is re-run, not fixed again.
    const fixed = apply(refused, ...ran('fix', 'convert', 'success'), { type: 'step-finished', step: 'fix', at: AT });
    const after = decide(fixed);
    expect(after.action.kind).toBe('refused');
    expect(kinds(after)).not.toContain('run-fix');
    expect(refusal(after, { kind: 'run-fix', step: 'fix' })?.message).toMatch(
      /no step declares fixes=gate for check strict, or each one is done already/,
    );
  });

  it('run-fix is never a headless answer: headless keeps --only', () => {
    const refused = apply(start(), ...ran('gate', 'strict', 'failure', 'exit 1'), ...ran('gate', 'soft', 'success'));
    const step = headlessPolicy(decide(refused), { ...NO_FLAGS, yes: true }, { ranHere: () => true, operator: 'alice' });
    expect(step).toEqual({ kind: 'wait', exitCode: ExitCode.Refused });
  });

  // Reproduced (issue 12, item 8): an interrupted check showed "INTERRUPTED strict: exit 1" (its
  // earlier refusal) or "INTERRUPTED warm-cache:" with nothing after it.
  it("an interrupted block is held for the reason it stopped, not an earlier execution's", () => {
    const refusedThenCut = apply(
      start(),
      ...ran('gate', 'strict', 'failure', 'exit 1'),
      { type: 'block-started', step: 'gate', block: 'strict', hash: 'h', log: 'l', at: AT },
      { type: 'block-interrupted', step: 'gate', block: 'strict', at: AT },
    );
    const d = decide(refusedThenCut);
    expect(d.action.kind).toBe('interrupted');
    expect(d.reason).toBe(INTERRUPTED_REASON);
    expect(d.reason).toMatch(/^it did not finish/);
  });

  it('exit codes for where the run stands: complete 0, refused 3, failed 1, waiting 4', () => {
    expect(exitCodeFor({ kind: 'complete' })).toBe(0);
    expect(exitCodeFor(nextAction(runbook, apply(start(), ...ran('gate', 'strict', 'failure'), ...ran('gate', 'soft', 'success'))))).toBe(
      3,
    );
    expect(exitCodeFor(nextAction(runbook, start()))).toBe(4);
  });
});

describe('headlessPolicy: flags pick among the allowed answers', () => {
  const policy = (state: RunState, flags: Partial<HeadlessFlags> = {}, ranHere = false) =>
    headlessPolicy(decide(state), { ...NO_FLAGS, ...flags }, { ranHere: () => ranHere, operator: 'alice' });

  it('runs the next block; a confirm block waits (4) without --yes and runs confirmed with it', () => {
    expect(policy(start())).toEqual({ kind: 'answer', answer: { kind: 'run' } });
    const atMigrate = apply(start(), ...ran('gate', 'strict', 'success'), ...ran('gate', 'soft', 'success'));
    expect(policy(atMigrate)).toEqual({ kind: 'wait', exitCode: 4 });
    expect(policy(atMigrate, { yes: true })).toMatchObject({ kind: 'answer', answer: { kind: 'confirm-run', automatic: true } });
  });

  it('a check refused in an earlier invocation is re-run first; refused here, it waits with exit 3', () => {
    const refused = apply(start(), ...ran('gate', 'strict', 'failure'), ...ran('gate', 'soft', 'success'));
    expect(policy(refused, {}, false)).toMatchObject({ kind: 'answer', answer: { kind: 'rerun' } });
    expect(policy(refused, {}, true)).toEqual({ kind: 'wait', exitCode: 3 });
    // --override of a check that does not allow it is never answered (the flag is refused before the run, too).
    expect(policy(refused, { overrides: new Map([['strict', 'it is fine, trust me']]) }, true)).toEqual({ kind: 'wait', exitCode: 3 });
  });

  it('--override answers only the check that allows it', () => {
    const soft = apply(start(), ...ran('gate', 'strict', 'success'), ...ran('gate', 'soft', 'failure'));
    const step = policy(soft, { overrides: new Map([['soft', 'checked the disk by hand']]) }, true);
    expect(step).toMatchObject({ kind: 'answer', answer: { kind: 'override', reason: 'checked the disk by hand' } });
  });

  it('--skip skips an optional step not begun; --yes ticks a checklist one item at a time', () => {
    let state = apply(
      start(),
      ...ran('gate', 'strict', 'success'),
      ...ran('gate', 'soft', 'success'),
      ...ran('gate', 'migrate', 'success'),
    );
    const answers: Answer[] = [];
    const tick = policy(state, { yes: true });
    expect(tick).toMatchObject({
      kind: 'answer',
      answer: { kind: 'tick', automatic: true },
      note: expect.stringContaining('dashboards are green'),
    });
    if (tick.kind === 'answer') answers.push(tick.answer);
    expect(policy(state)).toEqual({ kind: 'wait', exitCode: 4 });
    state = apply(
      state,
      { type: 'item-ticked', step: 'gate', item: runbook.steps[0]!.checklist[0]!.id, decision: { by: 'a', at: AT } },
      { type: 'step-finished', step: 'gate', at: AT },
    );
    expect(policy(state, { skips: new Map([['fix', 'no latin1 tables left']]) })).toEqual({
      kind: 'answer',
      answer: { kind: 'skip', reason: 'no latin1 tables left' },
    });
    // Once the step is running (a block of it started), --skip no longer applies to it.
    const begun = apply(state, { type: 'block-started', step: 'fix', block: 'convert', hash: 'h', log: 'l', at: AT });
    expect(policy(begun, { skips: new Map([['fix', 'no latin1 tables left']]) })).not.toMatchObject({ answer: { kind: 'skip' } });
    expect(answers).toHaveLength(1);
  });

  it('the selection done is exit 0, with nothing answered', () => {
    const d = decisionsFor(runbook, start(), { kind: 'complete' });
    expect(headlessPolicy(d, NO_FLAGS, { ranHere: () => false, operator: 'alice' })).toEqual({ kind: 'wait', exitCode: 0 });
  });
});
