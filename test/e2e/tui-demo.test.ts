/**
 * The demo runbook (runbooks/demo.md) walked end to end in a real 80x24 terminal by keys alone:
 * its failing configuration check is fixed by its fix step (fixes=config, run with --only fix-config,
 * then the check re-run with r), the warning
 * is acknowledged, the migration confirmed, the retrying verify waited for, the checklist ticked.
 * The demo is copied to a scratch folder: its sandbox lives beside it, never in the repository.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ROOT } from '../support/binary.js';
import { useTmuxWorkspace } from '../support/tmux.js';

vi.setConfig({ testTimeout: 120_000 });

const DEMO = join(ROOT, 'runbooks/demo.md');
const ws = useTmuxWorkspace('wm-tui-demo-');
beforeEach(() => {
  mkdirSync(join(ws.dir, 'runbooks'));
  copyFileSync(DEMO, join(ws.dir, 'runbooks/demo.md'));
});

describe('the demo runbook', () => {
  it('can be walked end to end by keys alone at 80x24', async () => {
    let s = 'demo';
    await ws.tmux.startWaymark(s, ['runbooks/demo.md', '--state-dir', 'state', '--operator', 'demo-e2e'], {
      cwd: ws.dir,
      columns: 80,
      rows: 24,
    });
    await ws.tmux.waitFor(s, /enter run next/);

    // 1. Set up the sandbox: `a` runs its check, run and verify blocks.
    await ws.tmux.keys(s, ['a']);
    await ws.tmux.waitFor(s, /Check the configuration \(config\)/);

    // 2. The configuration check fails and holds the run.
    await ws.tmux.keys(s, ['Enter']);
    let screen = await ws.tmux.waitFor(s, /GATE: check failed cache-enabled/);
    expect(screen).not.toContain('rollback (b runs the selected one)');
    await ws.tmux.keys(s, ['Enter']);
    await ws.tmux.waitFor(s, /check cache-enabled failed and holds the run/);
    // Its fix is a step that declares fixes=config: run alone (--only fix-config) while the check refuses.
    await ws.tmux.keys(s, ['q']);
    await ws.tmux.waitForExit(s);
    const fix = 'demo-fix';
    await ws.tmux.startWaymark(fix, ['runbooks/demo.md', '--state-dir', 'state', '--operator', 'demo-e2e', '--only', 'fix-config'], {
      cwd: ws.dir,
      columns: 80,
      rows: 24,
    });
    await ws.tmux.waitFor(fix, /Resuming an unfinished run/);
    await ws.tmux.keys(fix, ['Enter']);
    await ws.tmux.waitFor(fix, /Enable the cache \(enable-cache/);
    await ws.tmux.keys(fix, ['Enter']);
    await ws.tmux.waitFor(fix, /selected steps done/);
    await ws.tmux.keys(fix, ['q']);
    await ws.tmux.waitForExit(fix);
    // The same run again: the check is re-run (r) and passes.
    const again = 'demo-again';
    await ws.tmux.startWaymark(again, ['runbooks/demo.md', '--state-dir', 'state', '--operator', 'demo-e2e'], {
      cwd: ws.dir,
      columns: 80,
      rows: 24,
    });
    await ws.tmux.waitFor(again, /Resuming an unfinished run/);
    await ws.tmux.keys(again, ['Enter']);
    await ws.tmux.waitFor(again, /GATE: check failed cache-enabled/);
    await ws.tmux.keys(again, ['r']);
    await ws.tmux.waitFor(again, /Read the upgrade check \(upgrade-check\)/);
    s = again;

    // 3. The upgrade check warns (oslo exit 1): w acknowledges it.
    await ws.tmux.keys(s, ['Enter']);
    await ws.tmux.waitFor(s, /WARNING lantern-upgrade-check/);
    await ws.tmux.keys(s, ['w']);
    await ws.tmux.waitFor(s, /Take a snapshot \(snapshot/);

    // 4. The optional snapshot: taken.
    await ws.tmux.keys(s, ['Enter']);
    await ws.tmux.waitFor(s, /Migrate the data \(migrate\)/);

    // 5. The migration asks for yes, and its output never shows the secret token.
    await ws.tmux.keys(s, ['Enter']);
    await ws.tmux.waitFor(s, /migrate-data \(shell\) will run exactly:/);
    await ws.tmux.type(s, 'yes');
    await ws.tmux.keys(s, ['Enter']);
    screen = await ws.tmux.waitFor(s, /✓ +RUN +migrate-data passed/);
    screen = await ws.tmux.waitFor(s, /authenticating with token ••••/);
    expect(screen).not.toContain('demo-token-0f9e8d');
    await ws.tmux.keys(s, ['Enter']);
    await ws.tmux.waitFor(s, /Start lantern \(start\)/);

    // 6. Start lantern: the verify retries until the pretend service is up.
    await ws.tmux.keys(s, ['a']);
    await ws.tmux.waitFor(s, /Hand over \(handover\)/, 30_000);

    // 7. The hand-over checklist.
    await ws.tmux.keys(s, ['Space']);
    await ws.tmux.waitFor(s, /\[x\] The on-call team knows lantern/);
    // Space toggles the selected item and stays on it: ↓ moves to the next one.
    await ws.tmux.keys(s, ['Down', 'Space']);
    screen = await ws.tmux.waitFor(s, /is complete: q to quit/);
    expect(screen).toMatch(/8\/8/);
    await ws.tmux.keys(s, ['q']);
    expect(await ws.tmux.waitForExit(s)).toBe(0);

    const status = await ws.waymark(['status', 'runbooks/demo.md', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const json = JSON.parse(status.stdout) as { status: string; steps: { id: string; status: string }[] };
    expect(json.status).toBe('complete');
    expect(json.steps.map((step) => `${step.id}:${step.status}`)).toEqual([
      'sandbox:passed',
      'config:passed',
      'enable-cache:passed',
      'upgrade-check:passed',
      'snapshot:passed',
      'migrate:passed',
      'start:passed',
      'handover:passed',
    ]);
    const audit = await ws.waymark(['audit', 'runbooks/demo.md', '--verify']);
    expect(audit.code, `${audit.stdout}${audit.stderr}`).toBe(0);
    // The sandbox was upgraded, beside the copied runbook.
    expect(readFileSync(join(ws.dir, 'state/demo-sandbox/VERSION'), 'utf8').trim()).toBe('2.0');
  });
});
