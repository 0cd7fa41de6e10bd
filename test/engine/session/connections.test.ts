/**
 * `connections:` as the session resolves them for sql blocks (docs/runbook-format.md#connections),
 * in-process against a private MariaDB so that a mutation of session.ts is caught here and not only
 * by the e2e tests (which run dist/): the one connection taken when a block names none, a named one,
 * its password from a secret variable, and a socket path relative to the runbook. (A block naming no
 * connection among several, or one not declared, is a lint error: the session never sees it.)
 * Also what an sql block leaves in the run when it ends: its first rows and the count of all, or
 * the rows a statement changed.
 */
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { RunSession } from '../../../src/engine/session.js';
import { describeWithMariaDb } from '../../support/mariadb.js';
import { useSessionFolder } from '../../support/session.js';

let dir = '';
useSessionFolder('wm-conn-session-', (made) => {
  dir = made;
});

function book(connections: string, blocks: string): string {
  return `---
title: Connected
id: connected
vars:
  DB_SOCKET:
    default: db.sock
  DB_PASSWORD:
    secret: true
    env: TEST_DB_PASSWORD
connections:
${connections}
---
# Connected

## Look {#look}

${blocks}`;
}

const sql = (info: string, code: string): string => `\`\`\`sql ${info}\n${code}\n\`\`\`\n\n`;

describeWithMariaDb('sql blocks through a session', (server) => {
  it('takes the one connection declared when a block names none, with a socket relative to the runbook and the password from a secret', async () => {
    await server().query("CREATE USER IF NOT EXISTS 'looker'@'localhost' IDENTIFIED BY 'L00k-pw'");
    // The runbook names its socket relative to its own folder.
    symlinkSync(server().socketPath, join(dir, 'db.sock'));
    const file = join(dir, 'one.md');
    writeFileSync(
      file,
      book(
        '  db:\n    url: mysql://looker@localhost/?socket=${DB_SOCKET}\n    password: ${DB_PASSWORD}',
        sql('name=who', 'SELECT CURRENT_USER() AS who'),
      ),
    );
    const session = await RunSession.open({
      runbookFile: file,
      stateDir: join(dir, 'state'),
      env: { TEST_DB_PASSWORD: 'L00k-pw' },
      operator: 'alice',
    });
    const step = session.runbook.steps[0]!;
    const block = await session.runBlock(step, step.blocks[0]!);
    await session.close();
    expect(block).toMatchObject({ status: 'passed', columns: ['who'], rows: [['looker@localhost']] });
  });

  it('runs a block on the connection it names, among several', async () => {
    await server().query('CREATE DATABASE IF NOT EXISTS glance');
    const file = join(dir, 'two.md');
    const url = (database: string): string => `mysql://root@localhost/${database}?socket=${server().socketPath}`;
    writeFileSync(
      file,
      book(
        `  nova: ${url('mysql')}\n  glance: ${url('glance')}`,
        sql('name=on-glance connection=glance', 'SELECT DATABASE() AS db') + sql('name=on-nova connection=nova', 'SELECT DATABASE() AS db'),
      ),
    );
    const session = await RunSession.open({
      runbookFile: file,
      stateDir: join(dir, 'state'),
      env: { TEST_DB_PASSWORD: 'x' },
      operator: 'alice',
    });
    const step = session.runbook.steps[0]!;
    const [glance, nova] = step.blocks;
    expect(await session.runBlock(step, glance!)).toMatchObject({ status: 'passed', rows: [['glance']] });
    expect(await session.runBlock(step, nova!)).toMatchObject({ status: 'passed', rows: [['mysql']] });
    await session.close();
  });

  it('a result set: its first 50 rows and the count of all; a statement: the rows it changed, 0 included; an error: no figure', async () => {
    await server().query('CREATE DATABASE IF NOT EXISTS figures');
    await server().query('CREATE TABLE IF NOT EXISTS figures.hosts (name VARCHAR(20) PRIMARY KEY, state VARCHAR(10))');
    await server().query("INSERT IGNORE INTO figures.hosts VALUES ('c1','old'),('c2','old'),('c3','old'),('c4','new')");
    const file = join(dir, 'figures.md');
    writeFileSync(
      file,
      book(
        `  db: mysql://root@localhost/figures?socket=${server().socketPath}`,
        sql('name=many', 'SELECT seq AS n, seq * 2 AS twice FROM seq_1_to_60') +
          sql('name=migrate', "UPDATE hosts SET state = 'new' WHERE state = 'old'") +
          sql('name=again', "UPDATE hosts SET state = 'new' WHERE state = 'old'") +
          sql('name=broken', 'SELECT * FROM no_such_table'),
      ),
    );
    const session = await RunSession.open({
      runbookFile: file,
      stateDir: join(dir, 'state'),
      env: { TEST_DB_PASSWORD: 'x' },
      operator: 'alice',
    });
    const step = session.runbook.steps[0]!;
    const [many, migrate, again, broken] = step.blocks;
    const listed = await session.runBlock(step, many!);
    expect(listed).toMatchObject({ status: 'passed', columns: ['n', 'twice'], rowCount: 60 });
    expect(listed.rows).toHaveLength(50);
    expect(listed.rows?.[0]).toEqual(['1', '2']);
    expect(listed.rows?.[49]).toEqual(['50', '100']);
    expect(await session.runBlock(step, migrate!)).toMatchObject({ status: 'passed', rowCount: 3 });
    expect(await session.runBlock(step, again!)).toMatchObject({ status: 'passed', rowCount: 0 });
    const failed = await session.runBlock(step, broken!);
    expect(failed).toMatchObject({ status: 'failed', exitCode: null });
    expect(failed.rowCount).toBeUndefined();
    expect(failed.reason).toMatch(/no_such_table/);
    await session.close();
  });
});
