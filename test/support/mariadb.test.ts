import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConnectionUrl } from '../../src/runbook/connection.js';
import { describeWithMariaDb, shouldRunMariaDbTests, startMariaDb } from './mariadb.js';

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

describeWithMariaDb('a private MariaDB server', (server) => {
  it('creates a database and a table, inserts rows and reads them back', async () => {
    const db = server();
    await db.query('CREATE DATABASE nova CHARACTER SET utf8mb4');
    await db.query('CREATE TABLE nova.compute_nodes (id INT PRIMARY KEY, host VARCHAR(255) NULL)');
    await db.query('INSERT INTO nova.compute_nodes VALUES (?, ?), (?, ?)', [1, 'cmp-1', 2, null]);

    const rows = await db.query<{ id: number; host: string | null }>('SELECT id, host FROM nova.compute_nodes ORDER BY id');
    expect(rows).toEqual([
      { id: 1, host: 'cmp-1' },
      { id: 2, host: null },
    ]);
  });

  it('binds named parameters, the way runbook SQL blocks pass variables', async () => {
    const rows = await server().query<{ host: string }>('SELECT :host AS host', { host: "cmp-1'; DROP TABLE x; --" });
    expect(rows).toEqual([{ host: "cmp-1'; DROP TABLE x; --" }]);
  });

  it('gives a connection URL that a runbook can use to reach it', () => {
    const db = server();
    expect(parseConnectionUrl(db.url('nova'))).toEqual({
      user: 'root',
      host: 'localhost',
      database: 'nova',
      socketPath: db.socketPath,
    });
  });
});

describe.skipIf(!shouldRunMariaDbTests())('starting and stopping a private MariaDB server', () => {
  it('stop kills the server process and removes its directory', async () => {
    const started = Date.now();
    const db = await startMariaDb();
    console.info(`private MariaDB server ready in ${Date.now() - started} ms`);
    expect(processIsAlive(db.pid)).toBe(true);
    expect(await db.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);

    await db.stop();
    expect(processIsAlive(db.pid)).toBe(false);
    expect(existsSync(db.dataDir)).toBe(false);
    expect(existsSync(db.socketPath)).toBe(false);
    await db.stop();
  }, 60_000);

  it('a server that cannot start is reported with the tail of its error log', async () => {
    await expect(startMariaDb({ serverArgs: ['--no-such-option-for-waymark'] })).rejects.toThrow(
      /mariadbd exited before accepting connections[\s\S]*no-such-option-for-waymark/,
    );
  }, 60_000);
});
