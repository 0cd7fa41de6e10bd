/**
 * `--only TAG` and `--skip-tag TAG` (docs/runbook-format.md#stages---only---skip-tag-and-needs): an invocation works on the selected steps
 * only. Finishing them is not finishing the run: the same run later does the rest.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from '../support/binary.js';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace();
const T = 60_000;

describe('stage selection', () => {
  it(
    '--only runs the tagged steps alone; the run is not complete, and a later run does the rest without repeating them',
    async () => {
      const book = ws().fixture('tagged.md');
      const prechecks = await ws().run(book, ['--only', 'precheck']);
      expect(prechecks.code, prechecks.all).toBe(0);
      expect(ws().lines('counter.txt')).toEqual(['db-check', 'hv-check']);
      const run = ws().currentRun('tagged');
      const status = await ws().status(book);
      expect(status.status).not.toBe('complete');
      expect(status.steps.map((s) => s.status)).toEqual(['passed', 'passed', 'pending', 'pending']);

      const rest = await ws().run(book);
      expect(rest.code, rest.all).toBe(0);
      expect(ws().currentRun('tagged')).toBe(run);
      expect(ws().lines('counter.txt')).toEqual(['db-check', 'hv-check', 'control', 'computes']);
      expect((await ws().status(book)).status).toBe('complete');
    },
    T,
  );

  it(
    '--only with two tags selects steps carrying either',
    async () => {
      const book = ws().fixture('tagged.md');
      const result = await ws().run(book, ['--only', 'db', '--only', 'upgrade']);
      expect(result.code, result.all).toBe(0);
      expect(ws().lines('counter.txt')).toEqual(['db-check', 'control', 'computes']);
    },
    T,
  );

  it(
    '--skip-tag leaves the tagged steps out',
    async () => {
      const book = ws().fixture('tagged.md');
      const result = await ws().run(book, ['--skip-tag', 'compute']);
      expect(result.code, result.all).toBe(0);
      expect(ws().lines('counter.txt')).toEqual(['db-check', 'control']);
      expect((await ws().status(book)).steps.map((s) => s.status)).toEqual(['passed', 'pending', 'passed', 'pending']);
    },
    T,
  );

  it(
    'a tag no step carries is exit 2 (a typo must not select nothing and report success)',
    async () => {
      const book = ws().fixture('tagged.md');
      for (const flag of ['--only', '--skip-tag']) {
        const result = await ws().run(book, [flag, 'prechek']);
        expect(result.code, result.all).toBe(2);
        expect(result.stderr).toContain('prechek');
      }
      expect(ws().lines('counter.txt')).toEqual([]);
    },
    T,
  );

  it(
    'reproduced: --only dataplane ran a later tagged step past a refused untagged gate and exited 0; the gate binds whatever the selection',
    async () => {
      // The remedy step without its fixes= (the old parser refused the attribute): nothing may pass the gate.
      const text = readFileSync(join(FIXTURES, 'gate-then-stage.md'), 'utf8').replace(' fixes=charset', '');
      const book = ws().write('gate-then-stage.md', text);
      const refused = await ws().run(book);
      expect(refused.code, refused.all).toBe(3);

      for (const selection of [
        ['--only', 'dataplane'],
        ['--skip-tag', 'fix-charset'],
      ]) {
        const past = await ws().run(book, selection);
        expect(past.code, past.all).toBe(3);
        // The refusal names the gate and the commands that clear it.
        expect(past.stdout).toContain('refused: check charset-check in step charset (Tables are in utf8) failed');
        expect(past.stdout).toContain('this check holds every later step, whatever --only or --skip-tag selects');
        expect(past.stdout).toContain(`fix the cause and run again (waymark run ${book} --headless)`);
        expect(past.stdout).toContain('this check cannot be overridden');
      }
      // --only fix-charset: a step that does not declare fixes=charset is held too.
      expect((await ws().run(book, ['--only', 'fix-charset'])).code).toBe(3);
      expect(ws().lines('counter.txt')).toEqual([]);
      expect((await ws().status(book)).steps.map((s) => s.status)).toEqual(['refused', 'pending', 'pending']);
    },
    T,
  );

  it(
    'a step that declares fixes= runs while its gate is refused; the gate is re-run before any later step',
    async () => {
      const book = ws().fixture('gate-then-stage.md');
      expect((await ws().run(book)).code).toBe(3);
      const refused = await ws().run(book, ['--only', 'dataplane']);
      expect(refused.stdout).toContain(
        `or run step convert-charset, which fixes it (fixes=charset): waymark run ${book} --headless --only fix-charset`,
      );
      const fix = await ws().run(book, ['--only', 'fix-charset']);
      expect(fix.code, fix.all).toBe(0);
      expect(ws().lines('counter.txt')).toEqual(['convert']);
      expect((await ws().status(book)).steps.map((s) => s.status)).toEqual(['refused', 'passed', 'pending']);

      // The fix is done, yet the gate still fails (the conversion was undone): the refusal no longer
      // offers the fix step, which has had its turn. Reproduced by the attack pass: it still did.
      rmSync(ws().path('converted'));
      const still = await ws().run(book, ['--only', 'dataplane']);
      expect(still.code, still.all).toBe(3);
      expect(still.stdout).not.toContain('or run step convert-charset');
      writeFileSync(ws().path('converted'), '');

      // The fix is done: the next step is held until the gate is re-run, and it is re-run first.
      const data = await ws().run(book, ['--only', 'dataplane']);
      expect(data.code, data.all).toBe(0);
      expect(data.stdout).toMatch(/-> check charset-check[\s\S]*<- ok check charset-check[\s\S]*-> run wipe/);
      expect(ws().lines('counter.txt')).toEqual(['convert', 'charset-check', 'wipe']);
    },
    T,
  );
});
