/**
 * The baseline's rules, with the real parser, reducer and decisions: `deviation=` as written in a
 * runbook (and lint's message for a bad one), when a result departs from the rehearsal's (rows
 * both ways, duration only slower and past a floor), what a face is offered, and that the headless
 * face accepts a departure only when the block is named with --accept-deviation.
 */
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbook/parse.js';
import { parseDeviation } from '../../src/runbook/deviation.js';
import { doc, lint } from '../runbook/helpers.js';
import { initialRunState } from '../../src/engine/reconcile.js';
import { reduce, type RunState } from '../../src/engine/run-state.js';
import { nextAction } from '../../src/engine/plan.js';
import { decisionsFor } from '../../src/engine/decisions.js';
import { headlessPolicy, type HeadlessFlags } from '../../src/engine/headless-policy.js';
import {
  baselineDurations,
  deviationOf,
  describeFigures,
  judgeAgainstBaseline,
  type Baseline,
  type BlockFigures,
} from '../../src/engine/baseline.js';
import { timeLeft } from '../../src/engine/estimate.js';
import { ExitCode } from '../../src/engine/errors.js';

describe('deviation=', () => {
  it('reads a factor, rows:±N (or +-N), both, or off', () => {
    expect(parseDeviation('10x')).toEqual({ factor: 10 });
    expect(parseDeviation('3')).toEqual({ factor: 3 });
    expect(parseDeviation('2.5×')).toEqual({ factor: 2.5 });
    expect(parseDeviation('rows:±100')).toEqual({ rowsWithin: 100 });
    expect(parseDeviation('rows:+-5')).toEqual({ rowsWithin: 5 });
    expect(parseDeviation('3x,rows:±100')).toEqual({ factor: 3, rowsWithin: 100 });
    expect(parseDeviation('off')).toEqual({ off: true });
    for (const bad of ['1', '0.5x', 'rows:100', 'rows:±', 'ten', '3x,4x', '']) expect(parseDeviation(bad), bad).toBeUndefined();
  });

  it('is read from the info string, and a bad value is a lint error naming the line', () => {
    const runbook = parseRunbook(
      doc('## S', '```sql name=a deviation=rows:±50', 'SELECT 1', '```', '```sh name=b deviation=3x', 'true', '```'),
      'runbooks/x.md',
    );
    expect(runbook.steps[0]?.blocks.map((b) => b.attrs.deviation)).toEqual([{ rowsWithin: 50 }, { factor: 3 }]);
    expect(lint(doc('## S', '```sh deviation=lots', 'true', '```')).map((d) => [d.line, d.severity, d.message])).toEqual([
      [2, 'error', 'bad deviation value "lots": expected a factor such as 10x or 3, rows:±N (rows:+-N), both joined by a comma, or off'],
    ]);
  });
});

describe('a result against the rehearsal', () => {
  const figures: BlockFigures = { step: 's', block: 'b', hash: 'h', durationMs: 10_000, rowCount: 12_408 };

  it('rows depart both ways past the factor (default 10×), naming both figures', () => {
    expect(deviationOf(undefined, figures, { durationMs: 10_000, rowCount: 0 })).toMatchObject({
      on: 'rows',
      actual: 0,
      rehearsal: 12_408,
      message: '0 rows where the rehearsal had 12,408 (deviation=10×)',
    });
    expect(deviationOf(undefined, figures, { durationMs: 10_000, rowCount: 1300 })).toBeNull();
    expect(deviationOf(undefined, figures, { durationMs: 10_000, rowCount: 1200 })).toMatchObject({ on: 'rows' });
    expect(deviationOf(undefined, figures, { durationMs: 10_000, rowCount: 124_081 })).toMatchObject({ on: 'rows' });
    expect(deviationOf({ factor: 2 }, figures, { durationMs: 10_000, rowCount: 6000 })).toMatchObject({
      message: '6,000 rows where the rehearsal had 12,408 (deviation=2×)',
    });
    // Zero counts as one row: 0 against 3 is not news, 0 against 12k is.
    expect(deviationOf(undefined, { ...figures, rowCount: 3 }, { durationMs: 10_000, rowCount: 0 })).toBeNull();
  });

  it('rows:±N compares the difference instead; off compares nothing', () => {
    expect(deviationOf({ rowsWithin: 100 }, figures, { durationMs: 10_000, rowCount: 12_308 })).toBeNull();
    expect(deviationOf({ rowsWithin: 100 }, figures, { durationMs: 10_000, rowCount: 12_307 })).toMatchObject({
      message: '12,307 rows where the rehearsal had 12,408 (deviation=rows ±100)',
    });
    expect(deviationOf({ off: true }, figures, { durationMs: 900_000, rowCount: 0 })).toBeNull();
  });

  it('a duration departs only slower, past the factor and by more than 2 s; a fleet host likewise', () => {
    expect(deviationOf(undefined, figures, { durationMs: 100_001, rowCount: 12_408 })).toMatchObject({
      on: 'duration',
      message: 'took 1m40s where the rehearsal took 10.0s (deviation=10×)',
    });
    expect(deviationOf(undefined, figures, { durationMs: 50, rowCount: 12_408 })).toBeNull();
    // 40 ms then, 600 ms now: fifteen times, but noise.
    expect(deviationOf(undefined, { ...figures, durationMs: 40 }, { durationMs: 600, rowCount: 12_408 })).toBeNull();
    const fleet: BlockFigures = { step: 's', block: 'f', hash: 'h', durationMs: 60_000, hosts: { 'cmp-1': 5000, 'cmp-2': 5000 } };
    expect(
      deviationOf(undefined, fleet, {
        durationMs: 70_000,
        hosts: [
          { host: 'cmp-1', durationMs: 6000 },
          { host: 'cmp-2', durationMs: 51_000 },
        ],
      }),
    ).toMatchObject({ on: 'duration', host: 'cmp-2' });
  });

  it('shows the figures the way an operator reads them', () => {
    expect(describeFigures({ ...figures, durationMs: 252_000 })).toBe('rehearsal: 4m12s, 12,408 rows');
  });
});

const SOURCE = doc(
  '## Migrate {#migrate}',
  '```sql name=migrate-rows',
  'UPDATE t SET x = 1',
  '```',
  '## Last {#last}',
  '```sh name=last',
  'true',
  '```',
);
const NO_FLAGS: HeadlessFlags = { yes: false, acceptWarnings: false, rerunInterrupted: false, overrides: new Map(), skips: new Map() };

describe('a run with a baseline', () => {
  const runbook = parseRunbook(SOURCE, 'runbooks/migrate.md');
  const baseline: Baseline = {
    run: 'R1',
    from: 'run',
    source: 'R1',
    runbook: runbook.id,
    startedAt: '2026-12-01T00:00:00.000Z',
    blocks: [{ step: 'migrate', block: 'migrate-rows', hash: 'x', durationMs: 1000, rowCount: 120 }],
    steps: [
      { step: 'migrate', hash: 'x', durationMs: 1500 },
      { step: 'last', hash: 'y', durationMs: 250_000 },
    ],
  };

  function afterMigrating(rows: number): RunState {
    let state: RunState = {
      ...initialRunState(runbook, { id: 'R2', operator: 'alice', host: 'h', profile: null, vars: {}, at: '2026-12-02T00:00:00.000Z' }),
    };
    state = reduce(state, { type: 'baseline-chosen', baseline, at: '2026-12-02T00:00:00.000Z' });
    state = reduce(state, {
      type: 'block-started',
      step: 'migrate',
      block: 'migrate-rows',
      hash: 'x',
      log: 'l',
      at: '2026-12-02T00:00:01.000Z',
    });
    const step = runbook.steps[0]!;
    const deviation = judgeAgainstBaseline(state, step, step.blocks[0]!, { durationMs: 900, rowCount: rows });
    return reduce(state, {
      type: 'block-finished',
      step: 'migrate',
      block: 'migrate-rows',
      outcome: deviation ? 'warning' : 'success',
      exitCode: null,
      attempts: 1,
      rowCount: rows,
      durationMs: 900,
      at: '2026-12-02T00:00:02.000Z',
      ...(deviation ? { deviation, reason: `departs from the rehearsal: ${deviation.message}` } : {}),
    });
  }

  it('holds the run at a departure; --yes and --accept-warnings wait (exit 4), --accept-deviation BLOCK accepts it', () => {
    const state = afterMigrating(3);
    const action = nextAction(runbook, state);
    expect(action).toMatchObject({ kind: 'acknowledge', block: { id: 'migrate-rows' } });
    const d = decisionsFor(runbook, state, action);
    expect(d.summary).toBe(
      'block migrate-rows departs from the rehearsal (3 rows where the rehearsal had 120 (deviation=10×)) and needs an acknowledgement',
    );
    expect(d.choices.map((c) => c.label)).toContain('accept that migrate-rows departs from the rehearsal');
    const context = { ranHere: () => true, operator: 'alice' };
    expect(headlessPolicy(d, { ...NO_FLAGS, yes: true, acceptWarnings: true }, context)).toEqual({
      kind: 'wait',
      exitCode: ExitCode.Waiting,
    });
    expect(headlessPolicy(d, { ...NO_FLAGS, acceptDeviations: new Set(['other']) }, context)).toEqual({
      kind: 'wait',
      exitCode: ExitCode.Waiting,
    });
    expect(headlessPolicy(d, { ...NO_FLAGS, acceptDeviations: new Set(['migrate-rows']) }, context)).toMatchObject({
      kind: 'answer',
      answer: { kind: 'acknowledge', automatic: true, reason: 'accepted by --accept-deviation migrate-rows' },
    });
  });

  it('lets a result within the rule pass, and estimates the time left from the rehearsal', () => {
    const state = afterMigrating(100);
    expect(state.steps[0]?.blocks[0]).toMatchObject({ status: 'passed', rowCount: 100 });
    expect(state.steps[0]?.blocks[0]?.deviation).toBeUndefined();
    expect(nextAction(runbook, state)).toMatchObject({ kind: 'finish-step', step: { id: 'migrate' } });
    expect(timeLeft(state, baselineDurations(baseline, runbook))).toBe(251_500);
  });
});
