/** The `current.json` pointer: which run of a runbook is the live one, so a new session resumes it. */

import { unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StateError, ensureDir, hasCode, readFileNoFollow, reasonOf, syncDirectory, writeFileAtomic } from './atomic.js';

/** Content of `current.json`. */
export interface CurrentRun {
  runId: string;
}

/** The live run's id, or null when there is none. Throws StateError when the pointer exists but is unreadable. */
export async function readCurrentRun(path: string): Promise<string | null> {
  let text: string;
  try {
    text = await readFileNoFollow(path);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return null;
    if (error instanceof StateError) throw error;
    throw new StateError(path, `state file ${path} cannot be read: ${reasonOf(error)}; check its permissions`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StateError(path, `state file ${path} cannot be parsed: ${reasonOf(error)}; fix or move it away`, { cause: error });
  }
  const runId = typeof data === 'object' && data !== null ? (data as { runId?: unknown }).runId : undefined;
  if (typeof runId !== 'string' || runId === '') {
    throw new StateError(path, `state file ${path} cannot be parsed: it has no "runId"; fix or move it away`);
  }
  return runId;
}

/** Point `current.json` at `runId`. */
export async function writeCurrentRun(path: string, runId: string): Promise<void> {
  await ensureDir(dirname(path));
  const pointer: CurrentRun = { runId };
  await writeFileAtomic(path, JSON.stringify(pointer));
}

/** Remove the pointer once its run is finished or archived; the run's own files stay. */
export async function clearCurrentRun(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return;
    throw new StateError(path, `state file ${path} cannot be removed: ${reasonOf(error)}; check the permissions of ${dirname(path)}`, {
      cause: error,
    });
  }
  await syncDirectory(dirname(path), path);
}
