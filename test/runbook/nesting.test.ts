/**
 * Quotes and lists nested past MAX_NESTING (scan.ts) are an error at their line, by either block
 * parser. Found by an attack on the quick commands (2026-12-07): a 3 KB line of 3,000 `>` made lint
 * say "cannot read runbook: Maximum call stack size exceeded"; a quote one level deeper on each of
 * 3,000 lines (9 MB) ran the scanner out of heap (exit 134, a native stack trace), and 2,000 lines
 * took 7 s and 2.8 GB; read by marked (a tab sends a body there), 1,500 list levels took a minute
 * and 1.4 GB and passed lint. Front matter nested thousands deep gave the yaml library's overflow.
 */
import { describe, expect, it } from 'vitest';
import { MAX_NESTING } from '../../src/runbook/scan.js';
import { doc, findings, lint, parse } from './helpers.js';

/** A step whose text is quotes nested `levels` deep, one level more on each line. */
function quoteStairs(levels: number, first = ''): string {
  const lines = Array.from({ length: levels }, (_, i) => `${'> '.repeat(i + 1)}x`);
  return doc('# T', '', '## S', '', ...(first ? [first, ''] : []), ...lines);
}

/** A step whose text is a list nested `levels` deep, one level more on each line. */
function listStairs(levels: number, first = ''): string {
  const lines = Array.from({ length: levels }, (_, i) => `${'  '.repeat(i)}- x`);
  return doc('# T', '', '## S', '', ...(first ? [first, ''] : []), ...lines);
}

const TOO_DEEP = `quotes and lists nest more than ${MAX_NESTING} levels deep, more than waymark reads: flatten the nesting (a runbook needs a handful)`;

describe('nesting past the limit', () => {
  it('reads quotes and lists nested to the limit as ever', () => {
    expect(findings(quoteStairs(MAX_NESTING))).toEqual([]);
    expect(findings(listStairs(MAX_NESTING))).toEqual([]);
    expect(parse(listStairs(MAX_NESTING)).steps.map((step) => step.id)).toEqual(['s']);
  });

  it('is an error at the line of the quote or item one level deeper, found by the scanner', () => {
    // Line 5 holds the first quote; the 33rd level starts on the 33rd line of the stairs.
    expect(lint(quoteStairs(MAX_NESTING + 1))).toEqual([
      { file: 'runbooks/upgrade.md', line: 5 + MAX_NESTING, severity: 'error', rule: 'nesting', message: TOO_DEEP },
    ]);
    expect(findings(listStairs(MAX_NESTING + 8))).toEqual([`${5 + MAX_NESTING} error nesting`]);
  });

  it('is the same error, at line 1, when marked reads the body (a tab sends it there)', () => {
    // Below the limit, the tab's body is read as ever.
    expect(findings(quoteStairs(MAX_NESTING, '\tindented'))).toEqual([]);
    expect(lint(quoteStairs(MAX_NESTING + 1, '\tindented'))).toEqual([
      { file: 'runbooks/upgrade.md', line: 1, severity: 'error', rule: 'nesting', message: TOO_DEEP },
    ]);
    expect(findings(listStairs(1500, '\tindented'))).toEqual(['1 error nesting']);
  });

  it('stops thousands of levels with that error, not a stack overflow or the heap running out', () => {
    expect(findings(doc('# T', '', '## S', '', `${'>'.repeat(3000)} x`))).toEqual(['5 error nesting']);
    expect(findings(quoteStairs(3000))).toEqual([`${5 + MAX_NESTING} error nesting`]);
  });

  it('says front matter nested thousands deep is too deep, not that a stack overflowed', () => {
    const deep = doc('---', `title: ${'['.repeat(5000)}${']'.repeat(5000)}`, '---', '# T', '', '## S', '', 'Text.');
    expect(lint(deep)).toEqual([
      {
        file: 'runbooks/upgrade.md',
        line: 2,
        severity: 'error',
        rule: 'yaml',
        message: 'invalid YAML front matter: nested too deeply to read; flatten it',
      },
    ]);
  });
});
