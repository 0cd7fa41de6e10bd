/**
 * nextAction, one kind at a time: which step and block the operator is shown next, and what
 * holds the run. Runbooks are parsed from Markdown, states are reached through reduce.
 */
import { describe, expect, it } from 'vitest';
import { nextAction, runOrder } from '../../../src/engine/plan.js';
import {
  acknowledged,
  book,
  confirmed,
  interrupted,
  markedDone,
  overridden,
  passed,
  ran,
  sh,
  skipped,
  started,
  stateAfter,
  stepOf,
  ticked,
  where,
} from '../fixtures.js';

const UPGRADE = book(
  '# Upgrade',
  '## Precheck {#pre}',
  ...sh('check name=charset'),
  '## Migrate {#migrate}',
  ...sh('name=schema'),
  ...sh('verify name=schema-ok'),
  ...sh('rollback name=restore'),
  '## Dashboards {#dash}',
  '- [ ] error rate is normal',
  '- [ ] nobody paged',
  '## Tell the team {#tell}',
  'Post in the channel.',
);

describe('nextAction', () => {
  it('a new run starts with the first block of the first step', () => {
    expect(where(nextAction(UPGRADE, stateAfter(UPGRADE)))).toBe('run pre/charset');
  });

  it('within a step, the gate runs before the run and verify blocks, which keep their order', () => {
    const b = book('# B', '## S {#s}', ...sh('name=first'), ...sh('check name=gate'), ...sh('verify name=after'), ...sh('name=last'));
    expect(runOrder(stepOf(b, 's')).map((x) => x.id)).toEqual(['gate', 'first', 'after', 'last']);
    expect(where(nextAction(b, stateAfter(b)))).toBe('run s/gate');
    expect(where(nextAction(b, stateAfter(b, ...ran('s', 'gate'))))).toBe('run s/first');
    expect(where(nextAction(b, stateAfter(b, ...ran('s', 'gate'), ...ran('s', 'first'))))).toBe('run s/after');
  });

  it('rollback, example and display-only blocks are never next', () => {
    const b = book(
      '# B',
      '## S {#s}',
      ...sh('rollback name=undo'),
      ...sh('example name=ex'),
      '```text',
      'just text',
      '```',
      '',
      ...sh('name=real'),
    );
    expect(runOrder(stepOf(b, 's')).map((x) => x.id)).toEqual(['real']);
    expect(where(nextAction(b, stateAfter(b)))).toBe('run s/real');
  });

  it('a step whose blocks all passed waits to be finished, then the next step runs', () => {
    const state = stateAfter(UPGRADE, ...ran('pre', 'charset'));
    expect(where(nextAction(UPGRADE, state))).toBe('finish-step pre');
    expect(where(nextAction(UPGRADE, stateAfter(UPGRADE, ...passed(UPGRADE, 'pre'))))).toBe('run migrate/schema');
  });

  it('a failing check refuses', () => {
    expect(where(nextAction(UPGRADE, stateAfter(UPGRADE, ...ran('pre', 'charset', 'failure'))))).toBe('refused pre/charset');
  });

  it('a check that could not run (error) refuses too', () => {
    expect(where(nextAction(UPGRADE, stateAfter(UPGRADE, ...ran('pre', 'charset', 'error', 127))))).toBe('refused pre/charset');
  });

  it("a failed run block offers the step's rollback blocks", () => {
    const action = nextAction(UPGRADE, stateAfter(UPGRADE, ...passed(UPGRADE, 'pre'), ...ran('migrate', 'schema', 'failure')));
    expect(where(action)).toBe('failed migrate/schema');
    expect(action.kind === 'failed' && action.rollbacks.map((b) => b.id)).toEqual(['restore']);
  });

  it('a failed block in a step without rollback offers none', () => {
    const b = book('# B', '## S {#s}', ...sh('name=only'));
    const action = nextAction(b, stateAfter(b, ...ran('s', 'only', 'failure')));
    expect(action.kind === 'failed' && action.rollbacks).toEqual([]);
  });

  it('a retry that passes moves the step on', () => {
    const state = stateAfter(UPGRADE, ...passed(UPGRADE, 'pre'), ...ran('migrate', 'schema', 'failure'), ...ran('migrate', 'schema'));
    expect(where(nextAction(UPGRADE, state))).toBe('run migrate/schema-ok');
  });

  it('a warning waits for an acknowledgement, and the acknowledgement lets the run go on', () => {
    const warned = stateAfter(UPGRADE, ...ran('pre', 'charset', 'warning'));
    expect(where(nextAction(UPGRADE, warned))).toBe('acknowledge pre/charset');
    expect(where(nextAction(UPGRADE, stateAfter(UPGRADE, ...ran('pre', 'charset', 'warning'), acknowledged('pre', 'charset'))))).toBe(
      'finish-step pre',
    );
  });

  it('a block interrupted, or left running by a crash, waits for a decision', () => {
    const base = passed(UPGRADE, 'pre');
    expect(where(nextAction(UPGRADE, stateAfter(UPGRADE, ...base, started('migrate', 'schema'), interrupted('migrate', 'schema'))))).toBe(
      'interrupted migrate/schema',
    );
    expect(where(nextAction(UPGRADE, stateAfter(UPGRADE, ...base, started('migrate', 'schema'))))).toBe('interrupted migrate/schema');
  });

  it('an interrupted block marked done counts as passed', () => {
    const state = stateAfter(
      UPGRADE,
      ...passed(UPGRADE, 'pre'),
      started('migrate', 'schema'),
      interrupted('migrate', 'schema'),
      markedDone('migrate', 'schema'),
    );
    expect(where(nextAction(UPGRADE, state))).toBe('run migrate/schema-ok');
  });

  it('a checklist waits for every unticked item, and names only those', () => {
    const base = [...passed(UPGRADE, 'pre'), ...passed(UPGRADE, 'migrate')];
    const action = nextAction(UPGRADE, stateAfter(UPGRADE, ...base, ticked('dash', 'dash-check-1')));
    expect(where(action)).toBe('checklist dash');
    expect(action.kind === 'checklist' && action.items.map((i) => i.text)).toEqual(['nobody paged']);
    expect(where(nextAction(UPGRADE, stateAfter(UPGRADE, ...base, ticked('dash', 'dash-check-1'), ticked('dash', 'dash-check-2'))))).toBe(
      'finish-step dash',
    );
  });

  it('a checklist after the blocks waits until the blocks passed', () => {
    const b = book('# B', '## S {#s}', ...sh('name=restart'), '- [ ] service is up');
    expect(where(nextAction(b, stateAfter(b)))).toBe('run s/restart');
    expect(where(nextAction(b, stateAfter(b, ...ran('s', 'restart'))))).toBe('checklist s');
  });

  it('a step with nothing to run and no checklist needs a confirmation, once', () => {
    const base = [...passed(UPGRADE, 'pre'), ...passed(UPGRADE, 'migrate'), ...passed(UPGRADE, 'dash')];
    expect(where(nextAction(UPGRADE, stateAfter(UPGRADE, ...base)))).toBe('confirm-step tell');
    expect(where(nextAction(UPGRADE, stateAfter(UPGRADE, ...base, confirmed('tell'))))).toBe('finish-step tell');
  });

  it('every step passed: complete', () => {
    const all = UPGRADE.steps.flatMap((s) => passed(UPGRADE, s.id));
    expect(nextAction(UPGRADE, stateAfter(UPGRADE, ...all)).kind).toBe('complete');
  });

  it('a skipped optional step is done: the run goes on after it', () => {
    const b = book('# B', '## Maybe {#maybe optional}', ...sh('name=m'), '## Then {#then}', ...sh('name=t'));
    expect(where(nextAction(b, stateAfter(b, skipped('maybe'))))).toBe('run then/t');
  });

  it('an overridden check lets its step go on and the step is done once finished', () => {
    const state = stateAfter(UPGRADE, ...ran('pre', 'charset', 'failure'), overridden('pre', 'charset'));
    expect(where(nextAction(UPGRADE, state))).toBe('finish-step pre');
  });
});

describe('needs= (stages)', () => {
  const STAGED = book(
    '# Staged',
    '## Upgrade api {#api tags=services}',
    ...sh('name=api-up'),
    '## Upgrade conductor {#conductor tags=services}',
    ...sh('name=cond-up'),
    '## Unpin RPC {#unpin needs=services}',
    ...sh('name=unpin-rpc'),
  );
  const services = (step: { tags: string[] }) => step.tags.includes('services');
  const notServices = (step: { tags: string[] }) => !step.tags.includes('services');

  it('a step that needs a stage is blocked until every step of that stage is done, and names what is left', () => {
    const action = nextAction(STAGED, stateAfter(STAGED, ...passed(STAGED, 'api')), notServices);
    expect(where(action)).toBe('blocked unpin');
    expect(action.kind === 'blocked' && action.needs).toEqual(['services']);
    expect(action.kind === 'blocked' && action.waitingFor.map((s) => s.id)).toEqual(['conductor']);
  });

  it('once the stage is done, the step runs', () => {
    const state = stateAfter(STAGED, ...passed(STAGED, 'api'), ...passed(STAGED, 'conductor'));
    expect(where(nextAction(STAGED, state, notServices))).toBe('run unpin/unpin-rpc');
  });

  it('a needs step that has started is not blocked again (it is already past its stage)', () => {
    const state = stateAfter(STAGED, ...passed(STAGED, 'api'), ...passed(STAGED, 'conductor'), ...ran('unpin', 'unpin-rpc', 'failure'));
    expect(where(nextAction(STAGED, state, notServices))).toBe('failed unpin/unpin-rpc');
  });

  it('selecting the stage runs it; the needs step is left for later', () => {
    expect(where(nextAction(STAGED, stateAfter(STAGED), services))).toBe('run api/api-up');
    const state = stateAfter(STAGED, ...passed(STAGED, 'api'), ...passed(STAGED, 'conductor'));
    expect(nextAction(STAGED, state, services).kind).toBe('complete');
  });
});
