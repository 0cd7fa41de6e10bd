/**
 * A check with nothing to run is a lint error. Reproduced by the gates attack pass: a check left
 * empty (or holding only a `# TODO` comment) exited 0 and passed its gate, lint said nothing, and
 * the run went on to the step it was meant to guard.
 */
import { describe, expect, it } from 'vitest';
import { doc, lint } from './helpers.js';

describe('empty-check', () => {
  it('an empty shell check, or one of comments and blank lines only, is an error on its fence line', () => {
    const source = doc(
      '## S', //                          1
      '```sh check name=empty', //        2
      '```', //                           3
      '```bash check name=todo', //       4
      '# TODO: look at the replicas', //  5
      '', //                              6
      '   # later', //                    7
      '```', //                           8
      '```python check name=py', //       9
      '# nothing yet', //                 10
      '```', //                           11
    );
    expect(lint(source).map((d) => [d.line, d.severity, d.rule, d.message])).toEqual([
      [
        2,
        'error',
        'empty-check',
        'check empty has no command (only blank lines and comments): it would pass without checking anything; write the check, or remove the block',
      ],
      [
        4,
        'error',
        'empty-check',
        'check todo has no command (only blank lines and comments): it would pass without checking anything; write the check, or remove the block',
      ],
      [
        9,
        'error',
        'empty-check',
        'check py has no command (only blank lines and comments): it would pass without checking anything; write the check, or remove the block',
      ],
    ]);
  });

  it('a check with a command, and an empty run block or display-only block, are not flagged', () => {
    const source = doc('## S', '```sh check name=c', '# is it up?', 'true', '```', '```sh name=r', '```', '```sh example', '```');
    expect(lint(source).filter((d) => d.rule === 'empty-check')).toEqual([]);
  });
});
