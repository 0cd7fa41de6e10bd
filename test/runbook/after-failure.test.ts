/**
 * `after-failure=stop`: a check attribute only. Lint names the line and what to write instead,
 * for a bad value or for the attribute on a block that is not a check.
 */
import { describe, expect, it } from 'vitest';
import { doc, lint } from './helpers.js';
import { parseRunbook } from '../../src/runbook/parse.js';

describe('after-failure=', () => {
  it('is read on a check block', () => {
    const runbook = parseRunbook(doc('## S', '```sh check name=schemas after-failure=stop', 'true', '```'), 'runbooks/upgrade.md');
    expect(runbook.steps[0]?.blocks[0]?.attrs.afterFailure).toBe('stop');
  });

  it('is a lint error with a bad value or on a block that is not a check', () => {
    const source = doc(
      '## S',
      '```sh check after-failure=continue',
      '```',
      '```sh verify after-failure=stop',
      '```',
      '```sh after-failure=stop',
      '```',
      '```sh check after-failure',
      '```',
    );
    expect(
      lint(source)
        .filter((d) => d.rule !== 'empty-check')
        .map((d) => [d.line, d.severity, d.rule, d.message]),
    ).toEqual([
      [
        2,
        'error',
        'block-attribute',
        'bad after-failure value "continue": the only supported value is "stop" (the step\'s later checks do not run when this one refuses)',
      ],
      [4, 'error', 'block-attribute', 'after-failure= is only for check blocks, not verify: a failed verify block always stops its step'],
      [6, 'error', 'block-attribute', 'after-failure= is only for check blocks, not run: a failed run block always stops its step'],
      [
        8,
        'error',
        'block-attribute',
        'bad after-failure value "": the only supported value is "stop" (the step\'s later checks do not run when this one refuses)',
      ],
    ]);
  });
});
