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
import { BIN, ROOT, Tmux, terminalEnv } from '../ui/tmux.js';

vi.setConfig({ testTimeout: 120_000 });

const DEMO = join(ROOT, 'runbooks/demo.md');
let tmux: Tmux;
let dir = '';

beforeAll(() => {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build waymark first with \`npm run build\``);
  tmux = new Tmux();
});
afterAll(async () => {
  await tmux.kill();
});
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wm-tui-demo-'));
  mkdirSync(join(dir, 'runbooks'));
  copyFileSync(DEMO, join(dir, 'runbooks/demo.md'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

async function waymark(args: string[]) {
  const result = await execa(process.execPath, [BIN, ...args, '--state-dir', 'state'], { cwd: dir, reject: false, env: terminalEnv(), extendEnv: false, stdin: 'ignore' });
  return { code: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

describe('the demo runbook', () => {
  it('can be walked end to end by keys alone at 80x24', async () => {
    const s = 'demo';
    await tmux.startWaymark(s, ['runbooks/demo.md', '--state-dir', 'state', '--operator', 'demo-e2e'], { cwd: dir, columns: 80, rows: 24 });
    await tmux.waitFor(s, /enter run next/);

    // 1. Set up the sandbox: `a` runs its check, run and verify blocks.
    await tmux.keys(s, ['a']);
    await tmux.waitFor(s, /Check the configuration \(config\)/);

    // 2. The configuration check fails and holds the run.
    await tmux.keys(s, ['Enter']);
    let screen = await tmux.waitFor(s, /GATE: check failed cache-enabled/);
    expect(screen).toContain('rollback (b runs the selected one)');
    await tmux.keys(s, ['Enter']);
    await tmux.waitFor(s, /check cache-enabled holds the run/);
    // The remedy the runbook offers: b, read the command, yes; then r re-runs the check.
    await tmux.keys(s, ['b']);
    screen = await tmux.waitFor(s, /enable-cache \(shell\) will run exactly:/);
    expect(screen).toContain('Run this ROLLBACK block?');
    await tmux.type(s, 'yes');
    await tmux.keys(s, ['Enter']);
    await tmux.waitFor(s, /✓ +ROLLBACK +enable-cache passed/);
    await tmux.keys(s, ['r']);
    await tmux.waitFor(s, /Read the upgrade check \(upgrade-check\)/);

    // 3. The upgrade check warns (oslo exit 1): w acknowledges it.
    await tmux.keys(s, ['Enter']);
    await tmux.waitFor(s, /WARNING lantern-upgrade-check/);
    await tmux.keys(s, ['w']);
    await tmux.waitFor(s, /Take a snapshot \(snapshot/);

    // 4. The optional snapshot: taken.
    await tmux.keys(s, ['Enter']);
    await tmux.waitFor(s, /Migrate the data \(migrate\)/);

    // 5. The migration asks for yes, and its output never shows the secret token.
    await tmux.keys(s, ['Enter']);
    await tmux.waitFor(s, /migrate-data \(shell\) will run exactly:/);
    await tmux.type(s, 'yes');
    await tmux.keys(s, ['Enter']);
    screen = await tmux.waitFor(s, /✓ +RUN +migrate-data passed/);
    screen = await tmux.waitFor(s, /authenticating with token ••••/);
    expect(screen).not.toContain('demo-token-0f9e8d');
    await tmux.keys(s, ['Enter']);
    await tmux.waitFor(s, /Start lantern \(start\)/);

    // 6. Start lantern: the verify retries until the pretend service is up.
    await tmux.keys(s, ['a']);
    await tmux.waitFor(s, /Hand over \(handover\)/, 30_000);

    // 7. The hand-over checklist.
    await tmux.keys(s, ['Space']);
    await tmux.waitFor(s, /\[x\] The on-call team knows lantern/);
    await tmux.keys(s, ['Space']);
    screen = await tmux.waitFor(s, /is complete: q to quit/);
    expect(screen).toMatch(/7\/7/);
    await tmux.keys(s, ['q']);
    expect(await tmux.waitForExit(s)).toBe(0);

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
    expect(readFileSync(join(dir, 'state/demo-sandbox/VERSION'), 'utf8').trim()).toBe('2.0');
  });
});
