/**
 * Secrets against the real binary: a value a database cuts short in its error message, a secret
 * given in a file instead of on the command line, and the warning when it is given on the command line.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeWithMariaDb } from '../support/mariadb.js';
import { filesUnder, useWorkspace } from '../support/workspace.js';

const ws = useWorkspace();
const T = 90_000;

/** Every piece of `secret` that is `length` characters long. */
function pieces(secret: string, length: number): string[] {
  return Array.from({ length: secret.length - length + 1 }, (_, i) => secret.slice(i, i + length));
}

describeWithMariaDb('a secret cut short by MariaDB', (server) => {
  it(
    'reproduced: MariaDB kept the first 128 characters of a 164-character bound secret in its error, which reached the screen, audit, checkpoint and log',
    async () => {
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
    },
    T,
  );
});

/** A runbook with one secret and one plain variable; its block writes the secret where only the test looks. */
const PW_BOOK = [
  '---',
  'title: A secret from a file',
  'id: pw',
  'vars:',
  '  PW: { secret: true, required: true, env: WM_TEST_PW_UNSET }',
  '  SITE: { default: lab }',
  '---',
  '# A secret from a file',
  '',
  '## Use it {#use}',
  '',
  '```sh name=use-pw',
  'printf %s "$PW" > got-pw.txt',
  'echo "pw is $PW at $SITE"',
  '```',
  '',
].join('\n');

describe('secrets off the command line', () => {
  it(
    '--var-file gives a secret from a file readable only by its owner; the run never sees it on the command line',
    async () => {
      const book = ws().write('pw.md', PW_BOOK);
      const secret = `vf-${randomBytes(12).toString('hex')}`;
      const file = ws().write('secrets.env', `# the database password\n\nPW=${secret}\r\nSITE=prod\n`);
      chmodSync(file, 0o600);
      const result = await ws().run(book, ['--var-file', file, '--output']);
      expect(result.code, result.all).toBe(0);
      expect(readFileSync(ws().path('got-pw.txt'), 'utf8')).toBe(secret);
      expect(result.stdout).toContain('pw is •••• at prod');
      expect(result.all).not.toContain('command line');
      expect(result.all).not.toContain(secret);
    },
    T,
  );

  it(
    'reproduced: a secret could only be given with --var (readable in /proc/PID/cmdline); a var file readable by others is refused (exit 2) naming the chmod',
    async () => {
      const book = ws().write('pw.md', PW_BOOK);
      const file = ws().write('secrets.env', 'PW=not-so-secret-123\n');
      chmodSync(file, 0o644);
      const result = await ws().run(book, ['--var-file', file]);
      expect(result.code, result.all).toBe(2);
      expect(result.stderr).toContain(`--var-file ${file} can be read or written by group or others (mode 0644)`);
      expect(result.stderr).toContain(`chmod 600 ${file}`);
      expect(result.all).not.toContain('not-so-secret-123');
      expect(result.all).not.toMatch(/at .*\.js:\d+/);
      expect(existsSync(ws().path('got-pw.txt'))).toBe(false);
      expect(existsSync(ws().state)).toBe(false);
    },
    T,
  );

  it(
    'names the var file and line of a line that is not NAME=VALUE, or of an undeclared variable',
    async () => {
      const book = ws().write('pw.md', PW_BOOK);
      const file = ws().write('secrets.env', 'PW=fine-secret-1\nNOPE=1\njust-a-value\n');
      chmodSync(file, 0o600);
      const result = await ws().run(book, ['--var-file', file]);
      expect(result.code, result.all).toBe(2);
      expect(result.stderr).toContain(`${file}:3: expected NAME=VALUE`);
      expect(result.stderr).not.toContain('just-a-value');
      // Rewritten in place: the file keeps its mode 0600.
      ws().write('secrets.env', 'PW=fine-secret-1\nNOPE=1\n');
      const undeclared = await ws().run(book, ['--var-file', file]);
      expect(undeclared.code, undeclared.all).toBe(2);
      expect(undeclared.stderr).toContain(`${file}:2: ${book} declares no variable NOPE`);
    },
    T,
  );

  it(
    'warns when a secret is given with --var, naming the safer ways; a plain --var gets no warning',
    async () => {
      const book = ws().write('pw.md', PW_BOOK);
      const result = await ws().run(book, ['--var', 'PW=on-the-command-line', '--var', 'SITE=prod']);
      expect(result.code, result.all).toBe(0);
      expect(result.stdout).toContain('secret PW was given on the command line (--var), where any user of this machine can read it');
      expect(result.stdout).toMatch(
        /in the environment \(WM_TEST_PW_UNSET\), in a --var-file readable only by you \(chmod 600\), or type it at the TUI's prompt/,
      );
      expect(result.stdout).not.toMatch(/SITE was given/);
    },
    T,
  );
});
