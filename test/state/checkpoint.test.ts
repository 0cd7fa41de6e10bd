import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateError } from '../../src/state/atomic.js';
import { AtomicJsonFile, MemoryCheckpoint, openCheckpoint, openCheckpointWith } from '../../src/state/checkpoint.js';
import { modeOf, useTempDir } from './temp-dir.js';

const tempDir = useTempDir();

interface Demo {
  runId: string;
  n: number;
  steps: { id: string; status: string }[];
}

const defaults = (): Demo => ({ runId: 'r1', n: 0, steps: [] });

describe('openCheckpoint', () => {
  it('starts from the defaults and persists compact JSON in a 0600 file that a new session reads back', async () => {
    const path = join(tempDir(), 'run', 'checkpoint.json');
    const store = await openCheckpoint(path, defaults());
    expect(store.data).toEqual(defaults());

    await store.update((data) => {
      data.n = 7;
      data.steps.push({ id: 'backup', status: 'passed' });
    });

    const text = await readFile(path, 'utf8');
    expect(text).not.toContain('\n');
    expect(text).not.toContain('  ');
    expect(modeOf(await stat(path))).toBe(0o600);
    expect(modeOf(await stat(join(tempDir(), 'run')))).toBe(0o700);
    const again = await openCheckpoint(path, defaults());
    expect(again.data).toEqual({ runId: 'r1', n: 7, steps: [{ id: 'backup', status: 'passed' }] });
  });

  it('does not mutate the defaults object it was given', async () => {
    const shared = defaults();
    const store = await openCheckpoint(join(tempDir(), 'c.json'), shared);
    store.data.n = 3;
    expect(shared.n).toBe(0);
  });

  it('persists the state as it was when write was called, and the last write wins', async () => {
    const path = join(tempDir(), 'c.json');
    const store = await openCheckpoint(path, defaults());
    store.data.n = 1;
    const first = store.write();
    store.data.n = 2;
    await first;
    expect(JSON.parse(await readFile(path, 'utf8')).n).toBe(1);

    const writes: Promise<void>[] = [];
    for (let n = 10; n <= 30; n += 1) {
      store.data.n = n;
      writes.push(store.write());
    }
    await Promise.all(writes);
    expect(JSON.parse(await readFile(path, 'utf8')).n).toBe(30);
    expect(await readdir(tempDir())).toEqual(['c.json']);
  });

  it('holds 1,000 steps of state in one file with no temporary files left', async () => {
    const path = join(tempDir(), 'c.json');
    const store = await openCheckpoint(path, defaults());
    store.data.steps = Array.from({ length: 1000 }, (_, i) => ({ id: `step-${i}`, status: 'passed' }));
    await store.write();
    store.data.steps[999] = { id: 'step-999', status: 'failed' };
    await store.write();
    const reread = await openCheckpoint(path, defaults());
    expect(reread.data.steps).toHaveLength(1000);
    expect(reread.data.steps[999]?.status).toBe('failed');
    expect(await readdir(tempDir())).toEqual(['c.json']);
  });
});

describe('an unreadable checkpoint', () => {
  it('is a StateError naming the file, and the file is never overwritten', async () => {
    const path = join(tempDir(), 'checkpoint.json');
    const broken = '{"runId":"r1","n":';
    await writeFile(path, broken, { mode: 0o600 });

    const error = await openCheckpoint(path, defaults()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).exitCode).toBe(2);
    expect((error as StateError).message).toContain(`state file ${path} cannot be parsed`);
    expect((error as StateError).message).toContain('fix or move it away');

    // Even a caller that carries on with the adapter cannot write over it.
    const adapter = new AtomicJsonFile<Demo>(path);
    await expect(adapter.read()).rejects.toThrow(StateError);
    await expect(adapter.write(defaults())).rejects.toThrow(StateError);
    expect(await readFile(path, 'utf8')).toBe(broken);
  });

  it.each([
    ['null', 'null'],
    ['an array', '[1,2]'],
    ['a number', '42'],
    ['an empty file', ''],
  ])('refuses %s, which lowdb would otherwise replace with the defaults', async (_what, content) => {
    const path = join(tempDir(), 'checkpoint.json');
    await writeFile(path, content);
    await expect(openCheckpoint(path, defaults())).rejects.toThrow(path);
    expect(await readFile(path, 'utf8')).toBe(content);
  });

  it('is refused by a validator that finds it is not a checkpoint', async () => {
    const path = join(tempDir(), 'checkpoint.json');
    await writeFile(path, '{"hello":"world"}');
    const validate = (data: unknown): string | null => (typeof (data as { runId?: unknown }).runId === 'string' ? null : 'it has no runId');
    await expect(openCheckpoint(path, defaults(), { validate })).rejects.toThrow(`state file ${path} cannot be parsed: it has no runId`);
    expect(await readFile(path, 'utf8')).toBe('{"hello":"world"}');
  });
});

describe('MemoryCheckpoint', () => {
  it('keeps the JSON of the last write, unaffected by later mutations', async () => {
    const adapter = new MemoryCheckpoint<Demo>();
    const store = await openCheckpointWith(adapter, defaults());
    store.data.n = 5;
    await store.write();
    store.data.n = 6;
    expect(adapter.data?.n).toBe(5);
    expect(adapter.writes).toBe(1);
  });

  it('starts from an initial checkpoint, as a resumed run would', async () => {
    const store = await openCheckpointWith(new MemoryCheckpoint<Demo>({ runId: 'r9', n: 4, steps: [] }), defaults());
    expect(store.data.runId).toBe('r9');
  });

  it('can be made to fail writes, so callers can test stopping when state cannot be saved', async () => {
    const adapter = new MemoryCheckpoint<Demo>();
    const store = await openCheckpointWith(adapter, defaults());
    adapter.failWrites(new Error('disk full'));
    await expect(store.write()).rejects.toThrow('disk full');
    adapter.failWrites(null);
    await store.write();
    expect(adapter.writes).toBe(1);
  });
});
