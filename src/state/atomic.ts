/** Crash-safe file primitives for the state directory: atomic replace, private directories, one error type. */

import { closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, type Stats } from 'node:fs';
import { chmod, lstat, mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { ExitCode } from './exit-code.js';

/** A state file that cannot be read, parsed or written; the message names the file and what to do (exit code 2). */
export class StateError extends Error {
  override readonly name = 'StateError';
  readonly exitCode = ExitCode.BadInput;
  /** The file (or directory) the problem is about. */
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.file = file;
  }
}

/**
 * A state file or directory that is a symbolic link, a hard link shared with another name, or not
 * a regular file at all (exit code 2). waymark never follows such an entry: a link planted in the
 * state directory would make it append to, truncate or show a file it did not create.
 */
export class StateLinkError extends StateError {
  constructor(file: string, what: string) {
    super(file, `${file} in the state directory ${what}; waymark never follows links there — check who planted it, then remove it`);
  }
}

/** The operating system's short reason for a failure, e.g. `ENOSPC: no space left on device, write`. */
export function reasonOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** True when `error` is a Node system error with this `code` (ENOENT, EEXIST...). */
export function hasCode(error: unknown, code: string): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/**
 * Create `path` and any missing parents with mode 0700. Directories that already
 * existed are left as the operator made them; the ones we create are chmod-ed
 * because mkdir's mode is filtered through the umask.
 */
export async function ensureDir(path: string): Promise<void> {
  let firstCreated: string | undefined;
  try {
    firstCreated = await mkdir(path, { recursive: true, mode: 0o700 });
    // mkdir is content with a link to a directory: the files made in it would land wherever it points.
    if (firstCreated === undefined) return await assertNotSymlink(path);
    const stop = resolve(firstCreated);
    for (let dir = resolve(path); ; dir = dirname(dir)) {
      await chmod(dir, 0o700);
      if (dir === stop || dirname(dir) === dir) break;
    }
  } catch (error) {
    if (error instanceof StateError) throw error;
    throw new StateError(
      path,
      `state directory ${path} cannot be created: ${reasonOf(error)}; check the permissions of its parent or choose another --state-dir`,
      { cause: error },
    );
  }
}

let tempCounter = 0;

/**
 * Replace `path` with `data` so that a crash leaves either the old or the new
 * content, never a mix: write a 0600 temp file beside it, fsync, rename over the
 * target, then fsync the directory so the rename itself survives a power cut.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  // Same directory as the target: rename is only atomic within one filesystem.
  // pid + counter keeps concurrent writers (even in one process) off each other's temp file.
  const temp = join(dir, `.${basename(path)}.${process.pid}.${++tempCounter}.tmp`);
  try {
    const file = await openNoFollow(temp, 'wx', 0o600);
    try {
      await file.writeFile(data);
      await file.datasync();
    } finally {
      await file.close();
    }
    await rename(temp, path);
  } catch (error) {
    let cleanup = '';
    await rm(temp, { force: true }).catch((rmError: unknown) => {
      cleanup = ` (and the temporary file ${temp} could not be removed: ${reasonOf(rmError)})`;
    });
    throw new StateError(
      path,
      `state file ${path} cannot be written: ${reasonOf(error)}${cleanup}; check free space and the permissions of ${dir}`,
      { cause: error },
    );
  }
  await syncDirectory(dir, path);
}

/** fsync a directory so a rename or a new entry in it is durable. */
export async function syncDirectory(dir: string, about: string = dir): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new StateError(about, `state file ${about} was written but its directory ${dir} cannot be synced: ${reasonOf(error)}`, {
      cause: error,
    });
  }
}

/** How a state file is opened; every mode adds O_NOFOLLOW and O_NONBLOCK (a planted FIFO must not hang an open). */
export type NoFollowMode = 'r' | 'a' | 'wx';

const MODE_FLAGS: Record<NoFollowMode, number> = {
  r: constants.O_RDONLY,
  a: constants.O_WRONLY | constants.O_CREAT | constants.O_APPEND,
  wx: constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
};

function noFollowFlags(mode: NoFollowMode): number {
  return MODE_FLAGS[mode] | constants.O_NOFOLLOW | constants.O_NONBLOCK;
}

/** The StateLinkError for a failed no-follow open, or the error itself (ENOENT, EACCES...) for the caller to judge. */
function linkErrorOr(path: string, error: unknown): unknown {
  if (hasCode(error, 'ELOOP')) return new StateLinkError(path, 'is a symbolic link');
  if (hasCode(error, 'ENXIO')) return new StateLinkError(path, 'is not a regular file (a FIFO or socket)');
  return error;
}

/** Why an open file may not be used as a state file, or null: it must be regular, and written only under its one name. */
function entryProblem(stats: { isFile(): boolean; nlink: number }, mode: NoFollowMode): string | null {
  if (!stats.isFile()) return 'is not a regular file';
  // A second name for the file would make a write here change a file somewhere else.
  if (mode !== 'r' && stats.nlink > 1) return `has ${stats.nlink} hard links (a copy made with \`cp -l\` or a planted link)`;
  return null;
}

/**
 * Open a file in the state directory without following a symbolic link at `path`.
 * Throws StateLinkError (exit 2, naming `path`) when it is a link, not a regular file,
 * or (when opened for writing) hard-linked under another name; any other failure
 * (ENOENT, EACCES...) is thrown as the system error, for the caller to word.
 */
export async function openNoFollow(path: string, mode: NoFollowMode, fileMode = 0o600): Promise<FileHandle> {
  let file: FileHandle;
  try {
    file = await open(path, noFollowFlags(mode), fileMode);
  } catch (error) {
    throw linkErrorOr(path, error);
  }
  const problem = entryProblem(await file.stat(), mode);
  if (problem === null) return file;
  await file.close();
  throw new StateLinkError(path, problem);
}

/** Read a state file as UTF-8 text without following a link at `path`; errors as openNoFollow. */
export async function readFileNoFollow(path: string): Promise<string> {
  const file = await openNoFollow(path, 'r');
  try {
    return await file.readFile('utf8');
  } finally {
    await file.close();
  }
}

/** readFileNoFollow for `process.on('exit')` handlers, which cannot wait. */
export function readFileNoFollowSync(path: string): string {
  return readBytesNoFollowSync(path).toString('utf8');
}

/** readFileNoFollowSync's bytes, for a file that is not text (V8's code cache, src/cli/code-cache.ts). */
export function readBytesNoFollowSync(path: string): Buffer {
  let fd: number;
  try {
    fd = openSync(path, noFollowFlags('r'));
  } catch (error) {
    throw linkErrorOr(path, error);
  }
  try {
    const problem = entryProblem(fstatSync(fd), 'r');
    if (problem !== null) throw new StateLinkError(path, problem);
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Throw StateLinkError when `path` is a symbolic link; a missing path is fine (it will be created, not followed). */
export async function assertNotSymlink(path: string): Promise<void> {
  let stats: Awaited<ReturnType<typeof lstat>>;
  try {
    stats = await lstat(path);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return;
    throw new StateError(path, `state path ${path} cannot be examined: ${reasonOf(error)}; check its permissions`, { cause: error });
  }
  if (stats.isSymbolicLink()) throw new StateLinkError(path, 'is a symbolic link');
}

/**
 * Refuse a symbolic link at `path` or at any directory between `root` and it. `root` (the
 * state directory the operator chose) may itself be a link; nothing waymark made below it may.
 */
export async function assertNoSymlinksBelow(root: string, path: string): Promise<void> {
  for (const at of pathsBelow(root, path)) await assertNotSymlink(at);
}

/**
 * assertNoSymlinksBelow for callers that cannot wait, or must not load fs/promises (the code
 * cache, at every start of lint). A missing path is fine, and so is all below it.
 */
export function assertNoSymlinksBelowSync(root: string, path: string): void {
  for (const at of pathsBelow(root, path)) {
    let stats: Stats | undefined;
    try {
      stats = lstatSync(at, { throwIfNoEntry: false });
    } catch (error) {
      throw new StateError(at, `state path ${at} cannot be examined: ${reasonOf(error)}; check its permissions`, { cause: error });
    }
    if (stats === undefined) return;
    if (stats.isSymbolicLink()) throw new StateLinkError(at, 'is a symbolic link');
  }
}

/** Each directory from the one below `root` down to `path` itself; none when `path` is not below `root`. */
function pathsBelow(root: string, path: string): string[] {
  const rest = relative(resolve(root), resolve(path));
  if (rest === '' || rest.startsWith('..')) return [];
  let at = resolve(root);
  return rest.split(sep).map((part) => {
    at = join(at, part);
    return at;
  });
}
