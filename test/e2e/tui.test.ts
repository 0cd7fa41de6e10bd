/**
 * The TUI end to end: the built binary in a real 80x24 terminal (a private tmux server), driven
 * by keys alone and read back with capture-pane. A failing check holds the run until its cause
 * is fixed; a confirm block runs only after yes; the terminal is closed in the middle of a long
 * block; a new terminal resumes the run, and it finishes with an audit trail that verifies.
 */
import { copyFileSync, existsSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { ROOT } from '../support/binary.js';
import { isRunning } from '../support/processes.js';
import { useTmuxWorkspace } from '../support/tmux.js';

vi.setConfig({ testTimeout: 120_000 });

const ws = useTmuxWorkspace('wm-tui-e2e-');

const lines = (name: string) => ws.lines(name);
const waymark = (args: string[]) => ws.waymark(args);

/** The pid in the runbook's lock file, once there is one. */
async function lockHolder(id: string): Promise<number> {
  const lock = join(ws.dir, 'state', id, 'lock.json');
  let pid = 0;
  await vi.waitFor(
    () => {
      pid = (JSON.parse(readFileSync(lock, 'utf8')) as { pid: number }).pid;
      expect(pid).toBeGreaterThan(0);
    },
    { timeout: 10_000, interval: 50 },
  );
  return pid;
}

/** Processes whose working directory is the runbook's folder (blocks run there; so does waymark). */
function processesIn(folder: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readlinkSync(`/proc/${entry}/cwd`) === folder && isRunning(Number(entry))) found.push(Number(entry));
    } catch {
      // Gone, or not ours to look at: not one of ours.
    }
  }
  return found;
}

describe('the TUI in a real terminal', () => {
  it('holds the run at a failed check, confirms, survives the terminal being closed mid-block, resumes and finishes', async () => {
    copyFileSync(join(ROOT, 'test/fixtures/ui/walkthrough.md'), join(ws.dir, 'walkthrough.md'));
    const args = ['walkthrough.md', '--state-dir', 'state', '--operator', 'e2e'];
    await ws.tmux.startWaymark('first', args, { cwd: ws.dir, columns: 80, rows: 24 });
    await ws.tmux.waitFor('first', /enter run next/);

    // The gate: the charset check fails, and the screen says which check, why, and what to do.
    await ws.tmux.keys('first', ['Enter']);
    let screen = await ws.tmux.waitFor('first', /GATE: check failed charset-check/);
    expect(screen).toContain('nova.instances is latin1');
    expect(screen).toMatch(/→ Convert the listed tables with/);
    expect(screen).toMatch(/⊘ 1 Databases/);

    // It holds: neither enter nor `a` gets past it.
    await ws.tmux.keys('first', ['Enter']);
    screen = await ws.tmux.waitFor('first', /check charset-check failed and holds the run/);
    await ws.tmux.keys('first', ['a']);
    screen = await ws.tmux.waitFor('first', /check charset-check failed and holds the run/);
    expect(screen).toContain('GATE: check failed charset-check');
    expect(screen).toMatch(/0\/5/);
    expect(lines('counter.txt')).toEqual([]);

    // Fix the cause, re-run the check: the run moves on to step 2.
    writeFileSync(join(ws.dir, 'charset-fixed'), '');
    await ws.tmux.keys('first', ['r']);
    screen = await ws.tmux.waitFor('first', /Stop the API services \(stop-api\)/);
    expect(screen).toMatch(/1\/5/);
    expect(screen).not.toContain('GATE');

    // `a` runs the step's run and verify blocks; the next step has a confirm block.
    await ws.tmux.keys('first', ['a']);
    await ws.tmux.waitFor('first', /Drop the old tables \(drop-tables\)/);
    expect(lines('counter.txt')).toEqual(['stop-api']);
    await ws.tmux.keys('first', ['Enter']);
    screen = await ws.tmux.waitFor('first', /drop-old-tables \(shell\) will run exactly:/);
    expect(screen).toContain('│ echo drop >> counter.txt');
    await ws.tmux.type('first', 'no');
    await ws.tmux.keys('first', ['Enter']);
    await ws.tmux.waitFor('first', /type yes \(and enter\) to run it/);
    expect(lines('counter.txt')).toEqual(['stop-api']);
    await ws.tmux.keys('first', ['BSpace', 'BSpace']);
    await ws.tmux.type('first', 'yes');
    await ws.tmux.keys('first', ['Enter']);
    screen = await ws.tmux.waitFor('first', /Migrate the database \(migrate\)/);
    expect(lines('counter.txt')).toEqual(['stop-api', 'drop']);

    // The long block starts; the terminal goes away in the middle of it.
    await ws.tmux.keys('first', ['Enter']);
    // The pane's title shows `0 lines` before the first line arrives: wait for the line itself.
    screen = await ws.tmux.waitFor('first', /migrating to mitaka/);
    expect(screen).toMatch(/output: migrate · [1-9]\d* lines? · live/);
    const firstPid = await lockHolder('walkthrough');
    await ws.tmux.killSession('first');
    await vi.waitFor(() => expect(isRunning(firstPid)).toBe(false), { timeout: 15_000, interval: 50 });
    // It went the orderly way (SIGHUP: cancel the block, record it, release the lock), not a crash.
    expect(existsSync(join(ws.dir, 'state', 'walkthrough', 'lock.json'))).toBe(false);
    // Nothing of the block is left running (its `sleep` ran in the runbook's folder).
    await vi.waitFor(() => expect(processesIn(ws.dir)).toEqual([]), { timeout: 10_000, interval: 50 });
    expect(lines('counter.txt')).toEqual(['stop-api', 'drop']);

    // A new terminal: the resume screen, and nothing runs until enter.
    await ws.tmux.startWaymark('second', args, { cwd: ws.dir, columns: 80, rows: 24 });
    screen = await ws.tmux.waitFor('second', /Resuming an unfinished run/);
    expect(screen).toMatch(/3\/5 steps done/);
    expect(screen).toMatch(/by e2e/);
    expect(screen).toMatch(/migrate[^\n]*interrupted/);
    expect(screen).toContain('Nothing runs until you press enter');
    await ws.tmux.keys('second', ['Enter']);
    screen = await ws.tmux.waitFor('second', /INTERRUPTED migrate/);
    expect(screen).toMatch(/r re-run +m mark done/);

    // Re-run it (quickly this time), then tick the checklist.
    writeFileSync(join(ws.dir, 'migrate-seconds'), '0\n');
    await ws.tmux.keys('second', ['r']);
    screen = await ws.tmux.waitFor('second', /Look at the dashboards \(dashboards\)/);
    expect(screen).toContain('› [ ] The API error rate is back to normal');
    await ws.tmux.keys('second', ['Space']);
    await ws.tmux.waitFor('second', /\[x\] The API error rate is back to normal/);
    // Space toggles the selected item and stays on it: ↓ moves to the next one.
    await ws.tmux.keys('second', ['Down', 'Space']);
    screen = await ws.tmux.waitFor('second', /is complete: q to quit/);
    expect(screen).toMatch(/5\/5/);
    await ws.tmux.keys('second', ['q']);
    expect(await ws.tmux.waitForExit('second')).toBe(0);

    expect(lines('counter.txt')).toEqual(['stop-api', 'drop', 'migrate']);
    const status = await waymark(['status', 'walkthrough.md', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const json = JSON.parse(status.stdout) as {
      status: string;
      steps: { id: string; status: string; blocks: { id: string; status: string }[] }[];
    };
    expect(json.status).toBe('complete');
    expect(json.steps.map((s) => s.status)).toEqual(['passed', 'passed', 'passed', 'passed', 'passed']);
    const audit = await waymark(['audit', 'walkthrough.md', '--verify']);
    expect(audit.code, `${audit.stdout}${audit.stderr}`).toBe(0);
    const trail = readFileSync(
      join(ws.dir, 'state', 'walkthrough', 'runs', JSON.parse(status.stdout).run as string, 'audit.jsonl'),
      'utf8',
    );
    expect(trail).toContain('"block-interrupted"');
    expect(trail).not.toContain('"lock-taken-over"');
    expect(trail).toContain('"block-confirmed"');
  });

  it('reproduced: a block retitled the pane (OSC 0) and wrote the clipboard (OSC 52); now the title, the clipboard and the screen stay as they were, and the escapes are shown as text', async () => {
    // No "# " heading: the title is the file's name, escapes and all; the operator carries one too.
    const book = 'up\x1b]0;FILE\x07grade.md';
    const nasty = [
      "printf 'title\\033]0;PWNED\\007 after\\n'",
      "printf 'clip\\033]52;c;ZWNobyBoaQ==\\007 done\\n'",
      "printf 'move\\033[2J\\033[H here\\n'",
      "printf 'lone \\033 esc\\n'",
      "printf 'c1 \\302\\233 31m csi\\n'",
      "printf 'bell\\007 ring\\n'",
      "printf 'end of output\\n'",
    ];
    writeFileSync(join(ws.dir, book), ['## Print {#print}', '', '```sh name=nasty', ...nasty, '```', ''].join('\n'));
    await ws.tmux.startWaymark('inert', [book, '--state-dir', 'state', '--operator', 'op\x1b]0;OPERATOR\x07'], {
      cwd: ws.dir,
      columns: 100,
      rows: 40,
    });
    await ws.tmux.waitFor('inert', /enter run next/);
    const title = await ws.tmux.paneTitle('inert');
    expect(title).not.toMatch(/FILE|OPERATOR|PWNED/);
    let screen = await ws.tmux.screen('inert');
    expect(screen).toContain('up␛]0;FILE␇grade');
    expect(screen).toContain('operator op␛]0;OPERATOR␇');

    await ws.tmux.keys('inert', ['Enter']);
    screen = await ws.tmux.waitFor('inert', /end of output/);
    for (const shown of [
      'title␛]0;PWNED␇ after',
      'clip␛]52;c;ZWNobyBoaQ==␇ done',
      'move␛[2J␛[H here',
      'lone ␛ esc',
      'c1 ⟨U+009B⟩ 31m csi',
      'bell␇ ring',
    ]) {
      expect(screen).toContain(shown);
    }
    // The screen was not cleared by ESC[2J: the header is still drawn above the output.
    expect(screen).toContain('operator op␛]0;OPERATOR␇');
    expect(await ws.tmux.paneTitle('inert')).toBe(title);
    expect(await ws.tmux.buffers()).toBe('');
    // The block's last line can be on screen before the block has ended: q then asks first.
    await ws.tmux.waitFor('inert', /RUN +nasty passed/);
    await ws.tmux.keys('inert', ['q']);
    expect(await ws.tmux.waitForExit('inert')).toBe(0);
  });
});
