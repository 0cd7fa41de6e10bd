/**
 * `--only TAG` and `--skip-tag TAG` (SPEC §1.2, §4): an invocation works on the selected steps
 * only. Finishing them is not finishing the run: the same run later does the rest.
 */
import { describe, expect, it } from 'vitest';
import { useWorkspace } from './helpers/workspace.js';

const ws = useWorkspace();
const T = 60_000;

describe('stage selection', () => {
  it('--only runs the tagged steps alone; the run is not complete, and a later run does the rest without repeating them', async () => {
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
  }, T);

  it('--only with two tags selects steps carrying either', async () => {
    const book = ws().fixture('tagged.md');
    const result = await ws().run(book, ['--only', 'db', '--only', 'upgrade']);
    expect(result.code, result.all).toBe(0);
    expect(ws().lines('counter.txt')).toEqual(['db-check', 'control', 'computes']);
  }, T);

  it('--skip-tag leaves the tagged steps out', async () => {
    const book = ws().fixture('tagged.md');
    const result = await ws().run(book, ['--skip-tag', 'compute']);
    expect(result.code, result.all).toBe(0);
    expect(ws().lines('counter.txt')).toEqual(['db-check', 'control']);
    expect((await ws().status(book)).steps.map((s) => s.status)).toEqual(['passed', 'pending', 'passed', 'pending']);
  }, T);

  it('a tag no step carries is exit 2 (a typo must not select nothing and report success)', async () => {
    const book = ws().fixture('tagged.md');
    for (const flag of ['--only', '--skip-tag']) {
      const result = await ws().run(book, [flag, 'prechek']);
      expect(result.code, result.all).toBe(2);
      expect(result.stderr).toContain('prechek');
    }
    expect(ws().lines('counter.txt')).toEqual([]);
  }, T);
});
