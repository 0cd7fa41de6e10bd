/**
 * refusedGate and fixes=: a check that has not passed holds every later step, selected or not,
 * except a step that declares it fixes that gate; a fix step that is done has had its turn.
 */
import { describe, expect, it } from 'vitest';
import { fixesFor, nextAction, pendingFixesFor, refusedGate } from '../../../src/engine/plan.js';
import { acknowledged, book, overridden, passed, ran, sh, skipped, started, stateAfter, stepOf, where } from '../fixtures.js';

const CHARSET = book(
  '# Charset',
  '## Check charset {#charset}',
  ...sh('check name=latin1 override=allowed'),
  ...sh('name=note-ok'),
  '## Convert tables {#convert fixes=charset tags=convert}',
  ...sh('name=convert-run'),
  '## Other fix {#other-fix fixes=charset optional}',
  ...sh('name=other-run'),
  '## Migrate {#migrate tags=db}',
  ...sh('name=migrate-run'),
);
const refused = () => ran('charset', 'latin1', 'failure');

describe('refusedGate', () => {
  it('no check has run: nothing holds', () => {
    expect(refusedGate(CHARSET, stateAfter(CHARSET))).toBeUndefined();
  });

  it('names the refused check, its step and index', () => {
    const gate = refusedGate(CHARSET, stateAfter(CHARSET, ...refused()));
    expect(gate && { step: gate.step.id, block: gate.block.id, index: gate.index, status: gate.status }).toEqual({
      step: 'charset',
      block: 'latin1',
      index: 0,
      status: 'refused',
    });
  });

  it('an interrupted check, or one left running, holds as interrupted; a warning holds until acknowledged', () => {
    expect(refusedGate(CHARSET, stateAfter(CHARSET, started('charset', 'latin1')))?.status).toBe('interrupted');
    expect(refusedGate(CHARSET, stateAfter(CHARSET, ...ran('charset', 'latin1', 'warning')))?.status).toBe('warning');
    expect(
      refusedGate(CHARSET, stateAfter(CHARSET, ...ran('charset', 'latin1', 'warning'), acknowledged('charset', 'latin1'))),
    ).toBeUndefined();
  });

  it('an overridden check, or a step skipped, holds nothing', () => {
    expect(refusedGate(CHARSET, stateAfter(CHARSET, ...refused(), overridden('charset', 'latin1')))).toBeUndefined();
    const optional = book('# O', '## Maybe {#maybe optional}', ...sh('check name=c'), '## Then {#then}', ...sh('name=t'));
    expect(refusedGate(optional, stateAfter(optional, ...ran('maybe', 'c', 'failure'), skipped('maybe')))).toBeUndefined();
  });

  it('looks only before `before`, and leaves out the steps in `except`', () => {
    const state = stateAfter(CHARSET, ...refused());
    expect(refusedGate(CHARSET, state, 0)).toBeUndefined();
    expect(refusedGate(CHARSET, state, 4, ['charset'])).toBeUndefined();
  });
});

describe('a refused gate holds later steps, whatever the selection', () => {
  it('--only a later stage still stops at the refused check', () => {
    const db = (s: { tags: string[] }) => s.tags.includes('db');
    expect(where(nextAction(CHARSET, stateAfter(CHARSET, ...refused()), db))).toBe('refused charset/latin1');
  });

  it('a check never run does not hold a selected later stage', () => {
    const db = (s: { tags: string[] }) => s.tags.includes('db');
    expect(where(nextAction(CHARSET, stateAfter(CHARSET), db))).toBe('run migrate/migrate-run');
  });
});

describe('fixes=', () => {
  it('fixesFor lists every step that declares it fixes the gate step', () => {
    expect(fixesFor(CHARSET, stepOf(CHARSET, 'charset')).map((s) => s.id)).toEqual(['convert', 'other-fix']);
    expect(fixesFor(CHARSET, stepOf(CHARSET, 'migrate'))).toEqual([]);
  });

  it('a fix step selected runs past the refused gate', () => {
    const convert = (s: { tags: string[] }) => s.tags.includes('convert');
    expect(where(nextAction(CHARSET, stateAfter(CHARSET, ...refused()), convert))).toBe('run convert/convert-run');
  });

  it('once the fix is done, the gate holds the next step that is not a fix of it (it must be re-run)', () => {
    const state = stateAfter(CHARSET, ...refused(), ...passed(CHARSET, 'convert'));
    expect(where(nextAction(CHARSET, state, (s) => s.id !== 'charset'))).toBe('run other-fix/other-run');
    expect(where(nextAction(CHARSET, state, (s) => s.tags.includes('db')))).toBe('refused charset/latin1');
  });

  it('pendingFixesFor leaves out a fix step that is done: it had its turn and the check still refuses', () => {
    const gate = stepOf(CHARSET, 'charset');
    expect(pendingFixesFor(CHARSET, stateAfter(CHARSET, ...refused()), gate).map((s) => s.id)).toEqual(['convert', 'other-fix']);
    expect(pendingFixesFor(CHARSET, stateAfter(CHARSET, ...refused(), ...passed(CHARSET, 'convert')), gate).map((s) => s.id)).toEqual([
      'other-fix',
    ]);
    expect(pendingFixesFor(CHARSET, stateAfter(CHARSET, ...refused(), ...passed(CHARSET, 'convert'), skipped('other-fix')), gate)).toEqual(
      [],
    );
  });
});
