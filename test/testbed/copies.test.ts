/**
 * Rehearsing on a copy: `npm run testbed -- load DUMP`, `snapshot NAME` and `restore NAME`, through
 * the command an operator types. Testbed A (faults planted) dumps itself; a fresh testbed B loads
 * that dump: the charsets, the bytes of latin1 values, triggers and events come through, and so do
 * the planted faults, which the skip-level runbook refuses again by name. A snapshot taken, the
 * testbed changed, the snapshot restored: the change is gone. Bad input is refused with a message
 * and exit 1, before anything is dropped.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { down, paths, status, up } from '../../testbed/testbed.mjs';
import { shouldRunMariaDbTests } from '../support/mariadb.js';
import { ROOT, waymark } from '../support/binary.js';
import { shortTempDir } from '../support/workspace.js';
import { refusedCheck } from '../runbooks/rehearsal.js';

const T = 180_000;
const SKIP_LEVEL = 'runbooks/openstack/skip-level-juno-to-mitaka.md';

/** `npm run testbed -- ARGS --dir DIR`. */
function testbed(dir: string, ...args: string[]): { code: number; stdout: string; stderr: string } {
  const done = spawnSync(process.execPath, [join(ROOT, 'testbed/testbed.mjs'), ...args, '--dir', dir], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: done.status ?? -1, stdout: done.stdout, stderr: done.stderr };
}

/** Rows of one statement as root on the testbed in `dir`. */
function sql(dir: string, statement: string): string[][] {
  const done = spawnSync(
    'mariadb',
    ['--no-defaults', `--socket=${paths(dir).socket}`, '--user=root', '--batch', '--skip-column-names', '--raw'],
    { input: statement, encoding: 'utf8' },
  );
  if (done.status !== 0) throw new Error(`SQL failed: ${done.stderr}`);
  return done.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t'));
}

/** What must survive a round trip, byte for byte. */
function fingerprint(dir: string): Record<string, unknown> {
  return {
    names: sql(dir, 'SELECT id, HEX(name) FROM glance.images ORDER BY id'),
    values: sql(dir, 'SELECT name, HEX(value) FROM glance.image_properties ORDER BY id'),
    schemas: sql(
      dir,
      "SELECT schema_name, default_character_set_name, default_collation_name FROM information_schema.schemata WHERE schema_name NOT IN ('mysql','information_schema','performance_schema','sys') ORDER BY 1",
    ),
    tables: sql(
      dir,
      "SELECT table_schema, table_name, table_collation FROM information_schema.tables WHERE table_schema IN ('nova','glance','neutron','cinder') ORDER BY 1, 2",
    ),
    triggers: sql(dir, 'SELECT trigger_schema, trigger_name FROM information_schema.triggers ORDER BY 1, 2'),
    events: sql(dir, 'SELECT event_schema, event_name, status FROM information_schema.events ORDER BY 1, 2'),
    hosts: sql(dir, 'SELECT host, `release` FROM testbed.hosts ORDER BY host'),
  };
}

const presentFaults = async (dir: string) =>
  ((await status({ dir })).faults ?? [])
    .filter((f) => f.present)
    .map((f) => f.id)
    .sort();
const noStack = (text: string) => expect(text).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);

describe.skipIf(!shouldRunMariaDbTests())('testbed load, snapshot and restore', () => {
  let a = '';
  let b = '';
  let scratch = '';
  beforeAll(async () => {
    a = shortTempDir('wm-ta-');
    b = shortTempDir('wm-tb-');
    scratch = mkdtempSync(join(tmpdir(), 'wm-tc-'));
    await up({ dir: a, at: 'juno', watch: process.pid });
    await up({ dir: b, at: 'juno', watch: process.pid });
  }, T);
  afterAll(async () => {
    for (const dir of [a, b]) {
      if (!dir) continue;
      await down({ dir });
      rmSync(dir, { recursive: true, force: true });
    }
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  }, 60_000);

  it(
    'a dump testbed A makes of itself, loaded into a fresh testbed B: charsets, latin1 bytes, triggers, events and faults survive, and the skip-level runbook is refused on them again',
    async () => {
      // A latin1 value with bytes no ASCII or UTF-8 round trip keeps by accident, and a trigger.
      sql(
        a,
        "INSERT INTO glance.image_properties (image_id, name, value, created_at) VALUES ('0b4c1f6e-7f59-4b1c-9a53-000000000005', 'raw', UNHEX('808D8F909DA0E9FF'), NOW())",
      );
      sql(a, 'CREATE TRIGGER glance.images_name_kept BEFORE UPDATE ON glance.images FOR EACH ROW SET NEW.updated_at = UTC_TIMESTAMP()');
      const before = fingerprint(a);
      const faultsA = await presentFaults(a);
      expect(faultsA).toEqual([
        'consoleauth-cache',
        'duplicate-hypervisors',
        'heat-engine-stray',
        'heat-files-differ',
        'heat-trigger-missing',
        'ironic-conductor-versions',
        'ironic-nodes-in-flight',
        'ironic-online-migrations',
        'latin1',
        'null-compute-host',
        'online-migrations',
        'orphaned-service',
      ]);
      // The accented glance name, stored as latin1 bytes.
      const cafe = Buffer.from('Debian 8 (café édition)', 'latin1').toString('hex').toUpperCase();
      expect(before.names).toContainEqual(['0b4c1f6e-7f59-4b1c-9a53-000000000002', cafe]);

      const taken = testbed(a, 'snapshot', 'rehearsal-0');
      expect(taken.code, taken.stderr).toBe(0);
      const dump = join(a, 'snapshots', 'rehearsal-0.sql.gz');
      expect(taken.stdout).toContain('snapshot rehearsal-0: cinder, glance, heat, ironic, neutron, nova, testbed');

      const loaded = testbed(b, 'load', dump);
      expect(loaded.code, loaded.stderr).toBe(0);
      expect(loaded.stdout).toContain('testbed: loaded cinder, glance, heat, ironic, neutron, nova, testbed from');
      expect(loaded.stdout).toContain("the dump holds a testbed's bookkeeping (a juno slice)");

      expect(fingerprint(b)).toEqual(before);
      expect(sql(b, "SELECT HEX(value) FROM glance.image_properties WHERE name = 'raw'")).toEqual([['808D8F909DA0E9FF']]);
      expect(await presentFaults(b)).toEqual(faultsA);
      const shown = testbed(b, 'status');
      expect(shown.stdout).toMatch(/the databases were loaded from .*rehearsal-0\.sql\.gz at \d{4}-/);

      // The faults are refused again, by name, on the copy.
      const state = join(scratch, 'state');
      const run = (...flags: string[]) =>
        waymark(
          [
            'run',
            SKIP_LEVEL,
            '--headless',
            '--profile',
            'testbed',
            '--yes',
            '--accept-warnings',
            '--state-dir',
            state,
            '--var',
            `DB_SOCKET=${paths(b).socket}`,
            '--var',
            `DB_CLIENT_CNF=${paths(b).clientCnf}`,
            '--var',
            `BACKUP_DIR=${paths(b).backups}`,
            ...flags,
          ],
          { env: { WAYMARK_TESTBED_DIR: paths(b).dir } },
        );
      const latin1 = await run();
      expect(latin1.code, latin1.all).toBe(3);
      expect(refusedCheck(latin1.stdout)).toBe('latin1-tables');
      expect(latin1.stdout).toMatch(/\|\s*glance\s*\|\s*images\s*\|\s*latin1_swedish_ci\s*\|/);
      expect((await run('--only', 'fix-charset')).code).toBe(0);
      const duplicates = await run();
      expect(duplicates.code, duplicates.all).toBe(3);
      expect(refusedCheck(duplicates.stdout)).toBe('duplicate-hypervisors');
      expect(duplicates.stdout).toMatch(/\|\s*cmp-6\.example\.org\s*\|\s*2\s*\|\s*6,7\s*\|/);
    },
    T,
  );

  it(
    'snapshot, change, restore: the databases and the configuration are back as they were, and a database made since is gone',
    async () => {
      const before = fingerprint(a);
      const taken = testbed(a, 'snapshot', 'before-window');
      expect(taken.code, taken.stderr).toBe(0);

      sql(a, "UPDATE nova.compute_nodes SET host = 'cmp-5' WHERE id = 5");
      sql(a, "UPDATE glance.images SET name = 'renamed' WHERE id LIKE '%2'");
      sql(a, 'CREATE DATABASE made_since');
      sql(a, 'DROP EVENT testbed.heartbeat');
      const ssh = spawnSync(
        join(ROOT, 'testbed/bin/ssh'),
        ['ctl-1', 'sudo', 'crudini', '--set', '/etc/nova/nova.conf', 'cache', 'enabled', 'true'],
        {
          encoding: 'utf8',
          env: { ...process.env, WAYMARK_TESTBED_DIR: paths(a).dir },
        },
      );
      expect(ssh.status, ssh.stderr).toBe(0);
      expect(await presentFaults(a)).not.toContain('consoleauth-cache');

      const restored = testbed(a, 'restore', 'before-window');
      expect(restored.code, restored.stderr).toBe(0);
      expect(restored.stdout).toContain('restored snapshot before-window');
      expect(fingerprint(a)).toEqual(before);
      expect(sql(a, "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = 'made_since'")).toEqual([['0']]);
      expect(readFileSync(paths(a).novaConf, 'utf8')).not.toMatch(/^\[cache\]/m);
      expect(await presentFaults(a)).toContain('consoleauth-cache');
      expect(await presentFaults(a)).toContain('null-compute-host');

      const shown = testbed(a, 'status');
      expect(shown.code).toBe(0);
      expect(shown.stdout).toMatch(/snapshot rehearsal-0, taken .*: cinder, glance, heat, ironic, neutron, nova, testbed/);
      expect(shown.stdout).toMatch(/snapshot before-window, taken /);
      expect((await status({ dir: a })).snapshots.map((s) => s.name)).toEqual(['rehearsal-0', 'before-window']);
    },
    T,
  );

  it(
    'a dump of production (no testbed bookkeeping, the mysql schema in it) loads without touching the accounts, and up keeps it',
    async () => {
      const production = join(scratch, 'production.sql');
      const dumped = spawnSync(
        'mariadb-dump',
        [
          '--no-defaults',
          `--socket=${paths(a).socket}`,
          '--user=root',
          '--routines',
          '--events',
          '--databases',
          'mysql',
          'nova',
          'glance',
          '--result-file',
          production,
        ],
        { encoding: 'utf8' },
      );
      expect(dumped.status, dumped.stderr).toBe(0);

      const loaded = testbed(b, 'load', production);
      expect(loaded.code, loaded.stderr).toBe(0);
      expect(loaded.stdout).toContain('testbed: loaded nova, glance from');
      expect(loaded.stdout).toContain("left out the server's own mysql");
      expect(loaded.stdout).toContain('no testbed bookkeeping in it');
      // Root still gets in; the service accounts are the testbed's.
      expect(sql(b, "SELECT COUNT(*) FROM mysql.global_priv WHERE User = 'nova'")).toEqual([['1']]);
      expect(
        sql(
          b,
          "SELECT schema_name FROM information_schema.schemata WHERE schema_name IN ('nova','glance','cinder','testbed') ORDER BY 1",
        ).flat(),
      ).toEqual(['glance', 'nova']);

      const st = await status({ dir: b });
      expect(st.at).toBeNull();
      expect(st.origin).toMatchObject({ kind: 'load', file: production, databases: ['nova', 'glance'] });
      expect(st.faults).toBeNull();
      expect(st.faultsNote).toContain('cinder');
      expect(testbed(b, 'status').stdout).toContain('planted faults not evaluated on this copy');

      // The per-release tools act on the copy's databases; the stand-ins for hosts know none there.
      const tool = (path: string, ...args: string[]) =>
        spawnSync(join(ROOT, path), args, { encoding: 'utf8', env: { ...process.env, WAYMARK_TESTBED_DIR: paths(b).dir } });
      const version = tool('testbed/venvs/kilo/bin/nova-manage', 'db', 'version');
      expect(version.status, version.stderr).toBe(0);
      expect(version.stdout.trim()).toBe('254');
      const ssh = tool('testbed/bin/ssh', 'ctl-1', 'sudo', 'systemctl', 'restart', 'openstack-nova-api');
      expect(ssh.status).toBe(255);
      expect(ssh.stderr).toContain('the testbed holds no testbed.hosts');

      // up finds a loaded copy and leaves it alone (it used to reseed a server without the slice).
      expect(await up({ dir: b })).toMatchObject({ started: false, loaded: false, at: null });
      expect(sql(b, "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = 'testbed'")).toEqual([['0']]);
    },
    T,
  );

  it(
    'refuses, exit 1 and a message, before anything is dropped: no such file, not a dump, a dump without database names, a bad or unknown snapshot name, a stopped testbed',
    async () => {
      const schemas = () => sql(a, 'SELECT schema_name FROM information_schema.schemata ORDER BY 1');
      const held = schemas();
      const refused = (result: { code: number; stdout: string; stderr: string }, message: string) => {
        expect(result.code, result.stdout + result.stderr).toBe(1);
        expect(result.stderr).toContain(message);
        noStack(result.stderr);
      };

      refused(testbed(a, 'load', join(scratch, 'missing.sql')), 'missing.sql: no such file');
      writeFileSync(join(scratch, 'notes.txt'), 'rehearsal notes\nnothing to load\n');
      refused(testbed(a, 'load', join(scratch, 'notes.txt')), 'notes.txt is not a mysqldump file');
      writeFileSync(join(scratch, 'image.sql.gz'), gzipSync(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 1, 2])));
      refused(testbed(a, 'load', join(scratch, 'image.sql.gz')), 'image.sql.gz is not a mysqldump file');
      writeFileSync(join(scratch, 'broken.sql.gz'), Buffer.from([0x1f, 0x8b, 1, 2, 3]));
      refused(testbed(a, 'load', join(scratch, 'broken.sql.gz')), 'broken.sql.gz: not a readable gzip file');
      const oneDb = join(scratch, 'glance-only.sql');
      expect(
        spawnSync('mariadb-dump', ['--no-defaults', `--socket=${paths(a).socket}`, '--user=root', 'glance', '--result-file', oneDb]).status,
      ).toBe(0);
      refused(testbed(a, 'load', oneDb), 'creates tables without naming their database');
      refused(testbed(a, 'load'), 'load needs a dump');
      refused(testbed(a, 'snapshot', '../elsewhere'), 'no path separators');
      refused(testbed(a, 'snapshot', 'before-window'), 'snapshot before-window exists already');
      refused(testbed(a, 'restore', 'never-taken'), 'no snapshot never-taken');
      expect(testbed(a, 'restore', 'never-taken').stderr).toContain('there are: rehearsal-0, before-window');
      writeFileSync(join(a, 'snapshots', 'torn.json'), '{"name": "torn", "takenAt"');
      writeFileSync(join(a, 'snapshots', 'torn.sql.gz'), gzipSync(''));
      refused(testbed(a, 'restore', 'torn'), 'torn.json is not readable JSON');
      rmSync(join(a, 'snapshots', 'torn.json'));
      rmSync(join(a, 'snapshots', 'torn.sql.gz'));
      expect(schemas()).toEqual(held);

      const stopped = mkdtempSync(join(tmpdir(), 'wm-td-'));
      try {
        refused(testbed(stopped, 'load', join(a, 'snapshots', 'rehearsal-0.sql.gz')), 'the testbed in');
        expect(testbed(stopped, 'load', join(a, 'snapshots', 'rehearsal-0.sql.gz')).stderr).toContain(
          'is not running; start it with: npm run testbed -- up --dir',
        );
        refused(testbed(stopped, 'snapshot', 'x'), 'is not running');
        expect(existsSync(join(stopped, 'snapshots', 'x.sql.gz'))).toBe(false);
      } finally {
        rmSync(stopped, { recursive: true, force: true });
      }
    },
    T,
  );
});
