/**
 * A private MariaDB server for tests: a fresh data directory under the temp
 * dir, reachable only through its own unix socket, as `root` with no password.
 *
 * Without the binaries, SQL tests are skipped with a loud warning on a
 * developer machine; under CI (any truthy `CI`) they fail instead, so CI can never go
 * green by skipping them.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import mysql, { type Connection } from 'mysql2/promise';
import { afterAll, beforeAll, describe } from 'vitest';
import { findExecutable, SEARCH_DIRS } from '../../testbed/process.mjs';
import { underCi } from './ci.js';

/** A running private server and what a test needs to talk to it. */
export interface MariaDb {
  socketPath: string;
  dataDir: string;
  /** A connection URL in the runbook's own syntax (docs/runbook-format.md#connections), e.g. for `connections:`. */
  url(database?: string): string;
  /**
   * Run one statement as root. Rows for a SELECT, `[]` for statements without a
   * result set. `?` placeholders take an array, `:name` placeholders an object.
   */
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]>;
  /** Kill the server, wait for it to go, and remove its directory. Safe to call twice. */
  stop(): Promise<void>;
  /** The server's process id (to check it is gone after `stop`). */
  pid: number;
}

/** Values for `?` (array) or `:name` (object) placeholders. */
export type QueryParams = unknown[] | Record<string, string | number | bigint | boolean | Date | Buffer | null>;

/** Options for {@link startMariaDb}. */
export interface StartOptions {
  /** Extra `mariadbd` options, e.g. `--character-set-server=utf8mb4`. */
  serverArgs?: string[];
  /** How long to wait for the server to accept connections (default 30 s). */
  readyTimeoutMs?: number;
}

const INSTALL_HINT = 'apt-get update && apt-get install -y mariadb-server';
// Unix socket paths are limited to 108 bytes (sun_path), including the NUL.
const MAX_SOCKET_PATH = 100;

interface Binaries {
  server: string;
  installDb: string;
}

let cachedBinaries: Binaries | null | undefined;

function findBinaries(): Binaries | null {
  if (cachedBinaries !== undefined) return cachedBinaries;
  const server = findExecutable(['mariadbd', 'mysqld']);
  const installDb = findExecutable(['mariadb-install-db', 'mysql_install_db']);
  cachedBinaries = server && installDb ? { server, installDb } : null;
  return cachedBinaries;
}

function missingBinariesMessage(): string {
  return `MariaDB binaries not found (looked for mariadbd and mariadb-install-db in PATH and ${SEARCH_DIRS.join(', ')}). Install with: ${INSTALL_HINT}`;
}

/** True when a private server can be started here. */
export function mariaDbAvailable(): boolean {
  return findBinaries() !== null;
}

let warned = false;

/**
 * Whether SQL tests should run. Missing binaries skip them (with a loud warning)
 * except under CI (any truthy `CI`), where the tests run and fail in `startMariaDb`.
 */
export function shouldRunMariaDbTests(): boolean {
  if (mariaDbAvailable() || underCi()) return true;
  if (!warned) {
    warned = true;
    console.warn(`\n*** MariaDB binaries not found: SQL tests SKIPPED. Install with: ${INSTALL_HINT} ***\n`);
  }
  return false;
}

/**
 * A `describe` whose tests share one private server, started before them and
 * stopped after. `server()` returns it inside tests and hooks.
 */
export function describeWithMariaDb(name: string, fn: (server: () => MariaDb) => void, options: StartOptions = {}): void {
  describe.skipIf(!shouldRunMariaDbTests())(name, () => {
    let running: MariaDb | undefined;
    beforeAll(async () => {
      running = await startMariaDb(options);
    }, 60_000);
    afterAll(async () => {
      await running?.stop();
    }, 30_000);
    fn(() => {
      if (!running) throw new Error('the MariaDB server is not running (called outside a test or hook?)');
      return running;
    });
  });
}

// Servers still alive when the test process exits normally are killed by the exit
// hook; a process killed by a signal leaves that to the watchdog below.
const liveServers = new Map<number, string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [pid, dir] of liveServers) {
      killQuietly(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    // ESRCH: it is already gone, which is what we wanted.
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * A detached watchdog for when the test process dies without running its exit
 * hook (vitest ends its fork workers with a signal; a timeout may SIGKILL them): it kills the server and
 * removes its directory once the test process is gone.
 */
function startWatchdog(serverPid: number, dir: string): void {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do kill -0 ${serverPid} 2>/dev/null || exit 0; sleep 1; done
kill -KILL ${serverPid} 2>/dev/null; sleep 0.2; rm -rf '${dir}'`;
  const watchdog = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  watchdog.unref();
}

function makeTempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'wm-mdb-'));
  if (join(dir, 's').length <= MAX_SOCKET_PATH) return dir;
  rmSync(dir, { recursive: true, force: true });
  return mkdtempSync('/tmp/wm-mdb-');
}

function logTail(file: string, lines = 20): string {
  if (!existsSync(file)) return '(no error log was written)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Start a private server in a new temp directory; resolves once it accepts connections. */
export async function startMariaDb(options: StartOptions = {}): Promise<MariaDb> {
  const binaries = findBinaries();
  if (!binaries) throw new Error(missingBinariesMessage());
  installExitHook();

  const dir = makeTempDir();
  const dataDir = join(dir, 'data');
  const socketPath = join(dir, 's');
  const errorLog = join(dir, 'error.log');
  const osUser = userInfo().username;

  const install = spawnSync(
    binaries.installDb,
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--user=${osUser}`,
      // root@localhost with an empty password, reachable whatever the OS user is.
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--skip-name-resolve',
    ],
    // Its bootstrap server's temporary tables go in this server's own folder, not the shared /tmp, where
    // another test's server deleted them (CI: "Error on delete of '/tmp/#sql-temptable-…'").
    { encoding: 'utf8', timeout: 120_000, env: { ...process.env, TMPDIR: dir } },
  );
  if (install.status !== 0) {
    rmSync(dir, { recursive: true, force: true });
    const output = `${install.stdout ?? ''}${install.stderr ?? ''}`.trimEnd().split('\n').slice(-20).join('\n');
    throw new Error(`mariadb-install-db failed (${install.error?.message ?? `exit ${install.status ?? install.signal}`}):\n${output}`);
  }

  const server: ChildProcess = spawn(
    binaries.server,
    [
      '--no-defaults',
      `--datadir=${dataDir}`,
      `--socket=${socketPath}`,
      '--skip-networking',
      `--user=${osUser}`,
      `--pid-file=${join(dir, 'mariadbd.pid')}`,
      `--log-error=${errorLog}`,
      `--tmpdir=${dir}`,
      '--innodb-buffer-pool-size=32M',
      ...(options.serverArgs ?? []),
    ],
    { stdio: 'ignore' },
  );
  const pid = server.pid;
  if (pid === undefined) {
    const spawnError = await new Promise<Error>((resolve) => server.once('error', resolve));
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`could not start ${binaries.server}: ${spawnError.message}`);
  }
  liveServers.set(pid, dir);
  startWatchdog(pid, dir);

  let exited: string | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    server.once('exit', (code, signal) => {
      exited = signal ? `killed by ${signal}` : `exit code ${code}`;
      resolve();
    });
  });

  let connection: Connection | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await connection?.end().catch(() => connection?.destroy());
    if (exited === undefined) {
      killQuietly(pid, 'SIGKILL');
      await exitedPromise;
    }
    liveServers.delete(pid);
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  let lastError = '';
  for (;;) {
    if (exited !== undefined) {
      const tail = logTail(errorLog);
      await stop();
      throw new Error(`mariadbd exited before accepting connections (${exited}). Error log tail:\n${tail}`);
    }
    if (existsSync(socketPath)) {
      try {
        connection = await mysql.createConnection({ socketPath, user: 'root', namedPlaceholders: true });
        break;
      } catch (error) {
        lastError = (error as Error).message;
      }
    }
    if (Date.now() > deadline) {
      const tail = logTail(errorLog);
      await stop();
      throw new Error(
        `mariadbd did not accept connections on ${socketPath} within ${options.readyTimeoutMs ?? 30_000} ms` +
          `${lastError ? ` (last error: ${lastError})` : ''}. Error log tail:\n${tail}`,
      );
    }
    await sleep(25);
  }
  const ready = connection;

  return {
    socketPath,
    dataDir,
    pid,
    url: (database = '') => `mysql://root@localhost/${database}?socket=${encodeURIComponent(socketPath)}`,
    async query<T>(sql: string, params?: QueryParams): Promise<T[]> {
      const [result] = await ready.query(sql, params);
      return Array.isArray(result) ? (result as T[]) : [];
    },
    stop,
  };
}
