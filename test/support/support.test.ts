/**
 * The support module every test spawns the binary, waits and makes workspaces with: its variations
 * are options of one function, and a wait that never comes says what it waited for.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { spawnWaymark, testEnv, waymark } from './binary.js';
import { isRunning } from './processes.js';
import { waitFor, waitForValue } from './wait.js';
import { useWorkspace } from './workspace.js';

describe('waitFor', () => {
  it('resolves once the condition holds, sync or async', async () => {
    let calls = 0;
    await waitFor(() => ++calls >= 3, { timeout: 2000, interval: 5, what: 'the third look' });
    expect(calls).toBe(3);
    expect(await waitFor(async () => true, 100)).toBe(true);
  });

  it('names what it waited for and for how long when it never holds', async () => {
    await expect(waitFor(() => false, { timeout: 60, interval: 10, what: 'the block starting' })).rejects.toThrow(
      'the block starting did not happen within 60 ms',
    );
    const started = Date.now();
    expect(await waitFor(() => false, 60, 10)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  it('shows the last value it saw', async () => {
    let n = 0;
    await expect(
      waitForValue(
        () => `screen ${++n}`,
        (screen) => screen === 'never',
        { timeout: 50, interval: 10, what: 'the prompt' },
      ),
    ).rejects.toThrow(/the prompt did not happen within 50 ms; last seen:\nscreen \d+/);
  });
});

describe('the binary', () => {
  const ws = useWorkspace('wm-support-');

  it('gets an environment without anything that steers waymark', () => {
    process.env.WAYMARK_STATE_DIR = '/nowhere';
    process.env.DB_SOCKET = '/nowhere.sock';
    try {
      const env = testEnv({ EXTRA: 'yes' });
      expect(env.WAYMARK_STATE_DIR).toBeUndefined();
      expect(env.DB_SOCKET).toBeUndefined();
      expect(env.NO_COLOR).toBe('1');
      expect(env.EXTRA).toBe('yes');
    } finally {
      delete process.env.WAYMARK_STATE_DIR;
      delete process.env.DB_SOCKET;
    }
  });

  it('runs to its end with the exit code and what it printed, in the given folder', async () => {
    ws().write('book.md', '---\nid: support\n---\n# Support\n\n## One\n\n```sh\necho hello-from-block > said.txt\n```\n');
    // A relative runbook path: found only because the workspace's folder is the working directory.
    const result = await ws().waymark(['run', 'book.md', '--headless']);
    expect(result.code, result.all).toBe(0);
    expect(result.all).toContain('step one passed');
    expect(ws().lines('said.txt')).toEqual(['hello-from-block']);
    const bad = await waymark(['no-such-command']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('no-such-command');
  }, 30_000);

  it('starts without waiting, for a test that kills it', async () => {
    const book = ws().write('slow.md', '---\nid: slow\n---\n# Slow\n\n## Wait\n\n```sh\ntouch started; sleep 30\n```\n');
    const child = spawnWaymark(['run', book, '--headless', '--state-dir', ws().state], { cwd: ws().dir });
    await waitFor(() => existsSync(ws().path('started')), { timeout: 20_000, what: 'the block starting' });
    expect(isRunning(child.pid as number)).toBe(true);
    child.kill('SIGKILL');
    const ended = await child;
    expect(ended.signal).toBe('SIGKILL');
    expect(isRunning(child.pid as number)).toBe(false);
  }, 30_000);

  it('limits the size of the files it writes when asked (a full disk)', async () => {
    const book = ws().write('big.md', '---\nid: big\n---\n# Big\n\n## Fill\n\n```sh\nhead -c 200000 /dev/zero > filler\n```\n');
    const result = await waymark(['run', book, '--headless', '--state-dir', ws().state], { cwd: ws().dir, fileSizeLimit: 100 });
    expect(result.code, result.all).not.toBe(0);
  }, 30_000);
});
