/**
 * `preflight=skip`: a check attribute only. Lint names the line and what to write instead, for a
 * bad value or for the attribute on a block that is not a check (preflight runs checks only).
 */
import { describe, expect, it } from 'vitest';
import { doc, lint } from './helpers.js';
import { parseRunbook } from '../../src/runbook/parse.js';

describe('preflight=', () => {
  it('is read on a check block, and absent by default', () => {
    const runbook = parseRunbook(
      doc('## S', '```sql check name=after-expand preflight=skip', 'SELECT 1', '```', '```sh check name=early', 'true', '```'),
      'runbooks/upgrade.md',
    );
    expect(runbook.steps[0]?.blocks.map((b) => b.attrs.preflight)).toEqual(['skip', undefined]);
  });

  it('is a lint error with a bad value or on a block that is not a check', () => {
    const source = doc('## S', '```sh check preflight=later', '```', '```sh verify preflight=skip', '```', '```sh preflight=skip', '```');
    expect(
      lint(source)
        .filter((d) => d.rule !== 'empty-check')
        .map((d) => [d.line, d.severity, d.rule, d.message]),
    ).toEqual([
      [
        2,
        'error',
        'block-attribute',
        'bad preflight value "later": the only supported value is "skip" (waymark preflight does not run this check early)',
      ],
      [4, 'error', 'block-attribute', 'preflight= is only for check blocks, not verify: preflight runs checks only'],
      [6, 'error', 'block-attribute', 'preflight= is only for check blocks, not run: preflight runs checks only'],
    ]);
  });
});
