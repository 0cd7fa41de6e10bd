/**
 * Links planted in the state directory, against the real binary (issue 10, items 18 and 19).
 * Each test leaves an unfinished run (a block that fails once), plants a link in its state to
 * a victim file outside the state directory, and runs waymark again: it must stop with exit 2
 * naming the planted path, leave the victim as it was, and run no block.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useWorkspace, type Workspace } from '../support/workspace.js';

const ws = useWorkspace('wm-links-');
const T = 60_000;

const RUNBOOK = `---
title: Links planted in the state dir
id: planted
---
# Links planted in the state dir

## Fetch {#fetch}

\`\`\`sh name=fetch
echo "fetched: output that stays in the state dir"
echo fetch >> counter.txt
test ! -e fail-once
\`\`\`
`;

/** An unfinished run of the runbook: its one block failed once. Returns the runbook and the run's folder. */
async function unfinishedRun(w: Workspace): Promise<{ book: string; runDir: string }> {
  const book = w.write('planted.md', RUNBOOK);
  w.write('fail-once', '');
  const first = await w.run(book);
  expect(first.code, first.all).toBe(1);
  rmSync(w.path('fail-once'));
  return { book, runDir: w.runDir('planted') };
}

/** A file outside the state directory whose content (no final newline, like a torn journal line) must survive. */
function victim(w: Workspace): { path: string; unchanged: () => void } {
  const content = 'the operator file, no final newline';
  const path = w.write('victim.txt', content);
  return {
    path,
    unchanged: () => {
      expect(readFileSync(path, 'utf8')).toBe(content);
      expect(statSync(path).size).toBe(Buffer.byteLength(content));
    },
  };
}

/** Replace `at` (if present) with a symbolic link to `target`. */
function plant(at: string, target: string): string {
  rmSync(at, { force: true });
  symlinkSync(target, at);
  return at;
}

describe('links planted in the state directory are refused with exit 2 (issue 10, item 18)', () => {
  it(
    'reproduced: a planted logs/fetch.2.log link got the retried block output appended to its target',
    async () => {
      const w = ws();
      const { book, runDir } = await unfinishedRun(w);
      const target = victim(w);
      const log = plant(join(runDir, 'logs', 'fetch.2.log'), target.path);

      const result = await w.run(book);
      expect(result.code, result.all).toBe(2);
      expect(result.stderr).toContain(`${log} in the state directory is a symbolic link`);
      expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
      target.unchanged();
      expect(w.lines('counter.txt')).toEqual(['fetch']);
    },
    T,
  );

  it(
    'reproduced: a planted checkpoint.journal link had its target truncated on resume',
    async () => {
      const w = ws();
      const { book, runDir } = await unfinishedRun(w);
      const target = victim(w);
      const journal = plant(join(runDir, 'checkpoint.journal'), target.path);

      const result = await w.run(book);
      expect(result.code, result.all).toBe(2);
      expect(result.stderr).toContain(`${journal} in the state directory is a symbolic link`);
      target.unchanged();
      expect(w.lines('counter.txt')).toEqual(['fetch']);
    },
    T,
  );

  it(
    'status, report and audit refuse a checkpoint.json link instead of reading it',
    async () => {
      const w = ws();
      const { book, runDir } = await unfinishedRun(w);
      const target = victim(w);
      const checkpoint = join(runDir, 'checkpoint.json');
      renameSync(checkpoint, target.path);
      plant(checkpoint, target.path);
      const content = readFileSync(target.path, 'utf8');

      for (const command of [
        ['status', book],
        ['report', book],
        ['audit', book, '--verify'],
      ]) {
        const result = await w.waymark(command);
        expect(result.code, `${command[0]}: ${result.all}`).toBe(2);
        expect(result.stderr).toContain(`${checkpoint} in the state directory is a symbolic link`);
      }
      expect(readFileSync(target.path, 'utf8')).toBe(content);
    },
    T,
  );

  it(
    'a run folder that is a link is refused before anything is opened in it',
    async () => {
      const w = ws();
      const { book, runDir } = await unfinishedRun(w);
      const elsewhere = w.path('elsewhere');
      renameSync(runDir, elsewhere);
      plant(runDir, elsewhere);

      const result = await w.run(book);
      expect(result.code, result.all).toBe(2);
      expect(result.stderr).toContain(`${runDir} in the state directory is a symbolic link`);
      expect(existsSync(join(elsewhere, 'logs', 'fetch.2.log'))).toBe(false);
      expect(w.lines('counter.txt')).toEqual(['fetch']);
    },
    T,
  );
});

describe('a lock takeover on resume (issue 10, item 19)', () => {
  it(
    'reproduced: the notice said "run new" and the dead taker\'s temp file stayed; now it names the run and removes it',
    async () => {
      const w = ws();
      const { book } = await unfinishedRun(w);
      const run = w.currentRun('planted');
      const pid = Number(String(spawnSync('sh', ['-c', 'echo $$']).stdout).trim());
      // A run killed after it started this run fresh (its lock still says "new") and one of its temp files.
      const dead = { pid, user: 'ghost', host: hostname(), operator: 'ghost', runId: 'new', startedAt: '2026-01-01T00:00:00.000Z' };
      writeFileSync(join(w.state, 'planted', 'lock.json'), JSON.stringify(dead));
      const temp = join(w.state, 'planted', `.lock.json.${pid}.0badf00d.tmp`);
      writeFileSync(temp, JSON.stringify(dead));

      const result = await w.run(book);
      expect(result.code, result.all).toBe(0);
      expect(result.stdout).toContain(`notice: took over the lock of run ${run} (user ghost`);
      expect(result.stdout).not.toContain('run new');
      expect(result.stdout).toContain('removed 1 temporary lock file left by dead processes');
      expect(existsSync(temp)).toBe(false);
      const takeover = w.audit('planted').filter((r) => r.type === 'lock-taken-over');
      expect(String(takeover[0]?.notice)).toContain(`run ${run}`);
    },
    T,
  );
});
