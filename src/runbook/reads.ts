/**
 * The runbook files one command reads, each read once: a lint of a folder's runbooks reads each of
 * them as a runbook and again as a sibling whose `id:` may clash (identity.ts), and lists the
 * folder once per runbook with an id. A new RunbookReads reads afresh, so a long-lived process (the
 * TUI, a test) never sees a file as it was at an earlier command.
 */
import { closeSync, constants, type Dirent, fstatSync, openSync, readdirSync, readFileSync, realpathSync, type Stats } from 'node:fs';
import { resolve } from 'node:path';

/** What one read gave: its value, or the error it threw (thrown again at each later ask). */
type Outcome<T> = { value: T } | { error: unknown };

/** One command's reads of runbook files and folders; what failed fails again the same way. */
export class RunbookReads {
  readonly #texts = new Map<string, Outcome<string>>();
  readonly #folders = new Map<string, Outcome<Dirent[]>>();
  readonly #canonical = new Map<string, Outcome<string>>();

  /**
   * The file's text (UTF-8, without a byte-order mark); throws what opening it throws, and for a
   * named pipe, a device or a socket an error that says which.
   */
  text(file: string): string {
    return once(this.#texts, file, () => readRunbookText(file));
  }

  /** The folder's entries; throws what readdirSync throws. */
  entries(dir: string): Dirent[] {
    return once(this.#folders, dir, () => readdirSync(dir, { withFileTypes: true }));
  }

  /** The system's realpath of the file; throws what realpathSync.native throws. */
  realPath(file: string): string {
    return once(this.#canonical, file, () => realpathSync.native(file));
  }
}

/** What a file that is not a runbook is, as a message says it. */
function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'a special file';
}

/**
 * A runbook's text. Opened without blocking and checked before it is read: a named pipe (or a link
 * to one) would hold the open or the read forever, and a link to /dev/zero would fill the memory:
 * a lint of one runbook reads its siblings too (identity.ts). A byte-order mark, which some Windows
 * editors put first, is dropped: left in, it hid the front matter, whose `---` had to come first.
 */
function readRunbookText(file: string): string {
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = fstatSync(fd);
    if (stats.isDirectory()) throw Object.assign(new Error(`EISDIR: illegal operation on a directory, read '${file}'`), { code: 'EISDIR' });
    if (!stats.isFile()) throw new Error(`it is ${kindOf(stats)}, not a runbook file`);
    // A Buffer, then decoded: `readFileSync(fd, 'utf8')` reads in 8 KB pieces into a growing string,
    // a third slower for a large runbook (2.2 MB: 24 against 16 ms); the text is the same.
    const text = readFileSync(fd).toString('utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } finally {
    closeSync(fd);
  }
}

/** `read()` the first time `path` (resolved) is asked of `seen`; its value or its error after that. */
function once<T>(seen: Map<string, Outcome<T>>, path: string, read: () => T): T {
  const key = resolve(path);
  let outcome = seen.get(key);
  if (outcome === undefined) {
    try {
      outcome = { value: read() };
    } catch (error) {
      outcome = { error };
    }
    seen.set(key, outcome);
  }
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}
