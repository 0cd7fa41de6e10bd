/** Crash-safe file primitives for the state directory: atomic replace, private directories, one error type. */

import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

/** A state file that cannot be read, parsed or written; the message names the file and what to do (exit code 2). */
export class StateError extends Error {
  override readonly name = 'StateError';
  readonly exitCode = 2;
  /** The file (or directory) the problem is about. */
  readonly file: string;

  constructor(file: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.file = file;
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
    if (firstCreated === undefined) return;
    const stop = resolve(firstCreated);
    for (let dir = resolve(path); ; dir = dirname(dir)) {
      await chmod(dir, 0o700);
      if (dir === stop || dirname(dir) === dir) break;
    }
  } catch (error) {
    throw new StateError(path, `state directory ${path} cannot be created: ${reasonOf(error)}; check the permissions of its parent or choose another --state-dir`, { cause: error });
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
    const file = await open(temp, 'wx', 0o600);
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
    throw new StateError(path, `state file ${path} cannot be written: ${reasonOf(error)}${cleanup}; check free space and the permissions of ${dir}`, { cause: error });
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
    throw new StateError(about, `state file ${about} was written but its directory ${dir} cannot be synced: ${reasonOf(error)}`, { cause: error });
  }
}
