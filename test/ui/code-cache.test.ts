/**
 * The built binary's code cache (src/ui/load-tui.ts) in a real terminal: a first start leaves a
 * cache behind, and a damaged cache or one from another build never stops the TUI from starting;
 * it is replaced by a good one.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { UI_FIXTURES } from './harness.js';
import { terminalEnv } from '../support/binary.js';
import { useTmuxWorkspace } from '../support/tmux.js';

vi.setConfig({ testTimeout: 40_000 });

const ws = useTmuxWorkspace('wm-ui-cache-');
beforeEach(() => {
  copyFileSync(join(UI_FIXTURES, 'gate.md'), join(ws.dir, 'gate.md'));
});

const cacheFolder = () => join(ws.dir, 'cache', 'waymark');
const cacheFiles = () => (existsSync(cacheFolder()) ? readdirSync(cacheFolder()).filter((name) => name.endsWith('.v8')) : []);

/** Start the TUI with the workspace's cache folder, wait for its screen and then for `saved` (the cache is saved a moment after the first frame), and quit. */
async function startAndQuit(session: string, saved: () => void): Promise<void> {
  await ws.tmux.startWaymark(session, ['gate.md', '--state-dir', `state-${session}`], {
    cwd: ws.dir,
    env: terminalEnv({ XDG_CACHE_HOME: join(ws.dir, 'cache') }),
  });
  await ws.tmux.waitFor(session, /\? help/);
  await vi.waitFor(saved, { timeout: 10_000, interval: 100 });
  await ws.tmux.keys(session, ['q']);
  expect(await ws.tmux.waitForExit(session)).toBe(4);
}

const oneCache = () => expect(cacheFiles().length).toBe(1);

describe('the code cache', () => {
  it('a first start saves one; a damaged one still starts the TUI and is replaced', async () => {
    await startAndQuit('first', oneCache);
    const [name] = cacheFiles();
    const file = join(cacheFolder(), name as string);
    // V8 checks the cache's checksum (src/cli/code-cache.ts): a byte flipped, it compiles from
    // source and saves a good cache in the damaged one's place, which the next start keeps.
    const damaged = readFileSync(file);
    damaged[damaged.length - 100] = (damaged[damaged.length - 100] as number) ^ 0xff;
    writeFileSync(file, damaged);
    await startAndQuit('damaged', () => expect(readFileSync(file).equals(damaged)).toBe(false));
    const replaced = readFileSync(file);
    await startAndQuit('kept', oneCache);
    expect(readFileSync(file).equals(replaced)).toBe(true);
  });

  it("another build's cache is not used and is cleared away when this build saves its own", async () => {
    await startAndQuit('fresh', oneCache);
    const [name] = cacheFiles();
    // Same size and a matching digest: only the build id in its name tells it is not this build's.
    const stale = join(cacheFolder(), (name as string).replace(/^tui-\w+-/, 'tui-0000000000000000-'));
    writeFileSync(stale, readFileSync(join(cacheFolder(), name as string)));
    writeFileSync(join(cacheFolder(), name as string), 'not a cache');
    await startAndQuit('again', () => {
      expect(cacheFiles()).toEqual([name]);
      expect(readFileSync(join(cacheFolder(), name as string), 'latin1')).not.toBe('not a cache');
    });
  });
});
