/**
 * The TUI in-process: the real App over a real RunSession (real files, real block processes) in
 * a scratch folder, rendered with ink-testing-library at a terminal size the test chooses.
 * Keys go in through stdin; assertions wait for the frame (`vi.waitFor`), never for a fixed time.
 */
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { render } from 'ink-testing-library';
import { afterEach, beforeEach, expect, vi } from 'vitest';
import { RunSession } from '../../src/engine/session.js';
import { App } from '../../src/ui/app.js';
import { UiController } from '../../src/ui/controller.js';

export const UI_FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), '../fixtures/ui');

/** Key sequences as a terminal sends them. */
export const KEY = {
  enter: '\r',
  space: ' ',
  up: '\u001B[A',
  down: '\u001B[B',
  escape: '\u001B',
  backspace: '\u007F',
  ctrlC: '\u0003',
} as const;

/** Frame text without colour and style escapes. */
export function plain(frame: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  return (frame ?? '').replace(/\u001B\[[0-9;]*m/g, '');
}

/** Text with every run of whitespace (line breaks too) made one space: for messages that wrap. */
export function flat(text: string): string {
  return text.replace(/\s+/g, ' ');
}

/** One rendered TUI over one session. */
export interface Screen {
  session: RunSession;
  controller: UiController;
  /** The runbook's scratch folder (blocks run here). */
  dir: string;
  /** Calls of the pager callback, by file. */
  pagerCalls: string[];
  /** Calls of the shell callback (`!`): where it would open and with which environment. */
  shellCalls: { cwd: string; env: NodeJS.ProcessEnv }[];
  /** The live frame as text (static history lines included above it). */
  frame(): string;
  /** Only the live area: the last `rows - 1` lines the app draws. */
  live(): string;
  /** Send keys (each string is one read from the terminal). */
  press(...keys: string[]): void;
  /** Wait until the frame satisfies `check` (an expect inside). */
  until(check: (frame: string) => void, timeout?: number): Promise<void>;
  /** Change the terminal size and tell the app, as a SIGWINCH would. */
  resize(columns: number, rows: number): void;
  /** Lines of a file in the scratch folder ([] when it does not exist). */
  lines(name: string): string[];
  /** True once the app has exited: ink let go of the keyboard and of the terminal's resizes. */
  exited(): boolean;
  size: { columns: number; rows: number };
}

/** A scratch folder per test, and clean-up of whatever the test rendered and opened. */
export function useScreens(): {
  /** Copy fixture `name` into the scratch folder. */
  fixture(name: string): string;
  dir(): string;
  /** Open a session on the runbook and render the App over it. */
  open(runbook: string, options?: { columns?: number; rows?: number; resume?: boolean; session?: RunSession }): Promise<Screen>;
  /** Open a bare session (to prepare an unfinished run); closed after the test unless closed before. */
  session(runbook: string, operator?: string): Promise<RunSession>;
} {
  // A frame that never comes fails on its own `until` (5 s) with the last frame, before the test times out.
  vi.setConfig({ testTimeout: 20_000 });
  let dir = '';
  const cleanups: (() => Promise<void> | void)[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wm-ui-'));
  });
  afterEach(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    cleanups.length = 0;
    rmSync(dir, { recursive: true, force: true });
  });

  async function session(runbook: string, operator = 'tester'): Promise<RunSession> {
    const opened = await RunSession.open({ runbookFile: runbook, stateDir: join(dir, 'state'), operator, env: {}, killGraceMs: 300 });
    cleanups.push(async () => {
      if (opened.busy) {
        opened.cancel();
        await vi.waitFor(() => expect(opened.busy).toBe(false), { timeout: 5000 });
      }
      await opened.close();
    });
    return opened;
  }

  return {
    fixture(name) {
      const file = join(dir, name);
      copyFileSync(join(UI_FIXTURES, name), file);
      return file;
    },
    dir: () => dir,
    session,
    async open(runbook, options = {}) {
      const opened = options.session ?? (await session(runbook));
      const controller = new UiController(opened, { resume: options.resume ?? opened.resumed });
      const pagerCalls: string[] = [];
      const openPager = (file: string): string | null => {
        pagerCalls.push(file);
        return null;
      };
      const shellCalls: Screen['shellCalls'] = [];
      const openShell = (setting: { cwd: string; env: NodeJS.ProcessEnv }): string | null => {
        shellCalls.push(setting);
        return null;
      };
      const rendered = render(<App controller={controller} durations={new Map()} openPager={openPager} openShell={openShell} />);
      cleanups.push(() => rendered.unmount());
      const stdout = rendered.stdout as unknown as NodeJS.EventEmitter & { columns: number; rows: number };
      const size = { columns: options.columns ?? 80, rows: options.rows ?? 24 };
      const screen: Screen = {
        session: opened,
        controller,
        dir,
        pagerCalls,
        shellCalls,
        size,
        frame: () => plain(rendered.lastFrame()),
        live: () =>
          plain(rendered.lastFrame())
            .replace(/\n$/, '')
            .split('\n')
            .slice(-(size.rows - 1))
            .join('\n'),
        press: (...keys) => {
          for (const key of keys) rendered.stdin.write(key);
        },
        until: (check, timeout = 5000) => vi.waitFor(() => check(plain(rendered.lastFrame())), { timeout, interval: 10 }),
        resize(columns, rows) {
          size.columns = columns;
          size.rows = rows;
          // ink-testing-library's stdout reports a fixed 100 columns and no rows: give it a real size.
          Object.defineProperty(stdout, 'columns', { configurable: true, get: () => size.columns });
          Object.defineProperty(stdout, 'rows', { configurable: true, get: () => size.rows });
          stdout.emit('resize');
        },
        lines(name) {
          const file = join(dir, name);
          return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
        },
        exited: () => rendered.stdin.listenerCount('readable') === 0 && stdout.listenerCount('resize') === 0,
      };
      screen.resize(size.columns, size.rows);
      // Keys count only once the app listens: ink reads stdin after useInput has switched raw mode on.
      await vi.waitFor(() => {
        expect(rendered.stdin.listenerCount('readable')).toBeGreaterThan(0);
        expect(screen.frame()).toContain('? help');
      });
      return screen;
    },
  };
}

/** The step state of `stepId` in the session's checkpointed state. */
export function stepOf(session: RunSession, stepId: string) {
  const step = session.state.steps.find((s) => s.id === stepId);
  if (!step) throw new Error(`no step ${stepId}`);
  return step;
}

/** The block state of `blockId` in the session's checkpointed state. */
export function blockOf(session: RunSession, blockId: string) {
  for (const step of session.state.steps) {
    const block = step.blocks.find((b) => b.id === blockId);
    if (block) return block;
  }
  throw new Error(`no block ${blockId}`);
}
