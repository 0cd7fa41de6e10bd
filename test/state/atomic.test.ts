import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateError, ensureDir, writeFileAtomic } from '../../src/state/atomic.js';
import { modeOf, useTempDir } from './temp-dir.js';

const tempDir = useTempDir();

describe('writeFileAtomic', () => {
  it('writes the content as a 0600 file and leaves no temporary file beside it', async () => {
    const target = join(tempDir(), 'checkpoint.json');
    await writeFileAtomic(target, '{"a":1}');
    await writeFileAtomic(target, '{"a":2}');

    expect(await readFile(target, 'utf8')).toBe('{"a":2}');
    expect(modeOf(await stat(target))).toBe(0o600);
    expect(await readdir(tempDir())).toEqual(['checkpoint.json']);
  });

  it('replaces a world-readable file with a 0600 one', async () => {
    const target = join(tempDir(), 'current.json');
    await writeFile(target, 'old', { mode: 0o644 });
    await writeFileAtomic(target, 'new');
    expect(modeOf(await stat(target))).toBe(0o600);
    expect(await readFile(target, 'utf8')).toBe('new');
  });

  it('fails with a StateError naming the file, and cleans up its temporary file', async () => {
    // A directory where the file should be: the rename fails after the temp file was written.
    const target = join(tempDir(), 'checkpoint.json');
    await mkdir(target);
    const error = await writeFileAtomic(target, 'data').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).exitCode).toBe(2);
    expect((error as StateError).file).toBe(target);
    expect((error as StateError).message).toContain(target);
    expect(await readdir(tempDir())).toEqual(['checkpoint.json']);
  });

  it('fails with a StateError when the directory is missing', async () => {
    const target = join(tempDir(), 'missing', 'checkpoint.json');
    await expect(writeFileAtomic(target, 'x')).rejects.toThrow(StateError);
  });
});

describe('ensureDir', () => {
  it('creates every missing level with mode 0700', async () => {
    const deep = join(tempDir(), 'state', 'runbook', 'runs');
    await ensureDir(deep);
    for (const dir of [join(tempDir(), 'state'), join(tempDir(), 'state', 'runbook'), deep]) {
      expect(modeOf(await stat(dir))).toBe(0o700);
    }
  });

  it('leaves directories that already existed as the operator made them', async () => {
    const own = join(tempDir(), 'state');
    await mkdir(own, { mode: 0o755 });
    await ensureDir(join(own, 'runbook'));
    expect(modeOf(await stat(own))).toBe(0o755);
    expect(modeOf(await stat(join(own, 'runbook')))).toBe(0o700);
    await ensureDir(join(own, 'runbook'));
  });

  it('reports a path it cannot create as a StateError', async () => {
    const file = join(tempDir(), 'plain-file');
    await writeFile(file, '');
    await expect(ensureDir(join(file, 'sub'))).rejects.toThrow(StateError);
  });
});
