/**
 * The operator's decisions from the keyboard: ticking a checklist, typing yes for a confirm
 * block, accepting a warning, skipping an optional step, cancelling a running block, and
 * resuming an unfinished run. Each test: key press → frame, and the decision on disk.
 */
import { describe, expect, it, vi } from 'vitest';
import { KEY, blockOf, flat, stepOf, useScreens } from './harness.js';

const ui = useScreens();

describe('checklist', () => {
  // Reproduced (issue 12, item 7): space ticked and moved the selection on, so "space, ↓, space"
  // ticked items 1 and 3, skipping the item the operator meant (on a two-item list, ↓ wrapped round
  // and the second space unticked item 1). Space now toggles the selected item only; ↑/↓ alone move.
  it('space toggles the selected item and does not move; "space, ↓, space" ticks items 1 and 2', async () => {
    const screen = await ui.open(ui.fixture('checklist.md'));
    await screen.until((f) => expect(f).toContain('› [ ] The API error rate is back to normal'));
    screen.press(KEY.space);
    await screen.until((f) => expect(f).toContain('› [x] The API error rate is back to normal'));
    // The selection stayed on the item just ticked, and is shown there.
    expect(screen.live()).toContain('  [ ] Nobody paged during the restart');
    screen.press(KEY.down);
    await screen.until((f) => expect(f).toContain('› [ ] Nobody paged during the restart'));
    screen.press(KEY.space);
    await screen.until((f) => expect(f).toContain('› [x] Nobody paged during the restart'));
    expect(screen.live()).toContain('  [x] The API error rate is back to normal');
    expect(screen.live()).toContain('  [ ] The queue depth is below 100');
    const ticked = stepOf(screen.session, 'dashboards').ticked;
    expect(Object.keys(ticked)).toHaveLength(2);
    expect(Object.values(ticked)[0]?.by).toBe('tester');

    // The step waits for every item: enter does not pass it.
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('step dashboards has 1 checklist item(s) to tick: space to tick'));
    expect(stepOf(screen.session, 'dashboards').status).not.toBe('passed');

    screen.press(KEY.down);
    await screen.until((f) => expect(f).toContain('› [ ] The queue depth is below 100'));
    screen.press(KEY.space);
    // All ticked: the step passes by itself and the next one is shown.
    await screen.until((f) => expect(f).toContain('Done (done)'));
    expect(stepOf(screen.session, 'dashboards').status).toBe('passed');
  });

  // Reproduced: the selection kept its position from the step before, so on the next step's
  // checklist space ticked its second item, not the first.
  it('on the next step the selection starts at its first item', async () => {
    const screen = await ui.open(ui.fixture('two-checklists.md'));
    screen.press(KEY.space, KEY.down, KEY.space);
    await screen.until((f) => expect(f).toContain('Tell the team (tell)'));
    await screen.until((f) => expect(f).toContain('› [ ] The change ticket is closed'));
    expect(screen.live()).toContain('  [ ] The channel knows the upgrade is done');
    screen.press(KEY.space);
    await screen.until((f) => expect(f).toContain('› [x] The change ticket is closed'));
    expect(Object.keys(stepOf(screen.session, 'tell').ticked)).toEqual([screen.session.runbook.steps[1]!.checklist[0]!.id]);
  });

  it('space twice on the same item ticks it and unticks it again', async () => {
    const screen = await ui.open(ui.fixture('checklist.md'));
    screen.press(KEY.space);
    await screen.until((f) => expect(f).toMatch(/› \[x\] The API error rate/));
    screen.press(KEY.space);
    await screen.until((f) => expect(f).toMatch(/› \[ \] The API error rate/));
    await screen.until(() => expect(stepOf(screen.session, 'dashboards').ticked).toEqual({}));
  });
});

describe('confirm blocks', () => {
  it('shows the exact command and runs only after yes is typed', async () => {
    const screen = await ui.open(ui.fixture('confirm.md'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('drop-shadow (shell) will run exactly:'));
    expect(screen.live()).toContain('This block needs your confirmation.');
    const frame = screen.live();
    expect(frame).toContain('│ echo "dropping shadow tables for $TARGET"');
    expect(frame).toContain('│ echo drop >> counter.txt');
    expect(frame).toContain('with TARGET="mitaka"');
    expect(frame).toContain('drop-shadow (shell) will run exactly:\n  via bash -e -o pipefail -c <code>, <code> being:');
    // A line wider than the screen continues on the next row: the exact command, never cut.
    const command = frame
      .split('\n')
      .flatMap((row) => {
        const match = /^ *([│┆]) (.*)$/.exec(row);
        return match ? [match[1] === '┆' ? match[2] : `\n${match[2]}`] : [];
      })
      .join('');
    expect(command).toContain(
      '\necho "tables: shadow_instances shadow_instance_actions shadow_block_device_mapping shadow_migrations" > /dev/null',
    );
    expect(command).toContain('\necho drop >> counter.txt\n');

    for (const ch of 'no') screen.press(ch);
    await screen.until((f) => expect(f).toContain('› no'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('type yes (and enter) to run it'));
    expect(screen.lines('counter.txt')).toEqual([]);
    expect(blockOf(screen.session, 'drop-shadow').status).toBe('pending');

    screen.press(KEY.backspace, KEY.backspace);
    for (const ch of 'yes') screen.press(ch);
    await screen.until((f) => expect(f).toContain('› yes'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('drop-shadow passed'));
    expect(screen.lines('counter.txt')).toEqual(['drop']);
  });

  it('esc goes back without running it', async () => {
    const screen = await ui.open(ui.fixture('confirm.md'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('will run exactly:'));
    screen.press(KEY.escape);
    await screen.until((f) => expect(f).toContain('cancelled'));
    expect(screen.live()).not.toContain('will run exactly:');
    expect(screen.lines('counter.txt')).toEqual([]);
  });

  it('a confirmation that arrives in one read ("yes" and enter together, as a paste or a slow link sends it) is honoured', async () => {
    const screen = await ui.open(ui.fixture('confirm.md'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('will run exactly:'));
    screen.press('no\r');
    await screen.until((f) => expect(f).toContain('type yes (and enter) to run it'));
    expect(screen.lines('counter.txt')).toEqual([]);
    screen.press('\u007F\u007Fyes\r');
    await screen.until(() => expect(screen.lines('counter.txt')).toEqual(['drop']));
  });
});

describe('warnings', () => {
  it('w acknowledges a warning (codes=oslo exit 1) and the run goes on', async () => {
    const screen = await ui.open(ui.fixture('warning.md'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('WARNING nova-status'));
    expect(screen.live()).toContain('w accept warning');
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('block nova-status ended with a warning that needs an acknowledgement: w to'));
    expect(screen.lines('counter.txt')).toEqual([]);
    screen.press('w');
    await screen.until((f) => expect(f).toMatch(/nova-status .*acknowledged/));
    expect(blockOf(screen.session, 'nova-status').acknowledged?.by).toBe('tester');
    screen.press(KEY.enter);
    await screen.until(() => expect(screen.lines('counter.txt')).toEqual(['after-check']));
  });
});

describe('skipping', () => {
  it('s on an optional step asks a reason and skips it', async () => {
    const screen = await ui.open(ui.fixture('optional.md'));
    expect(screen.live()).toContain('s skip step');
    screen.press('s');
    await screen.until((f) => expect(f).toContain('reason to skip purge'));
    for (const ch of 'no old records') screen.press(ch);
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('Start nova-compute (start-compute)'));
    const purge = stepOf(screen.session, 'purge');
    expect(purge.status).toBe('skipped');
    expect(purge.skipped?.reason).toBe('no old records');
    expect(screen.live()).toMatch(/↷ 1 Purge old records/);
    expect(screen.lines('counter.txt')).toEqual([]);
  });

  it('s on a step that is not optional says so and asks nothing', async () => {
    const screen = await ui.open(ui.fixture('steps.md'));
    screen.press('s');
    await screen.until((f) => expect(f).toContain('step restart is not optional: only steps marked {optional} can be skipped'));
    expect(screen.live()).not.toContain('reason to skip');
  });
});

describe('ctrl+c', () => {
  it('asks first while a block runs; any other key keeps it running; confirming kills it and records it interrupted', async () => {
    const screen = await ui.open(ui.fixture('long.md'));
    screen.press('a');
    await screen.until((f) => expect(f).toContain('Migrate (migrate)'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('migration started'));
    expect(screen.live()).toMatch(/▶ +RUN +migrate .*running/);
    // A block running in this session is running, not interrupted.
    expect(screen.live()).not.toContain('INTERRUPTED');

    screen.press(KEY.ctrlC);
    await screen.until((f) => expect(f).toContain('Cancel the running block?'));
    screen.press('x');
    await screen.until((f) => expect(f).toContain('the block keeps running'));
    expect(screen.session.busy).toBe(true);

    screen.press(KEY.ctrlC);
    await screen.until((f) => expect(f).toContain('Cancel the running block?'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('INTERRUPTED migrate'));
    expect(screen.session.busy).toBe(false);
    expect(blockOf(screen.session, 'migrate').status).toBe('interrupted');
    expect(screen.lines('counter.txt')).toEqual(['prepare']);
    expect(screen.live()).toMatch(/r re-run +m mark done/);
    expect(screen.exited()).toBe(false);
  });

  it('with nothing running, ctrl+c quits', async () => {
    const screen = await ui.open(ui.fixture('steps.md'));
    screen.press(KEY.ctrlC);
    await screen.until(() => expect(screen.exited()).toBe(true));
  });
});

describe('resume', () => {
  /** An unfinished run of long.md: prepare passed, migrate interrupted, closed by operator "alice". */
  async function unfinishedRun(): Promise<string> {
    const runbook = ui.fixture('long.md');
    const first = await ui.session(runbook, 'alice');
    const prepare = first.runbook.steps[0]!;
    await first.runBlock(prepare, prepare.blocks[0]!);
    const migrate = first.runbook.steps[1]!;
    const running = first.runBlock(migrate, migrate.blocks[0]!);
    // Running, not only starting: a cancel while its start is written keeps the block from starting at all.
    await vi.waitFor(() => expect(first.state.steps[1]?.blocks[0]?.status).toBe('running'));
    first.cancel();
    await running;
    await first.close();
    return runbook;
  }

  it('opens on the resume screen (who, when, N/M, the interrupted block) and runs nothing until enter', async () => {
    const runbook = await unfinishedRun();
    const session = await ui.session(runbook, 'bob');
    const screen = await ui.open(runbook, { session, resume: true });
    const frame = flat(screen.live());
    expect(frame).toContain('Resuming an unfinished run');
    expect(frame).toContain(`run ${session.state.run}`);
    expect(frame).toContain(`started ${session.state.startedAt.slice(0, 10)}`);
    expect(frame).toContain('by alice');
    expect(frame).toContain('1/3 steps done');
    expect(frame).toMatch(/migrate .*interrupted/);
    expect(frame).not.toContain('No interrupted block');

    // Keys that would run something do nothing here.
    screen.press('a');
    await screen.until((f) => expect(f).toContain('press enter to continue this run, or q to quit'));
    screen.press('r');
    await screen.until((f) => expect(f).toContain('Resuming an unfinished run'));
    expect(blockOf(session, 'migrate').executions).toBe(1);
    expect(screen.lines('counter.txt')).toEqual(['prepare']);

    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('INTERRUPTED migrate'));
    expect(screen.live()).not.toContain('Resuming');
    expect(blockOf(session, 'migrate').executions).toBe(1);
  });

  it('m marks the interrupted block done with a reason, and the run goes on', async () => {
    const runbook = await unfinishedRun();
    const session = await ui.session(runbook, 'bob');
    const screen = await ui.open(runbook, { session, resume: true });
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('INTERRUPTED migrate'));
    screen.press('m');
    await screen.until((f) => expect(f).toContain('reason to mark migrate done'));
    for (const ch of 'finished it by hand in psql') screen.press(ch);
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('After (after)'));
    const migrate = blockOf(session, 'migrate');
    expect(migrate.status).toBe('passed');
    expect(migrate.markedDone?.reason).toBe('finished it by hand in psql');
    expect(migrate.executions).toBe(1);
  });
});
