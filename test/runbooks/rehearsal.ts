/**
 * Rehearsing the shipped runbooks the way an operator does: the built binary, run from the
 * repository root against the runbook files in place, with a fresh testbed (a private MariaDB in a
 * temp dir, seeded with its faults) and a temp state directory per test file.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { parseRunbook } from '../../src/runbook/parse.js';
import { down, paths, up, type Seed, type TestbedPaths, type TestbedStatus, status } from '../../testbed/testbed.mjs';
import { ROOT, waymark, type Invocation } from '../support/binary.js';
import { startFleet, shouldRunFleetTests, type Fleet } from '../support/fleet.js';
import { shouldRunMariaDbTests } from '../support/mariadb.js';
import { shortTempDir } from '../support/workspace.js';

/** Every check a runbook declares, by name, as waymark's parser sees it. */
export function checksOf(runbookFile: string): string[] {
  const runbook = parseRunbook(readFileSync(join(ROOT, runbookFile), 'utf8'), runbookFile);
  return runbook.steps.flatMap((step) => step.blocks.filter((block) => block.role === 'check').map((block) => block.id));
}

/** The parts of `waymark report --format json` the tests read. */
export interface ReportJson {
  status: string;
  steps: { id: string; status: string; blocks: { id: string; role: string; status: string; attempts: number; outcome?: string }[] }[];
}

/**
 * A test worker killed by a timeout runs no afterAll: the testbed's own watchdog stops its server,
 * and this one removes the directory (tens of MB) once the worker is gone.
 */
function removeWhenGone(dir: string): void {
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; sleep 8; rm -rf '${dir}'`;
  spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

/** One runbook rehearsed against one testbed. */
export interface Rehearsal {
  testbed: TestbedPaths;
  state: string;
  runbook: string;
  /** `waymark run RUNBOOK --headless --profile testbed`, pointed at this testbed, plus `flags`. */
  run(flags?: string[]): Promise<Invocation>;
  /**
   * `waymark approve RUNBOOK --block BLOCK --operator OPERATOR` on this rehearsal's state: a second
   * operator's approval of an `approve=` block (docs/approve.md), from another process.
   */
  approve(block: string, operator?: string): Promise<Invocation>;
  /** `waymark report RUNBOOK --format json`. */
  report(): Promise<ReportJson>;
  /** A stand-in tool of testbed/bin (the operator's own hands on the testbed). */
  tool(name: string, args: string[]): { code: number; output: string };
  /** One SQL statement as root; rows as arrays of strings (NULL as null). */
  sql(statement: string): (string | null)[][];
  status(): Promise<TestbedStatus>;
  /** The fleet of real sshd hosts next to the testbed, when the rehearsal asked for one. */
  fleet?: Fleet;
}

/** A fleet for a rehearsal: the testbed's own hosts (testbed/sql), run through `--inventory`. */
export interface RehearsalFleet {
  controllers: number;
  computes: number;
}

/**
 * A describe whose tests share a fresh testbed seeded at `at`, and a state directory. Skipped with a
 * warning when MariaDB is missing, except under CI (any truthy `CI`), where it fails.
 */
export function describeRehearsal(
  name: string,
  runbook: string,
  at: Seed,
  fn: (rehearsal: () => Rehearsal) => void,
  options: { fleet?: RehearsalFleet } = {},
): void {
  const runs = shouldRunMariaDbTests() && (options.fleet === undefined || shouldRunFleetTests());
  describe.skipIf(!runs)(name, () => {
    let dir = '';
    let fleet: Fleet | undefined;
    let current: Rehearsal | undefined;
    beforeAll(async () => {
      dir = shortTempDir('wm-tb-');
      removeWhenGone(dir);
      await up({ dir, at, watch: process.pid });
      const testbed = paths(dir);
      const state = join(dir, 'waymark-state');
      const env: Record<string, string> = { WAYMARK_TESTBED_DIR: testbed.dir };
      const vars = ['--var', `DB_SOCKET=${testbed.socket}`, '--var', `DB_CLIENT_CNF=${testbed.clientCnf}`];
      if (readFileSync(join(ROOT, runbook), 'utf8').includes('BACKUP_DIR:')) vars.push('--var', `BACKUP_DIR=${testbed.backups}`);
      if (options.fleet) {
        // In the testbed's folder, so that each host's stand-ins act on this testbed (its sshd sets WAYMARK_TESTBED_DIR to the fleet's parent).
        const { controllers, computes } = options.fleet;
        fleet = await startFleet({ hosts: controllers + computes, groups: { controllers, computes }, dir: join(dir, 'fleet'), at });
        vars.push('--inventory', fleet.inventory);
        Object.assign(env, fleet.ansibleEnv);
      }
      current = {
        testbed,
        state,
        runbook,
        run: (flags = []) =>
          waymark(['run', runbook, '--headless', '--profile', 'testbed', '--state-dir', state, ...vars, ...flags], { env }),
        approve: (block, operator = SECOND_OPERATOR) =>
          waymark(['approve', runbook, '--block', block, '--operator', operator, '--state-dir', state], { env }),
        report: async () => {
          const result = await waymark(['report', runbook, '--format', 'json', '--state-dir', state], { env });
          if (result.code !== 0) throw new Error(`report exited ${result.code}: ${result.all}`);
          return JSON.parse(result.stdout) as ReportJson;
        },
        tool: (name, args) => {
          const done = spawnSync(join(testbed.bin, name), args, { encoding: 'utf8', env: { ...process.env, ...env } });
          return { code: done.status ?? -1, output: `${done.stdout}${done.stderr}` };
        },
        sql: (statement) => {
          const done = spawnSync(
            'mariadb',
            ['--no-defaults', `--socket=${testbed.socket}`, '--user=root', '--batch', '--skip-column-names', '--raw'],
            {
              input: statement,
              encoding: 'utf8',
            },
          );
          if (done.status !== 0) throw new Error(`SQL failed: ${done.stderr}`);
          return done.stdout
            .split('\n')
            .filter((line) => line !== '')
            .map((line) => line.split('\t').map((cell) => (cell === 'NULL' ? null : cell)));
        },
        status: () => status({ dir }),
        ...(fleet ? { fleet } : {}),
      };
    }, 180_000);
    afterAll(async () => {
      await fleet?.stop();
      if (dir) {
        await down({ dir });
        rmSync(dir, { recursive: true, force: true });
      }
    }, 60_000);
    fn(() => {
      if (!current) throw new Error('the testbed is not up (called outside a test?)');
      return current;
    });
  });
}

/** The operator who approves `approve=` blocks in rehearsals: never the login name the runs go under. */
export const SECOND_OPERATOR = 'rehearsal-approver';

/** The line waymark prints while an `approve=` block waits: the block's name, or undefined. */
export function awaitedApproval(output: string): string | undefined {
  return /^waiting: block (\S+) is waiting for (?:\d+ )?approvals? /m.exec(output)?.[1];
}

/** The line waymark prints when a check refuses the run. */
export function refusedCheck(output: string): string | undefined {
  return /^refused: check (\S+)/m.exec(output)?.[1];
}
