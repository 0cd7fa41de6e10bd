/**
 * Driving the built `waymark` binary on composed runbooks: a scratch folder per test for the
 * runbook files and a fresh `--state-dir`, plus readers for what waymark leaves on disk.
 * Build first with `npm run build` (npm test does); WAYMARK_TEST_BIN points the
 * tests at another build.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll } from 'vitest';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.WAYMARK_TEST_BIN ?? join(ROOT, 'dist/cli/main.js');
/** The composed example runbook this issue ships. */
export const COMPOSED = 'runbooks/composed/control-plane-upgrade.md';

/** What one invocation printed and how it ended. */
export interface Invocation {
  code: number;
  stdout: string;
  stderr: string;
  all: string;
}

function env(): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith('WAYMARK_') || key.startsWith('VITEST') || key === 'NODE_ENV') continue;
    kept[key] = value;
  }
  return { ...kept, NO_COLOR: '1' };
}

/** Start waymark without waiting for it (for kills). */
export function spawnWaymark(args: string[], cwd: string = ROOT) {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build waymark first with \`npm run build\``);
  return execa(process.execPath, [BIN, ...args], { cwd, env: env(), extendEnv: false, reject: false, all: true, stdin: 'ignore' });
}

/** Run waymark to its end. */
export async function waymark(args: string[], cwd: string = ROOT): Promise<Invocation> {
  const result = await spawnWaymark(args, cwd);
  return {
    code: typeof result.exitCode === 'number' ? result.exitCode : -1,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    all: String(result.all ?? ''),
  };
}

/** `status --json`, as far as these tests read it. */
export interface Status {
  run: string | null;
  status: string;
  timeLeftMs?: number | null;
  steps: { id: string; title: string; status: string; durationMs?: number; blocks: { id: string; status: string }[] }[];
}

/** A run as `report --format json` shows it, as far as these tests read it. */
export interface Recorded {
  run: string;
  status: string;
  steps: { id: string; hash: string; status: string; durationMs?: number; failures?: number; blocks: { id: string; status: string; executions: number }[] }[];
}

/** A scratch folder with a state directory inside it. */
export class Scratch {
  readonly state: string;
  constructor(readonly dir: string) {
    this.state = join(dir, 'state');
  }

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  /** Write a file (folders are created); returns its path. */
  write(name: string, text: string): string {
    const file = this.path(name);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, text);
    return file;
  }

  /** Non-empty lines of a file; [] when it does not exist. */
  lines(file: string): string[] {
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : [];
  }

  /** Any command with this scratch's state directory, run from `cwd` (the repository root by default). */
  waymark(args: string[], cwd: string = ROOT): Promise<Invocation> {
    return waymark([...args, '--state-dir', this.state], cwd);
  }

  run(book: string, flags: string[] = [], cwd: string = ROOT): Promise<Invocation> {
    return this.waymark(['run', book, '--headless', ...flags], cwd);
  }

  async status(book: string, cwd: string = ROOT): Promise<Status> {
    const result = await this.waymark(['status', book, '--json'], cwd);
    if (result.code !== 0) throw new Error(`status exited ${result.code}: ${result.all}`);
    return JSON.parse(result.stdout) as Status;
  }

  /** The current run of runbook `id`, as the state directory records it. */
  currentRun(id: string): string {
    return (JSON.parse(readFileSync(join(this.state, id, 'current.json'), 'utf8')) as { runId: string }).runId;
  }

  /** Ids of the runs of runbook `id`, oldest first. */
  runs(id: string): string[] {
    const dir = join(this.state, id, 'runs');
    // Run ids start with their UTC start time, so sorting them sorts the runs.
    return existsSync(dir) ? readdirSync(dir).sort() : [];
  }

  /** A run as its checkpoint records it (`report --format json`), whatever the storage format. */
  async recorded(book: string, run?: string, cwd: string = ROOT): Promise<Recorded> {
    const result = await this.waymark(['report', book, '--format', 'json', ...(run ? ['--run', run] : [])], cwd);
    if (result.code !== 0) throw new Error(`report exited ${result.code}: ${result.all}`);
    return JSON.parse(result.stdout) as Recorded;
  }
}

/**
 * A factory of scratch folders, each test calling it for its own (tests run concurrently, so
 * nothing is shared between them); every folder is removed after the file's tests.
 */
export function useScratch(prefix = 'wm-compose-'): () => Scratch {
  const made: Scratch[] = [];
  afterAll(() => {
    for (const scratch of made) rmSync(scratch.dir, { recursive: true, force: true });
  });
  return () => {
    const scratch = new Scratch(mkdtempSync(join(tmpdir(), prefix)));
    made.push(scratch);
    return scratch;
  };
}

/** Poll `condition` until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(condition: () => boolean, timeoutMs: number, everyMs = 10): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((done) => setTimeout(done, everyMs));
  }
}

/** The line of `file` (1-based) on which `text` first appears. */
export function lineOf(file: string, text: string): number {
  const index = readFileSync(file, 'utf8').split('\n').findIndex((line) => line.includes(text));
  if (index === -1) throw new Error(`${text} is not in ${file}`);
  return index + 1;
}
