/** Reading runs back from the state directory, for status, report, audit and list. */
import type { Runbook } from '../runbook/model.js';
import { ExitCode, OperatorError } from './errors.js';
import { missingCheckpoint, readCheckpoint } from './checkpoint.js';
import { readCurrentRun } from '../state/current.js';
import { runPaths, type RunbookPaths, type RunPaths } from '../state/layout.js';
import { listRunIds, locateRunbookState } from './state-folder.js';
import { liveHolder } from '../state/lock.js';
import { assertNoSymlinksBelow } from '../state/atomic.js';
import type { RunState, RunStatus } from './run-state.js';
import { reconcile } from './reconcile.js';

/** A run read from disk, with whether a live process is working on it now. */
export interface StoredRun {
  state: RunState;
  paths: RunPaths;
  /** The state folder the run is in. */
  book: RunbookPaths;
  /** The run's status as an operator should read it: a `running` run nobody holds was interrupted. */
  status: RunStatus;
  live: boolean;
}

/**
 * The run `runId`, or the runbook's latest run; null when the runbook has never run here. A state
 * folder that belongs to another runbook is refused (engine/state-folder.ts).
 */
export async function readRun(stateDir: string, runbook: Runbook, runId?: string): Promise<StoredRun | null> {
  const book = await locateRunbookState(stateDir, runbook);
  const id = runId ?? (await readCurrentRun(book.current));
  if (id === null) return null;
  const paths = runPaths(book, id);
  if (runId !== undefined && !(await listRunIds(book)).includes(runId)) {
    throw new OperatorError(`no run ${runId} of ${runbook.file} in ${stateDir}`, ExitCode.BadInput);
  }
  await assertNoSymlinksBelow(stateDir, paths.logs);
  const saved = await readCheckpoint(paths.checkpoint, runbook.file);
  // A run that is named but has no checkpoint is lost state, not "never run": say what is missing.
  if (saved === null) throw missingCheckpoint(paths, { runId: id, runbookFile: runbook.file, current: book.current });
  const holder = await liveHolder(book.dir);
  // One live run per runbook: the lock's holder works on the current run, even while its lock
  // still names the run it found at start (NO_RUN_YET from lock.ts, or the run --new-run archived).
  const live = holder !== null && (holder.runId === id || (runId === undefined ? id : await readCurrentRun(book.current)) === id);
  // A live run is shown as it is (its running block is running, not interrupted); any other
  // against the runbook as it is now, like a resume would see it.
  const state = live ? saved : reconcile(runbook, saved, saved.updatedAt).state;
  const status: RunStatus = state.status === 'running' && !live ? 'interrupted' : state.status;
  return { state, paths, book, status, live };
}
