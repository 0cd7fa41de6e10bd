/**
 * Links planted in the state directory are refused, never followed (issue 10, item 18).
 *
 * Reproduced on the old code: a planted `logs/<block>.<n>.log` link made a block append its
 * output to the link's target, and a planted `checkpoint.journal` link to a file without a final
 * newline made the resume truncate that file. Each test plants a link (or a second hard link)
 * to a victim file outside the state directory, runs the operation, and checks that it fails
 * with a StateError (exit 2) naming the planted path while the victim keeps its content and size.
 */
import { execFileSync } from 'node:child_process';
import { linkSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateError } from '../../src/state/atomic.js';
import { AuditLog, verifyAudit } from '../../src/state/audit.js';
import { AtomicJsonFile } from '../../src/state/checkpoint.js';
import { readCurrentRun, writeCurrentRun } from '../../src/state/current.js';
import { Journal, readJournal } from '../../src/state/journal.js';
import { acquireLock, liveHolder } from '../../src/state/lock.js';
import { openBlockLog } from '../../src/state/logs.js';
import { runPaths, runbookPaths } from '../../src/state/layout.js';
import { readCheckpoint } from '../../src/engine/checkpoint.js';
import { stepDurations } from '../../src/engine/estimate.js';
import { readRun } from '../../src/engine/runs.js';
import type { Runbook } from '../../src/runbook/model.js';
import { useTempDir } from './temp-dir.js';

const tempDir = useTempDir();

/** A file outside the state directory that nothing may change; its content has no final newline, like a torn journal. */
function plantVictim(content = 'precious data, no final newline'): { path: string; unchanged: () => void } {
  const dir = join(tempDir(), 'outside');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'victim.txt');
  writeFileSync(path, content);
  const size = statSync(path).size;
  return {
    path,
    unchanged: () => {
      expect(readFileSync(path, 'utf8')).toBe(content);
      expect(statSync(path).size).toBe(size);
    },
  };
}

/** A symbolic link at `at` (its folder made first) pointing to `target`. */
function plantLink(target: string, at: string): string {
  mkdirSync(join(at, '..'), { recursive: true });
  symlinkSync(target, at);
  return at;
}

/** Await `operation` and check it was refused with exit 2, naming `path`, because of a link. */
async function expectRefused(operation: Promise<unknown>, path: string, why = 'symbolic link'): Promise<void> {
  const error = await operation.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, `expected ${path} to be refused`).toBeInstanceOf(StateError);
  expect((error as StateError).exitCode).toBe(2);
  expect((error as StateError).file).toBe(path);
  expect((error as StateError).message).toContain(path);
  expect((error as StateError).message).toContain(why);
}

const state = (): string => join(tempDir(), 'state');
const run = () => runPaths(runbookPaths(state(), { folder: 'book' }), 'r1');
const book = { id: 'book', idLine: 2, file: '/nonexistent/book.md' } as Runbook;

describe('block logs', () => {
  it('reproduced: a planted logs/x.1.log link got the block output appended to its target; now refused', async () => {
    const victim = plantVictim();
    const log = plantLink(victim.path, join(run().logs, 'x.1.log'));
    await expectRefused(openBlockLog(run().logs, 'x', 1), log);
    victim.unchanged();
  });

  it('a logs directory that is a link is refused, and nothing is created where it points', async () => {
    const victim = plantVictim();
    const logs = plantLink(join(victim.path, '..'), run().logs);
    await expectRefused(openBlockLog(logs, 'x', 1), logs);
    expect(readdirSync(join(victim.path, '..'))).toEqual(['victim.txt']);
    victim.unchanged();
  });

  it('a log that is a second hard link to another file is refused', async () => {
    const victim = plantVictim();
    mkdirSync(run().logs, { recursive: true });
    const log = join(run().logs, 'x.1.log');
    linkSync(victim.path, log);
    await expectRefused(openBlockLog(run().logs, 'x', 1), log, '2 hard links');
    victim.unchanged();
  });

  it('a FIFO planted as a log is refused at once instead of hanging the open', async () => {
    mkdirSync(run().logs, { recursive: true });
    const log = join(run().logs, 'x.1.log');
    execFileSync('mkfifo', [log]);
    await expectRefused(openBlockLog(run().logs, 'x', 1), log, 'not a regular file');
  }, 5_000);
});

describe('the checkpoint journal', () => {
  const journal = (): string => join(run().dir, 'checkpoint.journal');

  it('reproduced: a planted checkpoint.journal link had its target truncated to the last newline; now refused', async () => {
    const victim = plantVictim();
    plantLink(victim.path, journal());
    await expectRefused(Journal.open(journal()), journal());
    victim.unchanged();
  });

  it('is not read through a link either', async () => {
    const victim = plantVictim('{"seq":1,"event":{}}\n');
    plantLink(victim.path, journal());
    await expectRefused(readJournal(journal()), journal());
    victim.unchanged();
  });

  it('a journal hard-linked to another file is never appended to or truncated', async () => {
    const victim = plantVictim();
    mkdirSync(run().dir, { recursive: true });
    linkSync(victim.path, journal());
    await expectRefused(Journal.open(journal()), journal(), '2 hard links');
    victim.unchanged();
  });
});

describe('the checkpoint snapshot', () => {
  it('a checkpoint.json link is refused by every reader (status, report, audit), not read', async () => {
    const victim = plantVictim('{"run":"forged","steps":[]}');
    plantLink(victim.path, run().checkpoint);
    await expectRefused(new AtomicJsonFile(run().checkpoint).read(), run().checkpoint);
    await expectRefused(readCheckpoint(run().checkpoint), run().checkpoint);
    victim.unchanged();
  });

  it('once refused, it is not written over either', async () => {
    const victim = plantVictim('{"run":"forged","steps":[]}');
    plantLink(victim.path, run().checkpoint);
    const file = new AtomicJsonFile(run().checkpoint);
    await file.read().catch(() => undefined);
    await expectRefused(file.write({}), run().checkpoint);
    victim.unchanged();
  });

  it('a run directory that is a link is refused before a snapshot is written into it', async () => {
    const victim = plantVictim();
    plantLink(join(victim.path, '..'), run().dir);
    await expectRefused(new AtomicJsonFile(run().checkpoint).write({}), run().dir);
    expect(readdirSync(join(victim.path, '..'))).toEqual(['victim.txt']);
  });
});

describe('the audit trail', () => {
  it('an audit.jsonl link is neither appended to nor verified', async () => {
    const victim = plantVictim('');
    plantLink(victim.path, run().audit);
    await expectRefused(AuditLog.open(run().audit, { operator: 'mallory' }), run().audit);
    await expectRefused(verifyAudit(run().audit), run().audit);
    victim.unchanged();
  });
});

describe('current.json and the lock', () => {
  it('a current.json link is refused, not followed to another run', async () => {
    const victim = plantVictim('{"runId":"someone-elses"}');
    const current = plantLink(victim.path, runbookPaths(state(), { folder: 'book' }).current);
    await expectRefused(readCurrentRun(current), current);
    victim.unchanged();
  });

  it('current.json is not written into a runbook folder that is a link', async () => {
    const victim = plantVictim();
    const folder = plantLink(join(victim.path, '..'), runbookPaths(state(), { folder: 'book' }).dir);
    await expectRefused(writeCurrentRun(join(folder, 'current.json'), 'r1'), folder);
    expect(readdirSync(join(victim.path, '..'))).toEqual(['victim.txt']);
  });

  it('a lock.json link is refused by acquireLock and liveHolder', async () => {
    const victim = plantVictim();
    const dir = runbookPaths(state(), { folder: 'book' }).dir;
    const lock = plantLink(victim.path, runbookPaths(state(), { folder: 'book' }).lock);
    await expectRefused(acquireLock(dir, { runId: 'r1', operator: 'carol' }), lock);
    await expectRefused(liveHolder(dir), lock);
    victim.unchanged();
  });
});

describe('run history (status, report, estimates)', () => {
  it('a runs directory that is a link is refused when a run is read', async () => {
    const victim = plantVictim();
    mkdirSync(runbookPaths(state(), { folder: 'book' }).dir, { recursive: true });
    writeFileSync(runbookPaths(state(), { folder: 'book' }).current, '{"runId":"r1"}');
    const runs = plantLink(join(victim.path, '..'), runbookPaths(state(), { folder: 'book' }).runs);
    await expectRefused(readRun(state(), book), runs);
    victim.unchanged();
  });

  it('an earlier run whose checkpoint is a link is refused, not skipped or read, by the time estimate', async () => {
    const victim = plantVictim('{"steps":[]}');
    const earlier = runPaths(runbookPaths(state(), { folder: 'book' }), 'r0');
    plantLink(victim.path, earlier.checkpoint);
    await expectRefused(stepDurations(state(), book, 'r1'), earlier.checkpoint);
    victim.unchanged();
  });
});
