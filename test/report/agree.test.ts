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
import { compareRuns, renderComparisonText } from '../../src/report/compare.js';
import type { RunEvent } from '../../src/engine/run-state.js';
import { AT, book, confirmed, finishedStep, interrupted, markedDone, ran, sh, stateAfter, ticked } from '../engine/fixtures.js';

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
  { type: 'block-started', step: 'migrate', block: 'migrate', hash: 'h', log: 'logs/migrate.1.log', at: BOB_AT, confirmed: { by: 'bob', at: BOB_AT } },
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
    expect(gate?.history.map((e) => [e.execution, e.result, e.exitCode])).toEqual([[1, 'refused', 1], [2, 'passed', 0]]);

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
