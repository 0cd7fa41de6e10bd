/**
 * The Markdown, JSON and JUnit reports and `report --compare` tell one story (issue 12, "reports say
 * what happened"), from one report model. Reproduced before it: a check refused and then passed
 * after a fix read `passed, attempts 1`; a block cancelled and marked done read `passed`; a tick
 * named its item's id, not the text the operator ticked; a block's confirmation was not shown at all.
 */
import { describe, expect, it } from 'vitest';
import { buildReport, type RunReport } from '../../src/report/model.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderJunit } from '../../src/report/junit.js';
import { compareRuns, renderComparisonMarkdown, renderComparisonText } from '../../src/report/compare.js';
import type { RunEvent } from '../../src/engine/run-state.js';
import { AT, LATER, book, confirmed, finishedStep, interrupted, markedDone, ran, sh, stateAfter, ticked } from '../engine/fixtures.js';
import { FLEET_BOOK, TWELVE, fleetRun, hostFinished, hostsStarted, twelveHosts } from '../engine/fleet-fixtures.js';

const BOOK = book(
  '# Upgrade',
  '## Gate {#gate}',
  ...sh('check name=charset'),
  '## Migrate {#migrate}',
  ...sh('confirm name=migrate'),
  '## Dashboards {#look}',
  '- [ ] The API error rate is back to normal',
  '## Announce {#announce}',
  'Tell the team.',
);

const BOB_AT = '2026-12-04T09:59:00.000Z';
const EVENTS: RunEvent[] = [
  ...ran('gate', 'charset', 'failure'),
  ...ran('gate', 'charset'),
  finishedStep('gate'),
  {
    type: 'block-started',
    step: 'migrate',
    block: 'migrate',
    hash: 'h',
    log: 'logs/migrate.1.log',
    at: BOB_AT,
    confirmed: { by: 'bob', at: BOB_AT },
  },
  interrupted('migrate', 'migrate'),
  markedDone('migrate', 'migrate'),
  finishedStep('migrate'),
  ticked('look', 'look-check-1'),
  finishedStep('look'),
  confirmed('announce'),
  finishedStep('announce'),
];

function report(): RunReport {
  return buildReport(BOOK, stateAfter(BOOK, ...EVENTS), 'complete');
}

describe('every report format tells the same run', () => {
  it('shows each execution of a check refused and then fixed, with its outcome', () => {
    const r = report();
    const gate = r.steps[0]?.blocks[0];
    expect(gate?.history.map((e) => [e.execution, e.result, e.exitCode])).toEqual([
      [1, 'refused', 1],
      [2, 'passed', 0],
    ]);

    const md = renderMarkdown(r);
    expect(md).toContain('| gate | charset | check | passed | 0 | 2 |');
    expect(md).toMatch(/\| gate \| charset \| 1 \| refused \| 1 \| 1 \| 2026-12-04T10:00:00.000Z \| .+ \| exit 1 \|/);
    expect(md).toMatch(/\| gate \| charset \| 2 \| passed \| 0 \| 1 \|/);

    const json = JSON.parse(JSON.stringify(r)) as RunReport;
    expect(json.steps[0]?.blocks[0]?.history.map((e) => e.result)).toEqual(['refused', 'passed']);

    const junit = renderJunit(r);
    expect(junit).toContain('execution 1: refused (exit 1), started 2026-12-04T10:00:00.000Z');
    expect(junit).toContain('execution 2: passed (exit 0)');

    const compared = compareRuns(r, r).steps.find((s) => s.id === 'gate');
    expect(compared?.a).toMatchObject({ status: 'passed', failures: 1, executions: 2 });
    expect(compared?.flags).toContain('failed 1× in A');
  });

  it('shows a block cancelled and marked done as marked done with the reason, never passed', () => {
    const r = report();
    const migrate = r.steps[1];
    expect(migrate?.status).toBe('marked done');
    expect(migrate?.blocks[0]).toMatchObject({ status: 'marked done', result: 'marked done (finished by hand)' });
    expect(migrate?.blocks[0]?.history.map((e) => e.result)).toEqual(['interrupted']);

    const md = renderMarkdown(r);
    expect(md).toContain('| migrate | migrate | run | marked done (finished by hand) |');
    expect(md).toContain('| 2 | Migrate (`migrate`) | marked done |');
    expect(md).not.toMatch(/\| migrate \| migrate \| run \| passed/);

    expect((JSON.parse(JSON.stringify(r)) as RunReport).steps[1]?.blocks[0]?.status).toBe('marked done');
    expect(renderJunit(r)).toContain('result: marked done (finished by hand)');

    const comparison = compareRuns(r, r);
    expect(comparison.steps.find((s) => s.id === 'migrate')?.a?.status).toBe('marked done');
    expect(comparison.steps.find((s) => s.id === 'migrate')?.flags).toContain('marked done in A');
    expect(renderComparisonText(comparison)).toMatch(/Migrate +A +\S+ marked done/);
  });

  it('names the ticked item by its text, and shows every confirmation with the operator and the time', () => {
    const r = report();
    expect(r.decisions.map((d) => [d.step, d.kind, d.subject ?? '', d.decision.by, d.decision.at])).toEqual([
      ['migrate', 'block confirmed', 'execution 1', 'bob', BOB_AT],
      ['migrate', 'marked done', '', 'alice', AT],
      ['look', 'ticked', 'The API error rate is back to normal', 'alice', AT],
      ['announce', 'step confirmed', '', 'alice', AT],
    ]);

    const md = renderMarkdown(r);
    expect(md).toContain(`| look |  | ticked: The API error rate is back to normal | alice | ${AT} |  |`);
    expect(md).toContain(`| migrate | migrate | block confirmed: execution 1 | bob | ${BOB_AT} |  |`);
    expect(md).toContain(`| announce |  | step confirmed | alice | ${AT} |  |`);
    expect(md).toMatch(new RegExp(`\\| migrate \\| migrate \\| 1 \\| interrupted \\| .* \\| bob at ${BOB_AT} \\|`));

    const junit = renderJunit(r);
    expect(junit).toContain(`ticked: The API error rate is back to normal by alice at ${AT}`);
    expect(junit).toContain(`block confirmed: execution 1 (block migrate) by bob at ${BOB_AT}`);
    expect(junit).toContain(`step confirmed by alice at ${AT}`);
  });

  it('shows the last execution of a checkpoint written before the history was kept', () => {
    const state = stateAfter(BOOK, ...ran('gate', 'charset', 'failure'));
    const old = { ...state, steps: state.steps.map((s) => ({ ...s, blocks: s.blocks.map(({ history: _dropped, ...b }) => b) })) };
    const gate = buildReport(BOOK, old, 'refused').steps[0]?.blocks[0];
    expect(gate?.history.map((e) => [e.execution, e.result, e.reason])).toEqual([[1, 'refused', 'exit 1']]);
  });
});

describe('every report format tells the same fleet block, host by host', () => {
  /** The rehearsal: every host ok in about a second, cmp-05 hung for 9 s. */
  function rehearsal(): RunReport {
    const batches = [['cmp-01'], TWELVE.slice(1, 4), TWELVE.slice(4, 7), TWELVE.slice(7, 10), TWELVE.slice(10)];
    const events: RunEvent[] = batches.flatMap((hosts, i) => [
      hostsStarted(i + 1, ...hosts),
      ...hosts.map((host) => hostFinished(host, 'ok', 0, { durationMs: host === 'cmp-05' ? 9000 : 1000, tail: [`${host} upgraded`] })),
    ]);
    events.push({
      type: 'block-finished',
      step: 'computes',
      block: 'upgrade',
      outcome: 'success',
      exitCode: null,
      attempts: 1,
      durationMs: 20_000,
      at: LATER,
    });
    return buildReport(FLEET_BOOK, fleetRun(TWELVE, 3, ...events), 'complete');
  }
  /** The real run: the canary and batch 2 ran (one failed, one unreachable), batch 3 runs. */
  const real = (): RunReport => buildReport(FLEET_BOOK, twelveHosts(), 'running');

  it('the model has every host with its batch, status, rc, time and reason', () => {
    const hosts = real().steps[0]?.blocks[0]?.hosts;
    expect(hosts?.map((h) => [h.host, h.batch, h.status])).toEqual(
      TWELVE.map((host, i) => [
        host,
        i === 0 ? 1 : 2 + Math.floor((i - 1) / 3),
        ['ok', 'ok', 'failed', 'unreachable', 'running', 'running', 'running'][i] ?? 'pending',
      ]),
    );
    expect(hosts?.find((h) => h.host === 'cmp-03')).toMatchObject({ rc: 1, durationMs: 1200, result: 'failed: exit 1, expected 0' });
    expect((JSON.parse(JSON.stringify(real())) as RunReport).steps[0]?.blocks[0]?.hosts?.[2]).toMatchObject({
      host: 'cmp-03',
      status: 'failed',
      rc: 1,
    });
  });

  it('Markdown shows a table of the hosts under the block', () => {
    const md = renderMarkdown(real());
    expect(md).toContain('### computes / upgrade: 12 hosts, 2 ok, 1 failed, 1 unreachable, 3 running, 5 pending');
    expect(md).toContain('| host | batch | status | rc | time | why |');
    expect(md).toContain('| cmp-03 | 2 | failed | 1 | 1.2s | exit 1, expected 0 |');
    expect(md).toContain('| cmp-04 | 2 | unreachable |  | 1.2s | ssh: connect to host 127.0.0.5 port 2222: Connection refused |');
    expect(md).toContain('| cmp-12 | 5 | pending |  |  |  |');
  });

  it('JUnit has a test case per host: failed and unreachable hosts fail, hosts not run are skipped', () => {
    const junit = renderJunit(real());
    // The block, then its 12 hosts; 2 of them failures.
    expect(junit).toContain('<testsuite name="computes" tests="13" failures="2"');
    expect(junit).toMatch(
      /<testcase classname="computes-book\.computes\.upgrade" name="cmp-03" time="1\.200">\n {6}<failure message="failed: exit 1, expected 0">Reading package lists\.\.\.\nE: nova-compute 29\.0 conflicts with python3-nova 27\.1<\/failure>/,
    );
    expect(junit).toMatch(/name="cmp-04" time="1\.200">\n {6}<failure message="unreachable: ssh: connect to host 127\.0\.0\.5/);
    expect(junit).toMatch(/name="cmp-01" time="1\.200">\n {6}<system-out>batch 1: ok \(rc 0\)<\/system-out>/);
    expect(junit).toMatch(/name="cmp-12" time="0\.000">\n {6}<skipped message="not run"\/>/);
  });

  it("--compare sets per-host times side by side, and B's time left comes from A's median host time", () => {
    const comparison = compareRuns(rehearsal(), real());
    const [fleet] = comparison.fleets;
    expect(fleet).toMatchObject({ step: 'computes', block: 'upgrade', medianA: 1000, medianB: 1200 });
    expect(fleet?.hosts.find((h) => h.host === 'cmp-03')).toEqual({
      host: 'cmp-03',
      a: { status: 'ok', durationMs: 1000 },
      b: { status: 'failed', durationMs: 1200 },
    });
    expect(fleet?.hosts.find((h) => h.host === 'cmp-09')).toEqual({
      host: 'cmp-09',
      a: { status: 'ok', durationMs: 1000 },
      b: { status: 'pending', durationMs: null },
    });
    // Batches 3, 4 and 5 are left with 3, 3 and 2 hosts: one wave of 5 forks each, one median host (1 s, not cmp-05's 9 s) a wave.
    expect(fleet?.eta).toEqual({ hostsLeft: 8, batchesLeft: 3, perHostMs: 1000, forks: 5, etaMs: 3000 });
    const text = renderComparisonText(comparison);
    expect(text).toContain('fleet computes/upgrade: 12 hosts, median a host A 1.0s, B 1.2s (+20%)');
    expect(text).toContain("time left for B's 3 batches (8 hosts): about 3.0s (A's median 1.0s a host, 5 at a time)");
    expect(renderComparisonMarkdown(comparison)).toContain('| cmp-03 | ok | 1.0s | failed | 1.2s | +20% |');
  });
});
