/** Test helpers for the executors: is a process still running, and a scratch directory. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * True while the process runs. A zombie does not count: orphans are reparented to an init that,
 * in some containers, never reaps them, and kill(pid, 0) would still succeed for them.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // Gone between the two calls.
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  return state !== 'Z' && state !== 'X';
}

const created: string[] = [];

/** A fresh directory under the system temp dir; `removeScratchDirs` deletes them all. */
export function scratchDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'wm-exec-'));
  created.push(dir);
  return dir;
}

/** Delete every directory `scratchDir` made (for `afterAll`). */
export function removeScratchDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}
