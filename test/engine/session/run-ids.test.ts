/**
 * A new run never lands on another run's records. Reproduced before the fix (a CI-like run of the
 * session tests failed with it): a run id is the second plus a 16-bit random suffix, and a second
 * run of the same runbook started in the same second drew the suffix of the first, so it stopped
 * with "state file …/checkpoint.json already exists: a new run cannot start on another run's
 * records". Here the clock is held and the suffix repeats once, every time; a preflight, which
 * appended to the earlier preflight's audit trail in that case, draws again too.
 * Preflights take no lock, so several may start at once: each checked that its folder did not
 * exist, then made it, and the checks could all come before the first was made (reproduced: four
 * preflights at once all wrote to one folder, whose trail held four preflight-started records).
 * A preflight now claims its folder by making it.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runPreflight } from '../../../src/engine/preflight.js';
import { loadRunbook } from '../../../src/runbook/load.js';
import { useSessionFolder } from '../../support/session.js';

/** The suffixes the next two-byte draws give (then real ones), as randomBytes(2) would. */
const suffixes = vi.hoisted(() => ({ queue: [] as number[][] }));

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  const randomBytes = ((size: number, ...rest: unknown[]) => {
    const next = size === 2 && rest.length === 0 ? suffixes.queue.shift() : undefined;
    return next ? Buffer.from(next) : (real.randomBytes as (...args: unknown[]) => Buffer)(size, ...rest);
  }) as typeof real.randomBytes;
  return { ...real, randomBytes, default: { ...real, randomBytes } };
});

let dir = '';
const { runbook, open } = useSessionFolder('wm-run-ids-', (made) => {
  dir = made;
});

beforeEach(() => {
  // One second for every run of the test: only the suffix can tell them apart.
  vi.useFakeTimers({ toFake: ['Date'], now: new Date('2026-12-06T21:43:44.100Z') });
});
afterEach(() => {
  vi.useRealTimers();
  suffixes.queue = [];
});

const BOOK = '---\nid: ids\n---\n# Ids\n\n## One {#one}\n\n```sh name=one\necho one >> ran.txt\n```\n';

/** The preflight folders of the runbook, each with how many preflight-started records its trail holds. */
function preflightTrails(): Record<string, number> {
  const preflights = join(dir, 'state', 'ids', 'preflights');
  return Object.fromEntries(
    readdirSync(preflights).map((id) => [
      id,
      readFileSync(join(preflights, id, 'audit.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .filter((line) => JSON.parse(line).type === 'preflight-started').length,
    ]),
  );
}

describe('run ids', () => {
  it('a new run started in the same second as the last, drawing the same suffix, gets a fresh id and its own records', async () => {
    suffixes.queue = [
      [0x00, 0x12],
      [0x00, 0x12],
      [0x00, 0x13],
    ];
    const file = runbook('ids.md', BOOK);
    const first = await open(file);
    expect(first.state.run).toBe('20261206T214344Z-0012');
    await first.answer({ kind: 'run' });
    await first.close();

    const second = await open(file, { newRun: true });
    expect(second.state.run).toBe('20261206T214344Z-0013');
    await second.answer({ kind: 'run' });
    expect(readFileSync(join(dir, 'ran.txt'), 'utf8')).toBe('one\none\n');
    const runs = join(dir, 'state', 'ids', 'runs');
    expect(readdirSync(runs).sort()).toEqual(['20261206T214344Z-0012', '20261206T214344Z-0013']);
    // The first run's records are as it left them: complete, never written over.
    expect(JSON.parse(readFileSync(join(runs, '20261206T214344Z-0012', 'checkpoint.json'), 'utf8')).status).toBe('complete');
  });

  it('a preflight in the same second as the last, drawing the same suffix, writes a trail of its own', async () => {
    suffixes.queue = [
      [0x00, 0x21],
      [0x00, 0x21],
      [0x00, 0x22],
    ];
    const book = await loadRunbook(runbook('ids.md', BOOK));
    const options = { stateDir: join(dir, 'state'), operator: 'alice', env: {} };
    await runPreflight(book, options);
    await runPreflight(book, options);
    expect(preflightTrails()).toEqual({ '20261206T214344Z-0021': 1, '20261206T214344Z-0022': 1 });
  });

  it('four preflights started at once, in the same second and all drawing the same suffix, each write a trail of their own', async () => {
    suffixes.queue = [
      [0x00, 0x31],
      [0x00, 0x31],
      [0x00, 0x31],
      [0x00, 0x31],
      [0x00, 0x32],
      [0x00, 0x33],
      [0x00, 0x34],
    ];
    const book = await loadRunbook(runbook('ids.md', BOOK));
    const options = { stateDir: join(dir, 'state'), operator: 'alice', env: {} };
    await Promise.all([1, 2, 3, 4].map(() => runPreflight(book, options)));
    expect(preflightTrails()).toEqual(
      Object.fromEntries(['0031', '0032', '0033', '0034'].map((suffix) => [`20261206T214344Z-${suffix}`, 1])),
    );
  });

  it('a preflight whose every draw of the second is taken stops with the folder named, and leaves the others as they were', async () => {
    suffixes.queue = Array.from({ length: 17 }, () => [0x00, 0x41]);
    const book = await loadRunbook(runbook('ids.md', BOOK));
    const options = { stateDir: join(dir, 'state'), operator: 'alice', env: {} };
    await runPreflight(book, options);
    await expect(runPreflight(book, options)).rejects.toThrow(/preflights: 16 ids drawn in this second were all taken; start it again$/);
    expect(preflightTrails()).toEqual({ '20261206T214344Z-0041': 1 });
  });
});
