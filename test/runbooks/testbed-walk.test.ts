/**
 * docs/testbed.md "Rehearsing the runbooks", followed literally on one testbed: reset, the
 * skip-level runbook to completion with the documented remedies; then reset --at newton, a fleet of
 * 8 hosts with 2 controllers, the Nova runbook to completion, and after it the Cinder runbook to
 * completion. Each command is the documented one, pointed at a temp testbed (--dir, --var) as the
 * docs' "Paths, profiles and other testbeds" says.
 *
 * Reproduced: after the Nova runbook, the documented Cinder fix (restarting cinder-backup on ctl-2)
 * failed with "the database schema is still at newton": Nova's `yum update 'openstack-nova-*'`
 * moved the whole host, cinder's code included, to Ocata.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { down, paths } from '../../testbed/testbed.mjs';
import { ROOT, waymark, type Invocation } from '../support/binary.js';
import { shouldRunFleetTests, startFleet } from '../support/fleet.js';
import { shouldRunMariaDbTests } from '../support/mariadb.js';
import { shortTempDir } from '../support/workspace.js';
import { SECOND_OPERATOR, awaitedApproval, refusedCheck } from './rehearsal.js';

const T = 900_000;

/** `npm run testbed -- ARGS --dir DIR`, as an operator types it (without npm's banner). */
function testbedCli(dir: string, args: string[]): { code: number; output: string } {
  const done = spawnSync(process.execPath, [join(ROOT, 'testbed/testbed.mjs'), ...args, '--dir', dir], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: done.status ?? -1, output: `${done.stdout}${done.stderr}` };
}

describe.skipIf(!(shouldRunMariaDbTests() && shouldRunFleetTests()))('the documented testbed walk', () => {
  it(
    'reset, skip-level; reset --at newton, fleet, Nova, then Cinder: each to completion with the documented remedies',
    async () => {
      const dir = shortTempDir('wm-walk-');
      const testbed = paths(dir);
      const env = { WAYMARK_TESTBED_DIR: testbed.dir };
      const shell = (command: string, ...args: string[]) => {
        const done = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
        return { code: done.status ?? -1, output: `${done.stdout}${done.stderr}` };
      };
      const vars = ['--var', `DB_SOCKET=${testbed.socket}`, '--var', `DB_CLIENT_CNF=${testbed.clientCnf}`];
      let stopFleet: (() => Promise<void>) | undefined;
      try {
        const state = join(dir, 'waymark-state');
        const runbookRun =
          (runbook: string, extra: string[], extraEnv: Record<string, string> = {}) =>
          async (...flags: string[]): Promise<Invocation> =>
            waymark(
              [
                'run',
                runbook,
                '--headless',
                '--profile',
                'testbed',
                '--yes',
                '--accept-warnings',
                '--state-dir',
                state,
                ...vars,
                ...extra,
                ...flags,
              ],
              { env: { ...env, ...extraEnv } },
            );
        const expectRefused = (result: Invocation, check: string) => {
          expect(result.code, result.all).toBe(3);
          expect(refusedCheck(result.stdout), result.all).toBe(check);
        };
        const expectOk = (result: Invocation) => expect(result.code, result.all).toBe(0);
        // A contract waits (exit 4) until a second operator approves it from their own terminal (docs/approve.md).
        const approveAs = async (result: Invocation, runbook: string, block: string) => {
          expect(result.code, result.all).toBe(4);
          expect(awaitedApproval(result.stdout), result.all).toBe(block);
          const approval = await waymark(['approve', runbook, '--block', block, '--operator', SECOND_OPERATOR, '--state-dir', state], {
            env,
          });
          expect(approval.code, approval.all).toBe(0);
        };

        // Skip-level, Juno to Mitaka.
        expect(testbedCli(dir, ['reset']).code).toBe(0);
        const skip = runbookRun('runbooks/openstack/skip-level-juno-to-mitaka.md', ['--var', `BACKUP_DIR=${testbed.backups}`]);
        expectRefused(await skip(), 'latin1-tables');
        expectOk(await skip('--only', 'fix-charset'));
        expectRefused(await skip(), 'duplicate-hypervisors');
        expectOk(await skip('--only', 'fix-hypervisors'));
        const consoleauth = await skip();
        expectRefused(consoleauth, 'consoleauth-cache');
        // The refusal names the testbed's own fix under the testbed profile: the command the docs give.
        expect(consoleauth.stdout).toContain('the runbook says: Set `[cache] enabled = true` on every controller');
        expect(consoleauth.stdout).toContain(
          'on the testbed, from the repository root: testbed/bin/ssh ctl-1 sudo crudini --set /etc/nova/nova.conf cache enabled true',
        );
        expect(shell('testbed/bin/ssh', 'ctl-1', 'sudo', 'crudini', '--set', '/etc/nova/nova.conf', 'cache', 'enabled', 'true').code).toBe(
          0,
        );
        expectRefused(await skip(), 'null-compute-host');
        expectOk(await skip('--only', 'fix-compute-host'));
        const mitaka = await skip();
        expectOk(mitaka);
        expect(mitaka.stdout).toContain('complete');

        // Nova and Cinder, Newton to Ocata, on the testbed's own hosts.
        expect(testbedCli(dir, ['reset', '--at', 'newton']).code).toBe(0);
        const fleet = await startFleet({ hosts: 8, groups: { controllers: 2 }, dir: join(dir, 'fleet'), at: 'newton' });
        stopFleet = () => fleet.stop();
        const nova = runbookRun('runbooks/openstack/nova-rolling-upgrade.md', ['--inventory', fleet.inventory], fleet.ansibleEnv);
        expectRefused(await nova(), 'null-compute-host');
        expectOk(await nova('--only', 'fix-hypervisors'));
        expectRefused(await nova(), 'services-at-from');
        const client = shell(
          'mariadb',
          `--defaults-extra-file=${testbed.clientCnf}`,
          '-e',
          "UPDATE testbed.hosts SET `release` = 'newton' WHERE host = 'cmp-4'",
        );
        expect(client.code, client.output).toBe(0);
        expect(shell('testbed/bin/ssh', 'cmp-4', 'sudo', 'systemctl', 'restart', 'openstack-nova-compute').code).toBe(0);
        expectRefused(await nova(), 'online-migrations-done');
        expectOk(await nova('--only', 'fix-online-migrations'));
        await approveAs(await nova(), 'runbooks/openstack/nova-rolling-upgrade.md', 'to-online-data-migrations');
        const ocata = await nova();
        expectOk(ocata);
        expect(ocata.stdout).toContain('complete');

        const cinder = runbookRun('runbooks/openstack/cinder-rolling-upgrade.md', []);
        expectRefused(await cinder(), 'orphaned-services');
        expectOk(await cinder('--only', 'fix-orphans'));
        expectRefused(await cinder(), 'mixed-versions');
        const restart = shell('testbed/bin/ssh', 'ctl-2', 'sudo', 'systemctl', 'restart', 'openstack-cinder-backup');
        expect(restart.output).not.toContain('the database schema is still at newton');
        expect(restart.code, restart.output).toBe(0);
        await approveAs(await cinder(), 'runbooks/openstack/cinder-rolling-upgrade.md', 'cinder-online-data-migrations');
        const done = await cinder();
        expectOk(done);
        expect(done.stdout).toContain('complete');

        // Both projects ended on Ocata, each through its own runbook.
        const sql = (statement: string) =>
          shell('mariadb', `--defaults-extra-file=${testbed.clientCnf}`, '--batch', '--skip-column-names', '-e', statement).output.trim();
        expect(sql('SELECT DISTINCT version FROM nova.services WHERE deleted = 0')).toBe('22');
        expect(sql('SELECT DISTINCT CONCAT(rpc_current_version, "/", object_current_version) FROM cinder.services WHERE deleted = 0')).toBe(
          '3.5/1.21',
        );
      } finally {
        await stopFleet?.();
        await down({ dir });
        rmSync(dir, { recursive: true, force: true });
      }
    },
    T,
  );
});
