/**
 * The real binary in a real terminal: a private tmux server (its own socket, never the user's),
 * keys sent with send-keys, the screen read with capture-pane. Waits poll the screen until a
 * pattern shows, with a bounded timeout and the last screen in the failure — no fixed sleeps.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { assertBuilt, BIN, terminalEnv, waymark, type Invocation } from './binary.js';
import { waitForValue } from './wait.js';

/** Quote one word for `sh -c`. */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** One private tmux server. Always `kill()` it (afterAll / finally). */
export class Tmux {
  readonly socket = `wm-ui-${process.pid}-${randomBytes(4).toString('hex')}`;
  readonly #config: string;
  readonly #configDir: string;

  constructor() {
    this.#configDir = mkdtempSync(join(tmpdir(), 'wm-tmux-'));
    this.#config = join(this.#configDir, 'tmux.conf');
    // A pane whose command has ended stays, so a test can still read its last screen. An OSC 52
    // from a pane becomes a paste buffer (set-clipboard on), so a test can see the clipboard written.
    writeFileSync(this.#config, 'set -g remain-on-exit on\nset -g status off\nset -g history-limit 5000\nset -g set-clipboard on\n');
  }

  async #tmux(args: string[]): Promise<string> {
    const result = await execa('tmux', ['-L', this.socket, '-f', this.#config, ...args], { reject: false });
    if (result.exitCode !== 0) throw new Error(`tmux ${args.join(' ')} exited ${result.exitCode}: ${result.stderr}`);
    return result.stdout;
  }

  /**
   * Start `command` in a new detached session of the given size. The environment is set on the
   * command itself (`env -i`): a tmux server hands every session the environment it started with.
   * A shell around it writes the exit status to a file: tmux's own pane_dead_status is not to be
   * trusted here (its server sometimes never reaps a pane's process).
   */
  async start(
    session: string,
    command: string[],
    options: { cwd: string; columns: number; rows: number; env?: Record<string, string> },
  ): Promise<void> {
    const env = options.env ?? terminalEnv();
    const exitFile = this.#exitFile(session);
    rmSync(exitFile, { force: true });
    const argv = [
      'sh',
      '-c',
      `"$@"; echo "$?" > ${shellQuote(exitFile)}.tmp && mv ${shellQuote(exitFile)}.tmp ${shellQuote(exitFile)}`,
      'sh',
      'env',
      '-i',
      ...Object.entries(env).map(([key, value]) => `${key}=${value}`),
      ...command,
    ];
    await this.#tmux([
      'new-session',
      '-d',
      '-s',
      session,
      '-x',
      String(options.columns),
      '-y',
      String(options.rows),
      '-c',
      options.cwd,
      argv.map(shellQuote).join(' '),
    ]);
  }

  #exitFile(session: string): string {
    return join(this.#configDir, `${session}.exit`);
  }

  /** `waymark ARGS...` (the built binary) in a new session. */
  startWaymark(
    session: string,
    args: string[],
    options: { cwd: string; columns?: number; rows?: number; env?: Record<string, string> },
  ): Promise<void> {
    return this.start(session, [process.execPath, BIN, ...args], { columns: 80, rows: 24, ...options });
  }

  /**
   * The screen as text; with `escapes`, including the colour and style escapes of each cell; with
   * `history`, the lines scrolled off the top too (tmux scrolls a line away when a pane dies).
   */
  screen(session: string, options: { escapes?: boolean; history?: boolean } = {}): Promise<string> {
    return this.#tmux(['capture-pane', '-p', ...(options.escapes ? ['-e'] : []), ...(options.history ? ['-S', '-'] : []), '-t', session]);
  }

  /** Poll the screen until `pattern` matches; the failure shows the last screen. */
  async waitFor(
    session: string,
    pattern: RegExp,
    timeoutMs = 15_000,
    options: { history?: boolean; pollMs?: number } = {},
  ): Promise<string> {
    return waitForValue(
      () => this.screen(session, options),
      (screen) => pattern.test(screen),
      {
        timeout: timeoutMs,
        interval: options.pollMs ?? 50,
        what: `the screen showing ${pattern}`,
      },
    );
  }

  /** Send keys by tmux name (`Enter`, `C-c`, `Down`, `Space`...), or literal text with `{ literal: true }`. */
  async keys(session: string, keys: string[], options: { literal?: boolean } = {}): Promise<void> {
    await this.#tmux(['send-keys', '-t', session, ...(options.literal ? ['-l'] : []), ...keys]);
  }

  /** Type text one key at a time, the way a person does. */
  async type(session: string, text: string): Promise<void> {
    for (const ch of text) await this.keys(session, [ch], { literal: true });
  }

  /** The command's exit status once it has exited (128 + N for signal N); null while it runs. */
  exitStatus(session: string): number | null {
    const file = this.#exitFile(session);
    return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : null;
  }

  /** Wait until the pane's process has exited; its exit status. */
  async waitForExit(session: string, timeoutMs = 15_000): Promise<number> {
    try {
      return (await waitForValue(
        () => this.exitStatus(session),
        (status) => status !== null,
        { timeout: timeoutMs, interval: 50, what: `the command in ${session} exiting` },
      )) as number;
    } catch {
      const pid = await this.panePid(session);
      throw new Error(
        `the command in ${session} (under pane pid ${pid}, ${processState(pid)}) did not exit within ${timeoutMs} ms; last screen:\n${await this.screen(session)}`,
      );
    }
  }

  /** The pid of the pane's process. */
  async panePid(session: string): Promise<number> {
    return Number((await this.#tmux(['display-message', '-p', '-t', session, '#{pane_pid}'])).trim());
  }

  /** tmux's `display-message -p FORMAT` for the session's pane: its `#{...}` variables, expanded. */
  async display(session: string, format: string): Promise<string> {
    return (await this.#tmux(['display-message', '-p', '-t', session, format])).replace(/\n$/, '');
  }

  /** The pane's title: what an OSC 0 or OSC 2 from the program in it sets. */
  async paneTitle(session: string): Promise<string> {
    return (await this.#tmux(['display-message', '-p', '-t', session, '#{pane_title}'])).trim();
  }

  /** The server's paste buffers, one line each: an OSC 52 from a pane adds one. */
  async buffers(): Promise<string> {
    return (await this.#tmux(['list-buffers'])).trim();
  }

  async resize(session: string, columns: number, rows: number): Promise<void> {
    await this.#tmux(['resize-window', '-t', session, '-x', String(columns), '-y', String(rows)]);
  }

  /** Kill one session, as closing the terminal window would (the processes in it get SIGHUP). */
  async killSession(session: string): Promise<void> {
    await this.#tmux(['kill-session', '-t', session]);
  }

  /** Kill the whole private server, and remove its socket (tmux leaves it behind) and config. Safe to call twice. */
  async kill(): Promise<void> {
    const socketPath = await execa('tmux', ['-L', this.socket, 'display-message', '-p', '#{socket_path}'], { reject: false });
    await execa('tmux', ['-L', this.socket, 'kill-server'], { reject: false });
    const path = socketPath.exitCode === 0 ? String(socketPath.stdout).trim() : '';
    if (path.endsWith(`/${this.socket}`)) rmSync(path, { force: true });
    if (existsSync(this.#configDir)) rmSync(this.#configDir, { recursive: true, force: true });
  }
}

/** A process's state, for failure messages. */
function processState(pid: number): string {
  try {
    return `state ${readFileSync(`/proc/${pid}/status`, 'utf8').match(/^State:\s*(.*)$/m)?.[1] ?? '?'}`;
  } catch (error) {
    return `gone (${(error as Error).message})`;
  }
}

/**
 * Register the hooks every tmux test file needs: one private tmux server for the file (killed
 * after it), and a fresh scratch directory per test. Read `.tmux` and `.dir` inside tests.
 */
/** A tmux server and a temp folder per test, with the helpers the TUI e2e tests share. */
export interface TmuxWorkspace {
  readonly tmux: Tmux;
  readonly dir: string;
  /** The lines of a file the runbook's blocks write into the folder (none if it does not exist). */
  lines(name: string): string[];
  /** waymark itself (not the TUI) with the folder's state directory: status, audit, headless runs. */
  waymark(args: string[]): Promise<Invocation>;
}

export function useTmuxWorkspace(prefix: string): TmuxWorkspace {
  let tmux: Tmux | undefined;
  let dir = '';
  beforeAll(() => {
    assertBuilt();
    tmux = new Tmux();
  });
  afterAll(async () => {
    await tmux?.kill();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get tmux(): Tmux {
      if (!tmux) throw new Error('useTmuxWorkspace: the tmux server starts in beforeAll');
      return tmux;
    },
    get dir(): string {
      return dir;
    },
    lines(name) {
      const file = join(dir, name);
      return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
    },
    waymark(args) {
      return waymark([...args, '--state-dir', join(dir, 'state')], { cwd: dir, terminal: true });
    },
  };
}
