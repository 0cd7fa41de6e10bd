/**
 * The nova rolling upgrade runbook against a fresh testbed at Newton and its fleet of real sshd
 * hosts (ctl-1, ctl-2, cmp-1 to cmp-6, the testbed's own): the planted faults refuse the run by name
 * (hypervisor records, a compute left on Mitaka, unfinished data migrations); after the remedies and
 * the operator's fix the same run expands, pins, upgrades the conductors and controllers one host at
 * a time and the computes a canary then in batches, through Ansible, unpins and contracts, gated by
 * nova-status.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { awaitedApproval, checksOf, describeRehearsal, refusedCheck } from './rehearsal.js';

const RUNBOOK = 'runbooks/openstack/nova-rolling-upgrade.md';
const T = 300_000;
const COMPUTES = ['cmp-1', 'cmp-2', 'cmp-3', 'cmp-4', 'cmp-5', 'cmp-6'];

/** The headless line of one host's result in a fleet block: `   HOST  ok  rc=0  batch B  1.2s`. */
function hostLine(host: string, batch: number): RegExp {
  return new RegExp(`^ +${host} +ok +rc=0 +batch ${batch}\\b`, 'm');
}

describeRehearsal(
  'nova rolling upgrade on the testbed',
  RUNBOOK,
  'newton',
  (rehearsal) => {
    it(
      'refuses on every planted fault, and completes after the remedies',
      async () => {
        const r = rehearsal();
        const flags = ['--yes', '--accept-warnings'];

        const nullHost = await r.run(flags);
        expect(nullHost.code, nullHost.all).toBe(3);
        expect(refusedCheck(nullHost.stdout)).toBe('null-compute-host');
        expect(nullHost.stdout).toContain('--only fix-hypervisors');
        const repair = await r.run([...flags, '--only', 'fix-hypervisors']);
        expect(repair.code, repair.all).toBe(0);
        expect(r.sql('SELECT COUNT(*) FROM nova.compute_nodes WHERE deleted = 0 AND host IS NULL')).toEqual([['0']]);
        expect(r.sql('SELECT id FROM nova.compute_nodes WHERE deleted <> 0').flat()).toEqual(['7']);

        // A compute that missed the last upgrade: the operator upgrades it and restarts it.
        const straggler = await r.run(flags);
        expect(straggler.code, straggler.all).toBe(3);
        expect(refusedCheck(straggler.stdout)).toBe('services-at-from');
        expect(straggler.stdout).toMatch(/\|\s*cmp-4\s*\|\s*nova-compute\s*\|\s*9\s*\|/);
        r.sql("UPDATE testbed.hosts SET `release` = 'newton' WHERE host = 'cmp-4'");
        writeFileSync(r.fleet!.host('cmp-4').versionFile, 'newton\n');
        expect(r.tool('ssh', ['cmp-4', 'sudo', 'systemctl', 'restart', 'openstack-nova-compute']).code).toBe(0);

        // Newton's data migrations were left unfinished: Ocata's db sync would refuse.
        const migrations = await r.run(flags);
        expect(migrations.code, migrations.all).toBe(3);
        expect(refusedCheck(migrations.stdout)).toBe('online-migrations-done');
        expect(migrations.stdout).toMatch(/\|\s*request specs\s*\|\s*40\s*\|/);
        // The count the fix step's text shows, captured by the pre-check that passes before the one that refuses.
        expect(migrations.stdout).toMatch(/<- ok check online-migrations-left .*\n {3}captured FROM_MIGRATIONS_LEFT=40\n/);
        const finish = await r.run([...flags, '--only', 'fix-online-migrations']);
        expect(finish.code, finish.all).toBe(0);

        // Without --accept-warnings the run stops at nova-status's warning (no resource providers yet).
        const warned = await r.run(['--yes']);
        expect(warned.code, warned.all).toBe(4);
        expect(warned.stdout).toContain('waiting: nova-status-before ended with a warning');

        // The contract waits for a second operator (approve=1): --yes does not give it.
        const upgraded = await r.run(flags);
        expect(upgraded.code, upgraded.all).toBe(4);
        expect(awaitedApproval(upgraded.stdout)).toBe('to-online-data-migrations');
        const approval = await r.approve('to-online-data-migrations');
        expect(approval.code, approval.all).toBe(0);
        const rest = await r.run(flags);
        expect(rest.code, rest.all).toBe(0);
        expect(rest.stdout).toContain('complete');
        expect(rest.stdout).toContain('block to-online-data-migrations approved by rehearsal-approver');
        expect(rest.stdout).toMatch(/ok check nova-status-after .*exit 0: success/);

        // The fleet blocks ran on each host through Ansible, one line per host result: the conductors
        // one at a time, the computes a canary then batches (25 % of 6 computes is one host), and each
        // host's package update moved its root to Ocata.
        const conductors = upgraded.stdout.slice(upgraded.stdout.indexOf('upgrade-conductors'));
        expect(conductors).toMatch(hostLine('ctl-1', 1));
        expect(conductors).toMatch(hostLine('ctl-2', 2));
        const computes = upgraded.stdout.slice(upgraded.stdout.indexOf('upgrade-computes'));
        COMPUTES.forEach((host, i) => expect(computes).toMatch(hostLine(host, i + 1)));
        for (const host of ['ctl-1', 'ctl-2', ...COMPUTES]) {
          expect(readFileSync(r.fleet!.host(host).versionFile, 'utf8').trim(), host).toBe('ocata');
        }

        // Every service runs Ocata, nothing is pinned, the cells and placement are in place.
        expect(r.sql('SELECT DISTINCT version FROM nova.services WHERE deleted = 0')).toEqual([['22']]);
        expect(r.tool('ssh', ['ctl-2', 'crudini', '--get', '/etc/nova/nova.conf', 'upgrade_levels', 'compute']).code).toBe(1);
        expect(r.sql('SELECT COUNT(*) FROM nova_api.resource_providers')).toEqual([['6']]);
        const faults = Object.fromEntries(((await r.status()).faults ?? []).map((f) => [f.id, f.present]));
        expect(faults).toMatchObject({ 'null-compute-host': false, 'duplicate-hypervisors': false, 'online-migrations': false });

        const report = await r.report();
        expect(report.status).toBe('complete');
        const reported = new Map(report.steps.flatMap((s) => s.blocks).map((b) => [b.id, b]));
        for (const check of checksOf(RUNBOOK)) {
          expect(['passed', 'acknowledged'], check).toContain(reported.get(check)?.status);
        }
        expect(reported.get('nova-status-before')?.status).toBe('acknowledged');
      },
      T,
    );
  },
  { fleet: { controllers: 2, computes: 6 } },
);
