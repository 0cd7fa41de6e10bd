/**
 * Temporary workspaces for tests, all removed afterwards: a scratch folder per test holding the
 * runbook (blocks run with the runbook's folder as cwd, so they can leave evidence beside it) and a
 * fresh `--state-dir` ({@link useWorkspace}); a factory of such folders for composed runbooks run
 * from the repository root ({@link useScratch}); plain scratch directories ({@link scratchDir});
 * plus readers for what waymark leaves on disk.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, afterEach, beforeEach } from 'vitest';
import { reduce, type RunEvent, type RunState } from '../../src/engine/run-state.js';
import { FIXTURES, ROOT, spawnWaymark, waymark, type Invocation } from './binary.js';
import { waitFor } from './wait.js';

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
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((line) => line !== '');
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
    return text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as AuditLine);
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

/** Every regular file under `dir` with the SHA-256 of its bytes: compare two to prove nothing was written. */
export function fileHashes(dir: string): Record<string, string> {
  return Object.fromEntries(filesUnder(dir).map((path) => [path, createHash('sha256').update(readFileSync(path)).digest('hex')]));
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

/** The composed example runbook (runbooks/composed/). */
export const COMPOSED = 'runbooks/composed/control-plane-upgrade.md';

/** `status --json` of a composed runbook, as far as the compose tests read it. */
export interface Status {
  run: string | null;
  status: string;
  timeLeftMs?: number | null;
  steps: { id: string; title: string; status: string; durationMs?: number; blocks: { id: string; status: string }[] }[];
}

/** A run as `report --format json` shows it, as far as the compose tests read it. */
export interface Recorded {
  run: string;
  status: string;
  steps: {
    id: string;
    hash: string;
    status: string;
    durationMs?: number;
    failures?: number;
    blocks: { id: string; status: string; executions: number }[];
  }[];
}

/** A scratch folder with a state directory inside it, whose commands run from the repository root by default. */
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
    return existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l !== '')
      : [];
  }

  /** Any command with this scratch's state directory, run from `cwd` (the repository root by default). */
  waymark(args: string[], cwd: string = ROOT): Promise<Invocation> {
    return waymark([...args, '--state-dir', this.state], { cwd });
  }

  /** Start any command with this scratch's state directory, without waiting for it (for kills). */
  spawn(args: string[], cwd: string = ROOT) {
    return spawnWaymark([...args, '--state-dir', this.state], { cwd });
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

/** The line of `file` (1-based) on which `text` first appears. */
export function lineOf(file: string, text: string): number {
  const index = readFileSync(resolve(ROOT, file), 'utf8')
    .split('\n')
    .findIndex((line) => line.includes(text));
  if (index === -1) throw new Error(`${text} is not in ${file}`);
  return index + 1;
}

const scratchDirs: string[] = [];

/** A fresh directory under the system temp dir; `removeScratchDirs` deletes them all. */
export function scratchDir(prefix = 'wm-exec-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  scratchDirs.push(dir);
  return dir;
}

/** Delete every directory `scratchDir` made (for `afterAll`). */
export function removeScratchDirs(): void {
  for (const dir of scratchDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** A fresh temp directory; short, because a unix socket path inside it must stay under ~100 bytes. */
export function shortTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (join(dir, 'mysqld.sock').length <= 100) return dir;
  rmSync(dir, { recursive: true, force: true });
  return mkdtempSync(join('/tmp', prefix));
}
