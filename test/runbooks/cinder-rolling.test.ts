/**
 * The cinder rolling upgrade runbook against a fresh testbed at Newton: the orphaned cinder-volume
 * and the mixed version records refuse the run by name; after the remedy step and the operator's
 * restart the same run upgrades api, scheduler, volume and backup in that order, SIGHUPs them and
 * finishes the online data migrations. Then the testbed's own life cycle: reset, down, up.
 */
import { expect, it } from 'vitest';
import { down, reset, up } from '../../testbed/testbed.mjs';
import { awaitedApproval, checksOf, describeRehearsal, refusedCheck } from './rehearsal.js';

const RUNBOOK = 'runbooks/openstack/cinder-rolling-upgrade.md';
const T = 120_000;

describeRehearsal('cinder rolling upgrade on the testbed', RUNBOOK, 'newton', (rehearsal) => {
  it(
    'refuses on every planted fault, and completes after the remedies',
    async () => {
      const r = rehearsal();
      const flags = ['--yes', '--accept-warnings'];

      const orphan = await r.run(flags);
      expect(orphan.code, orphan.all).toBe(3);
      expect(refusedCheck(orphan.stdout)).toBe('orphaned-services');
      expect(orphan.stdout).toMatch(/\|\s*3\s*\|\s*stor-0@lvm\s*\|\s*cinder-volume\s*\|/);
      const remove = await r.run([...flags, '--only', 'fix-orphans', '--output']);
      expect(remove.code, remove.all).toBe(0);
      expect(remove.stdout).toContain('Service cinder-volume on host stor-0@lvm removed.');

      // cinder-backup on ctl-2 still runs Mitaka's code: the operator restarts it on Newton's.
      const mixed = await r.run(flags);
      expect(mixed.code, mixed.all).toBe(3);
      expect(refusedCheck(mixed.stdout)).toBe('mixed-versions');
      expect(mixed.stdout).toMatch(/\|\s*ctl-2\s*\|\s*cinder-backup\s*\|\s*2\.0\s*\|\s*1\.3\s*\|/);
      expect(mixed.stdout).not.toMatch(/\|\s*ctl-1\s*\|\s*cinder-backup/);
      expect(r.tool('ssh', ['ctl-2', 'sudo', 'systemctl', 'restart', 'openstack-cinder-backup']).code).toBe(0);

      // The online data migrations (the contract) wait for a second operator (approve=1).
      const upgraded = await r.run(flags);
      expect(upgraded.code, upgraded.all).toBe(4);
      expect(awaitedApproval(upgraded.stdout)).toBe('cinder-online-data-migrations');
      const approval = await r.approve('cinder-online-data-migrations');
      expect(approval.code, approval.all).toBe(0);
      const rest = await r.run(flags);
      expect(rest.code, rest.all).toBe(0);
      expect(rest.stdout).toContain('complete');
      // cinder's order: api, scheduler, volume, backup, then the reload.
      const order = ['run upgrade-api', 'run upgrade-scheduler', 'run upgrade-volume', 'run upgrade-backup', 'run reload-services'].map(
        (b) => upgraded.stdout.indexOf(`-> ${b}`),
      );
      expect(order.every((at) => at >= 0)).toBe(true);
      expect([...order].sort((a, b) => a - b)).toEqual(order);
      expect(r.sql('SELECT DISTINCT rpc_current_version, object_current_version FROM cinder.services WHERE deleted = 0')).toEqual([
        ['3.5', '1.21'],
      ]);
      expect(r.sql('SELECT COUNT(*) FROM cinder.volumes WHERE service_uuid IS NULL')).toEqual([['0']]);
      expect(r.sql("SELECT COUNT(*) FROM testbed.units WHERE unit = 'openstack-cinder-scheduler' AND reloaded_at IS NOT NULL")).toEqual([
        ['2'],
      ]);

      const report = await r.report();
      expect(report.status).toBe('complete');
      const reported = new Map(report.steps.flatMap((s) => s.blocks).map((b) => [b.id, b]));
      for (const check of checksOf(RUNBOOK)) {
        expect(reported.get(check)?.status, check).toBe('passed');
      }
    },
    T,
  );

  it(
    'testbed: reset plants every fault again; down keeps the data; up is idempotent',
    async () => {
      const r = rehearsal();
      const dir = r.testbed.dir;
      const present = async () =>
        ((await r.status()).faults ?? [])
          .filter((f) => f.present)
          .map((f) => f.id)
          .sort();
      // The cinder faults are gone; nova's, heat's and Ironic's (other runbooks' business) are still there.
      const others = [
        'heat-engine-behind',
        'heat-engine-stray',
        'heat-files-differ',
        'heat-trigger-missing',
        'ironic-conductor-versions',
        'ironic-nodes-in-flight',
        'ironic-online-migrations',
      ];
      expect(await present()).toEqual(['duplicate-hypervisors', ...others, 'mixed-versions', 'null-compute-host', 'online-migrations']);
      expect((await r.status()).faults?.find((f) => f.id === 'mixed-versions')?.detail).toMatch(/^nova: nova-compute on cmp-4/);

      const again = await reset({ dir, at: 'newton' });
      expect(again.started).toBe(false);
      expect(await present()).toEqual([
        'duplicate-hypervisors',
        ...others,
        'mixed-versions',
        'null-compute-host',
        'online-migrations',
        'orphaned-service',
      ]);

      const stopped = await down({ dir });
      expect(stopped.stopped).toBe(true);
      expect((await r.status()).running).toBe(false);
      expect(await down({ dir })).toEqual({ stopped: false });

      const restarted = await up({ dir, watch: process.pid });
      expect(restarted).toMatchObject({ started: true, loaded: false, at: 'newton' });
      expect(await present()).toContain('orphaned-service');
      expect(await up({ dir })).toMatchObject({ started: false, loaded: false, pid: restarted.pid });
    },
    T,
  );
});
