/**
 * Issue 11, "Behaviour that changes", tried with the real binary as a newcomer would: each test
 * names what it reproduced on the old code.
 */
import { describe, expect, it } from 'vitest';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace();
const T = 60_000;

describe("checklist items before a step's first block are preconditions", () => {
  it(
    'reproduced: the block ran with the precondition unticked; now the run waits for it (exit 4) and runs nothing',
    async () => {
      const book = ws().fixture('preconditions.md');
      const result = await ws().run(book);
      expect(result.code, result.all).toBe(4);
      expect(result.stdout).toContain('waiting: step start has a checklist to tick before its first block runs (preconditions):');
      expect(result.stdout).toContain('[ ] The new configuration is deployed to every controller');
      // The item after the block is asked for at the step's end, not now.
      expect(result.stdout).not.toContain('The dashboards are green');
      expect(ws().lines('counter.txt')).toEqual([]);
    },
    T,
  );

  it(
    '--yes ticks them before the block, saying they are preconditions ticked automatically',
    async () => {
      const book = ws().fixture('preconditions.md');
      const result = await ws().run(book, ['--yes']);
      expect(result.code, result.all).toBe(0);
      const lines = result.stdout.split('\n');
      const ticked = lines.findIndex((line) =>
        line.includes('[x] The new configuration is deployed to every controller (precondition, ticked automatically, --yes)'),
      );
      const started = lines.findIndex((line) => line.startsWith('-> run start-services'));
      const after = lines.findIndex((line) => line.includes('[x] The dashboards are green (ticked automatically, --yes)'));
      expect([ticked > -1, started > ticked, after > started], result.stdout).toEqual([true, true, true]);
      expect(ws().lines('counter.txt')).toEqual(['start-services']);
    },
    T,
  );
});

describe('interrupted means a block was interrupted', () => {
  it(
    'reproduced: stopping at a confirmation after a passed block showed `interrupted convert-charset`; now the step and the run wait (exit 4)',
    async () => {
      const book = ws().fixture('convert.md');
      const result = await ws().run(book);
      expect(result.code, result.all).toBe(4);
      expect(result.stdout).toContain('block drop-old needs confirmation');
      const status = await ws().status(book);
      expect(status.status).toBe('waiting');
      expect(status.steps[0]).toMatchObject({ id: 'convert-charset', status: 'waiting' });
      const text = await ws().waymark(['status', book]);
      expect(text.code, text.all).toBe(0);
      expect(text.stdout).not.toContain('interrupted');
      expect(ws().lines('counter.txt')).toEqual(['convert']);
    },
    T,
  );
});

describe('a connection error is not advice to apply a fix', () => {
  it(
    'reproduced: a check that could not run (command not found) printed the runbook\'s "convert them" remedy; now it shows the error and its cause only',
    async () => {
      const book = ws().fixture('check-error.md');
      const result = await ws().run(book);
      expect(result.code, result.all).toBe(3);
      expect(result.stdout).toContain('refused: check charset-check in step charset (Tables are in utf8) could not run: exit 127');
      expect(result.stdout).toContain('waymark-test-no-such-command');
      expect(result.stdout).not.toContain('convert them with the next step');
      expect(result.stdout).not.toContain('the runbook says');
      expect(ws().lines('counter.txt')).toEqual([]);
    },
    T,
  );
});

describe('an unknown tag is refused', () => {
  it.each([['--skip-tag'], ['--only']])(
    '%s nosuchtag: exit 2 naming the tag, nothing run, no run started',
    async (flag) => {
      const book = ws().fixture('preconditions.md');
      const result = await ws().run(book, [flag, 'nosuchtag', '--yes']);
      expect(result.code, result.all).toBe(2);
      expect(result.stderr).toContain(`${flag} nosuchtag: no step of`);
      expect(result.stderr).toContain('tags: window');
      expect(result.stderr).not.toMatch(/\n\s+at /);
      expect(ws().lines('counter.txt')).toEqual([]);
      expect((await ws().status(book)).run).toBeNull();
    },
    T,
  );
});
