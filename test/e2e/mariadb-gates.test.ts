/**
 * Real MariaDB behind real runbooks: SQL checks that refuse until the database is fixed and then
 * let the same run resume, variables that are bound and never spliced (SQL and shell), and
 * secrets that never reach the state directory or the screen.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeWithMariaDb } from '../support/mariadb.js';
import { waitFor } from '../support/wait.js';
import { filesUnder, lockHolderPid, useWorkspace } from '../support/workspace.js';

const ws = useWorkspace();
const T = 90_000;

describeWithMariaDb('SQL gates against a real MariaDB', (server) => {
  const socket = () => ['--var', `DB_SOCKET=${server().socketPath}`];

  it(
    'refuses (exit 3) while glance and neutron have latin1 tables, listing them; after the conversion the same run completes',
    async () => {
      const db = server();
      await db.query('DROP DATABASE IF EXISTS glance');
      await db.query('DROP DATABASE IF EXISTS neutron');
      await db.query('CREATE DATABASE glance CHARACTER SET utf8mb4');
      await db.query('CREATE DATABASE neutron CHARACTER SET utf8mb4');
      await db.query('CREATE TABLE glance.images (id INT PRIMARY KEY, name VARCHAR(255)) CHARACTER SET latin1');
      await db.query('CREATE TABLE glance.image_members (id INT PRIMARY KEY) CHARACTER SET utf8mb4');
      await db.query('CREATE TABLE neutron.networks (id INT PRIMARY KEY, name VARCHAR(255)) CHARACTER SET latin1');
      await db.query('CREATE TABLE neutron.subnets (id INT PRIMARY KEY) CHARACTER SET utf8mb4');
      const book = ws().fixture('latin1.md');

      const refused = await ws().run(book, socket());
      expect(refused.code, refused.all).toBe(3);
      expect(refused.stdout).toContain('refused: check latin1-tables');
      expect(refused.stdout).toMatch(/2 rows returned, expected none/);
      expect(refused.stdout).toMatch(/\|\s*glance\s*\|\s*images\s*\|\s*latin1_swedish_ci\s*\|/);
      expect(refused.stdout).toMatch(/\|\s*neutron\s*\|\s*networks\s*\|\s*latin1_swedish_ci\s*\|/);
      expect(refused.stdout).not.toContain('image_members');
      expect(refused.stdout).not.toContain('subnets');
      expect(refused.stdout).toContain('the runbook says: If it fails, convert each table');
      expect(ws().lines('counter.txt')).toEqual([]);
      const run = ws().currentRun('latin1');
      const status = await ws().status(book);
      expect(status).toMatchObject({ run, status: 'refused' });
      expect(status.steps[0]?.blocks[0]).toMatchObject({ id: 'latin1-tables', role: 'check', status: 'refused' });

      // Fixing one table is not enough.
      await db.query('ALTER TABLE glance.images CONVERT TO CHARACTER SET utf8mb4');
      const stillRefused = await ws().run(book, socket());
      expect(stillRefused.code, stillRefused.all).toBe(3);
      expect(stillRefused.stdout).toMatch(/\|\s*neutron\s*\|\s*networks\s*\|/);
      expect(stillRefused.stdout).not.toMatch(/\|\s*glance\s*\|\s*images\s*\|/);
      expect(ws().lines('counter.txt')).toEqual([]);

      await db.query('ALTER TABLE neutron.networks CONVERT TO CHARACTER SET utf8mb4');
      const resumed = await ws().run(book, socket());
      expect(resumed.code, resumed.all).toBe(0);
      expect(resumed.stdout).toContain(`run ${run}`);
      expect(ws().currentRun('latin1')).toBe(run);
      expect(ws().lines('counter.txt')).toEqual(['upgrade']);
      expect(await ws().status(book)).toMatchObject({ run, status: 'complete' });
      const checkRuns = ws()
        .audit('latin1')
        .filter((r) => r.type === 'block-finished' && r.block === 'latin1-tables');
      expect(checkRuns.map((r) => r.outcome)).toEqual(['failure', 'failure', 'success']);
    },
    T,
  );

  it(
    'refuses (exit 3) while nova has compute_nodes with a NULL host, listing them; after the fix the same run completes',
    async () => {
      const db = server();
      await db.query('DROP DATABASE IF EXISTS nova');
      await db.query('CREATE DATABASE nova CHARACTER SET utf8mb4');
      await db.query(
        'CREATE TABLE nova.compute_nodes (id INT PRIMARY KEY, hypervisor_hostname VARCHAR(255), host VARCHAR(255) NULL, deleted INT NOT NULL DEFAULT 0)',
      );
      await db.query(
        "INSERT INTO nova.compute_nodes VALUES (1, 'cmp-1.example.org', 'cmp-1', 0), (2, 'cmp-7.example.org', NULL, 0), (3, 'cmp-9.example.org', NULL, 0), (4, 'old-1.example.org', NULL, 4)",
      );
      const book = ws().fixture('null-host.md');

      const refused = await ws().run(book, socket());
      expect(refused.code, refused.all).toBe(3);
      expect(refused.stdout).toContain('refused: check null-compute-host');
      expect(refused.stdout).toMatch(/\|\s*2\s*\|\s*cmp-7\.example\.org\s*\|/);
      expect(refused.stdout).toMatch(/\|\s*3\s*\|\s*cmp-9\.example\.org\s*\|/);
      expect(refused.stdout).not.toContain('cmp-1.example.org');
      expect(refused.stdout).not.toContain('old-1.example.org');
      expect(ws().lines('counter.txt')).toEqual([]);
      const run = ws().currentRun('null-host');
      const report = await ws().waymark(['report', book]);
      expect(report.stdout).toContain('cmp-7.example.org');

      await db.query(
        "UPDATE nova.compute_nodes SET host = SUBSTRING_INDEX(hypervisor_hostname, '.', 1) WHERE host IS NULL AND deleted = 0",
      );
      const resumed = await ws().run(book, socket());
      expect(resumed.code, resumed.all).toBe(0);
      expect(ws().currentRun('null-host')).toBe(run);
      expect(ws().lines('counter.txt')).toEqual(['upgrade']);
    },
    T,
  );

  it(
    'SIGTERM during a slow statement: exit 130, the block interrupted, and the statement stopped on the server',
    async () => {
      const db = server();
      const running = async () =>
        (await db.query("SELECT id FROM information_schema.processlist WHERE info LIKE 'SELECT SLEEP(60)%waymark_slow_query_marker%'"))
          .length;
      const book = ws().fixture('slow-query.md');
      const child = ws().spawn(['run', book, '--headless', ...socket()]);
      expect(await waitFor(async () => (await running()) > 0, 20_000), 'the statement reached the server').toBe(true);

      process.kill(await lockHolderPid(ws()), 'SIGTERM');
      const result = await child;
      expect(result.exitCode, String(result.all)).toBe(130);
      // Gone from the server as waymark exits, 60 s before SLEEP(60) would have ended it.
      expect(await running()).toBe(0);
      expect((await ws().status(book)).steps[0]?.blocks[0]).toMatchObject({ id: 'slow-query', status: 'interrupted' });
    },
    T,
  );

  it(
    'binds a variable as a parameter: an injection attempt changes nothing',
    async () => {
      const db = server();
      await db.query('DROP DATABASE IF EXISTS wm_inject');
      await db.query('CREATE DATABASE wm_inject');
      await db.query('CREATE TABLE wm_inject.t (id INT PRIMARY KEY, name VARCHAR(255))');
      await db.query("INSERT INTO wm_inject.t VALUES (1, 'cmp-1'), (2, 'cmp-2'), (3, 'x')");
      await db.query('CREATE TABLE wm_inject.lookups (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255))');
      const evil = "x'; DROP TABLE t; --";
      const book = ws().fixture('injection.md');

      const result = await ws().run(book, [...socket(), '--var', `NAME=${evil}`]);
      // The lookup found no host literally named so (rows:0), and the value was stored as is.
      expect(result.code, result.all).toBe(0);
      expect(
        await db.query("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'wm_inject' AND table_name = 't'"),
      ).toEqual([{ n: 1 }]);
      expect(await db.query('SELECT id, name FROM wm_inject.t ORDER BY id')).toEqual([
        { id: 1, name: 'cmp-1' },
        { id: 2, name: 'cmp-2' },
        { id: 3, name: 'x' },
      ]);
      expect(await db.query('SELECT name FROM wm_inject.lookups')).toEqual([{ name: evil }]);
    },
    T,
  );

  it(
    'masks secrets from --var and from the environment everywhere: state files, logs, audit, stdout',
    async () => {
      const db = server();
      const flagSecret = `flag-${randomBytes(8).toString('hex')}`;
      const envSecret = `envpw-${randomBytes(8).toString('hex')}`;
      await db.query('DROP DATABASE IF EXISTS wm_secrets');
      await db.query('CREATE DATABASE wm_secrets');
      await db.query('CREATE TABLE wm_secrets.vault (name VARCHAR(32) PRIMARY KEY, value VARCHAR(255))');
      await db.query("DROP USER IF EXISTS 'wm_secret'@'localhost'");
      await db.query(`CREATE USER 'wm_secret'@'localhost' IDENTIFIED BY '${envSecret}'`);
      await db.query("GRANT ALL ON wm_secrets.* TO 'wm_secret'@'localhost'");
      const book = ws().fixture('secrets.md');
      const flags = [...socket(), '--var', `FLAG_SECRET=${flagSecret}`];
      const env = { WM_TEST_DB_PASSWORD: envSecret };

      // 1. A shell check that prints both secrets fails: its evidence is shown, masked.
      ws().write('fail-shell-gate', '');
      const shellRefused = await ws().run(book, flags, env);
      expect(shellRefused.code, shellRefused.all).toBe(3);
      expect(shellRefused.stdout).toContain('gate sees •••• and ••••');

      // 2. Then the blocks echo them (streamed with --output), store them, read them back, and an SQL check returns them.
      rmSync(ws().path('fail-shell-gate'));
      const sqlRefused = await ws().run(book, [...flags, '--output'], env);
      expect(sqlRefused.code, sqlRefused.all).toBe(3);
      // --output streams every block's output: masked as it is printed.
      expect(sqlRefused.stdout).toContain('flag secret is ••••');
      expect(sqlRefused.stdout).toContain('env secret is ••••');
      expect(sqlRefused.stdout).toContain('refused: check no-secret-rows');
      expect(sqlRefused.stdout).toMatch(/\|\s*env\s*\|\s*••••\s*\|/);
      expect(sqlRefused.stdout).toMatch(/\|\s*flag\s*\|\s*••••\s*\|/);
      // The secrets really went through: the database holds them.
      expect(await db.query('SELECT name, value FROM wm_secrets.vault ORDER BY name')).toEqual([
        { name: 'env', value: envSecret },
        { name: 'flag', value: flagSecret },
      ]);

      const outputs = [shellRefused, sqlRefused];
      for (const args of [
        ['status', book],
        ['status', book, '--json'],
        ['report', book],
        ['report', book, '--format', 'json'],
        ['report', book, '--format', 'junit'],
        ['audit', book],
      ]) {
        const out = await ws().waymark(args);
        expect(out.code, out.all).toBe(0);
        outputs.push(out);
      }
      for (const out of outputs) {
        expect(out.all).not.toContain(flagSecret);
        expect(out.all).not.toContain(envSecret);
      }

      // Every file under the state directory, whatever it is.
      const files = filesUnder(ws().state);
      expect(files.some((f) => f.endsWith('audit.jsonl'))).toBe(true);
      expect(files.some((f) => f.endsWith('checkpoint.json'))).toBe(true);
      expect(files.filter((f) => f.endsWith('.log')).length).toBeGreaterThanOrEqual(5);
      for (const file of files) {
        const bytes = readFileSync(file);
        expect(bytes.includes(flagSecret), `${file} holds the --var secret`).toBe(false);
        expect(bytes.includes(envSecret), `${file} holds the environment secret`).toBe(false);
      }
      // Masked, not merely absent: the output was logged and checkpointed with •••• in place.
      const runDir = ws().runDir('secrets');
      expect(readFileSync(join(runDir, 'logs', 'echo-secrets.1.log'), 'utf8')).toContain('flag secret is ••••');
      expect(readFileSync(join(runDir, 'logs', 'echo-secrets.1.log'), 'utf8')).toContain('env secret is ••••');
      const checkpoint = readFileSync(join(runDir, 'checkpoint.json'), 'utf8');
      expect(checkpoint).toContain('pw=••••');
      expect(JSON.parse(checkpoint).vars).toMatchObject({ FLAG_SECRET: '••••', ENV_SECRET: '••••' });
    },
    T,
  );
});

describe('shell variables', () => {
  it(
    'a --var value holding $(...) or backquotes is echoed, never executed',
    async () => {
      const marker = join('/tmp', `wm-injected-${randomBytes(8).toString('hex')}`);
      const book = ws().fixture('shell-vars.md');
      const value = `$(touch ${marker})\`touch ${marker}\``;
      const result = await ws().run(book, ['--var', `CMD=${value}`]);
      expect(result.code, result.all).toBe(0);
      expect(existsSync(marker)).toBe(false);
      expect(ws().lines('echoed.txt')).toEqual([value, value]);
      // The audit shows the value the operator gave, as text.
      expect(
        ws()
          .audit('shell-vars')
          .find((r) => r.type === 'run-started')?.vars,
      ).toEqual({ CMD: value });
    },
    T,
  );
});
