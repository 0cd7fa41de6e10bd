/**
 * The output pane's view of a whole block log: pgup/pgdn through it from its first line to its
 * last, and `/` search in it. No React here: the controller owns one and puts `shown()` in its
 * snapshot. The log is the block's file (every line it printed); the live tail is the controller's.
 */
import { stat } from 'node:fs/promises';
import { splitLogLines } from '../engine/output.js';
import { readFileNoFollow } from '../state/atomic.js';

/** Lines one pgup or pgdn moves the output by. */
export const PAGE_LINES = 10;
/** Lines of the log kept on each side of the view's bottom row: more than any pane shows. */
const WINDOW_LINES = 200;

/** The search of the output, as the pane shows it. */
export interface SearchShown {
  /** What was (or is being) typed after `/`. */
  pattern: string;
  /** The operator is still typing the pattern. */
  typing: boolean;
  /** The match shown, 1-based from the top of the log (0: none), of `of`. */
  match: number;
  of: number;
  /** The log line (0-based) of the match shown. */
  line?: number;
}

/** What the pane shows of a log: `lines` from log line `from`, the rows above `bottom` (index in `lines`). */
export interface LogWindow {
  lines: { text: string }[];
  from: number;
  bottom: number;
  /** Lines in the whole log. */
  total: number;
}

/** The indexes of the lines that hold `pattern`, case ignored: a literal search, so `nova.instances` or `[ERROR]` mean what they say. */
export function matchingLines(lines: readonly string[], pattern: string): number[] {
  const wanted = pattern.toLowerCase();
  const found: number[] = [];
  lines.forEach((line, i) => {
    if (line.toLowerCase().includes(wanted)) found.push(i);
  });
  return found;
}

/** Typed keys as the controller receives them. */
interface TypedKey {
  backspace?: boolean;
  delete?: boolean;
  escape?: boolean;
}

/** Scroll position and search over one log file at a time. */
export class LogView {
  /** Lines between the view's bottom row and the end of the log; 0 with no window is the live tail. */
  #scrolledBack = 0;
  #window: LogWindow | null = null;
  #search: { input: string; typing: boolean; pattern: string; matches: number[]; index: number } | null = null;
  #cache: { path: string; size: number; mtimeMs: number; lines: string[] } | null = null;
  readonly #say: (text: string, tone: 'info' | 'error') => void;

  /** `say` puts a message on screen: a log that cannot be read, a search key with no search. */
  constructor(say: (text: string, tone: 'info' | 'error') => void) {
    this.#say = say;
  }

  /** The window shown instead of the live tail, if any. */
  get window(): LogWindow | null {
    return this.#window;
  }

  get scrolledBack(): number {
    return this.#scrolledBack;
  }

  /** True while the operator types a search pattern: keys are the pattern's. */
  get typing(): boolean {
    return this.#search?.typing === true;
  }

  /** Back to the live tail: no window, no search. */
  reset(): void {
    this.#scrolledBack = 0;
    this.#window = null;
    this.#search = null;
  }

  /**
   * A page back (1) or forward (-1) through the log at `path`. Forward past the end leaves the log:
   * false then, and the pane shows the live tail again. `stay` keeps the window at the log's end
   * (a log the operator chose to read) until a pgdn there.
   */
  async scroll(direction: 1 | -1, path: string | null, stay = false): Promise<boolean> {
    const leaving = direction === -1 && this.#scrolledBack === 0;
    const lines = leaving || !path ? null : await this.#read(path);
    if (!lines) {
      this.reset();
      return false;
    }
    this.#scrolledBack = Math.min(Math.max(0, this.#scrolledBack + direction * PAGE_LINES), Math.max(0, lines.length - 1));
    if (this.#scrolledBack === 0 && !stay) {
      this.reset();
      return false;
    }
    this.#show(lines);
    return true;
  }

  /** Show the end of the log at `path`; false when it cannot be read. */
  async open(path: string): Promise<boolean> {
    this.reset();
    const lines = await this.#read(path);
    if (lines) this.#show(lines);
    return lines !== null;
  }

  /** `/`: start typing a pattern. */
  startSearch(): void {
    this.#search = { input: '', typing: true, pattern: '', matches: [], index: 0 };
  }

  /** A key while typing the pattern: esc stops (the last search stays shown), backspace deletes. */
  type(input: string, key: TypedKey): void {
    const search = this.#search;
    if (!search) return;
    if (key.escape) this.#search = search.pattern ? { ...search, typing: false, input: search.pattern } : null;
    else if (key.backspace || key.delete) this.#search = { ...search, input: search.input.slice(0, -1) };
    else if (input && !/[\u0000-\u001f]/.test(input)) this.#search = { ...search, input: search.input + input };
  }

  /** Stop typing and forget the search. */
  stopSearch(): void {
    this.#search = null;
  }

  /**
   * enter after `/PATTERN`: every line of the log at `path` holding PATTERN is a match, and the
   * view goes to the nearest one above its bottom row, as `?` does in less: the operator is
   * reading back through the output.
   */
  async search(path: string | null): Promise<void> {
    const pattern = this.#search?.input ?? '';
    const lines = pattern === '' || !path ? null : await this.#read(path);
    if (!lines) {
      this.#search = null;
      return;
    }
    const matches = matchingLines(lines, pattern);
    const bottom = lines.length - this.#scrolledBack;
    const above = matches.findLastIndex((line) => line < bottom);
    this.#search = { input: pattern, typing: false, pattern, matches, index: above === -1 ? matches.length - 1 : above };
    this.#goToMatch(lines);
  }

  /** n (-1): the match before the one shown, towards the log's start; N (1): the one after. Both wrap around. */
  async nextMatch(step: 1 | -1, path: string | null): Promise<void> {
    const search = this.#search;
    if (!search || search.typing) return this.#say('no search yet: / to search the output', 'info');
    const lines = path ? await this.#read(path) : null;
    if (!lines || search.matches.length === 0) return;
    search.index = (search.index + step + search.matches.length) % search.matches.length;
    this.#goToMatch(lines);
  }

  /** The search as the pane shows it. */
  searchShown(): SearchShown | null {
    const search = this.#search;
    if (!search) return null;
    if (search.typing) return { pattern: search.input, typing: true, match: 0, of: 0 };
    const line = search.matches[search.index];
    return {
      pattern: search.pattern,
      typing: false,
      match: line === undefined ? 0 : search.index + 1,
      of: search.matches.length,
      ...(line === undefined ? {} : { line }),
    };
  }

  /** Scroll so that the match shown is the bottom row of the pane (the one row every pane height shows). */
  #goToMatch(lines: string[]): void {
    const line = this.#search?.matches[this.#search.index];
    if (line === undefined) return;
    this.#scrolledBack = lines.length - (line + 1);
    this.#show(lines);
  }

  /** The window of `lines` around the view, whose bottom row is `scrolledBack` lines above the end. */
  #show(lines: string[]): void {
    const end = lines.length - this.#scrolledBack;
    const from = Math.max(0, end - WINDOW_LINES);
    this.#window = {
      lines: lines.slice(from, Math.min(lines.length, end + WINDOW_LINES)).map((text) => ({ text })),
      from,
      bottom: end - from,
      total: lines.length,
    };
  }

  /** The lines of the log at `path`, read again only when the file changed (a running block's grows); null when it cannot be read (said). */
  async #read(path: string): Promise<string[] | null> {
    try {
      const { size, mtimeMs } = await stat(path);
      const cached = this.#cache;
      if (cached && cached.path === path && cached.size === size && cached.mtimeMs === mtimeMs) return cached.lines;
      const lines = splitLogLines(await readFileNoFollow(path));
      if (lines.at(-1) === '') lines.pop();
      this.#cache = { path, size, mtimeMs, lines };
      return lines;
    } catch (error) {
      this.#say(`cannot read the log: ${(error as Error).message}`, 'error');
      return null;
    }
  }
}
