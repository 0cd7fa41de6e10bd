/**
 * The demo runbook (runbooks/demo.md) walked end to end in a real 80x24 terminal by keys alone:
 * its failing configuration check is fixed with the remedy block it offers (b, yes), the warning
 * is acknowledged, the migration confirmed, the retrying verify waited for, the checklist ticked.
 * The demo is copied to a scratch folder: its sandbox lives beside it, never in the repository.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { useTmuxWorkspace, BIN, ROOT, Tmux, terminalEnv } from '../ui/tmux.js';

vi.setConfig({ testTimeout: 120_000 });

const DEMO = join(ROOT, 'runbooks/demo.md');
const ws = useTmuxWorkspace('wm-tui-demo-');
beforeEach(() => {
  mkdirSync(join(ws.dir, 'runbooks'));
  copyFileSync(DEMO, join(ws.dir, 'runbooks/demo.md'));
});

async function waymark(args: string[]) {
  const result = await execa(process.execPath, [BIN, ...args, '--state-dir', 'state'], { cwd: ws.dir, reject: false, env: terminalEnv(), extendEnv: false, stdin: 'ignore' });
  return { code: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

describe('the demo runbook', () => {
  it('can be walked end to end by keys alone at 80x24', async () => {
    const s = 'demo';
    await ws.tmux.startWaymark(s, ['runbooks/demo.md', '--state-dir', 'state', '--operator', 'demo-e2e'], { cwd: ws.dir, columns: 80, rows: 24 });
    await ws.tmux.waitFor(s, /enter run next/);

    // 1. Set up the sandbox: `a` runs its check, run and verify blocks.
    await ws.tmux.keys(s, ['a']);
    await ws.tmux.waitFor(s, /Check the configuration \(config\)/);

    // 2. The configuration check fails and holds the run.
    await ws.tmux.keys(s, ['Enter']);
    let screen = await ws.tmux.waitFor(s, /GATE: check failed cache-enabled/);
    expect(screen).toContain('rollback (b runs the selected one)');
    await ws.tmux.keys(s, ['Enter']);
    await ws.tmux.waitFor(s, /check cache-enabled failed and holds the run/);
    // The remedy the runbook offers: b, read the command, yes; then r re-runs the check.
    await ws.tmux.keys(s, ['b']);
    screen = await ws.tmux.waitFor(s, /enable-cache \(shell\) will run exactly:/);
    expect(screen).toContain('Run this ROLLBACK block?');
    await ws.tmux.type(s, 'yes');
    await ws.tmux.keys(s, ['Enter']);
    await ws.tmux.waitFor(s, /✓ +ROLLBACK +enable-cache passed/);
    await ws.tmux.keys(s, ['r']);
    await ws.tmux.waitFor(s, /Read the upgrade check \(upgrade-check\)/);

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
    expect(screen).toMatch(/7\/7/);
    await ws.tmux.keys(s, ['q']);
    expect(await ws.tmux.waitForExit(s)).toBe(0);

    const status = await waymark(['status', 'runbooks/demo.md', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const json = JSON.parse(status.stdout) as { status: string; steps: { id: string; status: string }[] };
    expect(json.status).toBe('complete');
    expect(json.steps.map((step) => `${step.id}:${step.status}`)).toEqual([
      'sandbox:passed',
      'config:passed',
      'upgrade-check:passed',
      'snapshot:passed',
      'migrate:passed',
      'start:passed',
      'handover:passed',
    ]);
    const audit = await waymark(['audit', 'runbooks/demo.md', '--verify']);
    expect(audit.code, `${audit.stdout}${audit.stderr}`).toBe(0);
    // The sandbox was upgraded, beside the copied runbook.
    expect(readFileSync(join(ws.dir, 'state/demo-sandbox/VERSION'), 'utf8').trim()).toBe('2.0');
  });
});
