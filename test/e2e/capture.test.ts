/**
 * `capture=` against the real binary and a real MariaDB (docs/capture.md): a headless run
 * captures an sql count, its rows and a shell value; a later shell block gets them as $NAME and
 * a later sql block as bound :NAME (a captured value with quotes in it matches nothing, it is
 * never spliced); the run is killed mid-block and resumed, and the captured values are still
 * what later blocks get, though the database changed since. A capture from output that held a
 * secret is itself secret: masked on screen, in the checkpoint, the trail and status, and
 * captured again when a resumed run still needs it.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeWithMariaDb } from '../support/mariadb.js';
import { waymark } from '../support/binary.js';
import { waitFor } from '../support/wait.js';
import { filesUnder, useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-cap-');
const T = 90_000;

const BOOK = [
  '---',
  'title: Captured values',
  'id: capture',
  'vars:',
  '  DB_SOCKET: { required: true }',
  'connections:',
  '  nova: mysql://root@localhost/capture_nova?socket=${DB_SOCKET}',
  '---',
  '# Captured values',
  '',
  '## Count the migrations left {#count}',
  '',
  '```sql name=count-left capture=LEFT',
  'SELECT COUNT(*) FROM migrations WHERE done = 0',
  '```',
  '',
  '```sql name=left-rows capture=LEFT_ROWS:rows',
  'SELECT name FROM migrations WHERE done = 0 ORDER BY name',
  '```',
  '',
  '```sh name=cell capture=CELL',
  "printf \"  cell' OR '1'='1  \\n\\n\"",
  '```',
  '',
  '## Use them {#use}',
  '',
  '${LEFT} migrations are left.',
  '',
  '```sh name=use-shell',
  'printf "left=%s cell=[%s] rows=%s\\n" "$LEFT" "$CELL" "$LEFT_ROWS" >> used.txt',
  '```',
  '',
  '```sql check name=bound-count expect=value:2',
  'SELECT :LEFT',
  '```',
  '',
  '```sql check name=bound-not-spliced expect=value:0',
  'SELECT COUNT(*) FROM migrations WHERE name = :CELL',
  '```',
  '',
  '## Wait for the operator {#wait}',
  '',
  '```sh name=wait',
  'touch waiting',
  'while [ ! -e go ]; do sleep 0.1; done',
  '```',
  '',
  '## After the resume {#after}',
  '',
  '```sh name=after-shell',
  'printf "after=%s\\n" "$LEFT" >> used.txt',
  '```',
  '',
  '```sql check name=after-sql expect=value:2',
  'SELECT :LEFT',
  '```',
  '',
].join('\n');

describeWithMariaDb('capture= against a real MariaDB', (server) => {
  it(
    'captures, gives the values to later shell ($NAME) and sql (:NAME, bound) blocks, and keeps them across a kill and a resume',
    async () => {
      const db = server();
      await db.query('DROP DATABASE IF EXISTS capture_nova');
      await db.query('CREATE DATABASE capture_nova');
      await db.query('CREATE TABLE capture_nova.migrations (name VARCHAR(64) PRIMARY KEY, done INT NOT NULL)');
      await db.query(
        "INSERT INTO capture_nova.migrations VALUES ('fill_virtual_interface_list', 0), ('populate_uuids', 0), ('migrate_quota', 1)",
      );
      const book = ws().write('capture.md', BOOK);
      const socket = ['--var', `DB_SOCKET=${db.socketPath}`];

      const lint = await waymark(['lint', book]);
      expect(lint.code, lint.all).toBe(0);

      const first = ws().spawn(['run', book, '--headless', ...socket]);
      const waiting = await waitFor(() => existsSync(ws().path('waiting')), 30_000);
      expect(waiting, 'the wait block started').toBe(true);
      // Killed outright in the middle of a block: nothing of the session survives but what is on disk.
      first.kill('SIGKILL');
      const killed = await first;
      expect(killed.all).toContain('captured LEFT=2');
      expect(killed.all).toContain('captured LEFT_ROWS=[{"name":"fill_virtual_interface_list"},{"name":"populate_uuids"}]');
      expect(killed.all).toContain("captured CELL=cell' OR '1'='1");
      expect(killed.all).toMatch(/<- ok check bound-count/);
      expect(killed.all).toMatch(/<- ok check bound-not-spliced/);
      expect(ws().lines('used.txt')).toEqual([
        `left=2 cell=[cell' OR '1'='1] rows=[{"name":"fill_virtual_interface_list"},{"name":"populate_uuids"}]`,
      ]);

      const status = await ws().status(book);
      expect(status.status).toBe('interrupted');
      expect((status as unknown as { captures: Record<string, unknown> }).captures).toMatchObject({
        LEFT: { value: '2', secret: false, step: 'count', block: 'count-left' },
        CELL: { value: "cell' OR '1'='1", secret: false, step: 'count', block: 'cell' },
      });

      // Even a checkpoint lost with its journal keeps them: `waymark repair` rebuilds them from the trail.
      const dir = ws().runDir('capture');
      unlinkSync(join(dir, 'checkpoint.json'));
      unlinkSync(join(dir, 'checkpoint.journal'));
      const repair = await ws().waymark(['repair', book]);
      expect(repair.code, repair.all).toBe(0);
      expect(ws().checkpoint('capture')).toMatchObject({
        captures: { LEFT: { value: '2', secret: false }, CELL: { value: "cell' OR '1'='1" } },
      });

      // The database moves on; the run keeps the value it captured.
      await db.query('UPDATE capture_nova.migrations SET done = 1');
      writeFileSync(ws().path('go'), '');
      const resumed = await ws().run(book, [...socket, '--rerun-interrupted']);
      expect(resumed.code, resumed.all).toBe(0);
      expect(resumed.all).toMatch(/<- ok check after-sql/);
      expect(resumed.all).not.toMatch(/<- \S+ \S+ count-left/);
      expect(ws().lines('used.txt').at(-1)).toBe('after=2');

      const captured = ws()
        .audit('capture')
        .filter((r) => r.type === 'block-finished' && r.capture !== undefined)
        .map((r) => r.capture);
      expect(captured).toEqual([
        { name: 'LEFT', value: '2', secret: false },
        { name: 'LEFT_ROWS', value: '[{"name":"fill_virtual_interface_list"},{"name":"populate_uuids"}]', secret: false },
        { name: 'CELL', value: "cell' OR '1'='1", secret: false },
      ]);
      const report = await ws().waymark(['report', book]);
      expect(report.code, report.all).toBe(0);
      expect(report.stdout).toContain('- Captured: LEFT=2 (block count-left)');
    },
    T,
  );
});

describe('a secret capture', () => {
  const SECRET_BOOK = [
    '---',
    'title: Secret capture',
    'id: secret-capture',
    'vars:',
    '  PW: { secret: true, required: true, env: WM_TEST_CAP_PW }',
    '---',
    '# Secret capture',
    '',
    '## Make a token {#token}',
    '',
    '```sh name=make-token capture=TOKEN',
    'echo "token-$PW-$(cat salt)"',
    '```',
    '',
    '## Use it {#use}',
    '',
    '```sh name=use-token',
    'printf "%s\\n" "$TOKEN" >> tokens.txt',
    'echo "using $TOKEN"',
    'touch waiting',
    'while [ ! -e go ]; do sleep 0.1; done',
    '```',
    '',
    '## Use it again {#again}',
    '',
    '```sh name=use-again',
    'printf "%s\\n" "$TOKEN" >> tokens.txt',
    '```',
    '',
  ].join('\n');

  it(
    'is masked everywhere, never stored in clear, and captured again when a resumed run still needs it',
    async () => {
      const secret = `pw-${randomBytes(8).toString('hex')}`;
      const env = { WM_TEST_CAP_PW: secret };
      ws().write('salt', 'salt-1\n');
      const book = ws().write('secret.md', SECRET_BOOK);
      const token = `token-${secret}-salt-1`;

      const first = ws().spawn(['run', book, '--headless', '--output'], env);
      expect(await waitFor(() => existsSync(ws().path('waiting')), 30_000)).toBe(true);
      first.kill('SIGKILL');
      const killed = await first;
      expect(killed.all).toContain('captured TOKEN=••••');
      expect(killed.all).toContain('using ••••');
      expect(killed.all).not.toContain(token);
      expect(ws().lines('tokens.txt')).toEqual([token]);
      // The capturing block's own output shows what was not secret in it (its secret part masked);
      // the captured value as a whole is nowhere, and is masked wherever a later block prints it.
      for (const file of filesUnder(ws().state)) {
        const text = readFileSync(file, 'utf8');
        expect(text, file).not.toContain(secret);
        expect(text, file).not.toContain(token);
      }
      const status = await ws().status(book);
      expect((status as unknown as { captures: Record<string, unknown> }).captures).toMatchObject({
        TOKEN: { value: '••••', secret: true },
      });

      // A new session has no secret capture: the block that made it runs again before the token is used.
      ws().write('salt', 'salt-2\n');
      writeFileSync(ws().path('go'), '');
      const resumed = await ws().run(book, ['--rerun-interrupted'], env);
      expect(resumed.code, resumed.all).toBe(0);
      expect(resumed.all).toContain('secret capture TOKEN of block make-token is not kept between sessions');
      expect(resumed.all).toMatch(/-> run make-token \(shell\), execution 2/);
      expect(ws().lines('tokens.txt')).toEqual([token, `token-${secret}-salt-2`, `token-${secret}-salt-2`]);
      expect(
        ws()
          .audit('secret-capture')
          .some((r) => r.type === 'capture-lost' && r.name === 'TOKEN'),
      ).toBe(true);
      for (const file of filesUnder(ws().state)) expect(readFileSync(file, 'utf8'), file).not.toContain(`token-${secret}-salt-2`);
    },
    T,
  );
});
