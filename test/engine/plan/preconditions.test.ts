/**
 * Checklist items written before a step's first executable block are preconditions: they hold that
 * block. Reproduced on the skip-level runbook: "Mitaka's configuration is deployed" could be left
 * unticked while `a` started the services, because every item was only asked for at the step's end.
 */
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../../src/runbook/parse.js';
import { initialRunState } from '../../../src/engine/reconcile.js';
import { reduce, type BlockState, type RunEvent, type RunState } from '../../../src/engine/run-state.js';
import { nextAction, preconditionsOf, remedyFor } from '../../../src/engine/plan.js';

const AT = '2026-12-04T00:00:00.000Z';
const RUNBOOK = parseRunbook(
  [
    '# Start services',
    '',
    '## Start {#start}',
    '',
    '- [ ] Mitaka configuration is deployed',
    '- [ ] The maintenance window is open',
    '',
    '```sh name=start-services',
    'echo started',
    '```',
    '',
    '- [ ] The dashboards are green',
    '',
    '## Manual {#manual}',
    '',
    '- [ ] Told the team',
    '',
  ].join('\n'),
  '/tmp/start.md',
);
const start = RUNBOOK.steps[0]!;
const manual = RUNBOOK.steps[1]!;

function after(...events: RunEvent[]): RunState {
  let state = initialRunState(RUNBOOK, { id: 'r', operator: 'o', host: 'h', profile: null, vars: {}, at: AT });
  for (const event of events) state = reduce(state, event);
  return state;
}
const tick = (item: string): RunEvent => ({ type: 'item-ticked', step: 'start', item, decision: { by: 'o', at: AT } });
const ran: RunEvent[] = [
  { type: 'block-started', step: 'start', block: 'start-services', hash: 'h', log: 'l', at: AT },
  { type: 'block-finished', step: 'start', block: 'start-services', outcome: 'success', exitCode: 0, attempts: 1, durationMs: 1, at: AT },
];

describe('preconditions', () => {
  it('are the items above the first executable block; a step with nothing to run has none', () => {
    expect(preconditionsOf(start).map((item) => item.text)).toEqual(['Mitaka configuration is deployed', 'The maintenance window is open']);
    expect(preconditionsOf(manual)).toEqual([]);
  });

  it('hold the first block: the next action is the checklist, marked precondition, not run', () => {
    const action = nextAction(RUNBOOK, after());
    expect(action).toMatchObject({ kind: 'checklist', precondition: true, step: { id: 'start' } });
    expect(action.kind === 'checklist' && action.items.map((item) => item.text)).toEqual([
      'Mitaka configuration is deployed',
      'The maintenance window is open',
    ]);
    expect(nextAction(RUNBOOK, after(tick(start.checklist[0]!.id))).kind).toBe('checklist');
  });

  it("once ticked, the block runs; the item after it keeps today's rule (ticked before the step passes)", () => {
    const ticked = [tick(start.checklist[0]!.id), tick(start.checklist[1]!.id)];
    expect(nextAction(RUNBOOK, after(...ticked))).toMatchObject({ kind: 'run', block: { id: 'start-services' } });
    const afterBlock = nextAction(RUNBOOK, after(...ticked, ...ran));
    expect(afterBlock).toMatchObject({ kind: 'checklist', step: { id: 'start' } });
    expect(afterBlock.kind === 'checklist' && afterBlock.precondition).toBeUndefined();
    expect(afterBlock.kind === 'checklist' && afterBlock.items.map((item) => item.text)).toEqual(['The dashboards are green']);
  });

  it('a precondition unticked again holds the rest of the step', () => {
    const first = start.checklist[0]!.id;
    const state = after(tick(first), tick(start.checklist[1]!.id), { type: 'item-unticked', step: 'start', item: first });
    expect(nextAction(RUNBOOK, state)).toMatchObject({ kind: 'checklist', precondition: true });
  });
});

describe("remedyFor: the runbook's remedy is for a failure, never for an error", () => {
  const block = { ...start.blocks[0]!, note: 'Convert them with the next step.' };
  const state = (outcome: BlockState['outcome']): BlockState => ({
    id: block.id,
    role: 'check',
    hash: 'h',
    status: 'refused',
    exitCode: 1,
    attempts: 1,
    executions: 1,
    ...(outcome ? { outcome } : {}),
  });

  it('a failure (the check found what it looks for) shows the remedy', () => {
    expect(remedyFor(block, state('failure'))).toBe('Convert them with the next step.');
  });

  it('an error (database unreachable, command not found) shows none', () => {
    expect(remedyFor(block, state('error'))).toBeNull();
  });

  it('a block without a note, or never run, has none', () => {
    expect(remedyFor(start.blocks[0]!, state('failure'))).toBeNull();
    expect(remedyFor(block, undefined)).toBeNull();
  });
});
