/**
 * The one way tests run the built `waymark` binary, the way an operator does. Build it first with
 * `npm run build` (npm test does; see test/e2e/README.md). WAYMARK_TEST_BIN points the tests at
 * another build, e.g. a private one while others rebuild dist/.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** The repository root. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The binary under test. */
export const BIN = process.env.WAYMARK_TEST_BIN ?? join(ROOT, 'dist/cli/main.js');
/** The engine's runbook fixtures. */
export const FIXTURES = join(ROOT, 'test/fixtures/engine');

/** Fail with the fix when there is no build to test. */
export function assertBuilt(): void {
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

// Variables the shipped runbooks declare: the environment beats a profile, so a stray one in the
// test runner's environment must not leak into a run.
const RUNBOOK_VARIABLES = new Set([
  'DB_SOCKET',
  'DB_USER',
  'DB_PASSWORD',
  'DB_CLIENT_CNF',
  'SCHEMAS',
  'CONTROLLERS',
  'VOLUME_HOSTS',
  'NOVA_MANAGE',
  'NOVA_STATUS',
  'CINDER_MANAGE',
  'UPGRADE_VENVS',
  'SSH',
  'BACKUP_DIR',
  'MIN_FREE_GB',
  'BACKUP_MAX_AGE_MIN',
  'FROM',
  'TO',
  'FROM_SCHEMA',
  'TO_SCHEMA',
  'THIS_HOST',
  'COMPUTE_CANARY',
  'BATCH_SIZE',
  'ORPHAN_AFTER_HOURS',
  'RELOAD',
  'SANDBOX',
  'TARGET_VERSION',
  'ADMIN_TOKEN',
  'DEMO_ADMIN_TOKEN',
  'BREAK_MIGRATION',
  'INVENTORY',
  'EXPAND_SCHEMA',
  'HEAT_MANAGE',
  'TO_MAJOR',
  'IRONIC_COMPUTE_HOST',
  'IRONIC_DBSYNC',
]);

/**
 * waymark's environment for tests: the runner's, without anything that would steer waymark
 * (WAYMARK_*: state dir, debug, passwords; runbook variables; vitest's markers), no colour, plus `extra`.
 */
export function testEnv(extra: EnvChanges = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined || key.startsWith('WAYMARK_') || RUNBOOK_VARIABLES.has(key) || key.startsWith('VITEST') || key === 'NODE_ENV')
      continue;
    env[key] = value;
  }
  return withChanges({ ...env, NO_COLOR: '1' }, extra);
}

/** Variables to set, or with `undefined`, to leave out. */
export type EnvChanges = Record<string, string | undefined>;

function withChanges(env: Record<string, string>, changes: EnvChanges): Record<string, string> {
  const changed = { ...env };
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete changed[key];
    else changed[key] = value;
  }
  return changed;
}

/**
 * The environment waymark gets in a terminal: a login-like minimum, so nothing the test runner
 * carries leaks in — no state dir, no colour switch, no CI marker (under CI, ink draws nothing
 * until it exits) — plus `extra`.
 */
export function terminalEnv(extra: EnvChanges = {}): Record<string, string> {
  const env: Record<string, string> = { TERM: 'xterm-256color', LANG: 'C.UTF-8' };
  for (const key of ['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL', 'TMPDIR', 'XDG_CONFIG_HOME']) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  return withChanges(env, extra);
}

/** How to run waymark; every variation a test needs is one of these, not a wrapper of its own. */
export interface WaymarkOptions {
  /** Working directory (default: the repository root). */
  cwd?: string;
  /** Variables added to the environment ({@link testEnv}, or {@link terminalEnv} with `terminal`), or left out of it (`undefined`). */
  env?: EnvChanges;
  /** The login-like environment of a terminal instead of the runner's ({@link terminalEnv}). */
  terminal?: boolean;
  /**
   * Limit the files waymark writes to this many 512-byte blocks (RLIMIT_FSIZE, sh's `ulimit -f`):
   * a write past the limit is cut short, then fails with EFBIG, as on a full disk.
   */
  fileSizeLimit?: number;
  /** Kill it after this many ms (default: no limit but the test's own). */
  timeout?: number;
  /** Keep the last newline of stdout and stderr, to compare output byte for byte (default: dropped). */
  keepFinalNewline?: boolean;
  /** Write stdout to this file with a shell's `> FILE`, rather than to a pipe (the result's `stdout` is then empty). */
  stdoutFile?: string;
}

/** Start waymark without waiting for it (for signals, locks and kills); stdin is closed. */
export function spawnWaymark(args: string[], options: WaymarkOptions = {}) {
  assertBuilt();
  const env = options.terminal ? terminalEnv(options.env) : testEnv(options.env);
  // A file size limit, or stdout in a file, is set up by sh, which then becomes waymark (`exec`);
  // the file is sh's $0, so no name of it reaches waymark's arguments or environment.
  const viaShell = options.fileSizeLimit !== undefined || options.stdoutFile !== undefined;
  const script = `${options.fileSizeLimit === undefined ? '' : `ulimit -f ${options.fileSizeLimit}; `}exec "$@"${options.stdoutFile === undefined ? '' : ' > "$0"'}`;
  const [file, argv] = viaShell
    ? ['sh', ['-c', script, options.stdoutFile ?? 'sh', process.execPath, BIN, ...args]]
    : [process.execPath, [BIN, ...args]];
  return execa(file, argv, {
    cwd: options.cwd ?? ROOT,
    env,
    extendEnv: false,
    reject: false,
    all: true,
    stdin: 'ignore',
    stripFinalNewline: options.keepFinalNewline !== true,
    ...(options.timeout === undefined ? {} : { timeout: options.timeout }),
  });
}

/** What a finished waymark process printed and how it ended (-1 when a signal ended it). */
export function invocation(result: { exitCode?: number | undefined; stdout?: unknown; stderr?: unknown; all?: unknown }): Invocation {
  return {
    code: typeof result.exitCode === 'number' ? result.exitCode : -1,
    stdout: String(result.stdout ?? ''),
    stderr: String(result.stderr ?? ''),
    all: String(result.all ?? ''),
  };
}

/** Run waymark to its end; never rejects on a non-zero exit. */
export async function waymark(args: string[], options: WaymarkOptions = {}): Promise<Invocation> {
  return invocation(await spawnWaymark(args, options));
}
