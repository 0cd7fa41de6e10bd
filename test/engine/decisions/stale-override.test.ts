/**
 * An override answers the verdict of the check as the runbook has it now. Reproduced by the gates
 * attack pass: a check without override=allowed refused; the runbook was edited to add
 * override=allowed (a refused check is not drift, so no notice and no audit record said so), and
 * `--override replicas="lag is expected today"` let the run past the refusal of the old check.
 * Now the check must run again first; its new refusal may then be overridden.
 */
import { describe, expect, it } from 'vitest';
import { nextAction } from '../../../src/engine/plan.js';
import { decisionsFor, refusal } from '../../../src/engine/decisions.js';
import { headlessPolicy, type HeadlessFlags } from '../../../src/engine/headless-policy.js';
import { ExitCode } from '../../../src/engine/errors.js';
import { book, interrupted, ran, sh, started, stateAfter } from '../fixtures.js';

const gate = (info: string) =>
  book('# Gate', '## Pre {#pre}', ...sh(`check name=replicas ${info}`, 'exit 1'), '## Do {#do}', ...sh('name=doit'));
const BEFORE = gate('');
const AFTER = gate('override=allowed');
const FLAGS: HeadlessFlags = {
  yes: false,
  acceptWarnings: false,
  rerunInterrupted: false,
  overrides: new Map([['replicas', 'lag is expected today']]),
  skips: new Map(),
};

describe('override of a check edited since its verdict', () => {
  it('refused before the edit: no override until it ran again; headless re-runs it first', () => {
    const state = stateAfter(BEFORE, ...ran('pre', 'replicas', 'failure'));
    const d = decisionsFor(AFTER, state, nextAction(AFTER, state));
    expect(d.action.kind).toBe('refused');
    expect(d.choices.map((c) => c.kind)).not.toContain('override');
    expect(refusal(d, { kind: 'override', reason: 'lag is expected today', block: 'replicas' })).toEqual({
      message:
        'check replicas changed in the runbook since it refused: re-run it first; an override applies to the verdict of the check as it is now',
      exitCode: ExitCode.Refused,
    });
    expect(refusal(d, { kind: 'override', reason: 'lag is expected today' })?.message).toContain('changed in the runbook since it refused');
    expect(headlessPolicy(d, FLAGS, { ranHere: () => false, operator: 'o' })).toEqual({ kind: 'answer', answer: { kind: 'rerun' } });
  });

  it('refused again as it is now: the override is allowed', () => {
    const state = stateAfter(AFTER, ...ran('pre', 'replicas', 'failure'));
    const d = decisionsFor(AFTER, state, nextAction(AFTER, state));
    expect(refusal(d, { kind: 'override', reason: 'lag is expected today', block: 'replicas' })).toBeNull();
  });

  it('interrupted before the edit: the same', () => {
    const state = stateAfter(BEFORE, started('pre', 'replicas'), interrupted('pre', 'replicas'));
    const d = decisionsFor(AFTER, state, nextAction(AFTER, state));
    expect(d.action.kind).toBe('interrupted');
    expect(d.choices.map((c) => c.kind)).not.toContain('override');
    expect(refusal(d, { kind: 'override', reason: 'lag is expected today' })?.message).toContain(
      'changed in the runbook since it was interrupted',
    );
  });
});
