/**
 * The Markdown and JUnit reports are inert (issue 10, item 16): they are read in terminals as
 * often as in browsers, and their titles, operator, reasons and output tails come from outside.
 */
import { describe, expect, it } from 'vitest';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderJunit } from '../../src/report/junit.js';
import { renderComparisonMarkdown, renderComparisonText, type Comparison } from '../../src/report/compare.js';
import type { ReportBlock, RunReport } from '../../src/report/model.js';

// eslint-disable-next-line no-control-regex
const ACTING = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/;

function report(tail: string[]): RunReport {
  const block = {
    id: 'check-db',
    role: 'check',
    status: 'refused',
    result: 'refused',
    history: [],
    attempts: 1,
    executions: 1,
    exitCode: 1,
    reason: 'exit 1\x1b]0;R\x07',
    tail,
    lang: 'sh',
    line: 5,
  } as unknown as ReportBlock;
  return {
    runbook: 'up',
    title: 'Upgrade\x1b]0;TITLE\x07',
    run: '20261204T000000Z-abcd',
    operator: 'op\x1b]52;c;eA==\x07',
    host: 'vm',
    profile: null,
    startedAt: '2026-12-04T00:00:00.000Z',
    updatedAt: '2026-12-04T00:00:01.000Z',
    vars: {},
    file: 'up.md',
    status: 'refused',
    steps: [{ id: 's1', title: 'Step\x9b2J', status: 'refused', line: 3, blocks: [block] }],
    decisions: [],
  } as unknown as RunReport;
}

describe('the Markdown report', () => {
  it("reproduced: the report carried a block's OSC sequences and the operator's raw; now it holds no control character", () => {
    const text = renderMarkdown(report(['title\x1b]0;PWNED\x07 after', 'bell\x07']));
    expect(text).not.toMatch(ACTING);
    expect(text).toContain('# Upgrade␛]0;TITLE␇');
    expect(text).toContain('- Operator: op␛]52;c;eA==␇ on vm');
    expect(text).toContain('title␛]0;PWNED␇ after');
    expect(text).toContain('Step⟨U+009B⟩2J');
  });

  it('fences an output tail with more backticks than it holds, so output cannot close the fence and write the report', () => {
    const text = renderMarkdown(report(['```', '# Approved by the CAB', '````x']));
    expect(text).toContain('`````text\n```\n# Approved by the CAB\n````x\n`````\n');
  });
});

describe('the JUnit report', () => {
  it('shows control characters as text instead of dropping them', () => {
    const text = renderJunit(report(['title\x1b]0;PWNED\x07 after']));
    expect(text).not.toMatch(ACTING);
    expect(text).toContain('title␛]0;PWNED␇ after');
  });
});

describe('report --compare', () => {
  it('shows step titles with escapes as text, in the terminal table and in Markdown', () => {
    const side = { status: 'passed', durationMs: 1000, failures: 0 };
    const head = { run: 'r', status: 'complete', profile: null, startedAt: '2026-12-04T00:00:00.000Z', totalMs: 1000 };
    const comparison = {
      a: head,
      b: head,
      steps: [{ id: 's1', title: 'Step\x1b]0;T\x07', a: side, b: side, changed: false, flags: [] }],
      fleets: [],
    } as unknown as Comparison;
    for (const text of [renderComparisonText(comparison), renderComparisonMarkdown(comparison)]) {
      expect(text).not.toMatch(ACTING);
      expect(text).toContain('Step␛]0;T␇');
    }
  });
});
