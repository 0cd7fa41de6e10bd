/** Where everything lives under a state directory, in one place. */

import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir, hasCode, reasonOf, StateError } from './atomic.js';

/** Name of the lock file in a runbook's state directory. */
export const LOCK_FILE = 'lock.json';

/** Name of the file in a runbook's state folder that records which runbook the folder belongs to. */
export const RUNBOOK_RECORD_FILE = 'runbook.json';

/** The files that belong to one runbook, across its runs. */
export interface RunbookPaths {
  /** `<stateDir>/<folder>`: the runbook's id, or its name and path hash (runbook/identity.ts). */
  dir: string;
  /** `{"id", "file"}`: the runbook this folder belongs to. */
  record: string;
  /** Pointer `{runId}` to the live (unfinished) run. */
  current: string;
  /** One live run per runbook and state dir. */
  lock: string;
  /** Per-step durations of past runs, for time-left estimates. */
  history: string;
  /** Parent of every run's directory. */
  runs: string;
}

/** The files of one run. */
export interface RunPaths {
  /** `<stateDir>/<folder>/runs/<runId>` */
  dir: string;
  checkpoint: string;
  audit: string;
  /** Holds one `<blockId>.<attempt>.log` per block execution. */
  logs: string;
}

/**
 * Make an id safe as one path segment. Ids come from runbook authors (Runme
 * `name=` values may hold `/` or `..`), so anything outside [A-Za-z0-9_-] and
 * an inner `.` is percent-encoded; the mapping is one-to-one, so two ids never
 * share a file, and the result can never climb out of its directory.
 */
export function fileSafe(id: string): string {
  if (id === '') return '%';
  let out = '';
  for (const char of id) {
    if (/[A-Za-z0-9_-]/.test(char) || (char === '.' && out !== '')) {
      out += char;
    } else {
      for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return out;
}

/**
 * Paths of a runbook's state folder under `stateDir`. The folder is named by the runbook's
 * identity (runbook/identity.ts), or by an older waymark's runbook id (engine/state-folder.ts).
 */
export function runbookPaths(stateDir: string, owner: { folder: string }): RunbookPaths {
  // Folder names are made safe where they are made; one that is not is a bug, never a path to follow.
  if (!/^[A-Za-z0-9][A-Za-z0-9_.@%-]*$/.test(owner.folder))
    throw new RangeError(`not a state folder name: ${JSON.stringify(owner.folder)}`);
  const dir = join(stateDir, owner.folder);
  return {
    dir,
    record: join(dir, RUNBOOK_RECORD_FILE),
    current: join(dir, 'current.json'),
    lock: join(dir, LOCK_FILE),
    history: join(dir, 'history.json'),
    runs: join(dir, 'runs'),
  };
}

/** Paths of one run in a runbook's state folder. */
export function runPaths(book: RunbookPaths, runId: string): RunPaths {
  const dir = join(book.runs, fileSafe(runId));
  return {
    dir,
    checkpoint: join(dir, 'checkpoint.json'),
    audit: join(dir, 'audit.jsonl'),
    logs: join(dir, 'logs'),
  };
}

/** The log file of one execution (attempt 1, 2...) of a block, inside a run's logs directory. */
export function blockLogPath(logsDir: string, blockId: string, attempt: number): string {
  if (!Number.isSafeInteger(attempt) || attempt < 1) throw new RangeError(`block attempt must be a positive integer, got ${attempt}`);
  return join(logsDir, `${fileSafe(blockId)}.${attempt}.log`);
}

/** A new run id that sorts by start time: UTC timestamp plus a short random suffix, e.g. `20261122T013654Z-a1b2`. */
export function newRunId(now: Date = new Date()): string {
  const stamp = now
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/** How often a new run id is drawn before the folder is given up (or left to the create step's own refusal). */
const RUN_ID_DRAWS = 16;

/**
 * A new run id with no folder under `parent` (a runbook's runs/) yet: drawn again when the random
 * suffix repeats one drawn in the same second (1 in 65,536), so a new run never starts on another
 * run's records. A check, not a claim: runs hold the runbook's lock, so no other run makes the
 * folder between the check and its creation, and after 16 taken ids the last is returned for the
 * checkpoint's create step to refuse with the file named.
 */
export function unusedRunId(parent: string): string {
  let id = newRunId();
  for (let tries = 1; tries < RUN_ID_DRAWS && existsSync(join(parent, id)); tries += 1) id = newRunId();
  return id;
}

/**
 * Make a new folder under `parent` (a runbook's preflights/), named by a fresh run id, and return
 * the id. Preflights take no lock, so the folder is claimed, not checked: mkdir without `recursive`
 * fails on a folder that exists, so two preflights started in the same second that draw the same
 * suffix each get a folder (and an audit trail) of their own.
 */
export async function claimRunFolder(parent: string): Promise<string> {
  await ensureDir(parent);
  for (let tries = 1; ; tries += 1) {
    const id = newRunId();
    const dir = join(parent, id);
    try {
      await mkdir(dir, { mode: 0o700 });
      await chmod(dir, 0o700);
      return id;
    } catch (error) {
      if (hasCode(error, 'EEXIST') && tries < RUN_ID_DRAWS) continue;
      const why = hasCode(error, 'EEXIST')
        ? `${RUN_ID_DRAWS} ids drawn in this second were all taken; start it again`
        : `${reasonOf(error)}; check that folder's permissions and free space`;
      throw new StateError(dir, `a new folder cannot be made in ${parent}: ${why}`, { cause: error });
    }
  }
}
