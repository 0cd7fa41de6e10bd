/**
 * The audit key is created whole. Reproduced before the fix: two waymarks start at once with no
 * key yet; the first creates the key file and, before it has written the key into it, the second
 * reads the file empty and stops with "audit key … does not hold a key" (it failed a CI run of the
 * composed rehearsal; about 1 round in 30 with six processes). Here the first creator's write is
 * held until the second waymark has its key, which makes that moment happen every time.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { useTempDir } from './temp-dir.js';

let release: () => void = () => undefined;
const held = new Promise<void>((resolve) => {
  release = resolve;
});
let writes = 0;

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open: typeof real.open = async (...args: Parameters<typeof real.open>) => {
    const handle = await real.open(...args);
    const writeFile = handle.writeFile.bind(handle);
    // The first key written waits until the test lets it go.
    handle.writeFile = (async (...rest: Parameters<typeof writeFile>) => {
      if (writes++ === 0) await held;
      return writeFile(...rest);
    }) as typeof handle.writeFile;
    return handle;
  };
  return { ...real, open, default: { ...real, open } };
});

const tempDir = useTempDir();

it('a waymark starting while another creates the key reads a whole key, the same one both end up with', async () => {
  const { loadAuditKey } = await import('../../src/state/audit-key.js');
  const env = { XDG_CONFIG_HOME: join(tempDir(), 'config') };
  const first = loadAuditKey(env);
  // The first is now held in the middle of creating the key.
  await vi.waitFor(() => expect(writes).toBe(1));
  const second = await loadAuditKey(env);
  release();
  expect((await first).id).toBe(second.id);
  expect(await readdir(join(tempDir(), 'config', 'waymark'))).toEqual(['audit.key']);
});
