/**
 * A check that started and has not passed holds every later step, whatever the selection.
 * Reproduced by the attack pass on the merged issue-10 work: a check interrupted by SIGTERM (or
 * left `running` by a SIGKILL), or a `severity=warning` check never acknowledged, did not hold
 * `--only dataplane`: the later tagged step that wipes data ran, and the run exited 0.
 */
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../../src/runbook/parse.js';
import { initialRunState } from '../../../src/engine/reconcile.js';
import { reduce, type RunEvent, type RunState } from '../../../src/engine/run-state.js';
import { nextAction } from '../../../src/engine/plan.js';

const AT = '2026-12-04T00:00:00.000Z';
const RUNBOOK = parseRunbook(
  [
    '# Gate then wipe',
    '',
    '## Precheck {#pre}',
    '',
    '```sh check name=slow',
    'sleep 30; exit 1',
    '```',
    '',
    '## Wipe {#wipe tags=dataplane}',
    '',
    '```sh name=wipe',
    'echo WIPED >> trace',
    '```',
    '',
  ].join('\n'),
  '/tmp/gate.md',
);
const onlyDataplane = (step: { tags: string[] }) => step.tags.includes('dataplane');

function after(...events: RunEvent[]): RunState {
  let state = initialRunState(RUNBOOK, { id: 'r', operator: 'o', host: 'h', profile: null, vars: {}, at: AT });
  for (const event of events) state = reduce(state, event);
  return state;
}

const started: RunEvent = { type: 'block-started', step: 'pre', block: 'slow', hash: 'h', log: 'logs/slow.1.log', at: AT };
const finished = (outcome: 'warning' | 'failure'): RunEvent => ({
  type: 'block-finished',
  step: 'pre',
  block: 'slow',
  outcome,
  exitCode: 1,
  attempts: 1,
  durationMs: 1,
  at: AT,
});

describe('a check that has not passed holds --only past it', () => {
  it('interrupted (SIGTERM while it ran): the next action is the interrupted check, not the wipe', () => {
    const action = nextAction(RUNBOOK, after(started, { type: 'block-interrupted', step: 'pre', block: 'slow', at: AT }), onlyDataplane);
    expect(action.kind).toBe('interrupted');
    expect(action.kind !== 'complete' && action.step.id).toBe('pre');
  });

  it('left running by a SIGKILL: the same', () => {
    const action = nextAction(RUNBOOK, after(started), onlyDataplane);
    expect(action.kind).toBe('interrupted');
  });

  it('a warning never acknowledged: it waits for the acknowledgement', () => {
    const action = nextAction(RUNBOOK, after(started, finished('warning')), onlyDataplane);
    expect(action.kind).toBe('acknowledge');
  });

  it('refused: still refused (item 2)', () => {
    expect(nextAction(RUNBOOK, after(started, finished('failure')), onlyDataplane).kind).toBe('refused');
  });

  it('a check never started does not hold a selected stage (stages run on their own)', () => {
    const action = nextAction(RUNBOOK, after(), onlyDataplane);
    expect(action.kind === 'run' && action.block.id).toBe('wipe');
  });
});
