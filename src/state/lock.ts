/** One live run per runbook and state dir: `lock.json`, refused while its holder lives, taken over once it is dead. */

import { createHash, randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { link, lstat, readdir, rename, rm, unlink } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { StateError, ensureDir, hasCode, openNoFollow, readFileNoFollow, readFileNoFollowSync, reasonOf } from './atomic.js';
import { LOCK_FILE } from './layout.js';
import { readRecord } from './record.js';
import { ExitCode } from './exit-code.js';

/** Who holds a lock: the content of `lock.json`. */
export interface LockHolder {
  pid: number;
  /** Login name of the process owner. */
  user: string;
  host: string;
  /** The operator named with `--operator` (may differ from `user`). */
  operator: string;
  /** The run it found unfinished when it started (NO_RUN_YET when there was none; it may have started one since). */
  runId: string;
  /** ISO 8601 UTC. */
  startedAt: string;
}

/** `runId` of a holder that found no unfinished run: the run it goes on to start is named by `current.json`. */
export const NO_RUN_YET = 'new';

/** A lock that was replaced because its holder is gone; `previous` is null when the file was unreadable. */
export interface LockTakeover {
  previous: LockHolder | null;
  /** One sentence for the operator and the audit trail. */
  notice: string;
}

/** Another live run holds the lock (exit code 5); the message names its user, host and pid. */
export class LockHeldError extends Error {
  override readonly name = 'LockHeldError';
  readonly exitCode = ExitCode.Locked;
  readonly holder: LockHolder;
  readonly lockPath: string;

  constructor(holder: LockHolder, lockPath: string, sameHost: boolean) {
    const run = holder.runId === NO_RUN_YET ? 'starting a new run' : `run ${holder.runId}`;
    const who = `user ${holder.user} on host ${holder.host} (pid ${holder.pid}, operator ${holder.operator}, ${run}, since ${holder.startedAt})`;
    const advice = sameHost
      ? `wait for that run to finish or stop it; if pid ${holder.pid} is not waymark, remove ${lockPath}`
      : `its process cannot be checked from ${hostname()}; if that run is gone, remove ${lockPath}`;
    super(`another run of this runbook is live: ${who}; ${advice}`);
    this.holder = holder;
    this.lockPath = lockPath;
  }
}

/** A held lock. */
export interface RunLock {
  path: string;
  holder: LockHolder;
  /** Set when a dead run's (or a crash-damaged) lock was replaced: tell the operator and audit it. */
  takenOver: LockTakeover | null;
  /** Remove the lock if it is still ours; resolves to whether it was removed. */
  release(): Promise<boolean>;
  /** Same as release, for `process.on('exit')` handlers, which cannot wait. */
  releaseSync(): boolean;
}

/** Login name of this process, even where there is no passwd entry (containers). */
export function currentUser(): string {
  try {
    return userInfo().username;
  } catch (error) {
    // userInfo throws when the uid has no passwd entry; the environment is the next best witness.
    return process.env.USER ?? process.env.LOGNAME ?? `uid ${process.getuid?.() ?? '?'} (${reasonOf(error)})`;
  }
}

function parseHolder(text: string): LockHolder | null {
  // A torn or foreign lock file is reported to the caller as "unreadable" (null), not lost.
  // pid must be positive: kill(0 or -n, 0) would probe a process group, not the holder.
  return readRecord(text, {
    pid: 'positive-integer',
    user: 'string',
    host: 'string',
    operator: 'string',
    runId: 'string',
    startedAt: 'string',
  });
}

/** Whether the holder may still be running. A holder on another host cannot be probed, so it counts as alive. */
function mayBeAlive(holder: Pick<LockHolder, 'pid' | 'host'>): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    if (hasCode(error, 'EPERM')) return true; // alive, owned by another user
    if (hasCode(error, 'ESRCH')) return false;
    throw error;
  }
}

function isSameHolder(a: LockHolder, b: LockHolder): boolean {
  return a.pid === b.pid && a.host === b.host && a.runId === b.runId && a.startedAt === b.startedAt;
}

/**
 * Take the lock of the runbook whose state directory is `dir`, for the unfinished run
 * `info.runId` (null when there is none: a new run will start). Throws
 * LockHeldError while a live run holds it; replaces it (reporting `takenOver`)
 * when its holder is dead or the file is unreadable.
 *
 * The lock is written to a private temp file and then hard-linked to
 * `lock.json`: link fails with EEXIST exactly like O_EXCL, but the lock appears
 * with its full content, so a reader never mistakes a lock being written for a
 * torn one and takes it over.
 */
export async function acquireLock(dir: string, info: { runId: string | null; operator: string }): Promise<RunLock> {
  await ensureDir(dir);
  const lockPath = join(dir, LOCK_FILE);
  const holder: LockHolder = {
    pid: process.pid,
    user: currentUser(),
    host: hostname(),
    operator: info.operator,
    runId: info.runId ?? NO_RUN_YET,
    startedAt: new Date().toISOString(),
  };
  const temp = join(dir, `.${LOCK_FILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const file = await openNoFollow(temp, 'wx', 0o600);
    try {
      await file.writeFile(JSON.stringify(holder));
      await file.datasync();
    } finally {
      await file.close();
    }
    // Each turn wins, throws, or saw the lock change under it; a few turns settle any race.
    for (let turn = 0; turn < 5; turn += 1) {
      if (await tryLink(temp, lockPath)) return heldLock(lockPath, holder, null);
      const existing = await readLock(lockPath);
      if (existing === null) continue; // released between our link and our read
      if (existing.holder && mayBeAlive(existing.holder)) {
        throw new LockHeldError(existing.holder, lockPath, existing.holder.host === holder.host);
      }
      if (await replaceStale(lockPath, existing.text, temp)) {
        const removed = await removeLeftovers(dir);
        return heldLock(lockPath, holder, describeTakeover(existing.holder, lockPath, info.runId, removed));
      }
    }
    throw new StateError(
      lockPath,
      `lock file ${lockPath} kept changing while waymark tried to take it; another waymark is probably starting on this runbook — try again`,
    );
  } catch (error) {
    if (error instanceof LockHeldError || error instanceof StateError) throw error;
    throw new StateError(lockPath, `lock file ${lockPath} cannot be created: ${reasonOf(error)}; check the permissions of ${dir}`, {
      cause: error,
    });
  } finally {
    // Cleanup only: a temp file that cannot be removed (removeLeftovers takes it later) must not hide the outcome above.
    await rm(temp, { force: true }).catch(() => undefined);
  }
}

/**
 * The holder of the runbook's lock in `dir` while it may still be running (for
 * `status` and `list`), or null when there is no lock or its holder is gone.
 * Never takes or changes the lock.
 */
export async function liveHolder(dir: string): Promise<LockHolder | null> {
  const lockPath = join(dir, LOCK_FILE);
  try {
    const existing = await readLock(lockPath);
    return existing?.holder && mayBeAlive(existing.holder) ? existing.holder : null;
  } catch (error) {
    if (error instanceof StateError) throw error;
    throw new StateError(lockPath, `lock file ${lockPath} cannot be read: ${reasonOf(error)}; check its permissions`, { cause: error });
  }
}

async function tryLink(from: string, to: string): Promise<boolean> {
  try {
    await link(from, to);
    return true;
  } catch (error) {
    if (hasCode(error, 'EEXIST')) return false;
    throw error;
  }
}

async function readLock(lockPath: string): Promise<{ text: string; holder: LockHolder | null } | null> {
  try {
    const text = await readFileNoFollow(lockPath);
    return { text, holder: parseHolder(text) };
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return null;
    throw error;
  }
}

/**
 * Replace the stale lock whose content is `stale` with ours. Deleting it and
 * linking a new one would let a slower contender, still judging the old lock,
 * delete the new one; so the lock file never disappears: whoever first links a
 * takeover marker named after the stale content may rename our lock over it,
 * and only while it still holds that content. Returns false when the lock
 * changed first (the caller looks again).
 *
 * A run killed in the middle of a takeover leaves its marker behind. That
 * marker is stale in the same way, so it is replaced by the same rule, one
 * level down; an operator who restarts after a crash never has to clean up.
 */
async function replaceStale(lockPath: string, stale: string, ours: string, depth = 0): Promise<boolean> {
  const marker = `${lockPath}.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`;
  if (!(await tryLink(ours, marker))) {
    const taker = await readLock(marker);
    if (taker === null) return false; // that takeover just finished
    if (taker.holder && mayBeAlive(taker.holder)) throw new LockHeldError(taker.holder, lockPath, taker.holder.host === hostname());
    if (depth >= MAX_TAKEOVER_DEPTH) {
      const who = taker.holder ? `pid ${taker.holder.pid}, which is gone` : 'a process that left no readable record';
      throw new StateError(
        marker,
        `lock file ${lockPath} was being taken over by ${who}; once no waymark run is live, remove ${marker} and ${lockPath}`,
      );
    }
    // rename consumes its source, and `ours` is still needed for the lock itself: give the marker its own link.
    const copy = `${ours}.${depth + 1}`;
    await link(ours, copy);
    try {
      if (!(await replaceStale(marker, taker.text, copy, depth + 1))) return false;
    } finally {
      await rm(copy, { force: true });
    }
  }
  try {
    const current = await readLock(lockPath);
    if (current === null || current.text !== stale) return false;
    await rename(ours, lockPath);
    return true;
  } finally {
    await unlink(marker);
  }
}

/** Markers of markers: a second crash inside the takeover of a crashed takeover is still recovered; more is a human's job. */
const MAX_TAKEOVER_DEPTH = 2;

/**
 * The takeover notice. It names the run the lock guarded: the unfinished run the new holder
 * found (`currentRun`), which a holder that started a new run or archived one with --new-run
 * never wrote into its lock; failing that, the run its lock names.
 */
function describeTakeover(previous: LockHolder | null, lockPath: string, currentRun: string | null, removed: number): LockTakeover {
  const run = currentRun ?? (previous && previous.runId !== NO_RUN_YET ? previous.runId : null);
  const leftovers = removed > 0 ? `; removed ${removed} temporary lock ${removed === 1 ? 'file' : 'files'} left by dead processes` : '';
  let notice: string;
  if (previous) {
    const who = `user ${previous.user} on host ${previous.host}, pid ${previous.pid}, operator ${previous.operator}, since ${previous.startedAt}`;
    notice = run
      ? `took over the lock of run ${run} (${who}): its process is gone`
      : `took over the lock of pid ${previous.pid} (${who}), which had not recorded a run yet: its process is gone`;
  } else {
    notice = `took over the lock ${lockPath}${run ? ` of run ${run}` : ''}: it could not be read (probably left by a crash)`;
  }
  return { previous, notice: notice + leftovers };
}

/** The private temp files of acquireLock (and replaceStale's extra links): `.${LOCK_FILE}.PID.HEX.tmp[.N]`. */
const TEMP_NAME = /^\.lock\.json\.(\d+)\.[0-9a-f]+\.tmp(\.\d+)?$/;

/** An empty temp file (its writer was killed before writing) is only judged by its age, since its host is unknown. */
const EMPTY_TEMP_AGE_MS = 60_000;

/**
 * Remove the temp files that processes killed while taking a lock left in `dir`: each holds
 * its writer's holder record, and is removed once that writer is known dead (same host, pid
 * gone). Our own, and those of live or unknowable writers, stay. Best effort: a file that
 * cannot be judged or removed stays, and never costs the lock just taken. Returns how many went.
 */
async function removeLeftovers(dir: string): Promise<number> {
  let removed = 0;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const pid = Number(TEMP_NAME.exec(name)?.[1] ?? 0);
    if (pid === 0 || pid === process.pid) continue;
    const path = join(dir, name);
    try {
      if (await isDeadWritersTemp(path, pid)) {
        await unlink(path);
        removed += 1;
      }
    } catch {
      // Raced by another cleaner, or unreadable: leaving a small file behind is harmless.
    }
  }
  return removed;
}

async function isDeadWritersTemp(path: string, pid: number): Promise<boolean> {
  const writer = parseHolder(await readFileNoFollow(path));
  if (writer) return writer.pid === pid && writer.host === hostname() && !mayBeAlive(writer);
  const stats = await lstat(path);
  return Date.now() - stats.mtimeMs > EMPTY_TEMP_AGE_MS && !mayBeAlive({ pid, host: hostname() });
}

function heldLock(path: string, holder: LockHolder, takenOver: LockTakeover | null): RunLock {
  // Another run may have taken over (after a pid check that raced us); its lock is not ours to remove.
  const isOurs = (text: string): boolean => {
    const current = parseHolder(text);
    return current !== null && isSameHolder(current, holder);
  };
  const unreadable = (error: unknown): StateError =>
    new StateError(path, `lock file ${path} cannot be released: ${reasonOf(error)}; remove it by hand once no run is live`, {
      cause: error,
    });
  return {
    path,
    holder,
    takenOver,
    async release() {
      try {
        if (!isOurs(await readFileNoFollow(path))) return false;
        await unlink(path);
        return true;
      } catch (error) {
        if (hasCode(error, 'ENOENT')) return false;
        throw unreadable(error);
      }
    },
    releaseSync() {
      try {
        if (!isOurs(readFileNoFollowSync(path))) return false;
        unlinkSync(path);
        return true;
      } catch (error) {
        if (hasCode(error, 'ENOENT')) return false;
        throw unreadable(error);
      }
    },
  };
}
