/**
 * The parity table (issue 11): every scenario of scenarios.ts is driven once headless (flags) and
 * once through the TUI (keys), each in its own state directory, both through `runCommand` so the
 * flags are parsed the same way. Per invocation both faces must record the same transitions and
 * give the same exit code; and, so that two faces equally wrong still fail, each must give the
 * exit code, transitions and step statuses the scenario expects.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RunSession, type SessionOptions } from '../../src/engine/session.js';
import { SCENARIOS, type Invocation, type Scenario } from './scenarios.js';
import { runHeadless, type FaceResult } from './headless.js';
import { runTui, tuiFace } from './tui.js';
import { OPERATOR, Workspace } from './workspace.js';

vi.mock('../../src/ui/start.js', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../src/ui/start.js')>();
  return { ...actual, startTui: (options: SessionOptions) => tuiFace.start(options) };
});

vi.setConfig({ testTimeout: 60_000 });

/** Frame text without colour escapes. */
function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001B\[[0-9;]*m/g, '');
}

/** What happened before the first invocation, done the same way in both state directories. */
async function setUp(scenario: Scenario, ws: Workspace): Promise<void> {
  if (scenario.setup !== 'interrupt-first-block') return;
  const session = await RunSession.open({ runbookFile: ws.runbook, stateDir: ws.stateDir, operator: OPERATOR, env: {}, killGraceMs: 200 });
  try {
    const next = session.next();
    if (next.kind !== 'run') throw new Error(`setup: the first action is ${next.kind}, not a block to run`);
    const started = new Promise<void>((resolve) => session.subscribe((event) => event.type === 'block-started' && resolve()));
    const running = session.runBlock(next.step, next.block);
    await started;
    session.cancel();
    await running;
  } finally {
    await session.close();
  }
  ws.newTransitions();
}

/** Is `expected` a subsequence of `actual`? The first expected transition missing, if any. */
function firstMissing(actual: string[], expected: string[]): string | undefined {
  let at = 0;
  for (const want of expected) {
    const found = actual.indexOf(want, at);
    if (found === -1) return want;
    at = found + 1;
  }
  return undefined;
}

function firstDifference(a: string[], b: string[]): string {
  const i = a.findIndex((line, index) => line !== b[index]);
  const index = i === -1 ? Math.min(a.length, b.length) : i;
  return `transition ${index + 1}: headless "${a[index] ?? '(none)'}", TUI "${b[index] ?? '(none)'}"`;
}

interface Outcome extends FaceResult {
  transitions: string[];
  steps: Record<string, string>;
}

async function invoke(face: 'headless' | 'tui', ws: Workspace, invocation: Invocation): Promise<Outcome> {
  invocation.before?.(ws);
  const flags = invocation.flags ?? [];
  const result = face === 'headless' ? await runHeadless(ws, flags, invocation.answers ?? []) : await runTui(ws, flags, invocation.keys);
  const status = await ws.status();
  // Whitespace made one space: a message the TUI wraps over two rows still reads as one.
  return {
    ...result,
    shown: plain(result.shown).replace(/\s+/g, ' '),
    transitions: ws.newTransitions(),
    steps: Object.fromEntries(status.steps.map((s) => [s.id, s.status])),
  };
}

function checkExpected(face: 'headless' | 'tui', ws: Workspace, invocation: Invocation, got: Outcome, label: string): void {
  const exit = invocation.differsByFace ? invocation.differsByFace.exit[face] : invocation.exit;
  expect.soft(got.exit, `${label} ${face}: exit code`).toBe(exit);
  expect
    .soft(
      firstMissing(got.transitions, invocation.transitions),
      `${label} ${face}: expected transition missing (or out of order) in\n  ${got.transitions.join('\n  ')}`,
    )
    .toBeUndefined();
  for (const prefix of invocation.absent ?? []) {
    expect
      .soft(
        got.transitions.filter((t) => t.startsWith(prefix)),
        `${label} ${face}: transitions that must not happen`,
      )
      .toEqual([]);
  }
  for (const [step, status] of Object.entries(invocation.steps ?? {})) {
    expect.soft(got.steps[step], `${label} ${face}: status of step ${step}`).toBe(status);
  }
  const shows = invocation.shows?.[face];
  if (shows) expect.soft(got.shown, `${label} ${face}: shown to the operator`).toContain(shows);
  const notShown = invocation.notShown?.[face];
  if (notShown) expect.soft(got.shown, `${label} ${face}: must not be shown to the operator`).not.toContain(notShown);
  for (const secret of invocation.hides ?? []) {
    expect.soft(got.shown.includes(secret), `${label} ${face}: ${secret} on screen`).toBe(false);
    expect.soft(ws.stateText().includes(secret), `${label} ${face}: ${secret} in the state directory`).toBe(false);
  }
}

const workspaces: Workspace[] = [];
afterEach(() => {
  vi.unstubAllEnvs();
  for (const ws of workspaces.splice(0)) ws.remove();
});

describe('parity: headless and TUI take the same decisions', () => {
  it('the table has the scenarios issue 11 asks for', () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(22);
    expect(new Set(SCENARIOS.map((s) => s.name)).size).toBe(SCENARIOS.length);
  });

  it('the comparison has teeth: a TUI that does not run the gate differs from headless', async () => {
    const scenario = SCENARIOS[0] as Scenario;
    const headless = new Workspace('headless', scenario.runbook);
    const tui = new Workspace('tui', scenario.runbook);
    workspaces.push(headless, tui);
    const invocation = scenario.invocations[0] as Invocation;
    const h = await invoke('headless', headless, invocation);
    const t = await invoke('tui', tui, { ...invocation, keys: ['q'] });
    expect(h.exit).toBe(3);
    expect(t.exit).toBe(4);
    expect(t.transitions).not.toEqual(h.transitions);
    expect(h.transitions).toContain('block-finished pre/charset failure');
    expect(t.transitions.filter((line) => line.startsWith('block-'))).toEqual([]);
  });

  for (const scenario of SCENARIOS) {
    it(`${scenario.name}${scenario.newRule ? ' [new rule]' : ''}`, async () => {
      for (const [name, value] of Object.entries(scenario.env ?? {})) vi.stubEnv(name, value);
      const headless = new Workspace('headless', scenario.runbook);
      const tui = new Workspace('tui', scenario.runbook);
      workspaces.push(headless, tui);
      await setUp(scenario, headless);
      await setUp(scenario, tui);
      for (const [index, invocation] of scenario.invocations.entries()) {
        const label = `invocation ${index + 1}`;
        const h = await invoke('headless', headless, invocation);
        const t = await invoke('tui', tui, invocation);
        if (!invocation.differsByFace) {
          expect
            .soft(t.transitions, `${label}: the faces recorded different transitions (${firstDifference(h.transitions, t.transitions)})`)
            .toEqual(h.transitions);
          expect.soft(t.exit, `${label}: the faces exited differently (headless ${h.exit}, TUI ${t.exit})`).toBe(h.exit);
        }
        checkExpected('headless', headless, invocation, h, label);
        checkExpected('tui', tui, invocation, t, label);
      }
    });
  }
});
