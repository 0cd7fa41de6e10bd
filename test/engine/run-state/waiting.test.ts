/**
 * "Interrupted" means a block was cut short. Reproduced: quitting with a checklist pending, or
 * headless stopping at a `confirm` block, left the step `interrupted` (⚡, and `waymark status`
 * said `interrupted convert-charset`) though every block of it had passed.
 */
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../../src/runbook/parse.js';
import { initialRunState, reconcile } from '../../../src/engine/reconcile.js';
import { reduce, type RunEvent, type RunState } from '../../../src/engine/run-state.js';

const AT = '2026-12-04T00:00:00.000Z';
const RUNBOOK = parseRunbook(
  [
    '# Convert',
    '',
    '## Convert charset {#convert-charset}',
    '',
    '```sh name=convert',
    'echo converted',
    '```',
    '',
    '```sh confirm name=drop-old',
    'echo dropped',
    '```',
    '',
    '- [ ] Spot-checked a table',
    '',
  ].join('\n'),
  '/tmp/convert.md',
);

function after(...events: RunEvent[]): RunState {
  let state = initialRunState(RUNBOOK, { id: 'r', operator: 'o', host: 'h', profile: null, vars: {}, at: AT });
  for (const event of events) state = reduce(state, event);
  return state;
}
const ran = (block: string): RunEvent[] => [
  { type: 'block-started', step: 'convert-charset', block, hash: 'h', log: 'l', at: AT },
  { type: 'block-finished', step: 'convert-charset', block, outcome: 'success', exitCode: 0, attempts: 1, durationMs: 1, at: AT },
];
const paused: RunEvent = { type: 'run-status', status: 'waiting', at: AT };

describe('a step stopped between blocks waits; it is not interrupted', () => {
  it('the run pausing at a confirmation leaves the step waiting', () => {
    const state = after(...ran('convert'), paused);
    expect(state.steps[0]?.status).toBe('waiting');
  });

  it('the run pausing at a checklist, every block passed, leaves the step waiting', () => {
    const state = after(...ran('convert'), ...ran('drop-old'), paused);
    expect(state.steps[0]?.status).toBe('waiting');
  });

  it('a block that was interrupted still makes its step interrupted', () => {
    const state = after(
      { type: 'block-started', step: 'convert-charset', block: 'convert', hash: 'h', log: 'l', at: AT },
      { type: 'block-interrupted', step: 'convert-charset', block: 'convert', at: AT },
      paused,
    );
    expect(state.steps[0]?.status).toBe('interrupted');
  });

  it('read back (status, resume): a step left running with no block running waits, one with a block left running is interrupted', () => {
    // A checkpoint as the old session.close left it: run paused, step still `running`.
    const old = after(...ran('convert'));
    expect(old.steps[0]?.status).toBe('running');
    expect(reconcile(RUNBOOK, old, AT).state.steps[0]?.status).toBe('waiting');
    const killed = after({ type: 'block-started', step: 'convert-charset', block: 'convert', hash: 'h', log: 'l', at: AT });
    const fitted = reconcile(RUNBOOK, killed, AT);
    expect(fitted.state.steps[0]?.status).toBe('interrupted');
    expect(fitted.changes).toEqual([{ kind: 'interrupted', step: 'convert-charset', block: 'convert' }]);
  });
});
