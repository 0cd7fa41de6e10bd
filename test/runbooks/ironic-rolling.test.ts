/**
 * The Ironic rolling upgrade runbook against a fresh testbed (its Ironic at Pike) and a fleet of two
 * real sshd controllers: each planted fault refuses the run by the name of its check (nodes in
 * flight or locked, a conductor left on Ocata's version, Pike's data migrations unfinished), the
 * gate before nova-compute refuses while Ironic is not upgraded, and after the remedies the same run
 * expands, pins, rolls the conductors then the API one host at a time through Ansible, unpins, runs
 * Queens' data migrations and upgrades nova-compute's ironic driver last.
 */
import { expect, it } from 'vitest';
import { waymark } from '../support/binary.js';
import { checksOf, describeRehearsal, refusedCheck } from './rehearsal.js';

const RUNBOOK = 'runbooks/openstack/ironic-rolling-upgrade.md';
const T = 300_000;

/** The headless line of one host's result in a fleet block: `   HOST  ok  rc=0  batch B  1.2s`. */
function hostLine(host: string, batch: number): RegExp {
  return new RegExp(`^ +${host} +ok +rc=0 +batch ${batch}\\b`, 'm');
}

/** The output of one block, from its name to the next block's start. */
function after(output: string, block: string): string {
  return output.slice(output.indexOf(block));
}

it('the Ironic runbook lints clean', async () => {
  const result = await waymark(['lint', RUNBOOK]);
  expect(result.all.split('\n').filter((line) => line !== '' && !/: note: fleet block /.test(line))).toEqual([]);
  expect(result.code).toBe(0);
}, 30_000);

describeRehearsal(
  'ironic rolling upgrade on the testbed',
  RUNBOOK,
  'newton',
  (rehearsal) => {
    it(
      'refuses on every planted fault, keeps nova-compute back until Ironic is upgraded, and completes after the remedies',
      async () => {
        const r = rehearsal();
        const flags = ['--yes', '--accept-warnings'];
        const faults = async () => Object.fromEntries(((await r.status()).faults ?? []).map((f) => [f.id, f.present]));
        expect(await faults()).toMatchObject({
          'ironic-nodes-in-flight': true,
          'ironic-conductor-versions': true,
          'ironic-online-migrations': true,
        });

        // A deployment and a cleaning in flight, and a lock left behind: a conductor restart would fail them.
        const inFlight = await r.run(flags);
        expect(inFlight.code, inFlight.all).toBe(3);
        expect(refusedCheck(inFlight.stdout)).toBe('nodes-in-flight');
        expect(inFlight.stdout).toMatch(/\|\s*bm-03\s*\|\s*deploying\s*\|\s*active\s*\|\s*ctl-1\s*\|/);
        expect(inFlight.stdout).toMatch(/\|\s*bm-06\s*\|\s*clean wait\s*\|/);
        expect(inFlight.stdout).toMatch(/\|\s*bm-09\s*\|\s*available\s*\|/);
        expect(inFlight.stdout).toContain('--only fix-nodes');
        // The operator's remedy is to wait; on the testbed, the testbed command plays the operations ending.
        const settle = r.tool('ironic-settle', []);
        expect(settle.code, settle.output).toBe(0);
        expect(settle.output).toContain('bm-03: deploying -> active');
        const settled = await r.run([...flags, '--only', 'fix-nodes']);
        expect(settled.code, settled.all).toBe(0);

        // ctl-2's conductor was never restarted on Pike's packages: it still reports Ocata's version.
        const lagging = await r.run(flags);
        expect(lagging.code, lagging.all).toBe(3);
        expect(refusedCheck(lagging.stdout)).toBe('conductors-beyond-pin');
        expect(lagging.stdout).toMatch(/\|\s*ctl-2\s*\|\s*1\.1\s*\|/);
        expect(lagging.stdout).not.toMatch(/\|\s*ctl-1\s*\|\s*1\.2\s*\|/);
        expect(lagging.stdout).toContain('--only fix-conductors');
        const restarted = await r.run([...flags, '--only', 'fix-conductors']);
        expect(restarted.code, restarted.all).toBe(0);
        expect(r.sql('SELECT hostname, version FROM ironic.conductors ORDER BY hostname')).toEqual([
          ['ctl-1', '1.2'],
          ['ctl-2', '1.2'],
        ]);

        // Pike's backfill_version_column was left unfinished: Queens' ironic-dbsync upgrade would refuse.
        const migrations = await r.run(flags);
        expect(migrations.code, migrations.all).toBe(3);
        expect(refusedCheck(migrations.stdout)).toBe('online-migrations-done');
        expect(migrations.stdout).toMatch(/\|\s*nodes\s*\|\s*5\s*\|/);
        const finish = await r.run([...flags, '--only', 'fix-online-migrations']);
        expect(finish.code, finish.all).toBe(0);
        expect(r.sql('SELECT COUNT(*) FROM ironic.nodes WHERE version IS NULL')).toEqual([['0']]);
        expect(await faults()).toMatchObject({
          'ironic-nodes-in-flight': false,
          'ironic-conductor-versions': false,
          'ironic-online-migrations': false,
        });

        // nova-compute's driver before Ironic: the gate refuses, naming what still runs Pike, and the
        // driver's host is not touched.
        const early = await r.run([...flags, '--only', 'nova-compute']);
        expect(early.code, early.all).toBe(3);
        expect(refusedCheck(early.stdout)).toBe('ironic-runs-to');
        expect(early.stdout).toMatch(/\|\s*ctl-1\s*\|\s*failed\s*\|/);
        expect(early.stdout).toMatch(/\|\s*ctl-2\s*\|\s*failed\s*\|/);
        expect(r.sql("SELECT `release` FROM testbed.ironic_hosts WHERE host = 'bm-cmp-1'")).toEqual([['pike']]);

        const rest = await r.run(flags);
        expect(rest.code, rest.all).toBe(0);
        expect(rest.stdout).toContain('complete');
        // The conductors, then the API, one controller at a time through Ansible; pinned while they
        // rolled (the conductors reported Pike's version), unpinned after.
        const conductors = after(rest.stdout, 'upgrade-conductors');
        expect(conductors).toMatch(hostLine('ctl-1', 1));
        expect(conductors).toMatch(hostLine('ctl-2', 2));
        expect(conductors.indexOf('upgrade-conductors')).toBeLessThan(conductors.indexOf('upgrade-api'));
        expect(after(rest.stdout, 'upgrade-api')).toMatch(hostLine('ctl-2', 2));
        expect(r.sql('SELECT hostname, version, online FROM ironic.conductors ORDER BY hostname')).toEqual([
          ['ctl-1', '1.3', '1'],
          ['ctl-2', '1.3', '1'],
        ]);
        expect(r.tool('ssh', ['ctl-1', 'crudini', '--get', '/etc/ironic/ironic.conf', 'DEFAULT', 'pin_release_version']).code).toBe(1);
        expect(r.sql('SELECT version_num FROM ironic.alembic_version')).toEqual([['b4130a7fc904']]);
        expect(r.sql('SELECT DISTINCT version FROM ironic.nodes')).toEqual([['1.22']]);
        // No node was failed by a restart, and the driver runs Queens against unpinned Queens APIs.
        expect(r.sql('SELECT COUNT(*) FROM ironic.nodes WHERE last_error IS NOT NULL OR reservation IS NOT NULL')).toEqual([['0']]);
        expect(r.sql('SELECT host, unit, code_release, pinned_release FROM testbed.ironic_running ORDER BY host, unit')).toEqual([
          ['bm-cmp-1', 'openstack-nova-compute', 'queens', 'queens'],
          ['ctl-1', 'openstack-ironic-api', 'queens', 'queens'],
          ['ctl-1', 'openstack-ironic-conductor', 'queens', 'queens'],
          ['ctl-2', 'openstack-ironic-api', 'queens', 'queens'],
          ['ctl-2', 'openstack-ironic-conductor', 'queens', 'queens'],
        ]);

        const report = await r.report();
        expect(report.status).toBe('complete');
        const reported = new Map(report.steps.flatMap((s) => s.blocks).map((b) => [b.id, b]));
        for (const check of checksOf(RUNBOOK)) {
          expect(['passed', 'acknowledged'], check).toContain(reported.get(check)?.status);
        }
      },
      T,
    );

    it('testbed: a conductor speaks its pin, refuses a pin it cannot honour, the driver refuses a pinned API, and a restart fails a deployment in flight', () => {
      const r = rehearsal();
      const ssh = (host: string, ...words: string[]) => r.tool('ssh', [host, 'sudo', ...words]);
      const conductorVersion = () => r.sql("SELECT version FROM ironic.conductors WHERE hostname = 'ctl-1'")[0]?.[0];
      const pin = (value: string) => ssh('ctl-1', 'crudini', '--set', '/etc/ironic/ironic.conf', 'DEFAULT', 'pin_release_version', value);
      expect(pin('pike').code).toBe(0);
      expect(ssh('ctl-1', 'systemctl', 'restart', 'openstack-ironic-conductor').code).toBe(0);
      expect(conductorVersion()).toBe('1.2');
      expect(ssh('ctl-1', 'systemctl', 'restart', 'openstack-ironic-api').code).toBe(0);
      const driver = ssh('bm-cmp-1', 'systemctl', 'restart', 'openstack-nova-compute');
      expect(driver.code).toBe(1);
      expect(driver.output).toContain('the Bare Metal API on ctl-1 supports microversions up to 1.34, and this driver needs 1.38');

      expect(pin('ocata').code).toBe(0);
      const tooOld = ssh('ctl-1', 'systemctl', 'restart', 'openstack-ironic-conductor');
      expect(tooOld.code).toBe(1);
      expect(tooOld.output).toContain('pin_release_version = ocata: queens rolls from the release before it only');

      expect(ssh('ctl-1', 'crudini', '--del', '/etc/ironic/ironic.conf', 'DEFAULT', 'pin_release_version').code).toBe(0);
      expect(ssh('ctl-1', 'systemctl', 'restart', 'openstack-ironic-conductor').code).toBe(0);
      expect(ssh('ctl-1', 'systemctl', 'restart', 'openstack-ironic-api').code).toBe(0);
      expect(conductorVersion()).toBe('1.3');
      expect(ssh('bm-cmp-1', 'systemctl', 'restart', 'openstack-nova-compute').code).toBe(0);

      // What the nodes-in-flight pre-check prevents: a conductor restarted under a deployment fails it.
      r.sql(
        "UPDATE ironic.nodes SET provision_state = 'deploying', target_provision_state = 'active', reservation = 'ctl-1' WHERE name = 'bm-04'",
      );
      expect(ssh('ctl-1', 'systemctl', 'restart', 'openstack-ironic-conductor').code).toBe(0);
      expect(r.sql("SELECT provision_state, reservation, last_error FROM ironic.nodes WHERE name = 'bm-04'")).toEqual([
        ['deploy failed', null, "The deployment can't be resumed by conductor ctl-1. Moving to fail state."],
      ]);
    }, 60_000);
  },
  { fleet: { controllers: 2, computes: 0 } },
);
