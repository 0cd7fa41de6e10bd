/**
 * A full disk in the middle of a transition, in process: a wrapper around node:fs/promises makes
 * writes to the state files fail with ENOSPC from the moment a block starts, except that the
 * journal still has room for one more line (a file's last block had space), so the audit trail is
 * the file that fills first. The operator must hear about that file, not a later one.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunSession } from '../../../src/engine/session.js';

/** The simulated disk: full or not, and how many more journal appends still fit. */
const disk = vi.hoisted(() => ({ full: false, journalRoom: 0 }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const noSpace = (): Error => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const open: typeof real.open = async (path, ...rest) => {
    const handle = await real.open(path, ...rest);
    const name = String(path);
    if (!/(\.journal|audit\.jsonl|\.tmp)$/.test(name)) return handle;
    for (const method of ['appendFile', 'writeFile', 'write'] as const) {
      const original = (handle[method] as (...args: unknown[]) => Promise<unknown>).bind(handle);
      (handle as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
        if (disk.full && !(name.endsWith('.journal') && disk.journalRoom-- > 0)) throw noSpace();
        return original(...args);
      };
    }
    return handle;
  };
  return { ...real, open, default: { ...real, open } };
});

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wm-disk-full-'));
  disk.full = false;
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('a disk that fills during a transition', () => {
  it('reproduced: after the audit trail filled, closing the session tried to write again and failed a second time. Now the audit trail is named once, nothing more is written, and the next session recovers the record', async () => {
    const file = join(dir, 'full.md');
    writeFileSync(
      file,
      '---\nid: full\n---\n# Full\n\n## One {#one}\n\n```sh name=one\necho one >> counter.txt\n```\n\n## Two {#two}\n\n```sh name=two\necho two >> counter.txt\n```\n',
    );
    const session = await RunSession.open({ runbookFile: file, stateDir: join(dir, 'state'), env: {}, operator: 'alice' });
    session.subscribe((event) => {
      if (event.type !== 'block-started') return;
      disk.full = true;
      disk.journalRoom = 1; // block-finished still fits in the journal; its audit record does not
    });
    const step = session.runbook.steps[0]!;
    const error = await session.runBlock(step, step.blocks[0]!).then(
      () => null,
      (e: unknown) => e as Error & { exitCode?: number },
    );
    expect(error?.message).toMatch(/^audit trail \S+audit\.jsonl cannot be written: ENOSPC/);
    expect(error?.exitCode).toBe(2);
    const journal = join(session.paths.dir, 'checkpoint.journal');
    const before = readFileSync(journal, 'utf8');
    // Closing must not write again (a second failure could name another file than the one that filled first).
    disk.journalRoom = 0;
    await expect(session.close()).resolves.toBeUndefined();
    expect(readFileSync(journal, 'utf8'), 'nothing was written after the first failure').toBe(before);
    expect(existsSync(join(dir, 'state', 'full', 'lock.json')), 'the lock was released').toBe(false);

    // Space freed: the next session appends the record the full disk kept out, marked recovered.
    disk.full = false;
    const next = await RunSession.open({ runbookFile: file, stateDir: join(dir, 'state'), env: {}, operator: 'alice' });
    expect(next.notices.join('\n')).toContain('1 transition(s) reached the checkpoint but not the audit trail');
    expect(next.state.steps[0]?.blocks[0]?.status).toBe('passed');
    await next.close();
    const records = readFileSync(session.paths.audit, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.filter((r) => r.recovered)).toEqual([
      expect.objectContaining({ type: 'block-finished', block: 'one', outcome: 'success', transition: 2 }),
    ]);
  });
});
