import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockLogPath, fileSafe, newRunId, runPaths, runbookPaths } from '../../src/state/layout.js';

describe('state layout', () => {
  it('puts each file where docs/running.md#the-state-directory says', () => {
    const book = runbookPaths('/s', { folder: 'juno-to-mitaka' });
    expect(book).toEqual({
      dir: '/s/juno-to-mitaka',
      record: '/s/juno-to-mitaka/runbook.json',
      current: '/s/juno-to-mitaka/current.json',
      lock: '/s/juno-to-mitaka/lock.json',
      history: '/s/juno-to-mitaka/history.json',
      runs: '/s/juno-to-mitaka/runs',
    });
    expect(runPaths(book, '20261122T013654Z-a1b2')).toEqual({
      dir: '/s/juno-to-mitaka/runs/20261122T013654Z-a1b2',
      checkpoint: '/s/juno-to-mitaka/runs/20261122T013654Z-a1b2/checkpoint.json',
      audit: '/s/juno-to-mitaka/runs/20261122T013654Z-a1b2/audit.jsonl',
      logs: '/s/juno-to-mitaka/runs/20261122T013654Z-a1b2/logs',
    });
    expect(runbookPaths('/s', { folder: 'upgrade@1a2b3c4d5e6f' }).dir).toBe('/s/upgrade@1a2b3c4d5e6f');
    expect(blockLogPath('/l', 'db-sync', 3)).toBe(join('/l', 'db-sync.3.log'));
  });

  it('never lets an id climb out of its directory, and keeps distinct ids distinct', () => {
    for (const id of ['..', '.', '../x', 'a/b', '/etc/passwd', '', '%2E']) {
      const safe = fileSafe(id);
      expect(safe).not.toContain('/');
      expect(safe === '.' || safe === '..' || safe.startsWith('.')).toBe(false);
    }
    const ids = ['a/b', 'a%2Fb', 'a_b', 'a.b', '.ab', '%2Eab', 'é', 'e'];
    expect(new Set(ids.map(fileSafe)).size).toBe(ids.length);
    expect(fileSafe('stop-compute_2.b')).toBe('stop-compute_2.b');
  });

  it('refuses a state folder name that could leave the state directory', () => {
    for (const folder of ['..', '.', '../x', 'a/b', '/etc', '', '.hidden'])
      expect(() => runbookPaths('/s', { folder })).toThrow(RangeError);
  });

  it('rejects an attempt number that is not a positive integer', () => {
    expect(() => blockLogPath('/l', 'b', 0)).toThrow(RangeError);
    expect(() => blockLogPath('/l', 'b', 1.5)).toThrow(RangeError);
  });

  it('makes run ids that sort by start time', () => {
    const early = newRunId(new Date(Date.UTC(2026, 10, 22, 1, 36, 54)));
    const late = newRunId(new Date(Date.UTC(2026, 10, 22, 1, 36, 55)));
    expect(early).toMatch(/^20261122T013654Z-[0-9a-f]{4}$/);
    expect(late).toMatch(/^20261122T013655Z-[0-9a-f]{4}$/);
    expect([late, early].sort()).toEqual([early, late]);
    expect(newRunId()).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{4}$/);
  });
});
