/**
 * Issue 12, items 3-6: what the operator must read is on screen whole, or one key away, at 80x24
 * and up. Each test names what it reproduced on the old layout.
 */
import { render } from 'ink-testing-library';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parseRunbook } from '../../src/runbook/parse.js';
import type { StepState } from '../../src/engine/run-state.js';
import { StepView, stepSections } from '../../src/ui/components/StepView.js';
import { KEY_TABLE } from '../../src/ui/keys.js';
import { KEY, flat, plain, useScreens } from './harness.js';

const ui = useScreens();
const PGDN = '\u001B[6~';

describe('the confirm screen shows every line of the command (item 3)', () => {
  // Reproduced: at 80x24 a 24-line command showed its first lines and "… N more lines", and yes ran it.
  it('at 80x24, yes is refused until pgdn has shown the end; then the same yes runs it', async () => {
    const screen = await ui.open(ui.fixture('confirm-long.md'), { columns: 80, rows: 24 });
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toMatch(/lines 1-\d+ of 24 · pgdn\/pgup/));
    expect(screen.live()).toContain('starting controller 01 of 24');
    expect(screen.live()).not.toContain('echo started >> counter.txt');
    screen.press('y', 'e', 's', KEY.enter);
    await screen.until((f) => expect(flat(f)).toMatch(/read the whole command first: pgdn shows the rest \(\d+ more lines\)/));
    expect(screen.lines('counter.txt')).toEqual([]);
    screen.press(PGDN);
    await screen.until((f) => expect(f).toContain('echo started >> counter.txt'));
    expect(screen.live()).toMatch(/lines \d+-24 of 24 .*\(end\)/);
    screen.press(KEY.enter);
    await screen.until(() => expect(screen.lines('counter.txt')).toEqual(['started']));
  });

  it('at 160x48 the whole command fits and yes is accepted at once', async () => {
    const screen = await ui.open(ui.fixture('confirm-long.md'), { columns: 160, rows: 48 });
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('all 24 lines shown'));
    screen.press('y', 'e', 's', KEY.enter);
    await screen.until(() => expect(screen.lines('counter.txt')).toEqual(['started']));
  });
});

describe('prose, checklists, titles and the header are never cut (item 5)', () => {
  // Reproduced: "Mitaka's configuration is deployed to every cont…" at 80 columns, and the ETA cut to "E…".
  it('at 80x24 every checklist item is shown whole, wrapped, and the header keeps progress and ETA', async () => {
    const screen = await ui.open(ui.fixture('long-items.md'), { columns: 80, rows: 24 });
    // The first frame is drawn at ink-testing-library's 100 columns: wait for the 80-column one.
    await screen.until((f) => expect(f).toMatch(/^›· 1 Pre-check: the OpenStack compute/m));
    const live = flat(screen.live());
    expect(live).toContain(
      "[ ] Mitaka's configuration is deployed to every controller, and nova.conf has [cache] enabled = true on each of them",
    );
    expect(live).toContain('[ ] The change window is open and the on-call engineer of the storage team has acknowledged it in the ticket');
    expect(screen.live().split('\n')[0]).toMatch(/0\/2 · \S+ · ETA n\/a$/);
    for (const line of screen.live().split('\n')) expect(line).not.toMatch(/…$/);
  });

  // Reproduced: both titles showed as "Pre-check: the OpenStac…" in the step list.
  it('at 100x30 two long step titles that differ at the end are told apart in the list', async () => {
    const screen = await ui.open(ui.fixture('long-items.md'), { columns: 100, rows: 30 });
    await screen.until((f) => expect(f).toMatch(/^›· 1 Pre-check: the OpenStack/m));
    // Beside the step, each title takes two rows: the words that tell them apart are on the second.
    const list = screen
      .live()
      .split('\n')
      .map((l) => l.slice(0, 30));
    const first = list.findIndex((l) => l.startsWith('›· 1'));
    expect(list[first + 1]).toMatch(/compute services/);
    expect(list[first + 2]).toMatch(/^ · 2 Pre-check/);
    expect(list[first + 3]).toMatch(/network services/);
  });

  // Reproduced: "… (30 more lines: widen or heighten the terminal)" and no way to read them.
  it('a step text longer than the screen says how much is below, and > scrolls to its last line', async () => {
    const screen = await ui.open(ui.fixture('long-prose.md'), { columns: 100, rows: 30 });
    await screen.until((f) => expect(f).toMatch(/── text: \d+ more below/));
    expect(screen.live()).not.toContain('widen or heighten');
    expect(screen.live()).toMatch(/── text: \d+ more below \(>\)/);
    expect(screen.live()).not.toContain('THE-LAST-SENTENCE');
    for (let i = 0; i < 6; i++) screen.press('>');
    await screen.until((f) => expect(f).toContain('THE-LAST-SENTENCE'));
    expect(screen.live()).toMatch(/── text: \d+ above \(<\)/);
    // The blocks stay on screen while the text scrolls.
    expect(screen.live()).toMatch(/· +RUN +read/);
  });
});

describe('gate rows (item 4)', () => {
  const runbook = parseRunbook(
    [
      '---',
      'title: Charset',
      'id: charset',
      '---',
      '# Charset',
      '',
      '## Pre-check: no latin1 left {#charset}',
      '',
      'Every table must be utf8.',
      '',
      '```sh check name=latin1-tables',
      'true',
      '```',
      '',
    ].join('\n'),
    'charset.md',
  );
  const step = runbook.steps[0]!;
  const block = step.blocks.find((b) => b.id === 'latin1-tables')!;
  const tables = ['nova.instances', 'nova.migrations', 'glance.images', 'cinder.volumes', 'neutron.networks', 'neutron.ports'];
  const state = (rows: string[][], rowCount: number): StepState => ({
    id: step.id,
    title: step.title,
    hash: '',
    status: 'refused',
    ticked: {},
    blocks: [
      {
        id: block.id,
        role: 'check',
        hash: '',
        status: 'refused',
        exitCode: null,
        attempts: 1,
        executions: 1,
        reason: `${rowCount} rows, expected none`,
        columns: ['table', 'charset'],
        rows,
        rowCount,
      },
    ],
  });
  const draw = (stepState: StepState, height: number) => {
    const sections = stepSections({
      step,
      state: stepState,
      next: { kind: 'refused', step, block },
      selected: 0,
      busy: false,
      vars: {},
      rollbacks: [],
      remedy: null,
      width: 76,
    });
    const { lastFrame, unmount } = render(<StepView sections={sections} width={76} height={height} proseScroll={0} />);
    const text = plain(lastFrame());
    unmount();
    return text;
  };

  // Reproduced: 4 of 6 tables listed, neutron.networks and neutron.ports missing, and nothing said so.
  it('says "6 rows, 4 shown" and where the whole table is when the rows do not fit', () => {
    const text = draw(
      state(
        tables.map((t) => [t, 'latin1']),
        6,
      ),
      10,
    );
    expect(text).toMatch(/6 rows, \d shown · whole table: l \(its log\), pgup \(output\)/);
    const shown = Number(/6 rows, (\d) shown/.exec(text)?.[1]);
    expect(tables.filter((t) => text.includes(t))).toHaveLength(shown);
  });

  it('shows all 6 rows, and no count, when they fit', () => {
    const text = draw(
      state(
        tables.map((t) => [t, 'latin1']),
        6,
      ),
      20,
    );
    for (const table of tables) expect(text).toContain(table);
    expect(text).not.toMatch(/rows, \d+ shown/);
  });

  it('counts the rows the check found beyond the 50 the checkpoint keeps', () => {
    const rows = Array.from({ length: 50 }, (_, i) => [`db.t${i}`, 'latin1']);
    expect(draw(state(rows, 73), 48)).toMatch(/73 rows, \d+ shown · whole table/);
  });
});

describe('the whole table is one key away (item 4)', () => {
  // Reproduced: on a resumed run held at a gate, l said "no block has run yet in this session".
  it('l opens the log of the check that holds a resumed run', async () => {
    const runbook = ui.fixture('gate.md');
    const first = await ui.session(runbook, 'alice');
    const step = first.runbook.steps[0]!;
    await first.runBlock(step, step.blocks.find((b) => b.id === 'charset-check')!);
    await first.close();
    const session = await ui.session(runbook, 'bob');
    const screen = await ui.open(runbook, { session, resume: true });
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('GATE: check failed charset-check'));
    screen.press('l');
    await vi.waitFor(() => expect(screen.pagerCalls).toHaveLength(1));
    const log = session.state.steps[0]!.blocks.find((b) => b.id === 'charset-check')!.log!;
    expect(screen.pagerCalls[0]).toBe(join(session.paths.dir, log));
  });
});

describe('a layout for 80x24 (item 6)', () => {
  // Reproduced: the output pane stayed 4 rows tall under 10 blank rows.
  it('at 80x24 the output pane starts right under a short step and takes the rest', async () => {
    const screen = await ui.open(ui.fixture('steps.md'), { columns: 80, rows: 24 });
    const lines = screen.live().split('\n');
    const output = lines.findIndex((l) => l.startsWith('── output'));
    expect(output).toBeGreaterThan(0);
    expect(lines[output - 1]?.trim()).not.toBe('');
    const footer = lines.findIndex((l) => l.includes('? help'));
    expect(footer - output).toBeGreaterThanOrEqual(8);
  });

  // Reproduced: at 160x48 the output pane was a quarter of the height.
  it('at 160x48 the output pane is taller than a quarter of the screen', async () => {
    const screen = await ui.open(ui.fixture('steps.md'), { columns: 160, rows: 48 });
    const lines = screen.live().split('\n');
    const output = lines.findIndex((l) => l.startsWith('── output'));
    const footer = lines.findIndex((l) => l.includes('? help'));
    expect(footer - output).toBeGreaterThan(48 / 4);
  });

  it('at 80x24 the step list collapses to the current step and its neighbours above the step', async () => {
    const screen = await ui.open(ui.fixture('long-items.md'), { columns: 80, rows: 24 });
    // The first frame is drawn at ink-testing-library's 100 columns: wait for the 80-column one.
    await screen.until((f) => expect(f).toMatch(/^›· 1 Pre-check: the OpenStack compute/m));
    const lines = screen.live().split('\n');
    expect(lines[2]).toMatch(/^›· 1 Pre-check: the OpenStack compute services answer on every controller/);
    expect(lines[3]).toMatch(/^ · 2 Pre-check: the OpenStack network services answer on every controller/);
  });

  // Reproduced: the ? overlay cut every line in two columns while 7 rows stayed blank.
  it('the ? overlay shows every help line whole at 80x24, at a gate where many keys apply', async () => {
    const screen = await ui.open(ui.fixture('gate.md'), { columns: 80, rows: 24 });
    screen.press('a');
    await screen.until((f) => expect(f).toContain('GATE'));
    screen.press('?');
    await screen.until((f) => expect(f).toContain('Keys that apply now'));
    const live = flat(screen.live());
    // The long form where it fits; here, with this many keys, each key's short form on a row of its own.
    const shown = KEY_TABLE.filter((b) => live.includes(b.help) || live.includes(flat(`${b.keys.join(', ')}  ${b.hint}`)));
    expect(shown.map((b) => b.action)).toEqual(expect.arrayContaining(['rerun', 'log', 'scroll-up', 'quit', 'help']));
    for (const line of screen.live().split('\n')) expect(line).not.toMatch(/…$/);
  });
});
