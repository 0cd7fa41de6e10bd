/**
 * --only in the TUI. Reproduced before issue 11: the view showed the first step not done (a step
 * the selection leaves out) while the run worked on the selected one, and when the selection was
 * done the footer said "run … is complete" at 0/2 and the TUI left with exit 4.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunSession } from '../../src/engine/session.js';
import { KEY, useScreens } from './harness.js';

const ui = useScreens();

describe('--only in the TUI', () => {
  it('shows the selected step being run, says "selected steps done" and leaves with exit 0', async () => {
    const runbook = ui.fixture('steps.md');
    const session = await RunSession.open({
      runbookFile: runbook,
      stateDir: join(ui.dir(), 'state'),
      operator: 'tester',
      env: {},
      selected: (step) => step.id === 'announce',
    });
    try {
      await walk(runbook, session);
    } finally {
      await session.close();
    }
  });
});

async function walk(runbook: string, session: RunSession): Promise<void> {
  const screen = await ui.open(runbook, { session });
  // The step view is the selected step's, not "Restart the services", which the selection leaves out.
  await screen.until((f) => expect(f).toContain('Announce (announce)'));
  expect(screen.live()).not.toContain('Restart the services (restart)');
  screen.press(KEY.enter);
  await screen.until(() => expect(screen.lines('counter.txt')).toEqual(['announce']));
  await screen.until((f) => expect(f).toContain('selected steps done'));
  expect(screen.live()).not.toMatch(/is complete/);
  expect(session.complete).toBe(false);
  expect(session.exitCode()).toBe(0);
}
