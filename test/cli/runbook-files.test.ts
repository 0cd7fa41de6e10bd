/**
 * What waymark does with runbook files that are not plain UTF-8 text files: a byte-order mark
 * first, a named pipe, a link to a device. Found by an attack on the quick commands (2026-12-07):
 *
 * - A runbook saved with a byte-order mark (as some Windows editors save) lost its whole front
 *   matter: `---` no longer came first, so `id:`, `vars:` and the rest became the text of a setext
 *   heading. `lint` passed it (exit 0, nothing printed), `plan` named it by its file and showed the
 *   YAML as step attributes, and a run would have used another state folder with the runbook's
 *   variables unset.
 * - A named pipe given as the runbook hung `lint`, `plan` and `status`; one beside a runbook with
 *   an `id:` hung the lint of that runbook too (siblings are read for a shared id), and a link to
 *   /dev/zero there filled the memory until the process was killed.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { waymark } from '../support/binary.js';

const RUNBOOK = [
  '---',
  'id: db-check',
  'title: DB check',
  'vars:',
  '  SCHEMA: { default: nova }',
  '---',
  '# DB check',
  '',
  '## Look {#look}',
  '',
  '```sh name=look',
  'echo "$SCHEMA"',
  '```',
  '',
].join('\n');

/** A hang is killed after this long and fails the test (whose own limit is longer): ample for a loaded runner. */
const HANG = 20_000;
const TEST_LIMIT = 90_000;

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wm-runbook-files-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** `runbook.md` in a folder of its own under the test's folder, with this text. */
function runbookIn(name: string, text: string): string {
  const folder = join(dir, name);
  mkdirSync(folder);
  writeFileSync(join(folder, 'runbook.md'), text);
  return folder;
}

describe('a runbook that starts with a byte-order mark', () => {
  it('reads as the same runbook without it: its front matter is kept', async () => {
    const plain = runbookIn('plain', RUNBOOK);
    const marked = runbookIn('bom', `\ufeff${RUNBOOK}`);
    const env = { XDG_CACHE_HOME: join(dir, 'cache') };
    const expected = await waymark(['plan', 'runbook.md'], { cwd: plain, env });
    const withMark = await waymark(['plan', 'runbook.md'], { cwd: marked, env });
    expect(expected.stdout).toContain('DB check (db-check): 1 steps');
    expect(withMark).toEqual(expected);
    const lint = await waymark(['lint', '--json', 'runbook.md'], { cwd: marked, env });
    expect(lint.code).toBe(0);
    expect(JSON.parse(lint.stdout)).toEqual([]);
  });

  it('keeps its id, which a sibling with the same id is told about', async () => {
    const folder = runbookIn('pair', RUNBOOK);
    writeFileSync(join(folder, 'copy.md'), `\ufeff${RUNBOOK}`);
    const lint = await waymark(['lint', 'runbook.md'], { cwd: folder, env: { XDG_CACHE_HOME: join(dir, 'cache') } });
    expect(lint.code).toBe(2);
    expect(lint.stdout).toBe(
      'runbook.md:2: error: id "db-check" is also the id of copy.md (line 2): runbooks in one folder need distinct ids, since the id names the state folder of their runs',
    );
  });
});

describe('a runbook path that is not a file', () => {
  it(
    'refuses a named pipe as the runbook at once, saying what it is',
    async () => {
      const fifo = join(dir, 'pipe.md');
      execFileSync('mkfifo', [fifo]);
      for (const command of ['lint', 'plan', 'status']) {
        const result = await waymark([command, fifo], { cwd: dir, env: { XDG_CACHE_HOME: join(dir, 'cache') }, timeout: HANG });
        expect(result.code, `${command}: ${result.all}`).toBe(2);
        expect(result.all).toContain('it is a named pipe (FIFO), not a runbook file');
      }
    },
    TEST_LIMIT,
  );

  it(
    'lints a runbook whose folder holds a named pipe and a link to /dev/zero named .md',
    async () => {
      const folder = runbookIn('siblings', RUNBOOK);
      execFileSync('mkfifo', [join(folder, 'pipe.md')]);
      symlinkSync('/dev/zero', join(folder, 'zero.md'));
      const env = { XDG_CACHE_HOME: join(dir, 'cache') };
      const lint = await waymark(['lint', 'runbook.md'], { cwd: folder, env, timeout: HANG });
      expect(lint).toMatchObject({ code: 0, stdout: '', stderr: '' });
      const plan = await waymark(['plan', 'runbook.md'], { cwd: folder, env, timeout: HANG });
      expect(plan.code).toBe(0);
      expect(plan.stdout).toContain('DB check (db-check): 1 steps');
    },
    TEST_LIMIT,
  );
});
