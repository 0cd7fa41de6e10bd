/**
 * Issue 12, keys and moves: a message lasts as long as the state it describes (item 8); from a
 * refused check, the step that fixes it runs in place; any step can be read without running it;
 * `!` opens a shell and the audit records it. Each test: key press → frame, and what is on disk.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY, blockOf, flat, stepOf, useScreens } from './harness.js';

const ui = useScreens();

describe('a message lasts as long as the state it describes', () => {
  // Reproduced: "type yes (and enter) to run it" stayed red on screen after yes ran the block.
  it('the refusal of a typed confirmation goes once yes is accepted', async () => {
    const screen = await ui.open(ui.fixture('confirm.md'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('will run exactly:'));
    for (const ch of 'no') screen.press(ch);
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('type yes (and enter) to run it'));
    // Correcting the answer: the refusal was about "no", and the question comes back.
    screen.press(KEY.backspace, KEY.backspace);
    await screen.until((f) => expect(f).toContain('type yes and enter to run drop-shadow'));
    expect(screen.live()).not.toContain('type yes (and enter) to run it');
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('type yes (and enter) to run it'));
    for (const ch of 'yes') screen.press(ch);
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('drop-shadow passed'));
    expect(screen.live()).not.toContain('type yes');
  });

  // Reproduced: the red "the reason must be at least 10 characters" stayed after the skip succeeded.
  it('a reason refused as too short is not shown once the skip is recorded', async () => {
    const screen = await ui.open(ui.fixture('optional.md'));
    screen.press('s');
    await screen.until((f) => expect(f).toContain('reason to skip purge'));
    for (const ch of 'no') screen.press(ch);
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('the reason must be at least 10 characters'));
    for (const ch of ' old records') screen.press(ch);
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('Start nova-compute (start-compute)'));
    expect(stepOf(screen.session, 'purge').skipped?.reason).toBe('no old records');
    expect(screen.live()).not.toContain('at least 10 characters');
  });

  // Reproduced: "cancelling… it will be recorded as interrupted" stayed after the block was recorded
  // interrupted, and the gate line read "INTERRUPTED migrate:" with nothing after it.
  it('"cancelling" goes once the block has ended, and INTERRUPTED says why', async () => {
    const screen = await ui.open(ui.fixture('long.md'));
    screen.press('a');
    await screen.until((f) => expect(f).toContain('Migrate (migrate)'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('migration started'));
    screen.press(KEY.ctrlC);
    await screen.until((f) => expect(f).toContain('Cancel the running block?'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('INTERRUPTED migrate'));
    await screen.until(() => expect(screen.session.busy).toBe(false));
    await screen.until((f) => expect(f).not.toContain('cancelling'));
    expect(blockOf(screen.session, 'migrate').status).toBe('interrupted');
    expect(flat(screen.live())).toMatch(/INTERRUPTED migrate: it did not finish/);
    expect(screen.live()).not.toMatch(/INTERRUPTED migrate: *$/m);
  });

  // Reproduced: a check refused ("exit 1, expected 0"), re-run and cancelled showed
  // "INTERRUPTED schema-check: exit 1, expected 0" and "interrupted 12ms: exit 1, expected 0" on its
  // row: the reason and time of the execution before, not why it stopped now.
  it("a check cancelled on its re-run is not shown with the earlier refusal's reason", async () => {
    const screen = await ui.open(ui.fixture('slow-rerun.md'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('GATE: check failed schema-check: exit 1, expected 0'));
    writeFileSync(join(screen.dir, 'slow'), '');
    screen.press('r');
    await screen.until((f) => expect(f).toContain('checking again, slowly'));
    screen.press(KEY.ctrlC);
    await screen.until((f) => expect(f).toContain('Cancel the running block?'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('INTERRUPTED schema-check'));
    await screen.until(() => expect(screen.session.busy).toBe(false));
    const live = flat(screen.live());
    expect(live).toContain('INTERRUPTED schema-check: it did not finish');
    expect(live).toMatch(/⚡ +CHECK +schema-check interrupted(?! *\d)(?!:)/);
    expect(live).not.toContain('expected 0');
    // Nor the evidence of the refusal before it, as if this run had printed it.
    expect(screen.live()).not.toContain('schema is 41, expected 42');
  });
});

describe('a question about the running block, once it has ended', () => {
  // Reproduced: "Cancel the running block?" stayed after the block had finished, and the enter
  // meant as "yes" then ran the next block.
  it('"cancel it?" becomes "it finished", and the key meant as yes runs nothing', async () => {
    const screen = await ui.open(ui.fixture('wait-go.md'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('waiting for go'));
    screen.press(KEY.ctrlC);
    await screen.until((f) => expect(f).toContain('Cancel the running block?'));
    writeFileSync(join(screen.dir, 'go'), '');
    await screen.until((f) =>
      expect(flat(f)).toContain('The block finished before it was cancelled: nothing to cancel. Press any key to go on.'),
    );
    expect(screen.live()).not.toContain('Cancel the running block?');
    await screen.until(() => expect(screen.session.busy).toBe(false));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).not.toContain('The block finished before it was cancelled'));
    expect(blockOf(screen.session, 'wait-for-go').status).toBe('passed');
    expect(blockOf(screen.session, 'after-go').status).toBe('pending');
    expect(screen.lines('counter.txt')).toEqual([]);
    expect(screen.live()).not.toContain('cancelling');
    expect(screen.live()).not.toContain('the block keeps running');
  });

  // Reproduced: q while a block ran asked "Cancel it and quit?", and when the block finished first
  // the question stayed, about a block no longer running.
  it('"cancel it and quit?" quits once the block has finished, as q does with nothing running', async () => {
    const screen = await ui.open(ui.fixture('wait-go.md'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('waiting for go'));
    screen.press('q');
    await screen.until((f) => expect(f).toContain('A block is running. Cancel it and quit?'));
    writeFileSync(join(screen.dir, 'go'), '');
    await screen.until(() => expect(screen.exited()).toBe(true));
    expect(blockOf(screen.session, 'wait-for-go').status).toBe('passed');
    expect(blockOf(screen.session, 'after-go').status).toBe('pending');
    expect(screen.lines('counter.txt')).toEqual([]);
  });
});

describe('a key pressed as the block ends', () => {
  // Reproduced (gate.test.tsx failed under load): the frame showed the block passed while the
  // session was still writing its records, and an enter pressed then was refused with "a block is
  // running" and dropped. Here the enter arrives at the exact moment the block is announced finished.
  it('is for what comes next: enter runs the next block instead of being refused', async () => {
    const screen = await ui.open(ui.fixture('steps.md'));
    let pressed = false;
    const stop = screen.session.subscribe((event) => {
      if (event.type !== 'block-finished' || pressed) return;
      pressed = true;
      expect(screen.session.busy).toBe(true);
      screen.press(KEY.enter);
    });
    screen.press(KEY.enter);
    await screen.until(() => expect(screen.lines('counter.txt')).toEqual(['restart-api', 'restart-conductor']));
    stop();
    expect(pressed).toBe(true);
    expect(screen.live()).not.toContain('a block is running');
  });
});

describe('fixing a refused check in place', () => {
  // Reproduced: at the refused check the operator had to quit and relaunch with --only fix-charset.
  it('f works on the step that fixes the check; then r re-runs the check and the run goes on', async () => {
    const screen = await ui.open(ui.fixture('fix-gate.md'), { columns: 100, rows: 30 });
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('GATE: check failed charset-check'));
    expect(screen.live()).toContain('f fix in place');
    expect(screen.live()).toContain('› convert-charset: Convert the tables');

    screen.press('f');
    await screen.until((f) => expect(f).toContain('Convert the tables (convert-charset'));
    expect(flat(screen.live())).toContain('working on step convert-charset (it fixes check charset-check)');
    // Nothing ran yet: choosing the fix is not running it.
    expect(screen.lines('counter.txt')).toEqual([]);
    const record = readFileSync(screen.session.paths.audit, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; step?: string });
    expect(record.find((r) => r.type === 'fix-in-place')).toMatchObject({ step: 'convert-charset', check: 'charset-check' });

    screen.press(KEY.enter);
    await screen.until(() => expect(screen.lines('counter.txt')).toEqual(['convert']));
    // The fix is done: the view is back at the check, which still holds the run (migrate did not run).
    await screen.until((f) => expect(f).toContain('GATE: check failed charset-check'));
    expect(screen.live()).not.toContain('f fix in place');
    screen.press(KEY.enter);
    await screen.until((f) => expect(flat(f)).toContain('check charset-check failed and holds the run'));
    expect(blockOf(screen.session, 'migrate').status).toBe('pending');

    screen.press('r');
    await screen.until((f) => expect(f).toMatch(/✓ +CHECK +charset-check .*passed/));
    screen.press(KEY.enter);
    await screen.until(() => expect(screen.lines('counter.txt')).toEqual(['convert', 'migrate']));
    await screen.until((f) => expect(f).toContain('Wipe the old computes (wipe)'));
  });

  it('f where no step fixes the check says so and changes nothing', async () => {
    const screen = await ui.open(ui.fixture('gate.md'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('GATE: check failed charset-check'));
    expect(screen.live()).not.toContain('f fix in place');
    screen.press('f');
    await screen.until((f) => expect(flat(f)).toContain('no step declares fixes=charset for check charset-check'));
    expect(screen.session.fixingInPlace).toEqual([]);
  });
});

describe('browsing steps', () => {
  it('] and [ show another step to read; keys that answer bring the view back and run nothing; esc goes back', async () => {
    const screen = await ui.open(ui.fixture('steps.md'));
    await screen.until((f) => expect(f).toContain('Restart the services (restart)'));
    screen.press(']');
    await screen.until((f) => expect(f).toContain('Announce (announce)'));
    expect(flat(screen.live())).toContain('reading step 2 announce (not run from here): the run is on restart; esc goes back to it');
    // enter answers the run's step: the view goes back to it first, and nothing runs.
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('Restart the services (restart)'));
    expect(flat(screen.live())).toContain("back at step restart, the run's step: keys act on it");
    expect(screen.lines('counter.txt')).toEqual([]);
    expect(blockOf(screen.session, 'announce').status).toBe('pending');

    screen.press(']');
    await screen.until((f) => expect(f).toContain('Announce (announce)'));
    screen.press(KEY.escape);
    await screen.until((f) => expect(f).toContain('Restart the services (restart)'));
    screen.press(']', '[');
    await screen.until((f) => expect(f).not.toContain('reading step'));
    expect(screen.live()).toContain('Restart the services (restart)');
    expect(screen.lines('counter.txt')).toEqual([]);
  });
});

describe('the step list (g)', () => {
  it("lists every step with the run's step marked; enter shows the picked step to read, and nothing runs", async () => {
    const screen = await ui.open(ui.fixture('fix-gate.md'));
    screen.press('g');
    await screen.until((f) => expect(f).toContain('Steps: ↑/↓ select, enter shows the step to read (nothing runs), esc closes'));
    const list = screen.live();
    expect(list).toMatch(/› *· 1 Tables are in utf8 \(charset\) ← the run is here/);
    expect(list).toMatch(/· 2 Convert the tables \(convert-charset\)/);
    expect(list).toMatch(/· 3 Wipe the old computes \(wipe\)/);
    screen.press(KEY.down, KEY.down);
    await screen.until((f) => expect(f).toMatch(/› *· 3 Wipe the old computes/));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('Wipe the old computes (wipe)'));
    expect(flat(screen.live())).toContain('reading step 3 wipe (not run from here): the run is on charset');
    expect(screen.lines('counter.txt')).toEqual([]);
    expect(blockOf(screen.session, 'charset-check').executions).toBe(0);
    // esc closes the list without moving the view.
    screen.press('g');
    await screen.until((f) => expect(f).toContain('Steps: ↑/↓ select'));
    screen.press(KEY.escape);
    await screen.until((f) => expect(f).not.toContain('Steps: ↑/↓ select'));
    expect(screen.live()).toContain('Wipe the old computes (wipe)');
  });
});

describe('the shell escape', () => {
  it('! opens the shell in the runbook folder and records it in the audit; not while a block runs', async () => {
    const screen = await ui.open(ui.fixture('vars.md'));
    screen.press('!');
    await screen.until((f) => expect(f).toContain('back from the shell'));
    expect(screen.shellCalls).toHaveLength(1);
    expect(screen.shellCalls[0]?.cwd).toBe(screen.dir);
    const audit = readFileSync(screen.session.paths.audit, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string });
    expect(audit.filter((r) => r.type === 'shell-opened')).toHaveLength(1);
  });

  it('! while a block runs is refused: the shell would stop the TUI under the block', async () => {
    const screen = await ui.open(ui.fixture('long.md'));
    screen.press('a');
    await screen.until((f) => expect(f).toContain('Migrate (migrate)'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('migration started'));
    screen.press('!');
    await screen.until((f) => expect(flat(f)).toContain('a block is running: the shell opens once it has finished'));
    expect(screen.shellCalls).toEqual([]);
  });
});
