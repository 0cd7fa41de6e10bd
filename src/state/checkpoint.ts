/** The checkpoint store: lowdb's `Low` over a crash-safe JSON file, or over memory in tests. */

import { dirname } from 'node:path';
import { Low, type Adapter } from 'lowdb';
import { StateError, ensureDir, hasCode, readFileNoFollow, reasonOf, writeFileAtomic } from './atomic.js';

/** A checkpoint of shape `T`: read it with `read()`, change `data`, persist with `write()` or `update(fn)`. */
export type CheckpointStore<T> = Low<T>;

/** Checks a parsed checkpoint before it is used; returns what is wrong with it, or null when it is fine. */
export type CheckpointValidator = (data: unknown) => string | null;

/**
 * A lowdb adapter for one JSON file, written with writeFileAtomic. Once the file
 * has failed to read or parse, every later write is refused: the operator's
 * broken file is evidence, never overwritten (docs/running.md#when-a-state-file-is-unreadable).
 */
export class AtomicJsonFile<T> implements Adapter<T> {
  readonly path: string;
  readonly #validate: CheckpointValidator | undefined;
  readonly #advice: string;
  #unreadable: StateError | null = null;
  #dirReady = false;
  // Writes are chained so they land in call order: with unique temp files, two
  // overlapping renames could otherwise leave the older state on disk.
  #lastWrite: Promise<void> = Promise.resolve();

  /** `advice` ends the message for a file that cannot be parsed: what the operator can do about it. */
  constructor(path: string, validate?: CheckpointValidator, advice = 'fix or move it away') {
    this.path = path;
    this.#validate = validate;
    this.#advice = advice;
  }

  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFileNoFollow(this.path);
    } catch (error) {
      if (hasCode(error, 'ENOENT')) return null;
      if (error instanceof StateError) {
        // A link in its place is refused for good, like a file that does not parse.
        this.#unreadable = error;
        throw error;
      }
      throw this.#refuse(`state file ${this.path} cannot be read: ${reasonOf(error)}; check its permissions`, error);
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw this.#refuse(`state file ${this.path} cannot be parsed: ${reasonOf(error)}; ${this.#advice}`, error);
    }
    // lowdb treats a falsy value as "no file" and would later write defaults over it.
    const problem =
      typeof data === 'object' && data !== null && !Array.isArray(data)
        ? (this.#validate?.(data) ?? null)
        : 'it does not hold a JSON object';
    if (problem !== null) {
      throw this.#refuse(`state file ${this.path} cannot be parsed: ${problem}; ${this.#advice}`);
    }
    return data as T;
  }

  write(data: T): Promise<void> {
    if (this.#unreadable) return Promise.reject(this.#unreadable);
    // Serialise now: the caller may mutate `data` again before an earlier write finishes.
    // Compact JSON keeps a 1,000-step checkpoint well inside the 5 ms write budget.
    const text = JSON.stringify(data);
    const write = this.#lastWrite.then(() => this.#persist(text));
    // The chain only orders writes; each failure is reported to its own caller through `write`.
    this.#lastWrite = write.then(
      () => undefined,
      () => undefined,
    );
    return write;
  }

  async #persist(text: string): Promise<void> {
    if (!this.#dirReady) {
      await ensureDir(dirname(this.path));
      this.#dirReady = true;
    }
    await writeFileAtomic(this.path, text);
  }

  #refuse(message: string, cause?: unknown): StateError {
    this.#unreadable = new StateError(this.path, message, { cause });
    return this.#unreadable;
  }
}

/**
 * Keeps the last written checkpoint in memory, as the JSON text a file would
 * hold, so tests of other modules see exactly what would have been persisted
 * (and later mutations of the live object do not leak into it).
 */
export class MemoryCheckpoint<T> implements Adapter<T> {
  /** The JSON of the last successful write, or null before the first one. */
  saved: string | null;
  /** How many writes succeeded. */
  writes = 0;
  #failure: Error | null = null;

  constructor(initial?: T) {
    this.saved = initial === undefined ? null : JSON.stringify(initial);
  }

  /** Make every following write reject with `error` (null to stop), to test "cannot save, so stop". */
  failWrites(error: Error | null): void {
    this.#failure = error;
  }

  /** The last written checkpoint, parsed again. */
  get data(): T | null {
    return this.saved === null ? null : (JSON.parse(this.saved) as T);
  }

  read(): Promise<T | null> {
    return Promise.resolve(this.data);
  }

  write(data: T): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    this.saved = JSON.stringify(data);
    this.writes += 1;
    return Promise.resolve();
  }
}

/** Options for openCheckpoint. */
export interface OpenCheckpointOptions {
  /** Rejects a checkpoint that parses as JSON but is not one waymark can resume from. */
  validate?: CheckpointValidator;
}

/**
 * Open (read) the checkpoint at `path`, starting from a copy of `defaults` when
 * the file does not exist yet. Throws StateError when it exists but cannot be read.
 */
export async function openCheckpoint<T extends object>(
  path: string,
  defaults: T,
  options: OpenCheckpointOptions = {},
): Promise<CheckpointStore<T>> {
  return openCheckpointWith(new AtomicJsonFile<T>(path, options.validate), defaults);
}

/** Same as openCheckpoint over any adapter (MemoryCheckpoint in tests). */
export async function openCheckpointWith<T extends object>(adapter: Adapter<T>, defaults: T): Promise<CheckpointStore<T>> {
  // Low keeps the defaults object as its data; a copy keeps callers' constants unmutated.
  const store = new Low<T>(adapter, structuredClone(defaults));
  await store.read();
  return store;
}
