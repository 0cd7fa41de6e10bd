/**
 * Quitting with a checklist pending leaves the step waiting. Reproduced: every block of the step
 * had passed, yet after q the step showed ⚡ and `waymark status` said `interrupted convert-charset`.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readRun } from '../../src/engine/runs.js';
import { KEY, useScreens } from './harness.js';

const ui = useScreens();

describe('quitting at a checklist', () => {
  it('leaves the step and the run waiting, not interrupted, as status reads them back', async () => {
    const runbook = ui.fixture('post-checklist.md');
    const screen = await ui.open(runbook);
    screen.press(KEY.enter);
    await screen.until(() => expect(screen.session.next().kind).toBe('checklist'));
    expect(screen.lines('counter.txt')).toEqual(['convert']);
    screen.press('q');
    await screen.until(() => expect(screen.exited()).toBe(true));
    await screen.session.close();

    const stored = await readRun(join(ui.dir(), 'state'), screen.session.runbook);
    expect(stored?.status).toBe('waiting');
    expect(stored?.state.steps[0]).toMatchObject({ id: 'convert-charset', status: 'waiting' });
  });
});
