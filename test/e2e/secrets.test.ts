/**
 * Secrets against the real binary: a value a database cuts short in its error message, a secret
 * given in a file instead of on the command line, and the warning when it is given on the command line.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describeWithMariaDb } from '../helpers/mariadb.js';
import { filesUnder, useWorkspace } from './helpers/workspace.js';

const ws = useWorkspace();
const T = 90_000;

/** Every piece of `secret` that is `length` characters long. */
function pieces(secret: string, length: number): string[] {
  return Array.from({ length: secret.length - length + 1 }, (_, i) => secret.slice(i, i + length));
}

describeWithMariaDb('a secret cut short by MariaDB', (server) => {
  it('reproduced: MariaDB kept the first 128 characters of a 164-character bound secret in its error, which reached the screen, audit, checkpoint and log', async () => {
    const db = server();
    await db.query('DROP DATABASE IF EXISTS wm_cut');
    await db.query('CREATE DATABASE wm_cut');
    await db.query('CREATE TABLE wm_cut.pins (n INT NOT NULL) ENGINE=InnoDB');
    // A letter first, so that MariaDB quotes the value in its message (a digit first is merely "truncated").
    const secret = `Kz${randomBytes(81).toString('hex')}`;
    expect(secret).toHaveLength(164);
    const book = ws().write(
      'cut.md',
      [
        '---',
        'title: A secret in a failing statement',
        'id: cut',
        'vars:',
        '  DB_SOCKET: { required: true }',
        '  PIN: { secret: true, required: true, env: WM_TEST_PIN }',
        'connections:',
        '  db: mysql://root@localhost/wm_cut?socket=${DB_SOCKET}',
        '---',
        '# A secret in a failing statement',
        '',
        '## Store the pin {#store}',
        '',
        '```sql name=store-pin',
        'INSERT INTO pins (n) VALUES (:PIN)',
        '```',
        '',
      ].join('\n'),
    );
    const result = await ws().run(book, ['--var', `DB_SOCKET=${db.socketPath}`, '--output'], { WM_TEST_PIN: secret });
    expect(result.code, result.all).toBe(1);
    // The statement really failed on the value: MariaDB's message is there, the value masked.
    expect(result.stdout).toMatch(/Incorrect integer value: '••••/);
    const seen = [result.all, ...filesUnder(ws().state).map((file) => readFileSync(file, 'utf8'))];
    expect(seen.length).toBeGreaterThan(4);
    for (const text of seen) {
      for (const piece of pieces(secret, 8)) expect(text.includes(piece), `a piece of the secret (${piece}) in clear`).toBe(false);
    }
  }, T);
});
