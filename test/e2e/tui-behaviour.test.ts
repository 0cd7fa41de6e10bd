/**
 * Issue 11's behaviour in the TUI, with the built binary in a real 80x24 terminal (a private tmux
 * server): each test names what it reproduced on the old code.
 */
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ROOT } from '../support/binary.js';
import { useTmuxWorkspace } from '../support/tmux.js';

vi.setConfig({ testTimeout: 120_000 });

const ws = useTmuxWorkspace('wm-tui-behave-');

const lines = (name: string) => ws.lines(name);
const waymark = (args: string[]) => ws.waymark(args);

function currentRun(id: string): string {
  return (JSON.parse(readFileSync(join(ws.dir, 'state', id, 'current.json'), 'utf8')) as { runId: string }).runId;
}

function fixture(name: string): void {
  copyFileSync(join(ROOT, 'test/fixtures/engine', name), join(ws.dir, name));
}

describe('a complete run in the TUI', () => {
  it('reproduced: opening a runbook whose last run is complete started a new run; now its summary is shown, q quits (0), and n starts a new run only after yes', async () => {
    fixture('complete.md');
    const done = await waymark(['run', 'complete.md', '--headless']);
    expect(done.code, done.stdout + done.stderr).toBe(0);
    const first = currentRun('complete');
    const trail = readFileSync(join(ws.dir, 'state', 'complete', 'runs', first, 'audit.jsonl'), 'utf8');

    await ws.tmux.startWaymark('look', ['complete.md', '--state-dir', 'state'], { cwd: ws.dir });
    let screen = await ws.tmux.waitFor('look', /n new run · q quit/);
    expect(screen).toContain(`run ${first} is complete`);
    expect(screen).toMatch(/^evidence: waymark evidence complete\.md --out FILE\.tar\.gz\s*$/m);
    expect(screen).toMatch(/finished \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    expect(screen).toMatch(/✓ passed +first: First · ended \d{4}-\d\d-\d\d/);
    expect(screen).toMatch(/✓ passed +second: Second/);
    await ws.tmux.keys('look', ['q']);
    expect(await ws.tmux.waitForExit('look')).toBe(0);
    expect(currentRun('complete')).toBe(first);
    expect(lines('counter.txt')).toEqual(['first: hello', 'second']);
    expect(readFileSync(join(ws.dir, 'state', 'complete', 'runs', first, 'audit.jsonl'), 'utf8')).toBe(trail);
    const verify = await waymark(['audit', 'complete.md', '--verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);

    // n asks first; anything but yes starts nothing.
    await ws.tmux.startWaymark('again', ['complete.md', '--state-dir', 'state'], { cwd: ws.dir });
    await ws.tmux.waitFor('again', /n new run · q quit/);
    await ws.tmux.keys('again', ['n']);
    await ws.tmux.waitFor('again', /Type yes and enter/);
    await ws.tmux.type('again', 'no');
    await ws.tmux.keys('again', ['Enter']);
    await ws.tmux.waitFor('again', /no new run started: type yes to start one/);
    expect(currentRun('complete')).toBe(first);
    await ws.tmux.keys('again', ['n']);
    await ws.tmux.waitFor('again', /Type yes and enter/);
    await ws.tmux.type('again', 'yes');
    await ws.tmux.keys('again', ['Enter']);
    screen = await ws.tmux.waitFor('again', /enter run next/);
    const second = currentRun('complete');
    expect(second).not.toBe(first);
    expect(screen).toContain(second);
    // Nothing runs until the operator asks.
    expect(lines('counter.txt')).toEqual(['first: hello', 'second']);
    await ws.tmux.keys('again', ['q']);
    await ws.tmux.waitForExit('again');
  });
});

describe('preconditions in the TUI', () => {
  it('reproduced: `a` started the services with "configuration is deployed" unticked; now it says to tick the preconditions first, and runs after space', async () => {
    fixture('preconditions.md');
    await ws.tmux.startWaymark('pre', ['preconditions.md', '--state-dir', 'state'], { cwd: ws.dir });
    // The checklist is the step's first decision: the footer offers ticking, not running.
    await ws.tmux.waitFor('pre', /space tick/);
    await ws.tmux.keys('pre', ['a']);
    let screen = await ws.tmux.waitFor('pre', /before its first block\s+runs/);
    expect(screen.replace(/\s+/g, ' ')).toMatch(/precondition\(s\) to tick before its first block runs: space to tick/);
    expect(screen).toContain('[ ] The new configuration is deployed');
    expect(lines('counter.txt')).toEqual([]);
    await ws.tmux.keys('pre', ['Space']);
    await ws.tmux.waitFor('pre', /\[x\] The new configuration is deployed/);
    await ws.tmux.keys('pre', ['a']);
    screen = await ws.tmux.waitFor('pre', /checklist item\(s\) to\s+tick/);
    expect(lines('counter.txt')).toEqual(['start-services']);
    await ws.tmux.keys('pre', ['q']);
    await ws.tmux.waitForExit('pre');
  });
});

describe('an unknown tag in the TUI', () => {
  it('--skip-tag nosuchtag is refused: exit 2, naming the tag, no run started', async () => {
    fixture('preconditions.md');
    await ws.tmux.startWaymark('tag', ['preconditions.md', '--state-dir', 'state', '--skip-tag', 'nosuchtag'], { cwd: ws.dir });
    expect(await ws.tmux.waitForExit('tag')).toBe(2);
    const screen = await ws.tmux.screen('tag', { history: true });
    expect(screen).toContain('--skip-tag nosuchtag: no step of');
    expect(existsSync(join(ws.dir, 'state', 'preconditions', 'current.json'))).toBe(false);
  });
});
