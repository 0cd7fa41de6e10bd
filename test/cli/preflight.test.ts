/**
 * `waymark preflight` in process, on a small runbook with sh checks: only checks run (a run block
 * that would leave a file behind does not), a passing preflight exits 0, a warning does not refuse,
 * output's terminal controls are shown inert in the report, and a missing required variable is
 * refused (exit 2) before anything is written under the state dir.
 */
import '../support/config-home.js';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { route } from '../../src/cli/route.js';
import { ExitCode, OperatorError } from '../../src/engine/errors.js';
import { capture } from '../support/capture.js';

const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function setup(check: string): { dir: string; runbook: string; state: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wm-pf-'));
  folders.push(dir);
  const runbook = join(dir, 'book.md');
  writeFileSync(
    runbook,
    [
      '---',
      'id: pf-book',
      'vars:',
      '  TARGET:',
      '    required: true',
      '---',
      '# Book',
      '',
      '## One',
      '',
      '```sh check name=first',
      check,
      '```',
      '',
      '```sh name=change',
      'touch "$TARGET"',
      '```',
      '',
      '## Two',
      '',
      '```sh check name=soft severity=warning',
      'exit 1',
      '```',
      '',
      '```sh check name=later preflight=skip',
      'test -f "$TARGET"',
      '```',
      '',
    ].join('\n'),
  );
  return { dir, runbook, state: join(dir, 'state') };
}

async function waymark(...argv: string[]): Promise<{ code: number; stdout: string }> {
  const stdout = capture();
  const code = await route(argv, { stdout });
  return { code, stdout: stdout.text };
}

it('runs checks only, and exits 0 when nothing refuses (a warning does not)', async () => {
  const { dir, runbook, state } = setup('printf "ok \\033]0;pwned\\007 \\033[2J\\n"');
  const target = join(dir, 'made-by-run');
  const result = await waymark('preflight', runbook, '--state-dir', state, '--var', `TARGET=${target}`, '-o', join(dir, 'r.md'));
  expect(result.code).toBe(ExitCode.Complete);
  expect(existsSync(target)).toBe(false);
  expect(result.stdout).toMatch(/^passed {2}one \/ first$/m);
  expect(result.stdout).toMatch(/^warned {2}two \/ soft: exit 1/m);
  expect(result.stdout).toMatch(/^skipped two \/ later: preflight=skip/m);
  expect(result.stdout).toContain('nothing would refuse; 1 check(s) skipped');
  // No run was started: only the preflight's own folder is there.
  expect(readdirSync(join(state, 'pf-book')).filter((n) => n !== 'runbook.json')).toEqual(['preflights']);
});

it('shows the terminal controls of a refused check inert in the report', async () => {
  const { dir, runbook, state } = setup('printf "bad \\033]0;pwned\\007 \\033[2J\\n"; exit 1');
  const result = await waymark('preflight', runbook, '--state-dir', state, '--var', `TARGET=${join(dir, 't')}`);
  expect(result.code).toBe(ExitCode.Refused);
  expect(result.stdout).toContain('## Refused: one / first');
  expect(result.stdout).toContain('bad ');
  expect(result.stdout).not.toMatch(/\u001b/);
  expect(result.stdout).not.toMatch(/\u0007/);
  const junit = await waymark('preflight', runbook, '--state-dir', state, '--var', `TARGET=${join(dir, 't')}`, '--format', 'junit');
  expect(junit.code).toBe(ExitCode.Refused);
  expect(junit.stdout).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  expect(junit.stdout).toMatch(/<testcase classname="one" name="first"[^>]*><failure message="exit 1/);
});

it('refuses a missing required variable (exit 2) before writing any state', async () => {
  const { runbook, state } = setup('true');
  const error = await waymark('preflight', runbook, '--state-dir', state).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OperatorError);
  expect((error as OperatorError).exitCode).toBe(ExitCode.BadInput);
  expect((error as OperatorError).message).toContain('TARGET');
  expect(existsSync(state)).toBe(false);
  expect(readFileSync(runbook, 'utf8')).toContain('preflight=skip');
});

it('refuses a fleet check with no inventory to run it on, saying how to give one (as its gate would)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'wm-pf-'));
  folders.push(dir);
  const runbook = join(dir, 'fleet.md');
  writeFileSync(
    runbook,
    ['---', 'id: pf-fleet', '---', '# Fleet', '', '## Computes', '', '```sh check name=reachable hosts=computes', 'true', '```', ''].join(
      '\n',
    ),
  );
  const result = await waymark('preflight', runbook, '--state-dir', join(dir, 'state'), '-o', join(dir, 'r.md'));
  expect(result.code).toBe(ExitCode.Refused);
  expect(result.stdout).toMatch(/^refused computes \/ reachable: no inventory for fleet blocks: give --inventory FILE/m);
  expect(result.stdout).toContain('1 step(s) would refuse: computes');
});
