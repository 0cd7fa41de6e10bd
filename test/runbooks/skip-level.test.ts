/**
 * The skip-level Juno to Mitaka runbook against a fresh Juno testbed: each planted fault refuses the
 * run, naming the check that found it; the runbook's remedy steps (or the operator's fix) clear it;
 * the same run then walks the whole upgrade and its report lists every check.
 */
import { expect, it } from 'vitest';
import { reset } from '../../testbed/testbed.mjs';
import { checksOf, describeRehearsal, refusedCheck } from './rehearsal.js';

const RUNBOOK = 'runbooks/openstack/skip-level-juno-to-mitaka.md';
const T = 120_000;

describeRehearsal('skip-level Juno to Mitaka on the testbed', RUNBOOK, 'juno', (rehearsal) => {
  it(
    'refuses on every planted fault, and completes after the remedies',
    async () => {
      const r = rehearsal();
      const faults = async () => Object.fromEntries(((await r.status()).faults ?? []).map((f) => [f.id, f.present]));
      expect(await faults()).toMatchObject({
        latin1: true,
        'null-compute-host': true,
        'duplicate-hypervisors': true,
        'consoleauth-cache': true,
      });
      const flags = ['--yes', '--accept-warnings'];

      // 1. glance and neutron in latin1: refused, and the offenders are listed.
      const latin1 = await r.run(flags);
      expect(latin1.code, latin1.all).toBe(3);
      expect(refusedCheck(latin1.stdout)).toBe('latin1-tables');
      expect(latin1.stdout).toMatch(/\|\s*glance\s*\|\s*images\s*\|\s*latin1_swedish_ci\s*\|/);
      expect(latin1.stdout).toMatch(/\|\s*neutron\s*\|\s*networks\s*\|/);
      expect(latin1.stdout).toContain('--only fix-charset');

      // The remedy: the conversion step (preview, confirm, dump/iconv/restore), run out of order.
      const convert = await r.run([...flags, '--only', 'fix-charset']);
      expect(convert.code, convert.all).toBe(0);
      expect(convert.stdout).toContain('ok run convert-charset');
      expect(r.sql("SELECT name FROM glance.images WHERE id LIKE '%2'")).toEqual([['Debian 8 (café édition)']]);
      expect(
        r.sql("SELECT default_character_set_name FROM information_schema.schemata WHERE schema_name IN ('glance','neutron')").flat(),
      ).toEqual(['utf8mb3', 'utf8mb3']);

      // 2. The duplicate hypervisor record left by an earlier attempt.
      const duplicates = await r.run(flags);
      expect(duplicates.code, duplicates.all).toBe(3);
      expect(refusedCheck(duplicates.stdout)).toBe('duplicate-hypervisors');
      expect(duplicates.stdout).toMatch(/\|\s*cmp-6\.example\.org\s*\|\s*2\s*\|\s*6,7\s*\|/);
      const dedupe = await r.run([...flags, '--only', 'fix-hypervisors']);
      expect(dedupe.code, dedupe.all).toBe(0);
      expect(r.sql('SELECT id FROM nova.compute_nodes WHERE deleted <> 0').flat()).toEqual(['7']);

      // 3. Two consoleauth services without [cache]: the operator's fix is in nova.conf.
      const consoleauth = await r.run(flags);
      expect(consoleauth.code, consoleauth.all).toBe(3);
      expect(refusedCheck(consoleauth.stdout)).toBe('consoleauth-cache');
      expect(consoleauth.stdout).toContain('ctl-2: [cache] enabled = (not set)');
      for (const [key, value] of [
        ['enabled', 'true'],
        ['backend', 'oslo_cache.memcache_pool'],
        ['memcache_servers', 'ctl-1:11211,ctl-2:11211'],
      ] as const) {
        expect(r.tool('ssh', ['ctl-1', 'sudo', 'crudini', '--set', '/etc/nova/nova.conf', 'cache', key, value]).code).toBe(0);
      }

      // 4. The window runs: backup, Kilo, Liberty, Mitaka with their data migrations, until the
      // gate finds the hypervisor records no Kilo compute ever gave a host.
      const nullHost = await r.run(flags);
      expect(nullHost.code, nullHost.all).toBe(3);
      expect(refusedCheck(nullHost.stdout)).toBe('null-compute-host');
      expect(nullHost.stdout).toMatch(/ok run kilo-flavor-migration .* after \d+ attempts/);
      expect(nullHost.stdout).toMatch(/ok run mitaka-online-data-migrations .* after \d+ attempts/);
      expect(nullHost.stdout).toMatch(/\|\s*5\s*\|\s*cmp-5\.example\.org\s*\|\s*13\s*\|\s*cmp-5\s*\|/);
      expect(r.sql("SELECT version FROM nova.migrate_version WHERE repository_id = 'nova'")).toEqual([['319']]);
      expect(r.sql("SELECT default_character_set_name FROM information_schema.schemata WHERE schema_name = 'nova_api'")).toEqual([
        ['utf8mb3'],
      ]);
      const fillHost = await r.run([...flags, '--only', 'fix-compute-host']);
      expect(fillHost.code, fillHost.all).toBe(0);

      // 5. Mitaka starts; every compute finds its own record: no duplicate comes back.
      const rest = await r.run(flags);
      expect(rest.code, rest.all).toBe(0);
      expect(rest.stdout).toContain('complete');
      expect(await faults()).toMatchObject({
        latin1: false,
        'null-compute-host': false,
        'duplicate-hypervisors': false,
        'consoleauth-cache': false,
        'online-migrations': false,
      });

      // One run all along, and its report lists every check, each one passed or acknowledged.
      const report = await r.report();
      expect(report.status).toBe('complete');
      const reported = new Map(report.steps.flatMap((s) => s.blocks).map((b) => [b.id, b]));
      const checks = checksOf(RUNBOOK);
      expect(checks.length).toBeGreaterThanOrEqual(15);
      for (const check of checks) {
        expect(reported.get(check), check).toMatchObject({ role: 'check' });
        expect(['passed', 'acknowledged'], check).toContain(reported.get(check)?.status);
      }
      expect(reported.get('server-default-charset')?.status).toBe('acknowledged');
    },
    T,
  );

  it(
    'without the runbook, the testbed fails the way the operators saw: Mitaka refuses unmigrated flavors, and a NULL host makes duplicates',
    async () => {
      const r = rehearsal();
      await reset({ dir: r.testbed.dir, at: 'juno' });
      const nova = (release: string, ...args: string[]) => r.tool(`../venvs/${release}/bin/nova-manage`, args);
      expect(nova('liberty', 'db', 'sync').output).toContain('Upgrade one release at a time');
      expect(nova('kilo', 'db', 'sync').code).toBe(0);
      expect(nova('liberty', 'db', 'sync').code).toBe(0);
      // What the flavors-migrated check exists for: Mitaka's migration 291 stops db sync.
      const mitaka = nova('mitaka', 'db', 'sync');
      expect(mitaka.code).toBe(1);
      expect(mitaka.output).toContain('There are still 120 unmigrated flavor records');
      expect(nova('liberty', 'db', 'migrate_flavor_data').output).toContain('120 instances matched query, 120 completed');
      expect(nova('mitaka', 'db', 'sync').code).toBe(0);
      // What the null-compute-host gate exists for: a Mitaka compute does not find its record by host.
      expect(r.tool('ssh', ['cmp-5', 'sudo', 'yum', '-y', 'update']).code).toBe(0);
      expect(r.tool('ssh', ['cmp-5', 'sudo', 'systemctl', 'restart', 'openstack-nova-compute']).code).toBe(0);
      expect(r.sql("SELECT COUNT(*) FROM nova.compute_nodes WHERE deleted = 0 AND hypervisor_hostname = 'cmp-5.example.org'")).toEqual([
        ['2'],
      ]);
    },
    T,
  );
});
