/**
 * The resume screen shows the settings the run keeps. Reproduced: resuming the skip-level runbook
 * without `--profile testbed` showed nothing of the recorded profile and variables on the resume
 * screen, so the operator could not see what the checks would run against.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunSession } from '../../src/engine/session.js';
import { flat, useScreens } from './harness.js';

const ui = useScreens();

describe('the resume screen', () => {
  it('shows the recorded profile and non-secret variables, secrets masked, when resumed without --profile', async () => {
    const runbook = ui.fixture('profiles.md');
    const stateDir = join(ui.dir(), 'state');
    const first = await RunSession.open({ runbookFile: runbook, stateDir, operator: 'alice', env: {}, profile: 'testbed' });
    const check = first.runbook.steps[0]!;
    await first.runBlock(check, check.blocks[0]!);
    await first.close();

    // The harness opens it as `waymark profiles.md` would: no --profile.
    const screen = await ui.open(runbook, { resume: true });
    const frame = flat(screen.live());
    expect(frame).toContain('Resuming an unfinished run');
    expect(frame).toContain('settings fixed at its start: profile testbed');
    expect(frame).toContain('TARGET=testbed');
    expect(frame).toContain('DB_TOKEN=••••');
    expect(frame).not.toContain('s3cr3t-t0ken-value');
    // The header shows the recorded profile too.
    expect(frame).toContain('profile testbed');
    expect(frame).not.toContain('no profile');
  });
});
