/**
 * An append-only journal of checkpoint transitions (`checkpoint.journal`): one JSON line per
 * transition, flushed before the next block starts. Appending a line costs the same at step 1
 * and at step 1,000, where rewriting the whole checkpoint grows with the run.
 */
import { lstat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { StateError, ensureDir, hasCode, openNoFollow, readFileNoFollow, reasonOf, syncDirectory } from './atomic.js';

/** One journal line. */
export interface JournalEntry<E> {
  seq: number;
  event: E;
  /** Extra facts to restore with the event (e.g. where the audit trail ended). */
  meta?: Record<string, unknown>;
}

/** The complete entries of a journal; a torn last line (a crash mid-append) is not one of them. */
export async function readJournal<E>(path: string): Promise<{ entries: JournalEntry<E>[]; completeBytes: number; torn: boolean }> {
  let text: string;
  try {
    text = await readFileNoFollow(path);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return { entries: [], completeBytes: 0, torn: false };
    if (error instanceof StateError) throw error;
    throw new StateError(path, `state file ${path} cannot be read: ${reasonOf(error)}; check its permissions`, { cause: error });
  }
  const entries: JournalEntry<E>[] = [];
  const end = text.lastIndexOf('\n') + 1;
  const lines = text.slice(0, end).split('\n');
  lines.pop();
  for (const [i, line] of lines.entries()) {
    let entry: JournalEntry<E>;
    try {
      entry = JSON.parse(line) as JournalEntry<E>;
    } catch (error) {
      throw new StateError(path, `state file ${path} cannot be parsed at line ${i + 1}: ${reasonOf(error)}; fix or move it away`, { cause: error });
    }
    if (typeof entry !== 'object' || entry === null || typeof entry.seq !== 'number' || typeof entry.event !== 'object') {
      throw new StateError(path, `state file ${path} cannot be parsed at line ${i + 1}: not a journal entry; fix or move it away`);
    }
    entries.push(entry);
  }
  // An append is one write of one line: a last line without its newline was never acknowledged.
  return { entries, completeBytes: Buffer.byteLength(text.slice(0, end)), torn: end < text.length };
}

/** A journal open for appending. */
export class Journal<E> {
  readonly path: string;
  #file: FileHandle;
  #last: Promise<void> = Promise.resolve();

  private constructor(path: string, file: FileHandle) {
    this.path = path;
    this.#file = file;
  }

  /** Open for appending; a torn last line is cut off first so the next entry starts on a line of its own. */
  static async open(path: string): Promise<Journal<unknown>> {
    const { completeBytes, torn } = await readJournal(path);
    await ensureDir(dirname(path));
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
    return new Journal(path, file);
  }

  /** Append one entry and flush it; entries land in call order. */
  append(entry: JournalEntry<E>): Promise<void> {
    const line = `${JSON.stringify(entry)}\n`;
    const write = this.#last.then(async () => {
      try {
        // Appending to a journal someone removed or replaced would write to a file nobody reads again.
        const [onDisk, ours] = await Promise.all([lstat(this.path), this.#file.stat()]);
        if (onDisk.ino !== ours.ino || onDisk.dev !== ours.dev || !onDisk.isFile()) throw new Error('it was removed or replaced while the run was live');
        await this.#file.appendFile(line);
        await this.#file.datasync();
      } catch (error) {
        throw new StateError(this.path, `checkpoint journal ${this.path} cannot be written: ${reasonOf(error)}; the run stops here`, { cause: error });
      }
    });
    this.#last = write.then(
      () => undefined,
      () => undefined,
    );
    return write;
  }

  /** Empty the journal once a snapshot holds everything in it. */
  async reset(): Promise<void> {
    await this.#last;
    await this.#file.truncate(0);
    await this.#file.datasync();
  }

  async close(): Promise<void> {
    await this.#last;
    await this.#file.close();
  }
}
