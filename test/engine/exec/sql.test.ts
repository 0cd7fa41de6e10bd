import { createServer } from 'node:net';
import { expect, it, vi } from 'vitest';
import { createMasker } from '../../../src/engine/exec/mask.js';
import { executeBlock, type BlockContext } from '../../../src/engine/exec/run-block.js';
import { runSql } from '../../../src/engine/exec/sql.js';
import { parseConnectionUrl, type ConnectionTarget } from '../../../src/runbook/connection.js';
import type { Block, BlockAttributes, Role } from '../../../src/runbook/model.js';
import { describeWithMariaDb } from '../../support/mariadb.js';

function sqlBlock(code: string, attrs: Partial<BlockAttributes> = {}, role: Role = 'check'): Block {
  return {
    id: 'db-1',
    explicitId: false,
    line: 1,
    info: `sql ${role}`,
    lang: 'sql',
    executor: 'sql',
    role,
    code,
    attrs: { confirm: false, ...attrs },
    runme: {},
    unclosed: false,
  };
}

describeWithMariaDb('sql blocks against a private MariaDB', (server) => {
  const target = (database = 'nova'): ConnectionTarget => {
    const parsed = parseConnectionUrl(server().url(database));
    if ('error' in parsed) throw new Error(parsed.error);
    return parsed;
  };

  const runningProbes = (probe: string): Promise<unknown[]> =>
    server().query('SELECT id FROM information_schema.processlist WHERE info LIKE ? AND info NOT LIKE ?', [`%${probe}%`, '%processlist%']);

  const setUp = async (): Promise<void> => {
    const db = server();
    await db.query('CREATE DATABASE IF NOT EXISTS nova');
    await db.query('DROP TABLE IF EXISTS nova.compute_nodes');
    await db.query(
      'CREATE TABLE nova.compute_nodes (id BIGINT PRIMARY KEY, host VARCHAR(255) NULL, created DATETIME NULL, blob_col BLOB NULL)',
    );
    await db.query(
      "INSERT INTO nova.compute_nodes VALUES (1, 'cmp-1', '2024-05-01 10:00:00', 'bytes'), (2, NULL, NULL, NULL), (9007199254740993, 'big', NULL, NULL)",
    );
  };

  it('connects through the unix socket and formats values for display', async () => {
    await setUp();
    const result = await runSql({
      target: target(),
      code: 'SELECT id, host, created, blob_col FROM compute_nodes ORDER BY id',
      vars: {},
      timeoutMs: 10_000,
    });
    expect(result.error).toBeUndefined();
    expect(result.columns).toEqual(['id', 'host', 'created', 'blob_col']);
    expect(result.rows).toEqual([
      { id: '1', host: 'cmp-1', created: '2024-05-01 10:00:00', blob_col: 'bytes' },
      { id: '2', host: 'NULL', created: 'NULL', blob_col: 'NULL' },
      { id: '9007199254740993', host: 'big', created: 'NULL', blob_col: 'NULL' },
    ]);
  });

  it('binds variables as named parameters, passing only those the query names', async () => {
    await setUp();
    const result = await runSql({
      target: target(),
      code: 'SELECT id FROM compute_nodes WHERE host = :HOST OR id = :ID ORDER BY id',
      vars: { HOST: 'cmp-1', ID: '2', UNUSED: 'x' },
      timeoutMs: 10_000,
    });
    expect(result.error).toBeUndefined();
    expect(result.rows).toEqual([{ id: '1' }, { id: '2' }]);
  });

  it('treats an injection attempt in a variable as a plain value', async () => {
    await setUp();
    const evil = "'; DROP TABLE compute_nodes; --";
    const result = await runSql({
      target: target(),
      code: 'UPDATE compute_nodes SET host = :HOST WHERE id = 2; SELECT host FROM compute_nodes WHERE id = 2',
      vars: { HOST: evil },
      timeoutMs: 10_000,
    });
    expect(result.error).toBeUndefined();
    expect(result.rows).toEqual([{ host: evil }]);
    const tables = await server().query<{ n: number }>(
      "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = 'nova' AND table_name = 'compute_nodes'",
    );
    expect(Number(tables[0]?.n)).toBe(1);
    const count = await server().query<{ n: number }>('SELECT COUNT(*) AS n FROM nova.compute_nodes');
    expect(Number(count[0]?.n)).toBe(3);
  });

  // Reproduced (issue 16 §7): with `execute` switched to `query` in exec/sql.ts runStatement, mysql2
  // spliced the escaped value into the SQL text. Every other test still passed, since escaping
  // round-trips a value too; the server's prepared-statement counters and NO_BACKSLASH_ESCAPES
  // tell the two apart: the statement was never prepared, and the value's \' ended the string.
  it('binds a variable as a server-side parameter, never splices it escaped into the text', async () => {
    await setUp();
    const counters = async (): Promise<Record<string, number>> => {
      const rows = await server().query<{ Variable_name: string; Value: string }>(
        "SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_stmt_prepare', 'Com_stmt_execute')",
      );
      return Object.fromEntries(rows.map((r) => [r.Variable_name, Number(r.Value)]));
    };
    const value = String.raw`O'Brien \ co`;
    const [mode] = await server().query<{ mode: string }>('SELECT @@GLOBAL.sql_mode AS mode');
    // New connections (runSql opens one) treat a backslash as a plain character, as such servers exist.
    await server().query("SET GLOBAL sql_mode = CONCAT(@@GLOBAL.sql_mode, ',NO_BACKSLASH_ESCAPES')");
    try {
      const before = await counters();
      const result = await runSql({
        target: target(),
        code: 'UPDATE compute_nodes SET host = :HOST WHERE id = 2',
        vars: { HOST: value },
        timeoutMs: 10_000,
      });
      const after = await counters();
      expect(result.error).toBeUndefined();
      expect(result.affectedRows).toBe(1);
      expect((after.Com_stmt_prepare ?? 0) - (before.Com_stmt_prepare ?? 0)).toBe(1);
      expect((after.Com_stmt_execute ?? 0) - (before.Com_stmt_execute ?? 0)).toBe(1);
    } finally {
      await server().query('SET GLOBAL sql_mode = ?', [mode?.mode ?? '']);
    }
    const stored = await server().query<{ host: string }>('SELECT host FROM nova.compute_nodes WHERE id = 2');
    expect(stored).toEqual([{ host: value }]);
  });

  it('names a :NAME that has no variable, without touching the database', async () => {
    const result = await runSql({
      target: target(),
      code: 'DELETE FROM compute_nodes WHERE host = :HOST_NAME',
      vars: {},
      timeoutMs: 10_000,
    });
    expect(result.error).toContain(':HOST_NAME');
  });

  it('runs statements in order and returns the last result set', async () => {
    await setUp();
    const result = await runSql({
      target: target(),
      code: "UPDATE compute_nodes SET host = 'x;y' WHERE id = 1;\nSELECT host FROM compute_nodes WHERE id = 1;\nUPDATE compute_nodes SET host = 'z' WHERE id = 2",
      vars: {},
      timeoutMs: 10_000,
    });
    expect(result.error).toBeUndefined();
    expect(result.rows).toEqual([{ host: 'x;y' }]);
  });

  it('sums affected rows when no statement returns rows', async () => {
    await setUp();
    const result = await runSql({
      target: target(),
      code: "UPDATE compute_nodes SET host = 'a' WHERE id = 1; UPDATE compute_nodes SET host = 'b' WHERE id > 1",
      vars: {},
      timeoutMs: 10_000,
    });
    expect(result).toEqual({ rows: [], columns: [], affectedRows: 3, timedOut: false, canceled: false, durationMs: expect.any(Number) });
  });

  it('returns an SQL error as a message naming the statement, and stops there', async () => {
    await setUp();
    const result = await runSql({
      target: target(),
      code: "SELECT 1;\nSELECT * FROM no_such_table;\nUPDATE compute_nodes SET host = 'never'",
      vars: {},
      timeoutMs: 10_000,
    });
    expect(result.error).toMatch(/^statement 2 \(line 2\): Table 'nova.no_such_table' doesn't exist$/);
    const hosts = await server().query<{ host: string | null }>("SELECT host FROM nova.compute_nodes WHERE host = 'never'");
    expect(hosts).toEqual([]);
  });

  it('returns a connection failure as error, without the password', async () => {
    await server().query("CREATE USER IF NOT EXISTS 'op'@'localhost' IDENTIFIED BY 'right-pw'");
    const result = await runSql({
      target: { ...target(), user: 'op', password: 'Wr0ng-Pa55' },
      code: 'SELECT 1',
      vars: {},
      timeoutMs: 10_000,
    });
    expect(result.error).toMatch(/^cannot connect to op@socket .*: Access denied/);
    expect(result.error).not.toContain('Wr0ng-Pa55');
    const missing = await runSql({
      target: { user: 'root', host: 'localhost', socketPath: '/nonexistent/mysqld.sock' },
      code: 'SELECT 1',
      vars: {},
      timeoutMs: 10_000,
    });
    expect(missing.error).toMatch(/^cannot connect to root@socket \/nonexistent\/mysqld.sock: .*ENOENT/);
  });

  it('times out a long statement and kills it on the server', async () => {
    const result = await runSql({ target: target(), code: 'SELECT SLEEP(20) AS waymark_sleep_probe', vars: {}, timeoutMs: 500 });
    expect(result).toMatchObject({ timedOut: true, canceled: false, error: 'timed out after 500ms' });
    // Killed on the server, not left to sleep out its 20 s there (the wait stays well short of that).
    await vi.waitFor(async () => expect(await runningProbes('waymark_sleep_probe')).toEqual([]), { timeout: 10_000, interval: 50 });
  });

  it('cancels through the AbortSignal', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    const result = await runSql({
      target: target(),
      code: 'SELECT SLEEP(20) AS waymark_cancel_probe',
      vars: {},
      timeoutMs: 60_000,
      signal: controller.signal,
    });
    expect(result).toMatchObject({ canceled: true, timedOut: false });
    await vi.waitFor(async () => expect(await runningProbes('waymark_cancel_probe')).toEqual([]), { timeout: 10_000, interval: 50 });
  });

  it('says so when the block holds no statement, or names each missing variable once, before connecting', async () => {
    const nowhere: ConnectionTarget = { user: 'root', host: 'localhost', socketPath: '/nonexistent/mysqld.sock' };
    const empty = await runSql({ target: nowhere, code: ' ;\n-- only a comment\n; ', vars: {}, timeoutMs: 10_000 });
    expect(empty).toMatchObject({ rows: [], columns: [], timedOut: false, canceled: false, error: 'the block has no SQL statement' });
    const missing = await runSql({ target: nowhere, code: 'SELECT :HOST, :ZONE;\nSELECT :HOST', vars: {}, timeoutMs: 10_000 });
    expect(missing.error).toBe('no variable for :HOST, :ZONE (declare it under vars: in the front matter)');
  });

  it('does not connect at all when the block was canceled before it started', async () => {
    const controller = new AbortController();
    controller.abort();
    // A socket that does not exist: had it tried to connect, the error would say "cannot connect".
    const result = await runSql({
      target: { user: 'root', host: 'localhost', socketPath: '/nonexistent/mysqld.sock' },
      code: 'SELECT 1',
      vars: {},
      timeoutMs: 10_000,
      signal: controller.signal,
    });
    expect(result).toMatchObject({ rows: [], columns: [], canceled: true, timedOut: false, error: 'canceled' });
  });

  it('reports the error of a one-statement block without a statement number', async () => {
    const result = await runSql({ target: target(), code: 'SELECT * FROM no_such_table', vars: {}, timeoutMs: 10_000 });
    expect(result).toMatchObject({
      rows: [],
      columns: [],
      timedOut: false,
      canceled: false,
      error: "Table 'nova.no_such_table' doesn't exist",
    });
  });

  it('shows the last result set of a procedure, and 0 rows changed for a statement that changes none', async () => {
    await setUp();
    await server().query('DROP PROCEDURE IF EXISTS nova.two_sets');
    await server().query(
      'CREATE PROCEDURE nova.two_sets() BEGIN SELECT 1 AS first_set; SELECT id, host FROM nova.compute_nodes WHERE id = 1; END',
    );
    // Created by a block itself, as a runbook would: a procedure whose one statement is its body.
    const created = await runSql({
      target: target(),
      code: 'DROP PROCEDURE IF EXISTS one_set;\nCREATE PROCEDURE one_set() SELECT host FROM nova.compute_nodes WHERE id = 1',
      vars: {},
      timeoutMs: 10_000,
    });
    expect(created.error).toBeUndefined();
    const single = await runSql({ target: target(), code: 'CALL one_set()', vars: {}, timeoutMs: 10_000 });
    expect(single).toMatchObject({ columns: ['host'], rows: [{ host: 'cmp-1' }] });
    const called = await runSql({ target: target(), code: 'CALL two_sets()', vars: {}, timeoutMs: 10_000 });
    expect(called.error).toBeUndefined();
    expect(called.columns).toEqual(['id', 'host']);
    expect(called.rows).toEqual([{ id: '1', host: 'cmp-1' }]);
    const bound = await runSql({
      target: target(),
      code: 'SELECT host FROM compute_nodes WHERE id = :ID; CALL two_sets()',
      vars: { ID: '9007199254740993' },
      timeoutMs: 10_000,
    });
    expect(bound.rows).toEqual([{ id: '1', host: 'cmp-1' }]);
    const none = await runSql({
      target: target(),
      code: 'CREATE TABLE IF NOT EXISTS nova.empty_one (id INT)',
      vars: {},
      timeoutMs: 10_000,
    });
    expect(none).toEqual({ rows: [], columns: [], affectedRows: 0, timedOut: false, canceled: false, durationMs: expect.any(Number) });
  });

  it('names a TCP target as user@host:port/database when it cannot connect', async () => {
    // A port that was free a moment ago: nothing listens there.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const address = probe.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const result = await runSql({
      target: { user: 'op', password: 'pw', host: '127.0.0.1', port, database: 'nova' },
      code: 'SELECT 1',
      vars: {},
      timeoutMs: 10_000,
    });
    expect(result.error).toMatch(new RegExp(`^cannot connect to op@127\\.0\\.0\\.1:${port}/nova: .*ECONNREFUSED`));
    // A listener that hangs up at once: the error then comes from that port, not from a default one.
    let accepted = 0;
    const hangUp = createServer((socket) => {
      accepted += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => hangUp.listen(0, '127.0.0.1', resolve));
    const listening = hangUp.address();
    const hangUpPort = typeof listening === 'object' && listening !== null ? listening.port : 0;
    try {
      const lost = await runSql({
        target: { user: 'op', host: '127.0.0.1', port: hangUpPort },
        code: 'SELECT 1',
        vars: {},
        timeoutMs: 10_000,
      });
      expect(lost.error).toMatch(new RegExp(`^cannot connect to op@127\\.0\\.0\\.1:${hangUpPort}: `));
      expect(lost.error).not.toContain('ECONNREFUSED');
      expect(accepted).toBe(1);
    } finally {
      await new Promise<void>((resolve) => hangUp.close(() => resolve()));
    }
    const noPort = await runSql({ target: { user: 'op', host: 'no-such-host.invalid' }, code: 'SELECT 1', vars: {}, timeoutMs: 10_000 });
    expect(noPort.error).toMatch(/^cannot connect to op@no-such-host\.invalid: /);
  });

  it('logs in with the password, shows only the first line of an error with the password masked, and leaves no connection open', async () => {
    await server().query("CREATE USER IF NOT EXISTS 'closer'@'localhost' IDENTIFIED BY 'S3cret-pw'");
    await server().query("GRANT SELECT ON nova.* TO 'closer'@'localhost'");
    const closer: ConnectionTarget = { ...target(), user: 'closer', password: 'S3cret-pw' };
    const connections = (): Promise<unknown[]> => server().query("SELECT id FROM information_schema.processlist WHERE user = 'closer'");
    const began = performance.now();
    const ok = await runSql({ target: closer, code: 'SELECT 1 AS one', vars: {}, timeoutMs: 10_000 });
    const took = performance.now() - began;
    expect(ok).toMatchObject({ rows: [{ one: '1' }] });
    expect(ok.durationMs).toBeGreaterThanOrEqual(0);
    expect(ok.durationMs).toBeLessThanOrEqual(took);
    // The block's connection is closed once the block is done: nothing of waymark's stays on the server.
    await vi.waitFor(async () => expect(await connections()).toEqual([]), { timeout: 5000, interval: 50 });

    const failed = await runSql({
      target: closer,
      code: "SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'login S3cret-pw refused\nsee the server log'",
      vars: {},
      timeoutMs: 10_000,
    });
    expect(failed.error).toBe('login •••• refused');
    await vi.waitFor(async () => expect(await connections()).toEqual([]), { timeout: 5000, interval: 50 });
  });

  it('cancels a block whose server hangs before it answers the connection', async () => {
    const controller = new AbortController();
    process.kill(server().pid, 'SIGSTOP');
    try {
      setTimeout(() => controller.abort(), 300);
      // Without the cancel the driver would wait 10 s for the handshake, past this test's own limit.
      const result = await runSql({ target: target(), code: 'SELECT 1', vars: {}, timeoutMs: 60_000, signal: controller.signal });
      expect(result).toMatchObject({ canceled: true, timedOut: false, error: 'canceled' });
    } finally {
      process.kill(server().pid, 'SIGCONT');
    }
  });

  it('says the statement may still run on the server when the server cannot be told to stop it', async () => {
    const pending = runSql({ target: target(), code: 'SELECT SLEEP(20) AS waymark_hung_probe', vars: {}, timeoutMs: 1500 });
    await vi.waitFor(async () => expect(await runningProbes('waymark_hung_probe')).toHaveLength(1), { timeout: 5000, interval: 50 });
    // The server stops answering before the time limit: the KILL QUERY cannot get through.
    process.kill(server().pid, 'SIGSTOP');
    let result: Awaited<typeof pending>;
    try {
      result = await pending;
    } finally {
      process.kill(server().pid, 'SIGCONT');
    }
    expect(result.timedOut).toBe(true);
    expect(result.error).toMatch(/^timed out after 1500ms; the statement may still be running on the server \(connection \d+\): .+/);
    const left = (await runningProbes('waymark_hung_probe')) as { id: number }[];
    for (const { id } of left) await server().query(`KILL QUERY ${Number(id)}`);
  }, 20_000);

  it('gates on a check: rows listing offenders fail it, and are shown masked', async () => {
    await setUp();
    const ctx: BlockContext = {
      vars: { SECRET_HOST: 'cmp-1' },
      masker: createMasker(['cmp-1']),
      cwd: process.cwd(),
      shell: 'bash',
      timeoutMs: 10_000,
      resolveConnection: (name) => (name === undefined || name === 'nova' ? target() : { error: `no connection ${name}` }),
    };
    const offenders = await executeBlock(sqlBlock('SELECT id, host FROM compute_nodes WHERE host IS NOT NULL ORDER BY id'), ctx);
    expect(offenders).toMatchObject({ outcome: 'failure', reason: '2 rows returned, expected none' });
    expect(JSON.stringify(offenders)).not.toContain('cmp-1');
    const clean = await executeBlock(sqlBlock('SELECT id FROM compute_nodes WHERE host = :SECRET_HOST AND id > 100'), ctx);
    expect(clean.outcome).toBe('success');
    const value = await executeBlock(sqlBlock('SELECT COUNT(*) FROM compute_nodes', { sqlExpect: { kind: 'value', value: '3' } }), ctx);
    expect(value.outcome).toBe('success');
    const wrongConnection = await executeBlock(sqlBlock('SELECT 1', { connection: 'glance' }), ctx);
    expect(wrongConnection).toMatchObject({ outcome: 'error', reason: 'no connection glance' });
  });
});
