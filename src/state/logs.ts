/** Per-execution block log files: the full output of a block, whatever the TUI keeps in memory. */

import type { FileHandle } from 'node:fs/promises';
import { StateError, ensureDir, openNoFollow, reasonOf } from './atomic.js';
import { blockLogPath } from './layout.js';

/** Output of one block execution, appended to its own 0600 file. */
export interface BlockLog {
  readonly path: string;
  /** Append one line (the newline is added). False means: wait for drain() before writing much more. */
  write(line: string): boolean;
  /** Append output exactly as received from a pipe, partial lines included. Same return value as write. */
  writeChunk(chunk: string | Uint8Array): boolean;
  /** Resolves once everything written so far has been handed to the OS; rejects if a write failed. */
  drain(): Promise<void>;
  /** Flush, fsync once, close. Rejects with StateError if any write failed. */
  close(): Promise<void>;
  /** The first write failure, if any; later output is dropped and close() reports it. */
  readonly failure: StateError | null;
}

// A block may print a million lines: gather them into chunks this big so the
// file sees a few hundred writes instead of a million (and never an fsync per line).
const CHUNK_BYTES = 64 * 1024;
// Past this much output waiting for the disk, write() asks the producer to pause.
const HIGH_WATER_BYTES = 1024 * 1024;
// A block that prints a line and then runs quiet for minutes still gets that
// line on disk soon, so a crash or `tail -f` sees it.
const IDLE_FLUSH_MS = 200;

/** Tuning for openBlockLog; the default suits every caller but tests. */
export interface BlockLogOptions {
  /** How long buffered output may wait for more before it is written anyway (default 200 ms). */
  idleFlushMs?: number;
}

class BufferedBlockLog implements BlockLog {
  readonly path: string;
  readonly #file: FileHandle;
  readonly #idleFlushMs: number;
  // Strings are concatenated (V8 ropes make that cheap); binary chunks, rarer, go in #parts in order.
  #text = '';
  #parts: Uint8Array[] = [];
  #buffered = 0;
  #queued = 0;
  #lastWrite: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | null = null;
  #failure: StateError | null = null;
  #closing: Promise<void> | null = null;

  constructor(path: string, file: FileHandle, idleFlushMs: number) {
    this.path = path;
    this.#file = file;
    this.#idleFlushMs = idleFlushMs;
  }

  get failure(): StateError | null {
    return this.#failure;
  }

  write(line: string): boolean {
    return this.#addText(`${line}\n`);
  }

  writeChunk(chunk: string | Uint8Array): boolean {
    if (typeof chunk === 'string') return this.#addText(chunk);
    this.#assertOpen();
    if (this.#failure) return true;
    if (this.#text !== '') {
      this.#parts.push(Buffer.from(this.#text, 'utf8'));
      this.#text = '';
    }
    this.#parts.push(chunk);
    return this.#added(chunk.byteLength);
  }

  drain(): Promise<void> {
    this.#flush();
    return this.#lastWrite.then(() => {
      if (this.#failure) throw this.#failure;
    });
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#flush();
    await this.#lastWrite;
    try {
      if (!this.#failure) await this.#file.datasync();
    } catch (error) {
      this.#fail(error);
    } finally {
      await this.#file.close();
    }
    if (this.#failure) throw this.#failure;
  }

  #addText(text: string): boolean {
    this.#assertOpen();
    if (this.#failure) return true;
    this.#text += text;
    // String length, not bytes: the thresholds only need to be roughly right.
    return this.#added(text.length);
  }

  #added(size: number): boolean {
    this.#buffered += size;
    if (this.#buffered >= CHUNK_BYTES) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), this.#idleFlushMs).unref();
    return this.#queued + this.#buffered < HIGH_WATER_BYTES;
  }

  #flush(): void {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    if (this.#buffered === 0) return;
    // Pipe chunks are handed to the OS as they are (one writev), not copied into one buffer first.
    const data: string | Uint8Array[] =
      this.#parts.length === 0 ? this.#text : this.#text === '' ? this.#parts : [...this.#parts, Buffer.from(this.#text, 'utf8')];
    const size = this.#buffered;
    this.#text = '';
    this.#parts = [];
    this.#buffered = 0;
    this.#queued += size;
    this.#lastWrite = this.#lastWrite.then(async () => {
      try {
        if (!this.#failure) await this.#append(data);
      } catch (error) {
        this.#fail(error);
      } finally {
        this.#queued -= size;
      }
    });
  }

  async #append(data: string | Uint8Array[]): Promise<void> {
    if (typeof data === 'string') return void (await this.#file.appendFile(data));
    const total = data.reduce((sum, part) => sum + part.byteLength, 0);
    const { bytesWritten } = await this.#file.writev(data);
    // A regular file takes it all at once; should it not, the rest goes the slow way, in order.
    if (bytesWritten < total) await this.#file.appendFile(Buffer.concat(data).subarray(bytesWritten));
  }

  #fail(error: unknown): void {
    this.#failure ??= new StateError(
      this.path,
      `block log ${this.path} cannot be written: ${reasonOf(error)}; check free space and permissions`,
      { cause: error },
    );
  }

  #assertOpen(): void {
    if (this.#closing) throw new Error(`block log ${this.path} is already closed`);
  }
}

/** Open (append, 0600) the log of attempt `attempt` of block `blockId` in a run's logs directory. */
export async function openBlockLog(dir: string, blockId: string, attempt: number, options: BlockLogOptions = {}): Promise<BlockLog> {
  const path = blockLogPath(dir, blockId, attempt);
  await ensureDir(dir);
  try {
    // Append, not truncate: if an attempt number is ever reused, earlier output is evidence and stays.
    return new BufferedBlockLog(path, await openNoFollow(path, 'a', 0o600), options.idleFlushMs ?? IDLE_FLUSH_MS);
  } catch (error) {
    if (error instanceof StateError) throw error;
    throw new StateError(path, `block log ${path} cannot be created: ${reasonOf(error)}; check the permissions of ${dir}`, {
      cause: error,
    });
  }
}
