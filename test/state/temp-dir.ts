/** A fresh real directory per test, removed afterwards: state tests exercise the filesystem, not mocks. */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/** Registers hooks and returns a getter for the current test's directory. */
export function useTempDir(): () => string {
  let dir: string | null = null;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'waymark-state-'));
  });
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = null;
  });
  return () => {
    if (!dir) throw new Error('useTempDir: no test is running');
    return dir;
  };
}

/** Permission bits of a stat result, e.g. 0o600. */
export function modeOf(stats: { mode: number }): number {
  return stats.mode & 0o777;
}
