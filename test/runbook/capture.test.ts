/**
 * `capture=NAME` (docs/capture.md): read on runnable blocks, `NAME:rows` for sql only, never on a
 * fleet block; lint refuses a name that hides a declared variable and any use of a captured name
 * before the block that captures it, in document order (code and a step's text).
 */
import { describe, expect, it } from 'vitest';
import { doc, lint } from './helpers.js';
import { parseRunbook } from '../../src/runbook/parse.js';

const FRONT = [
  '---',
  'vars:',
  '  DB_SOCKET: /run/mysqld/mysqld.sock',
  'connections:',
  '  nova: mysql://root@localhost/nova?socket=${DB_SOCKET}',
  '---',
];

describe('capture=', () => {
  it('is read as stdout for shell and python, the first value or the rows for sql', () => {
    const runbook = parseRunbook(
      doc(
        ...FRONT,
        '## S',
        '```sh capture=HOST',
        'hostname',
        '```',
        '```python capture=PY',
        'print(1)',
        '```',
        '```sql capture=COUNT',
        'SELECT 1',
        '```',
        '```sql capture=ROWS:rows',
        'SELECT 1',
        '```',
      ),
      'runbooks/upgrade.md',
    );
    expect(runbook.steps[0]?.blocks.map((b) => b.attrs.capture)).toEqual([
      { name: 'HOST', form: 'stdout' },
      { name: 'PY', form: 'stdout' },
      { name: 'COUNT', form: 'value' },
      { name: 'ROWS', form: 'rows' },
    ]);
  });

  it('is a lint error with a bad name, :rows on a shell block, or on a fleet block', () => {
    const source = doc(
      '---',
      'inventory: hosts.ini',
      '---',
      '## S',
      '```sh capture=1BAD',
      '```',
      '```sh capture=OUT:rows',
      '```',
      '```sh hosts=computes capture=OUT',
      'true',
      '```',
    );
    expect(lint(source).map((d) => [d.line, d.severity, d.rule, d.message])).toEqual([
      [
        5,
        'error',
        'block-attribute',
        'bad capture value "1BAD": expected a variable name such as MIGRATIONS, or NAME:rows for an sql block\'s rows',
      ],
      [7, 'error', 'block-attribute', "capture=OUT:rows: :rows is only for sql blocks; a shell block's capture is its standard output"],
      [
        9,
        'error',
        'block-attribute',
        'capture= is not for fleet blocks: each host has its own output; capture from a block that runs once on this machine',
      ],
    ]);
  });

  it('is a lint error when it has the name of a declared variable', () => {
    const found = lint(doc(...FRONT, '## S', '```sh capture=DB_SOCKET', 'echo /tmp/x.sock', '```'));
    expect(found.map((d) => [d.line, d.rule, d.message])).toEqual([
      [
        8,
        'capture-collision',
        'capture=DB_SOCKET has the name of a declared variable: the capture would hide it; capture under another name',
      ],
    ]);
  });

  it('lets later blocks and later steps use the name, as $NAME, :NAME and ${NAME} in prose', () => {
    const found = lint(
      doc(
        ...FRONT,
        '## Count {#count}',
        '```sql capture=LEFT',
        'SELECT COUNT(*) FROM migrations',
        '```',
        '## Next {#next}',
        '',
        '${LEFT} migrations are left.',
        '',
        '```sh',
        'echo "$LEFT ${LEFT}"',
        '```',
        '```sql',
        'SELECT :LEFT',
        '```',
      ),
    );
    expect(found).toEqual([]);
  });

  it('warns about a check that uses a captured name without preflight=skip: preflight runs it without the capturing block', () => {
    const found = lint(
      doc(
        ...FRONT,
        '## Count {#count}',
        '```sql name=count capture=LEFT',
        'SELECT 1',
        '```',
        '## Gate {#gate}',
        '```sql check name=gate',
        'SELECT :LEFT WHERE :LEFT > 0',
        '```',
        '```sql check name=later preflight=skip',
        'SELECT :LEFT WHERE 0',
        '```',
      ),
    );
    expect(found.map((d) => [d.line, d.severity, d.rule, d.message])).toEqual([
      [
        12,
        'warning',
        'capture-preflight',
        'check gate uses :LEFT, captured by block count: waymark preflight cannot judge it early; add preflight=skip',
      ],
    ]);
  });

  it("is a lint error to use a captured name before the block that captures it: in code, in the capturing block itself, in an earlier step's text", () => {
    const found = lint(
      doc(
        ...FRONT, //                                      1-6
        '## Early {#early}', //                            7
        '', //                                             8
        'There are ${LEFT} left.', //                      9
        '', //                                            10
        '```sh name=early-shell', //                      11
        'echo "$LEFT"', //                                12
        '```', //                                         13
        '```sql name=early-sql', //                       14
        'SELECT :LEFT', //                                15
        '```', //                                         16
        '## Count {#count}', //                           17
        '```sql capture=LEFT name=count', //              18
        'SELECT COUNT(*) FROM t WHERE n > :LEFT', //      19
        '```', //                                         20
      ),
    );
    expect(found.map((d) => [d.line, d.rule, d.message])).toEqual([
      [7, 'capture-used-before', 'step early shows ${LEFT} before block count (line 18) captures it: show it in that step or a later one'],
      [
        11,
        'capture-used-before',
        'block early-shell uses $LEFT in block count (line 18), before it captures it: a capture is only set for the blocks after it',
      ],
      [
        14,
        'capture-used-before',
        'block early-sql uses :LEFT in block count (line 18), before it captures it: a capture is only set for the blocks after it',
      ],
      [
        18,
        'capture-used-before',
        'block count uses :LEFT in the block that captures it, before it has run: a capture is only set for the blocks after it',
      ],
    ]);
  });
});
