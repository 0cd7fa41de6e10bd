/**
 * An append-only journal of checkpoint transitions (`checkpoint.journal`): one JSON line per
 * transition, flushed before the next block starts. Appending a line costs the same at step 1
 * and at step 1,000, where rewriting the whole checkpoint grows with the run.
 *
 * The journal is never emptied or rewritten: it holds every transition of the run from the
 * first, so a reader that read a snapshot always finds the transitions after it, and a lost
 * snapshot can be rebuilt from it. A snapshot records the byte offset it covers, so readers
 * start there instead of at the beginning.
 */
import { lstat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StateError, ensureDir, hasCode, openNoFollow, reasonOf, syncDirectory, writeFileAtomic } from './atomic.js';

/** One journal line. */
export interface JournalEntry<E> {
  seq: number;
  event: E;
  /** Extra facts to restore with the event (e.g. where the audit trail ended). */
  meta?: Record<string, unknown>;
}

/** What readJournal found. */
export interface JournalRead<E> {
  /** The complete entries from the starting offset on. */
  entries: JournalEntry<E>[];
  /** Byte offset just after the last complete entry (from the start of the file). */
  completeBytes: number;
  /** True when the file ends with part of a line (a crash mid-append). */
  torn: boolean;
}

/** Read the bytes of `path` from `from` to its end; null when the file does not exist. */
async function readFrom(path: string, from: number): Promise<Buffer | null> {
  let file: FileHandle;
  try {
    file = await openNoFollow(path, 'r');
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return null;
    if (error instanceof StateError) throw error;
    throw new StateError(path, `state file ${path} cannot be read: ${reasonOf(error)}; check its permissions`, { cause: error });
  }
  try {
    const { size } = await file.stat();
    if (size < from) {
      throw new StateError(
        path,
        `state file ${path} is shorter (${size} bytes) than the checkpoint recorded (${from} bytes): transitions were removed from it`,
      );
    }
    const buffer = Buffer.alloc(size - from);
    let read = 0;
    while (read < buffer.length) {
      const { bytesRead } = await file.read(buffer, read, buffer.length - read, from + read);
      if (bytesRead === 0) break;
      read += bytesRead;
    }
    return buffer.subarray(0, read);
  } catch (error) {
    if (error instanceof StateError) throw error;
    throw new StateError(path, `state file ${path} cannot be read: ${reasonOf(error)}; check its permissions`, { cause: error });
  } finally {
    await file.close();
  }
}

/**
 * The complete entries of a journal from byte offset `from` (a line start, as a snapshot
 * records it); a torn last line (a crash mid-append) is not one of them. A file shorter than
 * `from` lost transitions the snapshot relies on, and is refused.
 */
export async function readJournal<E>(path: string, from = 0): Promise<JournalRead<E>> {
  const bytes = await readFrom(path, from);
  if (bytes === null) {
    if (from > 0)
      throw new StateError(
        path,
        `state file ${path} is missing, but the checkpoint recorded ${from} bytes of it: transitions were removed`,
      );
    return { entries: [], completeBytes: 0, torn: false };
  }
  const end = bytes.lastIndexOf(0x0a) + 1;
  const lines = bytes.subarray(0, end).toString('utf8').split('\n');
  lines.pop();
  const entries: JournalEntry<E>[] = [];
  for (const [i, line] of lines.entries()) {
    // Line numbers count from the offset: name the entry by its place in what was read.
    const where = from === 0 ? `line ${i + 1}` : `entry ${i + 1} after byte ${from}`;
    let entry: JournalEntry<E>;
    try {
      entry = JSON.parse(line) as JournalEntry<E>;
    } catch (error) {
      throw new StateError(
        path,
        `state file ${path} cannot be parsed at ${where}: ${reasonOf(error)}; fix that line: every transition after it depends on it`,
        { cause: error },
      );
    }
    if (typeof entry !== 'object' || entry === null || typeof entry.seq !== 'number' || typeof entry.event !== 'object') {
      throw new StateError(
        path,
        `state file ${path} cannot be parsed at ${where}: not a journal entry; fix that line: every transition after it depends on it`,
      );
    }
    entries.push(entry);
  }
  // An append is one write of one line: a last line without its newline was never acknowledged.
  return { entries, completeBytes: from + end, torn: end < bytes.length };
}

/** A journal open for appending. */
export class Journal<E> {
  readonly path: string;
  #file: FileHandle;
  #size: number;
  #last: Promise<void> = Promise.resolve();

  private constructor(path: string, file: FileHandle, size: number) {
    this.path = path;
    this.#file = file;
    this.#size = size;
  }

  /**
   * Open for appending; `from` is the offset the snapshot covers (only the rest is read). A torn
   * last line, never acknowledged, is cut off first so the next entry starts on a line of its own;
   * its bytes are kept beside the journal (`<journal>.torn-<offset>`), not lost.
   */
  static async open(path: string, from = 0): Promise<Journal<unknown>> {
    const { completeBytes, torn } = await readJournal(path, from);
    await ensureDir(dirname(path));
    if (torn) {
      const fragment = await readFrom(path, completeBytes);
      if (fragment !== null) await writeFileAtomic(`${path}.torn-${completeBytes}`, fragment);
    }
    let file: FileHandle;
    try {
      file = await openNoFollow(path, 'a', 0o600);
      // Through the handle, not the name: what is cut is the file just checked, never a link's target.
      if (torn) await file.truncate(completeBytes);
    } catch (error) {
      if (error instanceof StateError) throw error;
      throw new StateError(path, `state file ${path} cannot be opened: ${reasonOf(error)}; check its permissions`, { cause: error });
    }
    await syncDirectory(dirname(path), path);
    return new Journal(path, file, completeBytes);
  }

  /** Bytes of the complete entries written so far: the offset a snapshot taken now covers. */
  get size(): number {
    return this.#size;
  }

  /** Append one entry and flush it; entries land in call order. */
  append(entry: JournalEntry<E>): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    const write = this.#last.then(async () => {
      try {
        // Appending to a journal someone removed or replaced would write to a file nobody reads again.
        const [onDisk, ours] = await Promise.all([lstat(this.path), this.#file.stat()]);
        if (onDisk.ino !== ours.ino || onDisk.dev !== ours.dev || !onDisk.isFile())
          throw new Error('it was removed or replaced while the run was live');
        await this.#file.appendFile(line);
        await this.#file.datasync();
      } catch (error) {
        throw new StateError(this.path, `checkpoint journal ${this.path} cannot be written: ${reasonOf(error)}; the run stops here`, {
          cause: error,
        });
      }
      this.#size += Buffer.byteLength(line);
    });
    this.#last = write.then(
      () => undefined,
      () => undefined,
    );
    return write;
  }

  async close(): Promise<void> {
    await this.#last;
    await this.#file.close();
  }
}
