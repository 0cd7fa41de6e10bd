/**
 * A failed gate on screen: the check's name, why it failed and what the runbook says to do; no
 * key moves past it; `r` re-runs it once the cause is fixed; `o` overrides only a check that
 * allows it, and only with a reason of 10+ characters. Each test: key press → frame.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY, blockOf, flat, useScreens, type Screen } from './harness.js';

const ui = useScreens();

/** Open gate.md and let the charset check fail. */
async function failedGate(): Promise<Screen> {
  const screen = await ui.open(ui.fixture('gate.md'));
  screen.press(KEY.enter);
  await screen.until((f) => expect(f).toContain('GATE: check failed charset-check'));
  return screen;
}

/** gate.md with the charset check passed, so the run stands at the free-space check (override=allowed). */
async function failedOverridableGate(): Promise<Screen> {
  const screen = await ui.open(ui.fixture('gate.md'));
  writeFileSync(join(screen.dir, 'charset-fixed'), '');
  screen.press('a');
  await screen.until((f) => expect(f).toContain('Free space (free-space)'));
  screen.press(KEY.enter);
  await screen.until((f) => expect(f).toContain('GATE: check failed free-space'));
  return screen;
}

describe('a failing check holds the run', () => {
  it('shows GATE with the check name, the reason, the evidence and the runbook note', async () => {
    const screen = await failedGate();
    const frame = screen.live();
    expect(frame).toMatch(/GATE: check failed charset-check: exit 1, expected 0/);
    expect(frame).toContain('nova.instances is latin1');
    // The note is the paragraph under the check in the runbook: whole, even at 80 columns.
    expect(flat(frame)).toContain('→ Convert the listed tables to utf8, then re-run the check.');
    expect(frame).toMatch(/⊘ +CHECK +charset-check .*refused/);
    expect(frame).toMatch(/⊘ 1 Tables are in utf8/);
    expect(frame).toMatch(/r re-run/);
  });

  it('enter and a do not move past it: the next block stays pending', async () => {
    const screen = await failedGate();
    screen.press(KEY.enter);
    await screen.until((f) =>
      expect(flat(f)).toContain(
        'check charset-check failed and holds the run (it cannot be overridden): r to re-run check charset-check once its cause is fixed',
      ),
    );
    screen.press('a');
    await screen.until((f) => expect(f).toContain('holds the run'));
    // `a` ends at the gate without running anything: let it settle, then look at the state.
    await screen.until(() => expect(screen.session.busy).toBe(false));
    expect(screen.live()).toContain('GATE: check failed charset-check');
    expect(screen.live()).toMatch(/· +RUN +migrate/);
    expect(blockOf(screen.session, 'migrate').status).toBe('pending');
    expect(blockOf(screen.session, 'charset-check').executions).toBe(1);
    expect(screen.lines('counter.txt')).toEqual([]);
  });

  it('r re-runs the check once the cause is fixed, and the run goes on', async () => {
    const screen = await failedGate();
    screen.press('r');
    // Still broken: re-run, refused again.
    await screen.until(() => expect(blockOf(screen.session, 'charset-check').executions).toBe(2));
    // The re-run is over (the session is idle again) and the gate still holds.
    await screen.until(() => expect(screen.session.busy).toBe(false));
    await screen.until((f) => expect(f).toContain('GATE: check failed charset-check'));
    writeFileSync(join(screen.dir, 'charset-fixed'), '');
    screen.press('r');
    await screen.until((f) => expect(f).toMatch(/✓ +CHECK +charset-check .*passed/));
    expect(screen.live()).not.toContain('GATE');
    await screen.until((f) => expect(f).toContain('every table is utf8'));
    screen.press(KEY.enter);
    await screen.until(() => expect(screen.lines('counter.txt')).toEqual(['migrate']));
  });
});

describe('o overrides a check', () => {
  it('refuses on a check without override=allowed', async () => {
    const screen = await failedGate();
    screen.press('o');
    await screen.until((f) =>
      expect(flat(f)).toContain('check charset-check does not allow an override: the runbook must say override=allowed on it'),
    );
    expect(screen.live()).not.toContain('reason to override');
    expect(blockOf(screen.session, 'charset-check').status).toBe('refused');
  });

  it('asks a reason where allowed; under 10 characters is refused, 10+ is recorded', async () => {
    const screen = await failedOverridableGate();
    expect(screen.live()).toContain('o override');
    screen.press('o');
    await screen.until((f) => expect(f).toContain('reason to override free-space (10+ characters)'));
    for (const ch of 'too short') screen.press(ch);
    await screen.until((f) => expect(f).toContain('› too short'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain('the reason must be at least 10 characters'));
    expect(blockOf(screen.session, 'free-space').status).toBe('refused');
    expect(screen.lines('counter.txt')).toEqual(['migrate']);

    // Backspace corrects; then a real reason.
    for (let i = 0; i < 'too short'.length; i++) screen.press(KEY.backspace);
    for (const ch of 'DBA freed 12 GiB by hand') screen.press(ch);
    await screen.until((f) => expect(f).toContain('› DBA freed 12 GiB by hand'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toMatch(/! +CHECK +free-space .*overridden/));
    const state = blockOf(screen.session, 'free-space');
    expect(state.status).toBe('overridden');
    expect(state.override?.reason).toBe('DBA freed 12 GiB by hand');
    expect(state.override?.by).toBe('tester');
  });
});

describe('an interrupted check is re-run, or overridden where it allows it, never marked done', () => {
  /** Open slow-gate.md, start the check `id` with enter and cancel it with ctrl+c. */
  async function cancelledCheck(screen: Screen, id: string): Promise<void> {
    screen.press(KEY.enter);
    await screen.until((f) => {
      expect(screen.session.busy).toBe(true);
      expect(f).toMatch(new RegExp(`▶ +CHECK +${id} .*running`));
    });
    screen.press(KEY.ctrlC);
    await screen.until((f) => expect(f).toContain('Cancel the running block?'));
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toContain(`INTERRUPTED ${id}`));
    expect(screen.session.busy).toBe(false);
  }

  it('reproduced: ctrl+c on a running check without override=allowed, then m and a reason, made the check passed and ran the next block', async () => {
    const screen = await ui.open(ui.fixture('slow-gate.md'));
    await cancelledCheck(screen, 'schema-check');
    // The footer offers re-run only: no mark done, no override.
    expect(screen.live()).toMatch(/r re-run/);
    expect(screen.live()).not.toContain('m mark done');
    expect(screen.live()).not.toContain('o override');

    screen.press('m');
    await screen.until((f) =>
      expect(flat(f)).toContain(
        'check schema-check cannot be marked done: a check that did not finish is a gate that has not passed; re-run it (it cannot be overridden)',
      ),
    );
    expect(screen.live()).not.toContain('reason to mark');
    // The reason typed anyway (no r, a or q in it) and enter: nothing gets past the gate.
    for (const ch of 'the check is fine') screen.press(ch);
    screen.press(KEY.enter);
    await screen.until((f) => expect(flat(f)).toContain('check schema-check was interrupted and holds the run: r to re-run schema-check'));
    await screen.until(() => expect(screen.session.busy).toBe(false));
    expect(blockOf(screen.session, 'schema-check').status).toBe('interrupted');
    expect(blockOf(screen.session, 'schema-check').markedDone).toBeUndefined();
    expect(blockOf(screen.session, 'migrate').status).toBe('pending');
    expect(screen.session.state.steps[0]?.status).not.toBe('passed');
    expect(screen.lines('counter.txt')).toEqual([]);
  });

  it('with override=allowed, o asks a reason and the check and its step show overridden', async () => {
    // The first gate passes here, so the run reaches the check that allows an override.
    const file = ui.fixture('slow-gate.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('check name=schema-check\nsleep 30; exit 1', 'check name=schema-check\nexit 0'));
    const screen = await ui.open(file);
    screen.press('a');
    await screen.until((f) => expect(f).toContain('Disk has room (disk)'));
    await cancelledCheck(screen, 'disk-check');
    expect(screen.live()).toContain('o override');
    expect(screen.live()).not.toContain('m mark done');
    screen.press('m');
    await screen.until((f) =>
      expect(flat(f)).toContain(
        'check disk-check cannot be marked done: a check that did not finish is a gate that has not passed; re-run it, or override it by name with a reason',
      ),
    );
    screen.press('o');
    await screen.until((f) => expect(f).toContain('reason to override disk-check (10+ characters)'));
    for (const ch of 'DBA freed 12 GiB by hand') screen.press(ch);
    screen.press(KEY.enter);
    await screen.until((f) => expect(f).toMatch(/! +CHECK +disk-check .*overridden/));
    expect(blockOf(screen.session, 'disk-check')).toMatchObject({
      status: 'overridden',
      override: { reason: 'DBA freed 12 GiB by hand', by: 'tester' },
    });
    screen.press(KEY.enter);
    await screen.until(() => expect(screen.lines('counter.txt')).toEqual(['migrate', 'after-disk']));
    await screen.until(() => expect(screen.session.state.steps[1]?.status).toBe('overridden'));
    await screen.until((f) => expect(f).toMatch(/! 2 Disk has room/));
  });
});
