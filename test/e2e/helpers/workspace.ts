/**
 * Driving the built `waymark` binary the way an operator does: a scratch folder per test holding
 * the runbook (blocks run with the runbook's folder as cwd, so they can leave evidence beside it)
 * and a fresh `--state-dir`, plus readers for what waymark leaves on disk.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach } from 'vitest';
import { reduce, type RunEvent, type RunState } from '../../../src/engine/run-state.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
/**
 * The binary under test: build it first with `npm run build` (npm test does; see test/e2e/README.md).
 * WAYMARK_TEST_BIN points the tests at another build, e.g. a private one while others rebuild dist/.
 */
export const BIN = process.env.WAYMARK_TEST_BIN ?? join(ROOT, 'dist/cli/main.js');
export const FIXTURES = join(ROOT, 'test/fixtures/engine');

function assertBuilt(): void {
  if (!existsSync(BIN)) throw new Error(`${BIN} is missing: build waymark first with \`npm run build\``);
}

/** What one invocation printed and how it ended. */
export interface Invocation {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout and stderr together, for "the operator can see X" assertions. */
  all: string;
}

/** waymark's environment for tests: no inherited state dir or colour, plus `extra`. */
export function testEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key === 'WAYMARK_STATE_DIR' || key === 'WAYMARK_TEST_BIN' || key.startsWith('VITEST') || key === 'NODE_ENV') continue;
    env[key] = value;
  }
  return { ...env, NO_COLOR: '1', ...extra };
}

const SPAWN_OPTIONS = { extendEnv: false, reject: false, all: true, stdin: 'ignore' } as const;

/** Start waymark without waiting for it (for signals, locks and kills). */
export function spawnWaymark(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}) {
  assertBuilt();
  return execa(process.execPath, [BIN, ...args], { ...SPAWN_OPTIONS, cwd: options.cwd ?? ROOT, env: testEnv(options.env) });
}

/**
 * Run waymark to its end with its file size limited to `blocks` 512-byte blocks (RLIMIT_FSIZE,
 * sh's `ulimit -f`): a write past the limit is cut short, then fails with EFBIG, as on a full disk.
 */
export async function waymarkWithFileLimit(blocks: number, args: string[], options: { cwd?: string } = {}): Promise<Invocation> {
  assertBuilt();
  return invocation(await execa('sh', ['-c', `ulimit -f ${blocks}; exec "$@"`, 'sh', process.execPath, BIN, ...args], { ...SPAWN_OPTIONS, cwd: options.cwd ?? ROOT, env: testEnv() }));
}

/** What a finished waymark process printed and how it ended. */
function invocation(result: { exitCode?: number | undefined; stdout?: unknown; stderr?: unknown; all?: unknown }): Invocation {
  return { code: typeof result.exitCode === 'number' ? result.exitCode : -1, stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), all: String(result.all ?? '') };
}

/** Run waymark to its end. */
export async function waymark(args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Invocation> {
  return invocation(await spawnWaymark(args, options));
}

/** `status --json` as docs/json.md#status---json shapes it. */
export interface StatusJson {
  runbook: string;
  run: string | null;
  status: string;
  steps: { id: string; title: string; status: string; blocks: { id: string; role: string; status: string; exitCode: number | null }[] }[];
}

/** One line of audit.jsonl. */
export interface AuditLine {
  seq: number;
  type: string;
  operator: string;
  [field: string]: unknown;
}

/** A scratch folder and a state directory for one test. */
export class Workspace {
  readonly dir: string;
  readonly state: string;

  constructor(dir: string) {
    this.dir = dir;
    this.state = join(dir, 'state');
  }

  /** A path inside the scratch folder. */
  path(name: string): string {
    return join(this.dir, name);
  }

  /** Write a runbook (or any file) into the scratch folder; returns its path. */
  write(name: string, text: string): string {
    const file = this.path(name);
    writeFileSync(file, text);
    return file;
  }

  /** Copy `test/fixtures/engine/NAME` into the scratch folder; returns the copy's path. */
  fixture(name: string, as: string = name): string {
    const file = this.path(as);
    copyFileSync(join(FIXTURES, name), file);
    return file;
  }

  /** Lines of a file in the scratch folder; [] when it does not exist (nothing ran). */
  lines(name: string): string[] {
    const file = this.path(name);
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8').split('\n').filter((line) => line !== '');
  }

  /** Any waymark command, with this test's state directory. */
  waymark(args: string[], env?: Record<string, string>): Promise<Invocation> {
    return waymark([...args, '--state-dir', this.state], { cwd: this.dir, ...(env ? { env } : {}) });
  }

  /** Start any waymark command with this test's state directory, without waiting for it. */
  spawn(args: string[], env?: Record<string, string>) {
    return spawnWaymark([...args, '--state-dir', this.state], { cwd: this.dir, ...(env ? { env } : {}) });
  }

  /** `waymark run RUNBOOK --headless FLAGS...`. */
  run(runbook: string, flags: string[] = [], env?: Record<string, string>): Promise<Invocation> {
    return this.waymark(['run', runbook, '--headless', ...flags], env);
  }

  /** `waymark status RUNBOOK --json`, parsed. */
  async status(runbook: string): Promise<StatusJson> {
    const result = await this.waymark(['status', runbook, '--json']);
    if (result.code !== 0) throw new Error(`status exited ${result.code}: ${result.all}`);
    return JSON.parse(result.stdout) as StatusJson;
  }

  /**
   * The state folder of runbook `id`: the id itself when the runbook declares it, else the one
   * folder named after its file (`name@hash`, see src/runbook/identity.ts).
   */
  bookDir(id: string): string {
    const own = join(this.state, id);
    if (existsSync(own)) return own;
    const named = existsSync(this.state) ? readdirSync(this.state).filter((name) => name.startsWith(`${id}@`)) : [];
    if (named.length !== 1) throw new Error(`expected one state folder for ${id} in ${this.state}, found ${named.length}`);
    return join(this.state, named[0] as string);
  }

  /** The current run's id of runbook `id`, from the state directory. */
  currentRun(id: string): string {
    return (JSON.parse(readFileSync(join(this.bookDir(id), 'current.json'), 'utf8')) as { runId: string }).runId;
  }

  /** The folder of a run (the current one by default). */
  runDir(id: string, run: string = this.currentRun(id)): string {
    return join(this.bookDir(id), 'runs', run);
  }

  /** The checkpoint of a run, parsed: the snapshot with its journal replayed, as waymark reads it. */
  checkpoint(id: string, run?: string): CheckpointJson {
    return loadCheckpointSync(this.runDir(id, run)) as unknown as CheckpointJson;
  }

  /** The audit trail of a run, parsed line by line. */
  audit(id: string, run?: string): AuditLine[] {
    const text = readFileSync(join(this.runDir(id, run), 'audit.jsonl'), 'utf8');
    return text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as AuditLine);
  }
}

/** The parts of a checkpoint the tests read. */
export interface CheckpointJson {
  run: string;
  status: string;
  profile: string | null;
  steps: { id: string; status: string; blocks: { id: string; status: string; executions: number; exitCode: number | null }[] }[];
}

/** Registers hooks giving each test a fresh workspace, removed afterwards. */
export function useWorkspace(prefix = 'wm-e2e-'): () => Workspace {
  let current: Workspace | null = null;
  beforeEach(() => {
    current = new Workspace(mkdtempSync(join(tmpdir(), prefix)));
  });
  afterEach(() => {
    if (current) rmSync(current.dir, { recursive: true, force: true });
    current = null;
  });
  return () => {
    if (!current) throw new Error('useWorkspace: no test is running');
    return current;
  };
}

/** Every regular file under `dir`, recursively (dot files included). */
export function filesUnder(dir: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...filesUnder(path));
    else found.push(path);
  }
  return found;
}

/** True while the process runs (zombies do not count). */
export { isRunning } from '../../engine/exec/process-check.js';

/** Poll `condition` until it holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number, everyMs = 20): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Living (non-zombie) processes whose process group is `pgid` (a block's shell leads its own group). */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // it ended between readdir and read
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') members.push(Number(entry));
  }
  return members;
}

/** The pid of the waymark process holding a lock in this workspace's state directory, once one does. */
export async function lockHolderPid(w: Workspace, timeoutMs = 10_000): Promise<number> {
  let pid = 0;
  const found = await waitFor(() => {
    for (const id of existsSync(w.state) ? readdirSync(w.state) : []) {
      const lock = join(w.state, id, 'lock.json');
      if (!existsSync(lock)) continue;
      try {
        pid = (JSON.parse(readFileSync(lock, 'utf8')) as { pid: number }).pid;
        return true;
      } catch {
        return false; // being written: look again
      }
    }
    return false;
  }, timeoutMs);
  if (!found) throw new Error(`no waymark took a lock under ${w.state} within ${timeoutMs} ms`);
  return pid;
}

/**
 * A run's checkpoint as waymark reads it: `checkpoint.json` (which must parse: a kill never
 * leaves half a snapshot) with the complete lines of `checkpoint.journal` replayed through the
 * engine's reducer. A torn last journal line (a kill mid-append) is not a transition.
 */
export function loadCheckpointSync(runDir: string): RunState {
  const snapshot = JSON.parse(readFileSync(join(runDir, 'checkpoint.json'), 'utf8')) as RunState;
  const journalPath = join(runDir, 'checkpoint.journal');
  if (!existsSync(journalPath)) return snapshot;
  const text = readFileSync(journalPath, 'utf8');
  const complete = text.slice(0, text.lastIndexOf('\n') + 1);
  let state = snapshot;
  for (const line of complete.split('\n').filter(Boolean)) {
    const entry = JSON.parse(line) as { seq: number; event: RunEvent };
    if (entry.seq <= (snapshot.journalSeq ?? 0)) continue;
    state = { ...reduce(state, entry.event), journalSeq: entry.seq };
  }
  return state;
}
