/**
 * Running blocks from the keyboard: enter runs one block, `a` the rest of the step, `l` hands the
 * block's log to the pager, `q` leaves, `?` lists every key of the one key table, and the screen
 * follows the terminal's size. Each test: key press → frame.
 */
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { KEY_TABLE } from '../../src/ui/keys.js';
import { KEY, blockOf, flat, stepOf, useScreens } from './harness.js';

const ui = useScreens();

describe('enter and a', () => {
  it('enter runs the next pending block and shows it passed; the next block stays pending', async () => {
    const screen = await ui.open(ui.fixture('steps.md'));
    await screen.until((f) => expect(f).toMatch(/· +RUN +restart-api/));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toMatch(/✓ +RUN +restart-api .*passed/));
    expect(screen.frame()).toMatch(/· +RUN +restart-conductor/);
    expect(screen.frame()).toContain('restarting nova-api');
    expect(screen.lines('counter.txt')).toEqual(['restart-api']);
    expect(blockOf(screen.session, 'restart-conductor').status).toBe('pending');
  });

  it('a runs the remaining blocks of the step in order and moves on to the next step', async () => {
    const screen = await ui.open(ui.fixture('steps.md'));
    screen.press('a');
    await screen.until((f) => expect(f).toMatch(/Announce \(announce\)/));
    expect(screen.lines('counter.txt')).toEqual(['restart-api', 'restart-conductor', 'services-up']);
    expect(stepOf(screen.session, 'restart').status).toBe('passed');
    expect(screen.live()).toMatch(/✓ 1 Restart the servic/);
    // The next step is not started by `a`: it only runs the current step.
    expect(blockOf(screen.session, 'announce').status).toBe('pending');
    expect(screen.frame()).toMatch(/1\/2/);
  });
});

describe('the step view', () => {
  it("shows variable values in the prose and checklist, secrets masked, and a block's result even at 80 columns", async () => {
    const screen = await ui.open(ui.fixture('vars.md'), { columns: 80, rows: 24 });
    expect(flat(screen.live())).toContain('Upgrade nova to mitaka, authenticating with ••••.');
    expect(screen.live()).toContain('[ ] The team knows nova mitaka is live');
    screen.press(KEY.enter);
    // Long attributes and variables come after the result, so they are what the edge cuts.
    await screen.until((f) => expect(f).toMatch(/✓ +VERIFY +upgrade-nova-database passed \d+ms/));
    await screen.until((f) => expect(f).toContain('upgrading to mitaka with ••••'));
    expect(screen.frame()).not.toContain('s3cr3t');
  });

  it("keeps blank lines: between paragraphs of the prose and in a block's output", async () => {
    const screen = await ui.open(ui.fixture('blank-lines.md'), { columns: 80, rows: 24 });
    expect(screen.live()).toMatch(/The first paragraph\.\n *\n +The second paragraph\./);
    screen.press(KEY.enter);
    // Each output row has a two-column gutter (the stderr mark).
    await screen.until((f) => expect(f).toMatch(/\n {2}section one\n *\n {2}section two\n/));
  });
});

describe('l opens the log', () => {
  it("hands the last block's log file to the pager", async () => {
    const screen = await ui.open(ui.fixture('steps.md'));
    screen.press('l');
    await screen.until((f) => expect(f).toContain('no block has run yet'));
    expect(screen.pagerCalls).toEqual([]);
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toMatch(/restart-api .*passed/));
    screen.press('l');
    await vi.waitFor(() => expect(screen.pagerCalls).toHaveLength(1));
    const log = blockOf(screen.session, 'restart-api').log;
    expect(log).toBeTruthy();
    expect(screen.pagerCalls[0]).toBe(join(screen.session.paths.dir, log as string));
  });
});

describe('q and ?', () => {
  it('q with nothing running quits the app', async () => {
    const screen = await ui.open(ui.fixture('steps.md'));
    expect(screen.exited()).toBe(false);
    screen.press('q');
    await vi.waitFor(() => expect(screen.exited()).toBe(true));
    expect(screen.controller.getSnapshot().quit).toBe(true);
    expect(screen.lines('counter.txt')).toEqual([]);
  });

  // Reproduced: the overlay (and the footer) advertised b rollback, o override and m mark done on a
  // step that has nothing to roll back, override or mark done.
  const applies = [
    'run-next',
    'run-step',
    'browse-back',
    'browse-forward',
    'steps',
    'shell',
    'log',
    'scroll-up',
    'scroll-down',
    'search',
    'search-next',
    'search-previous',
    'cancel',
    'quit',
    'help',
  ];

  it('? at 80x24 lists the keys that apply now, and only those, one row each in its short form', async () => {
    const screen = await ui.open(ui.fixture('steps.md'), { columns: 80, rows: 24 });
    screen.press('?');
    await screen.until((f) => expect(f).toContain('Keys that apply now, short form'));
    const frame = screen.live();
    for (const binding of KEY_TABLE) {
      const cell = `${binding.keys.join(', ')}  ${binding.hint}`;
      if (applies.includes(binding.action)) expect(frame, `${binding.action}`).toContain(cell);
      else expect(frame, `${binding.action} does not apply to a plain step`).not.toContain(cell);
    }
    for (const line of frame.split('\n')) expect(line).not.toMatch(/…$/);
    screen.press('x');
    await screen.until((f) => expect(f).not.toContain('Keys that apply now'));
  });

  it('? shows a help overlay listing the keys that apply now, and only those, with what each does, at 160x48', async () => {
    const screen = await ui.open(ui.fixture('steps.md'), { columns: 160, rows: 48 });
    screen.press('?');
    await screen.until((f) => expect(f).toContain('Keys that apply now ('));
    const frame = screen.live();
    for (const binding of KEY_TABLE) {
      const line = frame.split('\n').find((l) => l.includes(binding.help.slice(0, 24)));
      if (applies.includes(binding.action)) {
        expect(line, `help line for ${binding.action} (${binding.keys.join(', ')})`).toBeDefined();
        expect(line).toContain(binding.keys.join(', '));
      } else expect(line, `${binding.action} does not apply to a plain step`).toBeUndefined();
    }
    expect(screen.live().split('\n').at(-1)).not.toMatch(/\bb rollback|o override|m mark done/);
    // Any key closes it again, and does nothing else.
    screen.press('x');
    await screen.until((f) => expect(f).not.toContain('Keys that apply now ('));
    expect(screen.lines('counter.txt')).toEqual([]);
  });
});

describe('terminal size', () => {
  it('fits 80x24 and lays out again when the terminal grows to 160x48 and shrinks back', async () => {
    const screen = await ui.open(ui.fixture('steps.md'), { columns: 80, rows: 24 });
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toMatch(/restart-api .*passed/));
    const small = screen.live().split('\n');
    expect(small.length).toBeLessThanOrEqual(23);
    for (const line of small) expect([...line].length, line).toBeLessThanOrEqual(80);
    expect(small.at(-1)).toContain('? help');
    const outputRule = small.findIndex((l) => l.startsWith('── output'));
    expect([...small[outputRule]!].length).toBe(80);

    screen.resize(160, 48);
    await screen.until((f) => {
      const lines = f.replace(/\n$/, '').split('\n').slice(-47);
      expect(lines.find((l) => l.startsWith('── output'))?.length).toBe(160);
    });
    const big = screen.live().split('\n');
    expect(big.length).toBeLessThanOrEqual(47);
    for (const line of big) expect([...line].length, line).toBeLessThanOrEqual(160);
    expect(big.at(-1)).toContain('? help');
    // The step list is wider: titles that were cut at 80 columns are whole.
    expect(screen.live()).toContain('1 Restart the services');

    screen.resize(80, 24);
    await screen.until((f) =>
      expect(
        f
          .replace(/\n$/, '')
          .split('\n')
          .slice(-23)
          .find((l) => l.startsWith('── output'))?.length,
      ).toBe(80),
    );
  });
});
