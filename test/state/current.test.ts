import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateError } from '../../src/state/atomic.js';
import { clearCurrentRun, readCurrentRun, writeCurrentRun } from '../../src/state/current.js';
import { modeOf, useTempDir } from './temp-dir.js';

const tempDir = useTempDir();

describe('current.json', () => {
  it('points at the live run until cleared', async () => {
    const path = join(tempDir(), 'runbook', 'current.json');
    expect(await readCurrentRun(path)).toBeNull();
    await writeCurrentRun(path, '20261122T013654Z-a1b2');
    expect(await readCurrentRun(path)).toBe('20261122T013654Z-a1b2');
    expect(modeOf(await stat(path))).toBe(0o600);
    await clearCurrentRun(path);
    expect(await readCurrentRun(path)).toBeNull();
    await clearCurrentRun(path);
  });

  it('reports an unparseable pointer as a StateError naming the file, and leaves it alone', async () => {
    const path = join(tempDir(), 'current.json');
    await writeFile(path, '{"runId":');
    await expect(readCurrentRun(path)).rejects.toThrow(StateError);
    await expect(readCurrentRun(path)).rejects.toThrow(`state file ${path} cannot be parsed`);
    await writeFile(path, '{"run":"x"}');
    await expect(readCurrentRun(path)).rejects.toThrow('has no "runId"');
    expect(await readFile(path, 'utf8')).toBe('{"run":"x"}');
  });
});
