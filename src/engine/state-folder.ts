/**
 * A runbook's state folder, checked to be its own. The folder is named by the runbook's identity
 * (runbook/identity.ts) and records it in `runbook.json`; a folder that records another runbook is
 * refused (exit 2, naming both files), so no run is ever resumed, reported or counted by a runbook
 * it does not belong to.
 *
 * Folders written by older versions of waymark have no record and were named by the runbook id
 * alone (the file name without `.md`, or the `id:`). Such a folder is adopted only when every run
 * in it was started from this same file; one whose runs cannot be told apart is refused with the
 * one command that settles it.
 */
import { existsSync } from 'node:fs';
import { readdir, rename, stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { Runbook } from '../runbook/model.js';
import { canonicalPath, runbookIdentity, type RunbookIdentity } from '../runbook/identity.js';
import { ExitCode, OperatorError } from './errors.js';
import { StateError, StateLinkError, assertNotSymlink, ensureDir, hasCode, reasonOf, syncDirectory } from '../state/atomic.js';
import { fileSafe, runbookPaths, runPaths, type RunbookPaths } from '../state/layout.js';
import { createRunbookRecord, readRunbookRecord, type RunbookRecord } from '../state/runbook-record.js';
import { liveHolder } from '../state/lock.js';
import { journalPathOf, readCheckpoint } from './checkpoint.js';
import type { RunState } from './run-state.js';
import { readCurrentRun } from '../state/current.js';

/** Ids of every run in a runbook's state folder, oldest first. */
export async function listRunIds(book: RunbookPaths): Promise<string[]> {
  try {
    // A runs folder planted as a link would list, and lead reads into, another folder.
    await assertNotSymlink(book.dir);
    await assertNotSymlink(book.runs);
    return (await readdir(book.runs)).sort();
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return [];
    throw error;
  }
}

/**
 * The runs in `book` that did not end (neither complete nor abandoned) and had begun, oldest
 * first. A run whose checkpoint cannot be read counts as unfinished: nothing shows it ended.
 *
 * A run that never began is left out: waymark names a new run in `current.json` only after its
 * folder and checkpoint are written, so a crash in between leaves a run that no one could have
 * resumed and that ran nothing — its folder holds no checkpoint, journal or audit record, or a
 * checkpoint in which no block ever ran, no item was ticked and no decision was taken.
 */
export async function unfinishedRuns(book: RunbookPaths, runbookFile: string): Promise<string[]> {
  return (await unfinished(book, runbookFile)).map((run) => run.id);
}

/**
 * The runs that did not end and started after `run` (by their checkpoint's start time; by the
 * second in their id when it cannot be read): a current.json naming `run`, which ended, went back
 * in time past them.
 */
export async function unfinishedRunsAfter(book: RunbookPaths, runbookFile: string, run: RunState): Promise<string[]> {
  const second = (id: string) => id.slice(0, 16);
  return (await unfinished(book, runbookFile))
    .filter(({ id, state }) => id !== run.run && (state ? state.startedAt > run.startedAt : second(id) >= second(run.run)))
    .map((found) => found.id);
}

async function unfinished(book: RunbookPaths, runbookFile: string): Promise<{ id: string; state: RunState | null }[]> {
  const left: { id: string; state: RunState | null }[] = [];
  for (const runId of await listRunIds(book)) {
    const paths = runPaths(book, runId);
    let state: Awaited<ReturnType<typeof readCheckpoint>>;
    try {
      state = await readCheckpoint(paths.checkpoint, runbookFile);
    } catch (error) {
      if (error instanceof StateLinkError) throw error;
      state = null;
    }
    if (state === null && (await nothingWritten([paths.checkpoint, journalPathOf(paths.checkpoint), paths.audit]))) continue;
    if (state !== null && neverBegan(state)) continue;
    if (state?.status !== 'complete' && state?.status !== 'abandoned') left.push({ id: runId, state });
  }
  return left;
}

/** True when none of `files` exists or has a byte in it. */
async function nothingWritten(files: string[]): Promise<boolean> {
  for (const file of files) {
    try {
      if ((await stat(file)).size > 0) return false;
    } catch (error) {
      if (!hasCode(error, 'ENOENT')) return false;
    }
  }
  return true;
}

/** A run in which nothing happened: no block ran, nothing was ticked, confirmed or skipped. */
function neverBegan(state: RunState): boolean {
  return state.steps.every(
    (step) =>
      step.status === 'pending' &&
      step.confirmed === undefined &&
      step.skipped === undefined &&
      Object.keys(step.ticked).length === 0 &&
      step.blocks.every((block) => block.status === 'pending' && block.executions === 0 && block.attempts === 0),
  );
}

/**
 * Where the runbook's runs are, for a reader (status, report, audit, list, estimates): its own
 * folder, or an older waymark's folder it would adopt. Changes nothing on disk.
 */
export async function locateRunbookState(stateDir: string, runbook: Runbook): Promise<RunbookPaths> {
  const found = await inspect(stateDir, runbook);
  return found.kind === 'legacy' ? found.legacy : found.book;
}

/**
 * The runbook's state folder, for a run: created with its record, or checked against it; an older
 * waymark's folder whose runs are all this runbook's is renamed to the new name first. `notices`
 * says what was adopted.
 */
export async function claimRunbookState(stateDir: string, runbook: Runbook): Promise<{ book: RunbookPaths; notices: string[] }> {
  // Another waymark may claim or move the same folder at the same moment: look again, a few times.
  for (let turn = 0; turn < 3; turn++) {
    const found = await inspect(stateDir, runbook);
    if (found.kind === 'own') return { book: found.book, notices: [] };
    const notices: string[] = [];
    if (found.kind === 'legacy') {
      // A live older run keeps its folder: the lock there refuses this run (exit 5) until it ends.
      if (await liveHolder(found.legacy.dir)) return { book: found.legacy, notices };
      if (!(await renameFolder(found.legacy.dir, found.book.dir))) continue;
      await syncDirectory(stateDir, found.book.dir);
      notices.push(`state folder ${found.legacy.dir}, written by an older waymark for this runbook, is now ${found.book.dir}`);
    } else await ensureDir(found.book.dir);
    if (await createRunbookRecord(found.book.record, { id: found.identity.id, file: found.identity.file }))
      return { book: found.book, notices };
  }
  const book = runbookPaths(stateDir, runbookIdentity(runbook));
  throw new StateError(
    book.dir,
    `state folder ${book.dir} kept changing while waymark claimed it; another waymark is probably starting on this runbook — try again`,
  );
}

type Found =
  | { kind: 'own' | 'unclaimed' | 'absent'; identity: RunbookIdentity; book: RunbookPaths }
  | { kind: 'legacy'; identity: RunbookIdentity; book: RunbookPaths; legacy: RunbookPaths };

async function inspect(stateDir: string, runbook: Runbook): Promise<Found> {
  const identity = runbookIdentity(runbook);
  const book = runbookPaths(stateDir, identity);
  const record = await readRunbookRecord(book.record);
  if (record) {
    if (record.file === identity.file && record.id === identity.id) return { kind: 'own', identity, book };
    throw refusal(book, record, identity);
  }
  if (await exists(book.dir)) {
    // A path-named folder is named by this very file's hash: only a crash before its record was
    // written, or the operator's own mv, puts one there without a record.
    if (identity.id === null) return { kind: 'unclaimed', identity, book };
    const owners = await ownersOf(book, identity.file);
    if (owners.others.length === 0 && owners.unknown.length === 0) return { kind: 'unclaimed', identity, book };
    throw olderFolderRefusal(book, owners, identity);
  }
  const absent = async (): Promise<Found> => {
    await refuseUnfinishedElsewhere(stateDir, identity);
    return { kind: 'absent', identity, book };
  };
  if (identity.id !== null) return absent();
  // An older waymark named a path-known runbook's folder after its file name alone.
  const legacy = runbookPaths(stateDir, { folder: fileSafe(runbook.id) });
  if (!(await exists(legacy.dir)) || (await readRunbookRecord(legacy.record)) !== null) return absent();
  const owners = await ownersOf(legacy, identity.file);
  if (owners.mine > 0 && owners.others.length === 0 && owners.unknown.length === 0) return { kind: 'legacy', identity, book, legacy };
  // Another runbook's runs only (nova's folder, seen from glance): not ours, kept apart.
  if (owners.unknown.length === 0 && owners.mine === 0) return absent();
  throw olderFolderRefusal(legacy, owners, identity, book);
}

/**
 * A runbook whose `id:` was added, changed or removed gets a new folder; an unfinished run of the
 * same file under its old identity would then silently start over and re-run what passed. That
 * run is found by the records of the other folders and refused, naming it.
 */
async function refuseUnfinishedElsewhere(stateDir: string, identity: RunbookIdentity): Promise<void> {
  let folders: string[];
  try {
    folders = await readdir(stateDir);
  } catch (error) {
    if (hasCode(error, 'ENOENT') || hasCode(error, 'ENOTDIR')) return;
    throw new StateError(stateDir, `state directory ${stateDir} cannot be read: ${reasonOf(error)}; check its permissions`, {
      cause: error,
    });
  }
  for (const folder of folders.filter((name) => /^[A-Za-z0-9][A-Za-z0-9_.@%-]*$/.test(name)).sort()) {
    const other = runbookPaths(stateDir, { folder });
    const record = await readRunbookRecord(other.record).catch(() => null);
    if (record?.file !== identity.file || !(await isUnfinished(other))) continue;
    const was = record.id === null ? 'when it had no id:' : `under its id "${record.id}"`;
    const back = record.id === null ? 'remove its id: again' : `put back "id: ${record.id}" in its front matter`;
    throw new OperatorError(
      `${identity.file} has an unfinished run in state folder ${other.dir}, started ${was}; nothing was done. To finish that run, ${back}; to leave it and start over, move ${other.dir} out of the state directory`,
      ExitCode.BadInput,
    );
  }
}

/** True when the folder's current run is neither complete nor abandoned; a folder that cannot be read says nothing. */
async function isUnfinished(book: RunbookPaths): Promise<boolean> {
  try {
    const runId = await readCurrentRun(book.current);
    const state = runId === null ? null : await readCheckpoint(runPaths(book, runId).checkpoint);
    return state !== null && state.status !== 'complete' && state.status !== 'abandoned';
  } catch {
    return false;
  }
}

/** Who started the runs of a folder without a record, from the runbook file each checkpoint names. */
interface Owners {
  /** Runs started from this runbook's file. */
  mine: number;
  /** Other runbook files (canonical paths) that started runs here. */
  others: string[];
  /** Recorded files that cannot be found from here (relative paths from another directory, moved files). */
  unknown: string[];
}

async function ownersOf(book: RunbookPaths, self: string): Promise<Owners> {
  const owners: Owners = { mine: 0, others: [], unknown: [] };
  for (const runId of await listRunIds(book)) {
    const state = await readCheckpoint(runPaths(book, runId).checkpoint);
    if (state === null) continue;
    // Older checkpoints name the file as it was given: a relative name was relative to wherever
    // waymark was started then, which nothing recorded. Resolving it against today's directory
    // would let glance/upgrade.md claim nova/upgrade.md's runs, so it proves no owner.
    const recorded = state.runbookFile;
    if (!isAbsolute(recorded) || !(await exists(recorded))) {
      if (!owners.unknown.includes(state.runbookFile)) owners.unknown.push(state.runbookFile);
      continue;
    }
    const real = canonicalPath(recorded);
    if (real === self) owners.mine++;
    else if (!owners.others.includes(real)) owners.others.push(real);
  }
  return owners;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if (hasCode(error, 'ENOENT') || hasCode(error, 'ENOTDIR')) return false;
    throw new StateError(path, `state path ${path} cannot be read: ${reasonOf(error)}; check its permissions`, { cause: error });
  }
}

/** Rename an adopted folder; false when another waymark moved it first. */
async function renameFolder(from: string, to: string): Promise<boolean> {
  try {
    await rename(from, to);
    return true;
  } catch (error) {
    if (hasCode(error, 'ENOENT') || hasCode(error, 'ENOTEMPTY') || hasCode(error, 'EEXIST')) return false;
    throw new StateError(
      from,
      `state folder ${from} cannot be renamed to ${to}: ${reasonOf(error)}; check the permissions of the state directory`,
      { cause: error },
    );
  }
}

/** A word safe to paste into a shell. */
function shellWord(text: string): string {
  return /^[A-Za-z0-9_./@%:=+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

function describe(id: string | null, file: string): string {
  return id === null ? file : `${file} (id ${id})`;
}

/** The folder records another runbook. */
function refusal(book: RunbookPaths, record: RunbookRecord, identity: RunbookIdentity): OperatorError {
  let advice = `${book.record} was edited or the folder copied: move ${book.dir} out of the state directory, or use another --state-dir`;
  if (identity.id !== null) {
    advice = `Give ${identity.file} its own id: in its front matter (ids name state folders, so they must differ), or use another --state-dir`;
    // The file the folder names is gone: perhaps this one is it, moved. Only the operator knows.
    if (!existsSync(record.file)) advice += `; if it is ${record.file} moved or renamed, record that: ${recordCommand(book, identity)}`;
  }
  return new OperatorError(
    `state folder ${book.dir} belongs to runbook ${describe(record.id, record.file)}, not to ${describe(identity.id, identity.file)}; nothing was done: a run is never resumed by another runbook. ${advice}`,
    ExitCode.BadInput,
  );
}

/** The shell line that records `identity` as the owner of the folder. */
function recordCommand(book: RunbookPaths, identity: RunbookIdentity): string {
  return `echo ${shellWord(JSON.stringify({ id: identity.id, file: identity.file }))} > ${shellWord(book.record)}`;
}

/** An older waymark's folder whose runs are not (all, or provably) this runbook's. */
function olderFolderRefusal(folder: RunbookPaths, owners: Owners, identity: RunbookIdentity, target?: RunbookPaths): OperatorError {
  const started = [
    ...owners.others,
    ...owners.unknown.map((file) =>
      isAbsolute(file) ? `${file} (not found)` : `${file} (a name relative to wherever waymark was started then)`,
    ),
  ];
  const self = describe(identity.id, identity.file);
  const whose =
    owners.mine > 0
      ? `state folder ${folder.dir}, written by an older waymark, holds runs of ${started.join(' and ')} as well as of ${self}; nothing was done`
      : `state folder ${folder.dir} was written by an older waymark for ${started.join(' and ')}, not for ${self}; nothing was done`;
  if (target) {
    return new OperatorError(
      `${whose}. If its runs are this runbook's (waymark was started from another directory), adopt them: mv ${shellWord(folder.dir)} ${shellWord(target.dir)}; if not, move ${folder.dir} out of the state directory`,
      ExitCode.BadInput,
    );
  }
  return new OperatorError(
    `${whose}. Give ${identity.file} its own id: in its front matter, or use another --state-dir; if the runs are this runbook's, record that: ${recordCommand(folder, identity)}`,
    ExitCode.BadInput,
  );
}
