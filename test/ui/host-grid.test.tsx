/**
 * Issue 13, faces: a fleet block's host grid. The states are built as a run builds them (the
 * parsed runbook, then the engine's own events through `reduce`), and drawn by the step view the
 * TUI draws, at the sizes the TUI gives it at 80x24.
 */
import { render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { reduce, type RunEvent, type StepState } from '../../src/engine/run-state.js';
import type { NextAction } from '../../src/engine/plan.js';
import { StepView, stepSections } from '../../src/ui/components/StepView.js';
import { HostGrid } from '../../src/ui/components/HostGrid.js';
import { HelpOverlay } from '../../src/ui/components/HelpOverlay.js';
import { fleetView, hostGridLines, moveHost } from '../../src/ui/host-grid.js';
import { hostLookOf } from '../../src/ui/theme.js';
import type { HostStatus } from '../../src/engine/run-state.js';
import { stepOf } from '../engine/fixtures.js';
import { FLEET_BOOK, TWELVE, fleetRun, hostFinished, hostsStarted, twelveHosts } from '../engine/fleet-fixtures.js';

/** Frame text without colour and style escapes. */
function plain(frame: string | undefined): string {
  // eslint-disable-next-line no-control-regex
  return (frame ?? '').replace(/\u001B\[[0-9;]*m/g, '');
}

const BOOK = FLEET_BOOK;
const step = stepOf(BOOK, 'computes');
const block = step.blocks.find((b) => b.id === 'upgrade')!;
const finished = hostFinished;
const started = hostsStarted;
const fleetState = (hosts: string[], size: number, ...events: RunEvent[]): StepState => fleetRun(hosts, size, ...events).steps[0]!;
const twelve = (): StepState => twelveHosts().steps[0]!;

const RUNNING: NextAction = { kind: 'run', step, block };

/** The step view as the TUI draws it at 80x24 (80 columns, 12 rows for the step), as plain text lines. */
function draw(
  state: StepState,
  options: { host?: string | null; height?: number; width?: number; next?: NextAction; busy?: boolean } = {},
): string[] {
  const width = options.width ?? 80;
  const sections = stepSections({
    step,
    state,
    next: options.next ?? RUNNING,
    selected: 0,
    busy: options.busy ?? true,
    vars: {},
    rollbacks: [],
    remedy: null,
    host: options.host ?? null,
    width,
  });
  const { lastFrame, unmount } = render(<StepView sections={sections} width={width} height={options.height ?? 12} proseScroll={0} />);
  const text = lastFrame() ?? '';
  unmount();
  return text.split('\n');
}

const NO_COLOR = process.env.NO_COLOR;
afterEach(() => {
  if (NO_COLOR === undefined) delete process.env.NO_COLOR;
  else process.env.NO_COLOR = NO_COLOR;
});

describe('the host grid of a 12-host fleet block', () => {
  it('shows the counts, the batch N/M and the failure budget left', () => {
    const text = plain(draw(twelve()).join('\n'));
    expect(text).toContain('✓ 2 ok');
    expect(text).toContain('✗ 1 failed');
    expect(text).toContain('⊘ 1 unreachable');
    expect(text).toContain('▶ 3 running');
    expect(text).toContain('· 5 pending');
    // Batches: the canary, then 11 hosts by 3 = 4 more.
    expect(text).toContain('batch 3/5 running');
    expect(text).toContain('budget: 1 of 3 left');
  });

  it('shows every host in a cell with its status glyph, and names the hosts to look at', () => {
    const text = plain(draw(twelve()).join('\n'));
    for (const [host, status] of [
      ['cmp-01', 'ok'],
      ['cmp-03', 'failed'],
      ['cmp-04', 'unreachable'],
      ['cmp-06', 'running'],
      ['cmp-12', 'pending'],
    ] as const) {
      expect(text).toContain(`${hostLookOf(status).glyph} ${host}`);
    }
    expect(text).toContain('look at: ✗ cmp-03 rc=1, ⊘ cmp-04 unreachable');
    // The block's own line and the checklist are still there.
    expect(text).toMatch(/RUN +upgrade/);
    expect(text).toContain('[ ] The canary serves instances again');
  });

  it('says when the budget is exceeded', () => {
    const state = fleetState(
      TWELVE,
      3,
      started(2, 'cmp-02', 'cmp-03', 'cmp-04', 'cmp-05'),
      ...['cmp-02', 'cmp-03', 'cmp-04', 'cmp-05'].map((h) => finished(h, 'failed', 2)),
    );
    expect(plain(draw(state).join('\n'))).toContain('budget: exceeded, 4 failed of 3 allowed');
  });

  it('a selected host shows its status, rc, batch, reason and the last lines of its output', () => {
    const text = plain(draw(twelve(), { host: 'cmp-03', height: 14 }).join('\n'));
    expect(text).toMatch(/› cmp-03 ✗ failed · rc=1 · batch 2 · 1\.2s: exit 1, expected 0/);
    expect(text).toContain('│ E: nova-compute 29.0 conflicts with python3-nova 27.1');
    // Its cell is marked too.
    expect(text).toContain('›✗ cmp-03');
    const unreachable = plain(draw(twelve(), { host: 'cmp-04', height: 14 }).join('\n'));
    expect(unreachable).toMatch(/› cmp-04 ⊘ unreachable · batch 2 · 1\.2s: ssh: connect to host 127\.0\.0\.5/);
  });

  it('→ ← move over the hosts and tab goes to the next host to look at, wrapping round', () => {
    const hosts = twelve().blocks[0]!.hosts!;
    expect(moveHost(hosts, null, 'host-next')).toBe('cmp-01');
    expect(moveHost(hosts, 'cmp-01', 'host-previous')).toBe('cmp-12');
    expect(moveHost(hosts, null, 'host-attention')).toBe('cmp-03');
    expect(moveHost(hosts, 'cmp-03', 'host-attention')).toBe('cmp-04');
    expect(moveHost(hosts, 'cmp-04', 'host-attention')).toBe('cmp-03');
  });

  it('under NO_COLOR no colour is drawn, and every status still has a glyph of its own', () => {
    const statuses: HostStatus[] = ['pending', 'running', 'ok', 'failed', 'unreachable', 'skipped', 'interrupted', 'marked-done'];
    expect(new Set(statuses.map((s) => hostLookOf(s).glyph)).size).toBe(statuses.length);
    const coloured = draw(twelve()).join('\n');
    expect(coloured).toContain('\u001B[31m✗');
    process.env.NO_COLOR = '1';
    const view = fleetView(block, twelve().blocks[0]!, null)!;
    const { lastFrame, unmount } = render(<HostGrid view={view} width={80} height={8} />);
    const frame = lastFrame() ?? '';
    unmount();
    // eslint-disable-next-line no-control-regex
    expect(frame).not.toMatch(/\u001B\[(3\d|9\d)m/);
    expect(frame).toContain('✗ cmp-03');
    expect(frame).toContain('⊘ cmp-04');
    expect(frame).toContain('▶ cmp-05');
  });

  it('the help lists the grid keys only while a grid is on screen', () => {
    const help = (hosts: boolean) => {
      const { lastFrame, unmount } = render(<HelpOverlay width={80} height={40} allowed={['run']} textScrolls={false} hosts={hosts} />);
      const text = lastFrame() ?? '';
      unmount();
      return text;
    };
    expect(help(true)).toMatch(/tab +select the next host that failed/);
    expect(help(true)).toMatch(/← +select the host before in a fleet block's host grid/);
    expect(help(false)).not.toContain('host grid');
  });
});

describe('the host grid of 1,000 hosts at 80x24', () => {
  const THOUSAND = Array.from({ length: 1000 }, (_, i) => `cmp-${String(i + 1).padStart(4, '0')}`);
  /** The canary, then batches of 250: 300 hosts done (two of them failed), 50 running. */
  function big(): StepState {
    const done = THOUSAND.slice(0, 300);
    return fleetState(
      THOUSAND,
      250,
      started(2, ...done),
      ...done.map((host) =>
        host === 'cmp-0007'
          ? finished(host, 'failed', 1, { reason: 'exit 1, expected 0' })
          : host === 'cmp-0213'
            ? finished(host, 'unreachable', null)
            : finished(host, 'ok', 0),
      ),
      started(3, ...THOUSAND.slice(300, 350)),
    );
  }

  it('fits 80 columns, shows the window it is on, and never hides a failed or unreachable host', () => {
    const lines = draw(big()).map(plain);
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
    const text = lines.join('\n');
    expect(text).toMatch(/hosts \d+–\d+ of 1000/);
    // The window follows the running hosts (301 onwards): the failed ones are before it, and still named.
    const [, from, to] = /hosts (\d+)–(\d+) of 1000/.exec(text)!.map(Number) as [number, number, number];
    expect(from).toBeLessThanOrEqual(301);
    expect(to).toBeGreaterThanOrEqual(350);
    expect(text).toContain('look at: ✗ cmp-0007 rc=1, ⊘ cmp-0213 unreachable');
    expect(text).toContain('✓ 298 ok');
    expect(text).toContain('▶ 50 running');
    expect(text).toContain('· 650 pending');
    expect(text).toMatch(/batch 3\/\d running/);
    // The checklist the operator acts on is not pushed off the screen.
    expect(text).toContain('[ ] The canary serves instances again');
    expect(lines.length).toBeLessThanOrEqual(12);
  });

  it('many failed hosts are named as far as the line goes, with how many more', () => {
    const failing = THOUSAND.slice(0, 40);
    const state = fleetState(THOUSAND, 250, started(2, ...failing), ...failing.map((h) => finished(h, 'failed', 1)));
    const text = plain(draw(state).join('\n'));
    expect(text).toMatch(/look at: ✗ cmp-0001 rc=1, ✗ cmp-0002 rc=1, .* … \+\d+ more \(tab\)/);
    expect(text).toContain('budget: exceeded, 40 failed of 3 allowed');
  });

  it('a selected host far from the running ones moves the window to it', () => {
    const text = plain(draw(big(), { host: 'cmp-0900' }).join('\n'));
    const [, from, to] = /hosts (\d+)–(\d+) of 1000/.exec(text)!.map(Number) as [number, number, number];
    expect(from).toBeLessThanOrEqual(900);
    expect(to).toBeGreaterThanOrEqual(900);
    expect(text).toMatch(/› cmp-0900 · pending · batch 5/);
  });

  it('keeps every line within the width and the rows it is given, from 20 to 133 columns', () => {
    for (const state of [big(), twelve()]) {
      for (const width of [20, 40, 61, 80, 100, 133]) {
        for (const rows of [3, 6, 12]) {
          const view = fleetView(block, state.blocks[0]!, 'cmp-0007')!;
          const lines = hostGridLines(view, width, rows).map(plain);
          expect(lines.length, `${width}x${rows}`).toBeLessThanOrEqual(rows);
          for (const line of lines) expect([...line].length, `${width}x${rows}: ${line}`).toBeLessThanOrEqual(width);
        }
      }
    }
  });

  it('draws a frame of the updating grid in at most 50 ms', () => {
    // A batch of 250 hosts reporting one by one: a frame per 10 results, as the controller coalesces them.
    const done = THOUSAND.slice(0, 300);
    let run = fleetRun(
      THOUSAND,
      250,
      started(2, ...done),
      ...done.map((h) => finished(h, 'ok', 0)),
      started(3, ...THOUSAND.slice(300, 550)),
    );
    const frames: StepState[] = [];
    for (let i = 300; i < 550; i++) {
      run = reduce(run, finished(THOUSAND[i]!, i % 97 === 0 ? 'failed' : 'ok', i % 97 === 0 ? 1 : 0));
      if (i % 10 === 9) frames.push(run.steps[0]!);
    }
    const sections = (s: StepState) =>
      stepSections({
        step,
        state: s,
        next: RUNNING,
        selected: 0,
        busy: true,
        vars: {},
        rollbacks: [],
        remedy: null,
        host: null,
        width: 80,
      });
    const { rerender, lastFrame, unmount } = render(<StepView sections={sections(frames[0]!)} width={80} height={12} proseScroll={0} />);
    const times: number[] = [];
    for (const frame of frames) {
      const start = performance.now();
      rerender(<StepView sections={sections(frame)} width={80} height={12} proseScroll={0} />);
      lastFrame();
      times.push(performance.now() - start);
    }
    const last = plain(lastFrame());
    unmount();
    expect(last).toContain('✓ 548 ok');
    times.sort((a, b) => a - b);
    expect(times[Math.floor(times.length / 2)]).toBeLessThanOrEqual(50);
  });
});
