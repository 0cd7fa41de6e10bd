/**
 * The built binary in a real terminal (tmux): colours follow NO_COLOR, the first key is not lost,
 * the screen follows a real resize, and without a terminal on stdout the TUI refuses and points
 * at --headless.
 */
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { UI_FIXTURES } from './harness.js';
import { BIN, terminalEnv, waymark } from '../support/binary.js';
import { useTmuxWorkspace } from '../support/tmux.js';

// Several binaries start in terminals here: on a loaded machine that can take seconds.
vi.setConfig({ testTimeout: 40_000 });

const ws = useTmuxWorkspace('wm-ui-term-');
beforeEach(() => {
  copyFileSync(join(UI_FIXTURES, 'gate.md'), join(ws.dir, 'gate.md'));
});

// eslint-disable-next-line no-control-regex
const SGR = /\u001B\[[0-9;]*m/;

describe('NO_COLOR', () => {
  it('with NO_COLOR=1 the screen carries no colour escapes; without it, it does', async () => {
    const colour = 'colour';
    const plain = 'plain';
    await ws.tmux.startWaymark(colour, ['gate.md', '--state-dir', 'state-colour'], { cwd: ws.dir });
    await ws.tmux.startWaymark(plain, ['gate.md', '--state-dir', 'state-plain'], { cwd: ws.dir, env: terminalEnv({ NO_COLOR: '1' }) });
    for (const session of [colour, plain]) {
      await ws.tmux.waitFor(session, /\? help/);
      // A failed gate is the most colourful screen: red gate, glyphs, inverse role badges.
      await ws.tmux.keys(session, ['Enter']);
      await ws.tmux.waitFor(session, /GATE: check failed charset-check/);
    }
    const withColour = await ws.tmux.screen(colour, { escapes: true });
    const withoutColour = await ws.tmux.screen(plain, { escapes: true });
    expect(withColour).toMatch(SGR);
    expect(withoutColour).toContain('GATE: check failed charset-check');
    expect(withoutColour, withoutColour).not.toMatch(SGR);
    for (const session of [colour, plain]) {
      await ws.tmux.keys(session, ['q']);
      // A refused check leaves the run refused: exit 3.
      expect(await ws.tmux.waitForExit(session)).toBe(3);
    }
  });
});

describe('CI in the environment', () => {
  it("still draws the screen when CI=true is set in the operator's shell", async () => {
    // ink reads CI once as it loads and then draws nothing until exit; an operator's terminal
    // (a jump host with CI exported, a rehearsal box) must still see the TUI.
    const session = 'with-ci';
    await ws.tmux.startWaymark(session, ['gate.md', '--state-dir', 'state-ci'], {
      cwd: ws.dir,
      env: terminalEnv({ CI: 'true', CONTINUOUS_INTEGRATION: '1' }),
    });
    await ws.tmux.waitFor(session, /enter run next/);
    await ws.tmux.keys(session, ['q']);
    expect(await ws.tmux.waitForExit(session)).toBe(4);
  });
});

describe('the first key', () => {
  it('is not lost when pressed the moment the first frame shows', async () => {
    // Before ink switched raw mode on (after its first frame), an enter arrived cooked and was
    // dropped: about one try in two. Four terminals at once, each pressing enter as soon as its
    // screen shows.
    const sessions = [1, 2, 3, 4].map((n) => `first-key-${n}`);
    await Promise.all(
      sessions.map((session) => ws.tmux.startWaymark(session, ['gate.md', '--state-dir', `state-${session}`], { cwd: ws.dir })),
    );
    await Promise.all(
      sessions.map(async (session) => {
        await ws.tmux.waitFor(session, /enter run next/, 20_000, { pollMs: 0 });
        await ws.tmux.keys(session, ['Enter']);
      }),
    );
    for (const session of sessions) await ws.tmux.waitFor(session, /charset-check (passed|refused)/, 10_000);
  });
});

describe('terminal resizes', () => {
  it('follows the terminal from 80x24 to 160x48 and back', async () => {
    const session = 'resize';
    await ws.tmux.startWaymark(session, ['gate.md', '--state-dir', 'state'], { cwd: ws.dir, columns: 80, rows: 24 });
    await ws.tmux.waitFor(session, /^── output ─{70}─*$/m);
    const rule = (screen: string) => screen.split('\n').find((line) => line.startsWith('── output'))?.length;
    expect(rule(await ws.tmux.screen(session))).toBe(80);
    await ws.tmux.resize(session, 160, 48);
    // At 160 columns the step list is a column beside the step (as wide as its longest title needs).
    await ws.tmux.waitFor(session, /^ · 2 Free space {10}Convert/m);
    let screen = await ws.tmux.screen(session);
    expect(rule(screen)).toBe(160);
    expect(screen.split('\n').filter((line) => line.startsWith('── output'))).toHaveLength(1);
    await ws.tmux.resize(session, 80, 24);
    // tmux cuts the wide lines at once; the app's own redraw puts the step list back as it is at
    // 80 columns: the current step's neighbourhood above the step, alone on its rows.
    screen = await ws.tmux.waitFor(session, /^ · 2 Free space\n(?!.*Free space)/m);
    expect(rule(screen)).toBe(80);
    // One frame, redrawn: no copy of the wide one left above or below it.
    expect(screen.split('\n').filter((line) => line.startsWith('── output'))).toHaveLength(1);
    expect(screen.split('\n').filter((line) => line.startsWith('Charset gate'))).toHaveLength(1);
    expect(screen).toMatch(/\? help/);
    await ws.tmux.keys(session, ['q']);
    // Nothing ran yet: the run waits for the operator (exit 4).
    expect(await ws.tmux.waitForExit(session)).toBe(4);
  });
});

describe('stdout is not a terminal', () => {
  it('exits 2 and names --headless, without starting a run (stdin a terminal, stdout a pipe)', async () => {
    const session = 'piped';
    await ws.tmux.start(session, ['bash', '-c', 'set -o pipefail; "$0" "$1" gate.md --state-dir state | cat', process.execPath, BIN], {
      cwd: ws.dir,
      columns: 100,
      rows: 24,
    });
    expect(await ws.tmux.waitForExit(session)).toBe(2);
    const screen = await ws.tmux.screen(session, { history: true });
    expect(screen).toMatch(/waymark: .*terminal.*--headless/s);
    expect(existsSync(join(ws.dir, 'state'))).toBe(false);
  });

  it('exits 2 with the hint when run from a pipe', async () => {
    const result = await waymark(['gate.md', '--state-dir', 'state'], { cwd: ws.dir, terminal: true });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--headless');
    expect(result.stdout).toBe('');
    expect(existsSync(join(ws.dir, 'state'))).toBe(false);
  });
});
