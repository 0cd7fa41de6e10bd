/**
 * The demo runbook (what `npm start` opens) headless: it needs nothing but bash, works in a sandbox
 * under state/ next to the runbook, refuses at its failing check until the documented fix is made,
 * then completes with --yes --accept-warnings: warning acknowledged, confirm block confirmed,
 * secret masked, retrying verify, checklist ticked. With BREAK_MIGRATION=yes it shows the rollback.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ROOT, waymark } from '../support/binary.js';
import { filesUnder } from '../support/workspace.js';
import { checksOf, refusedCheck, type ReportJson } from './rehearsal.js';

const T = 60_000;
const SECRET = 'demo-token-0f9e8d';

/** A checkout-shaped scratch folder: runbooks/demo.md, and state/ beside it, as in the repository. */
let repo = '';
beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), 'wm-demo-'));
  mkdirSync(join(repo, 'runbooks'));
  copyFileSync(join(ROOT, 'runbooks/demo.md'), join(repo, 'runbooks/demo.md'));
});
afterEach(() => {
  rmSync(repo, { recursive: true, force: true });
});

/** waymark from the scratch checkout's root, with its default ./state. */
const demo = (...flags: string[]) => waymark(['run', 'runbooks/demo.md', '--headless', ...flags], { cwd: repo });

describe('the demo runbook', () => {
  it(
    'refuses at its failing check, then completes after the documented fix; every feature shows',
    async () => {
      const first = await demo('--yes', '--accept-warnings');
      expect(first.code, first.all).toBe(3);
      expect(refusedCheck(first.stdout)).toBe('cache-enabled');
      expect(first.stdout).toContain('cache_enabled is not true');
      // The sandbox is state/demo-sandbox beside the runbook's folder, whatever the state dir.
      const conf = join(repo, 'state/demo-sandbox/lantern.conf');
      expect(readFileSync(conf, 'utf8')).toContain('cache_enabled = false');

      // The fix the refusal names: the fix step (fixes=config), run alone while the check refuses.
      expect(first.stdout).toContain('or run step enable-cache, which fixes it (fixes=config)');
      const fix = await demo('--only', 'fix-config');
      expect(fix.code, fix.all).toBe(0);
      expect(fix.stdout).toMatch(/ok run enable-cache/);
      expect(readFileSync(conf, 'utf8')).toContain('cache_enabled = true');

      const second = await demo('--yes', '--accept-warnings', '--output');
      expect(second.code, second.all).toBe(0);
      const run = /— run (\S+),/.exec(first.stdout)?.[1];
      expect(second.stdout).toContain(`run ${run} complete`);
      expect(second.stdout).toMatch(/WARN check lantern-upgrade-check .*exit 1: warning/);
      expect(second.stdout).toContain('warning of lantern-upgrade-check acknowledged');
      expect(second.stdout).toContain('authenticating with token ••••');
      expect(second.stdout).toMatch(/ok verify lantern-up .* after [2-9]\d* attempts/);
      expect(second.stdout).toContain('(ticked automatically, --yes)');
      expect(readFileSync(join(repo, 'state/demo-sandbox/VERSION'), 'utf8').trim()).toBe('2.0');

      // One run, confirmed by --yes, secret nowhere on disk, every check in the report.
      const audit = await waymark(['audit', 'runbooks/demo.md', '--verify'], { cwd: repo });
      expect(audit.code, audit.all).toBe(0);
      for (const file of filesUnder(join(repo, 'state/demo'))) {
        expect(readFileSync(file, 'utf8'), file).not.toContain(SECRET);
      }
      const report = await waymark(['report', 'runbooks/demo.md', '--format', 'json'], { cwd: repo });
      const parsed = JSON.parse(report.stdout) as ReportJson;
      expect(parsed.status).toBe('complete');
      const blocks = new Map(parsed.steps.flatMap((s) => s.blocks).map((b) => [b.id, b]));
      for (const check of checksOf('runbooks/demo.md')) expect(['passed', 'acknowledged'], check).toContain(blocks.get(check)?.status);
      expect(blocks.get('cache-enabled')).toMatchObject({ status: 'passed' });
      // A fix step, not a rollback: rollback stays for undo (restore-snapshot).
      expect(blocks.get('enable-cache')).toMatchObject({ role: 'run', status: 'passed' });
      expect(blocks.get('restore-snapshot')).toMatchObject({ role: 'rollback', status: 'pending' });
    },
    T,
  );

  it(
    'waits for the confirmation and the warning without --yes and --accept-warnings',
    async () => {
      const first = await demo();
      expect(first.code, first.all).toBe(3);
      spawnSync('sed', ['-i', 's/^cache_enabled = false$/cache_enabled = true/', join(repo, 'state/demo-sandbox/lantern.conf')]);
      const warning = await demo();
      expect(warning.code, warning.all).toBe(4);
      expect(warning.stdout).toContain('waiting: lantern-upgrade-check ended with a warning');
      const confirm = await demo('--accept-warnings', '--skip', 'snapshot=not needed in this test');
      expect(confirm.code, confirm.all).toBe(4);
      expect(confirm.stdout).toContain('waiting: block migrate-data needs confirmation');
      expect(confirm.stdout).toContain('step snapshot skipped: not needed in this test');
    },
    T,
  );

  it(
    'shows a failed block and offers its rollback when the migration breaks',
    async () => {
      await demo('--var', 'BREAK_MIGRATION=yes');
      spawnSync('sed', ['-i', 's/^cache_enabled = false$/cache_enabled = true/', join(repo, 'state/demo-sandbox/lantern.conf')]);
      const broken = await demo('--var', 'BREAK_MIGRATION=yes', '--yes', '--accept-warnings');
      expect(broken.code, broken.all).toBe(1);
      expect(broken.stdout).toContain('failed: block migrate-data');
      expect(broken.stdout).toContain('migration failed halfway');
      expect(broken.stdout).toMatch(/rollback blocks offered: restore-snapshot \(b in the TUI, or --rollback \S+ --yes\)/);
    },
    T,
  );

  it(
    'refuses to touch a folder that is not a demo sandbox',
    async () => {
      mkdirSync(join(repo, 'state/demo-sandbox'), { recursive: true });
      copyFileSync(join(repo, 'runbooks/demo.md'), join(repo, 'state/demo-sandbox/precious.md'));
      const refused = await demo('--yes');
      expect(refused.code, refused.all).toBe(3);
      expect(refusedCheck(refused.stdout)).toBe('sandbox-is-ours');
      expect(readFileSync(join(repo, 'state/demo-sandbox/precious.md'), 'utf8')).toContain('lantern');
    },
    T,
  );
});
