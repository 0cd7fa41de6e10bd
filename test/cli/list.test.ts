import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waymark } from '../support/binary.js';

/** The runbooks this suite owns in test/fixtures (other suites keep theirs in subfolders). */
const ours = [
  { file: 'test/fixtures/broken-yaml.md', id: 'broken-yaml', title: 'broken-yaml', steps: 1, errors: 1, warnings: 0 },
  { file: 'test/fixtures/clean.md', id: 'clean', title: 'Clean control-plane check', steps: 3, errors: 0, warnings: 0 },
  { file: 'test/fixtures/planted-errors.md', id: 'planted-errors', title: 'Planted errors', steps: 3, errors: 12, warnings: 0 },
];

describe('waymark list', () => {
  // A fresh state directory, so that "last run" never depends on what ran on this machine.
  let stateDir = '';
  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'waymark-list-'));
  });
  afterAll(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('shows each runbook under the folder, sorted, with its step count and title', async () => {
    const { code, stdout, stderr } = await waymark(['list', 'test/fixtures', '--state-dir', stateDir], { keepFinalNewline: true });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const lines = stdout.trimEnd().split('\n');
    const files = lines.map((line) => line.split(/\s+/)[0] as string);
    expect(files).toEqual([...files].sort());
    for (const runbook of ours) {
      const row = lines.filter((line) => line.startsWith(`${runbook.file} `));
      expect(row, runbook.file).toHaveLength(1);
      expect(row[0]).toMatch(new RegExp(`^${runbook.file.replace(/\./g, '\\.')}\\s+${runbook.steps} steps\\s.*\\b${runbook.title}\\b`));
      if (runbook.errors > 0) expect(row[0]).toContain(`${runbook.errors} lint error(s)`);
      else expect(row[0]).not.toContain('lint error');
    }
    // The broken front matter is dropped, so that runbook's title falls back to its file name.
    expect(lines.find((line) => line.startsWith('test/fixtures/broken-yaml.md'))).toMatch(/1 steps .*broken-yaml/);
  });

  it('--json gives id, title, steps and lint counts per runbook', async () => {
    const { code, stdout } = await waymark(['list', 'test/fixtures', '--json', '--state-dir', stateDir], { keepFinalNewline: true });
    expect(code).toBe(0);
    const entries = JSON.parse(stdout) as { file: string }[];
    for (const runbook of ours) expect(entries.find((entry) => entry.file === runbook.file)).toMatchObject(runbook);
  });

  it('names a missing folder and exits 2 without a stack trace', async () => {
    const { code, stdout, stderr } = await waymark(['list', 'test/fixtures/no-such-folder', '--state-dir', stateDir], {
      keepFinalNewline: true,
    });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toBe('waymark: no such directory: test/fixtures/no-such-folder\n');
  });

  it('exits 2 with usage for an unknown option', async () => {
    const { code, stderr } = await waymark(['list', '--bogus'], { keepFinalNewline: true });
    expect(code).toBe(2);
    // One line of waymark's own, not Node's parser paragraph (issue 12).
    expect(stderr).toContain('waymark: unknown option --bogus for waymark list; "waymark list --help" lists its options\n');
    expect(stderr).not.toContain('To specify a positional argument');
    expect(stderr).toContain('usage: waymark list [DIR]');
  });
});
