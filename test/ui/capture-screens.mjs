#!/usr/bin/env node
/**
 * Writes docs/screens/main-80x24.txt and docs/screens/main-160x48.txt: `capture-pane` text of
 * the TUI's main screen on the demo runbook, a few steps in — the migration just confirmed and
 * passed, its output (secret masked) in the output pane.
 *
 *   npm run build && node test/ui/capture-screens.mjs
 *
 * The demo runs on a copy in a scratch folder (its sandbox lives beside the runbook), in a
 * private tmux server that is killed at the end.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = join(ROOT, 'dist/cli/main.js');
const SOCKET = `wm-capture-${process.pid}`;

const tmux = (...args) => execFileSync('tmux', ['-L', SOCKET, '-f', '/dev/null', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const screen = () => tmux('capture-pane', '-p', '-t', 'demo');

async function waitFor(pattern, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = screen();
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`no ${pattern} on screen within ${timeoutMs} ms:\n${text}`);
    await new Promise((done) => setTimeout(done, 50));
  }
}

const keys = (...k) => tmux('send-keys', '-t', 'demo', ...k);
async function type(text) {
  for (const ch of text) keys('-l', ch);
}

async function capture(columns, rows) {
  const dir = mkdtempSync(join(tmpdir(), 'wm-capture-'));
  try {
    mkdirSync(join(dir, 'runbooks'));
    copyFileSync(join(ROOT, 'runbooks/demo.md'), join(dir, 'runbooks/demo.md'));
    const env = ['env', '-i', `PATH=${process.env.PATH}`, `HOME=${process.env.HOME}`, 'TERM=xterm-256color', 'LANG=C.UTF-8', 'NO_COLOR=1'];
    tmux('new-session', '-d', '-s', 'demo', '-x', String(columns), '-y', String(rows), '-c', dir,
      [...env, process.execPath, BIN, 'runbooks/demo.md', '--state-dir', 'state', '--operator', 'alice'].join(' '));
    await waitFor(/enter run next/);
    keys('a');
    await waitFor(/Check the configuration \(config\)/);
    keys('Enter');
    await waitFor(/GATE: check failed cache-enabled/);
    keys('b');
    await waitFor(/will run exactly:/);
    await type('yes');
    keys('Enter');
    await waitFor(/ROLLBACK +enable-cache passed/);
    keys('r');
    await waitFor(/Read the upgrade check \(upgrade-check\)/);
    keys('Enter');
    await waitFor(/WARNING lantern-upgrade-check/);
    keys('w');
    await waitFor(/Take a snapshot \(snapshot/);
    keys('Enter');
    await waitFor(/Migrate the data \(migrate\)/);
    keys('Enter');
    await waitFor(/will run exactly:/);
    await type('yes');
    keys('Enter');
    await waitFor(/RUN +migrate-data passed/);
    const text = await waitFor(/data migrated to schema 2/);
    const file = join(ROOT, `docs/screens/main-${columns}x${rows}.txt`);
    writeFileSync(file, `${text.replace(/\s+$/, '')}\n`);
    console.log(`wrote ${file}`);
    keys('q');
    // The session ends with waymark: wait for it, so the scratch folder is not removed under it.
    const deadline = Date.now() + 15_000;
    const running = () => {
      try {
        return tmux('list-sessions', '-F', '#{session_name}').includes('demo');
      } catch {
        return false; // no session left, so tmux's server has gone too
      }
    };
    while (Date.now() < deadline && running()) await new Promise((done) => setTimeout(done, 50));
  } finally {
    // Its exit status does not matter: the server may be gone already. tmux leaves its socket behind.
    spawnSync('tmux', ['-L', SOCKET, 'kill-server'], { stdio: 'ignore' });
    rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid()}`, SOCKET), { force: true });
    rmSync(dir, { recursive: true, force: true });
  }
}

mkdirSync(join(ROOT, 'docs/screens'), { recursive: true });
try {
  await capture(80, 24);
  await capture(160, 48);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
