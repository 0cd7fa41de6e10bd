import { describe, expect, it } from 'vitest';
import { parseInfoString } from '../../src/runbook/info-string.js';
import { blocksOf, blockWithInfo, doc, findings, lint, onlyStep, parse } from './helpers.js';

describe('info string grammar: LANG [ROLE] [ATTRIBUTES]', () => {
  it('splits language, words and key=value attributes', () => {
    expect(parseInfoString('sh check name=db-up timeout=30s confirm')).toEqual({
      lang: 'sh',
      words: ['check', 'confirm'],
      attributes: [
        { key: 'name', value: 'db-up' },
        { key: 'timeout', value: '30s' },
      ],
      problems: [],
    });
  });

  it('lower-cases the language and keeps an empty one empty', () => {
    expect(parseInfoString('SQL').lang).toBe('sql');
    expect(parseInfoString('').lang).toBe('');
    expect(parseInfoString('   ').lang).toBe('');
  });

  it('keeps quoted values whole, with \\" escapes and backslashes of regexes', () => {
    expect(parseInfoString('sh expect="^ok\\s+\\"done\\"$" cwd=\'/srv/my dir\'').attributes).toEqual([
      { key: 'expect', value: '^ok\\s+"done"$' },
      { key: 'cwd', value: '/srv/my dir' },
    ]);
  });

  it('reads a Runme JSON brace group, turning non-strings into JSON text', () => {
    expect(parseInfoString('sh {"name":"x","timeout":"30s","terminalRows":3,"interactive":false,"confirm":true}')).toEqual({
      lang: 'sh',
      words: [],
      attributes: [
        { key: 'name', value: 'x' },
        { key: 'timeout', value: '30s' },
        { key: 'terminalRows', value: '3' },
        { key: 'interactive', value: 'false' },
        { key: 'confirm', value: true },
      ],
      problems: [],
    });
  });

  it('reads a Runme word brace group, with commas or spaces between words', () => {
    expect(parseInfoString('sh { name=x timeout=30s }').attributes).toEqual([
      { key: 'name', value: 'x' },
      { key: 'timeout', value: '30s' },
    ]);
    expect(parseInfoString('sh {name=x, interactive=false, ignore}').attributes).toEqual([
      { key: 'name', value: 'x' },
      { key: 'interactive', value: 'false' },
      { key: 'ignore', value: true },
    ]);
  });

  it('reads a brace group right after the fence as having no language', () => {
    expect(parseInfoString('{"name":"setup"}')).toMatchObject({ lang: '', attributes: [{ key: 'name', value: 'setup' }] });
  });

  it('keeps nested JSON and braces inside strings intact', () => {
    expect(parseInfoString('sh {"name":"a}b","env":{"X":"1"}}').attributes).toEqual([
      { key: 'name', value: 'a}b' },
      { key: 'env', value: '{"X":"1"}' },
    ]);
  });

  it('reports an unclosed brace or quote instead of throwing', () => {
    expect(parseInfoString('sh {"name":"x"').problems).toEqual(['unclosed "{" in "sh {"name":"x""']);
    expect(parseInfoString('sh expect="abc').problems).toEqual(['unclosed quote in "sh expect="abc"']);
  });
});

describe('block roles and executors', () => {
  it.each([
    ['sh', 'shell'],
    ['bash', 'shell'],
    ['shell', 'shell'],
    ['SH', 'shell'],
    ['python', 'python'],
    ['sql', 'sql'],
  ] as const)('runs %s blocks with the %s executor, role run by default', (lang, executor) => {
    const { block, problems } = blockWithInfo(lang);
    expect(block).toMatchObject({ executor, role: 'run', lang: lang.toLowerCase() });
    expect(problems).toEqual([]);
  });

  it.each(['text', 'console', 'yaml', 'json', 'go', 'python3', ''])('shows %j blocks without running them', (lang) => {
    const { block, problems } = blockWithInfo(lang);
    expect(block).toMatchObject({ executor: null, role: 'example', lang });
    expect(problems).toEqual([]);
  });

  it.each(['run', 'check', 'verify', 'rollback'] as const)('reads the %s role', (role) => {
    expect(blockWithInfo(`bash ${role}`).block).toMatchObject({ role, executor: 'shell' });
  });

  it('makes an example block display only', () => {
    expect(blockWithInfo('sh example').block).toMatchObject({ role: 'example', executor: null });
  });

  it('reports two roles and an unknown role word on a runnable block', () => {
    expect(blockWithInfo('sh check verify').problems).toEqual(['two roles given: "check" and "verify"']);
    expect(blockWithInfo('sh chekc').problems).toEqual([
      'unknown role or attribute "chekc"; roles are run, check, verify, rollback, example',
    ]);
  });

  it('reports a role on a language waymark does not run', () => {
    expect(blockWithInfo('text check').problems).toEqual([
      'role "check" on a "text" block, which waymark does not run (runnable: sh, bash, shell, python, sql)',
    ]);
  });

  it("lets display-only blocks carry other tools' words and attributes without complaint", () => {
    const { block, problems } = blockWithInfo('yaml title=values.yaml linenums');
    expect(problems).toEqual([]);
    expect(block.runme).toEqual({ title: 'values.yaml' });
  });
});

describe('Runme attributes', () => {
  it('takes the JSON form: name is the block id, timeout is applied', () => {
    const { block, problems } = blockWithInfo('sh {"name":"x","timeout":"30s"}');
    expect(problems).toEqual([]);
    expect(block).toMatchObject({ id: 'x', explicitId: true, executor: 'shell', role: 'run', runme: {} });
    expect(block.attrs.timeoutMs).toBe(30_000);
  });

  it('takes the word form { name=x timeout=30s } the same way', () => {
    const { block, problems } = blockWithInfo('sh { name=x timeout=30s }');
    expect(problems).toEqual([]);
    expect(block).toMatchObject({ id: 'x', explicitId: true });
    expect(block.attrs.timeoutMs).toBe(30_000);
  });

  it('keeps unknown Runme keys in runme and acts on none of them', () => {
    const { block, problems } = blockWithInfo(
      'sh {"id":"01HTZBCXFZ0V7P4AXE70CNSGPG","terminalRows":"3","interactive":"false","background":"true"}',
    );
    expect(problems).toEqual([]);
    expect(block.runme).toEqual({ id: '01HTZBCXFZ0V7P4AXE70CNSGPG', terminalRows: '3', interactive: 'false', background: 'true' });
    expect(block).toMatchObject({ executor: 'shell', role: 'run', explicitId: false });
  });

  it.each([
    'sh {"excludeFromRunAll":true}',
    'sh { excludeFromRunAll=true }',
    'sh {"ignore":"true"}',
    'sh { ignore }',
    'sh ignore=yes',
    'sh ignore',
    'bash check excludeFromRunAll',
  ])('makes %s display only and keeps the key', (info) => {
    const { block, problems } = blockWithInfo(info);
    expect(problems).toEqual([]);
    expect(block.executor).toBeNull();
    expect(Object.keys(block.runme).length).toBe(1);
  });

  it.each(['sh {"excludeFromRunAll":false}', 'sh { ignore=false }', 'sh ignore=0'])('keeps %s runnable', (info) => {
    expect(blockWithInfo(info).block.executor).toBe('shell');
  });
});

describe('bare attributes and flags', () => {
  it('reads every waymark attribute', () => {
    const { block, problems } = blockWithInfo(
      'sh check name=nova-status timeout=2m expect="^OK" exit=3 retries=4 delay=5s rerun-on-exit=1 codes=oslo severity=warning override=allowed confirm cwd=/srv',
    );
    expect(problems).toEqual([]);
    expect(block.id).toBe('nova-status');
    expect(block.attrs).toEqual({
      timeoutMs: 120_000,
      expect: '^OK',
      exit: 3,
      retries: 4,
      delayMs: 5_000,
      rerunOnExit: 1,
      codes: 'oslo',
      severity: 'warning',
      override: 'allowed',
      confirm: true,
      cwd: '/srv',
    });
  });

  it('reads confirm=false and severity=failure as the defaults', () => {
    expect(blockWithInfo('sh check confirm=false severity=failure').block.attrs).toEqual({ confirm: false });
  });

  it.each([
    ['sh timeout=soon', 'bad timeout value "soon": expected a duration such as 30s, 5m or 1h'],
    ['sh timeout=0s', 'bad timeout value "0s": expected a duration such as 30s, 5m or 1h'],
    ['sh timeout', 'bad timeout value "": expected a duration such as 30s, 5m or 1h'],
    ['sh check delay=-5s', 'bad delay value "-5s": expected a duration such as 30s, 5m or 1h'],
    ['sh check retries=many', 'bad retries value "many": expected a whole number of extra attempts'],
    ['sh check retries=-1', 'bad retries value "-1": expected a whole number of extra attempts'],
    ['sh exit=256', 'bad exit value "256": expected an exit code from 0 to 255'],
    ['sh exit=1.5', 'bad exit value "1.5": expected an exit code from 0 to 255'],
    ['sh rerun-on-exit=yes', 'bad rerun-on-exit value "yes": expected the exit code that means "run me again", e.g. 1'],
    ['sh check codes=nagios', 'bad codes value "nagios": the only supported value is "oslo"'],
    ['sh check severity=info', 'bad severity value "info": expected "warning"'],
    ['sh check override=yes', 'bad override value "yes": expected "allowed"'],
    ['sh name="two words"', 'bad name value "two words": use letters, digits, "-", "_", "." or ":"'],
    ['sh cwd', 'bad cwd value "": expected a directory'],
    ['sh expect', 'bad expect value "": expected a value'],
    [
      'sh expect=(unclosed',
      'bad expect value "(unclosed": not a regular expression (Invalid regular expression: /(unclosed/m: Unterminated group)',
    ],
    ['sql check expect=some', 'bad expect value "some" for sql: use empty, nonempty, rows:N or value:X'],
    ['sql check expect=rows:x', 'bad expect value "rows:x" for sql: use empty, nonempty, rows:N or value:X'],
  ])('reports %s', (info, message) => {
    expect(blockWithInfo(info).problems).toEqual([message]);
  });

  it('reports an unknown attribute on a runnable block, with a hint when one is close', () => {
    expect(blockWithInfo('sh check retry=3').problems).toEqual(['unknown attribute "retry" (did you mean "retries"?)']);
    expect(blockWithInfo('sh frobnicate=1').problems).toEqual(['unknown attribute "frobnicate"']);
    expect(blockWithInfo('sh {"frobnicate":1}').problems).toEqual(['unknown attribute "frobnicate"']);
  });

  it.each([
    ['sh severity=warning', 'severity= is only for check blocks, not run'],
    ['sh verify override=allowed', 'override= is only for check blocks, not verify'],
    ['sh rollback severity=warning', 'severity= is only for check blocks, not rollback'],
    ['sh connection=nova', 'connection= is only for sql blocks'],
    ['sql check exit=1', 'exit= is not for sql blocks: use expect='],
    ['sql codes=oslo', 'codes= is not for sql blocks'],
    ['sql rerun-on-exit=1', 'rerun-on-exit= is not for sql blocks'],
  ])('reports %s as misplaced', (info, message) => {
    expect(blockWithInfo(info).problems).toEqual([message]);
  });

  it('reads the SQL expectations, with empty the default for sql check', () => {
    expect(blockWithInfo('sql check').block.attrs.sqlExpect).toEqual({ kind: 'empty' });
    expect(blockWithInfo('sql run').block.attrs.sqlExpect).toBeUndefined();
    expect(blockWithInfo('sql check expect=nonempty').block.attrs.sqlExpect).toEqual({ kind: 'nonempty' });
    expect(blockWithInfo('sql verify expect=rows:3').block.attrs.sqlExpect).toEqual({ kind: 'rows', count: 3 });
    expect(blockWithInfo('sql check expect=value:utf8mb4').block.attrs.sqlExpect).toEqual({ kind: 'value', value: 'utf8mb4' });
    expect(blockWithInfo('sql check expect=value:utf8mb4').block.attrs.expect).toBeUndefined();
  });

  it('reads the connection of an sql block', () => {
    expect(blockWithInfo('sql check connection=nova').block.attrs.connection).toBe('nova');
  });
});

describe('block ids', () => {
  it('numbers blocks STEPID-N in document order, display-only ones included', () => {
    const blocks = blocksOf('```sh', 'a', '```', '```text', 'b', '```', '```sh name=named', 'c', '```', '```sh', 'd', '```');
    expect(blocks.map((b) => [b.id, b.explicitId])).toEqual([
      ['s-1', false],
      ['s-2', false],
      ['named', true],
      ['s-4', false],
    ]);
  });

  it('reports a duplicate name= and keeps every id unique', () => {
    const source = doc('## S', '```sh name=restart', 'a', '```', '## T', '```sh verify name=restart', 'b', '```');
    const found = lint(source);
    expect(found).toEqual([
      {
        file: 'runbooks/upgrade.md',
        line: 6,
        severity: 'error',
        rule: 'duplicate-id',
        message: 'duplicate block name "restart" (first used on line 2)',
      },
    ]);
    expect(parse(source).steps.flatMap((s) => s.blocks.map((b) => b.id))).toEqual(['restart', 'restart-2']);
  });

  it('lets a name= win over an earlier default id that looks the same', () => {
    const source = doc('## S', '```sh', 'a', '```', '```sh name=s-1', 'b', '```');
    const blocks = onlyStep(parse(source)).blocks;
    expect(blocks.map((b) => [b.id, b.explicitId])).toEqual([
      ['s-1-2', false],
      ['s-1', true],
    ]);
    expect(lint(source)).toEqual([]);
  });
});

describe('fences', () => {
  it('gives each block its opening fence line, language, code and closed state', () => {
    const runbook = parse(
      doc(
        '## S', //            1
        '', //                2
        '```sh', //           3
        'echo one', //        4
        'echo two', //        5
        '```', //             6
        '', //                7
        '~~~bash', //         8
        'echo tilde', //      9
        '~~~', //            10
      ),
    );
    expect(onlyStep(runbook).blocks.map((b) => [b.line, b.lang, b.info, b.code, b.unclosed])).toEqual([
      [3, 'sh', 'sh', 'echo one\necho two', false],
      [8, 'bash', 'bash', 'echo tilde', false],
    ]);
  });

  it('lets a longer fence hold shorter fences, and tildes hold backticks', () => {
    const blocks = blocksOf('````markdown', '```sh', 'inner', '```', '````', '~~~', '```', '~~~');
    expect(blocks.map((b) => [b.line, b.lang, b.code, b.unclosed])).toEqual([
      [3, 'markdown', '```sh\ninner\n```', false],
      [8, '', '```', false],
    ]);
  });

  it('reads indented code as a display-only block on its first code line', () => {
    const blocks = blocksOf('Some text:', '', '    systemctl stop nova-api', '    systemctl stop nova-conductor', '', 'After.');
    expect(blocks.map((b) => [b.line, b.lang, b.executor, b.code, b.unclosed])).toEqual([
      [5, '', null, 'systemctl stop nova-api\nsystemctl stop nova-conductor', false],
    ]);
  });

  it('finds fences inside list items, nested lists and blockquotes on their own lines', () => {
    const runbook = parse(
      doc(
        '## S', //                     1
        '', //                         2
        '1. Install the CLI', //       3
        '', //                         4
        '   ```bash', //               5
        '   curl x | sh', //           6
        '   ```', //                   7
        '', //                         8
        '2. Then', //                  9
        '   - nested', //             10
        '     ```sh', //              11
        '     echo nested', //        12
        '     ```', //                13
        '', //                        14
        '> Inside a quote', //        15
        '>', //                       16
        '> ```sh', //                 17
        '> echo quoted', //           18
        '> ```', //                   19
        '', //                        20
        '> 1. quoted list', //        21
        '>    ```sh', //              22
        '>    echo deep', //          23
        '>    ```', //                24
        '', //                        25
        '```sh', //                   26
        'echo after', //              27
        '```', //                     28
      ),
    );
    expect(onlyStep(runbook).blocks.map((b) => [b.id, b.line, b.code])).toEqual([
      ['s-1', 5, 'curl x | sh'],
      ['s-2', 11, 'echo nested'],
      ['s-3', 17, 'echo quoted'],
      ['s-4', 22, 'echo deep'],
      ['s-5', 26, 'echo after'],
    ]);
    expect(runbook.diagnostics).toEqual([]);
  });

  it('keeps line numbers after a lazy continuation line inside a blockquote', () => {
    // marked drops a newline from the quote's children here; the parser must not lose the line.
    const runbook = parse(
      doc(
        '## S', //             1
        '> - a', //            2
        'lazy', //             3
        '>', //                4
        '> ~~~sh', //          5
        '> echo quoted', //    6
        '> ~~~', //            7
        '', //                 8
        '```sh', //            9
        'echo after', //      10
        '```', //             11
      ),
    );
    expect(onlyStep(runbook).blocks.map((b) => [b.line, b.code, b.unclosed])).toEqual([
      [5, 'echo quoted', false],
      [9, 'echo after', false],
    ]);
  });

  it('keeps line numbers when marked adds a newline to a lazily continued quoted list', () => {
    const step = onlyStep(
      parse(
        doc(
          '## S', //                 1
          '> - [ ] first', //        2
          '> ', //                   3
          '> - [ ] ', //             4
          '    - [ ] nested', //     5
          '> ', //                   6
          '>   ```sh', //            7
          '>   echo x', //           8
          '>   ```', //              9
        ),
      ),
    );
    expect(step.blocks.map((b) => [b.line, b.code])).toEqual([[7, 'echo x']]);
    expect(step.checklist.map((c) => [c.line, c.text])).toEqual([
      [2, 'first'],
      [5, 'nested'],
    ]);
  });

  it('counts lines the same with CRLF and CR line endings', () => {
    for (const eol of ['\r\n', '\r']) {
      const runbook = parse(['## S', '', '```sh', 'a', '```', '', '- [ ] tick', '', '```sh', 'b', '```', ''].join(eol));
      expect(onlyStep(runbook).blocks.map((b) => [b.line, b.code, b.unclosed])).toEqual([
        [3, 'a', false],
        [9, 'b', false],
      ]);
      expect(onlyStep(runbook).checklist.map((c) => c.line)).toEqual([7]);
    }
  });

  it('treats a fence closed on the last line without a final newline as closed', () => {
    const runbook = parse('## S\n```sh\ntrue\n```');
    expect(onlyStep(runbook).blocks[0]).toMatchObject({ unclosed: false, code: 'true' });
    expect(runbook.diagnostics).toEqual([]);
  });
});

describe('unclosed fences', () => {
  it('runs to the end of the document and is a warning on the opening line', () => {
    const source = doc('## S', '', '```sh', 'echo never closed', '', '## Not a step', '``');
    const runbook = parse(source);
    const step = onlyStep(runbook);
    expect(step.blocks.map((b) => [b.line, b.unclosed, b.code])).toEqual([[3, true, 'echo never closed\n\n## Not a step\n``']]);
    expect(lint(source)).toEqual([
      {
        file: 'runbooks/upgrade.md',
        line: 3,
        severity: 'warning',
        rule: 'unclosed-fence',
        message:
          'code fence ``` is never closed: everything after it, to the end of the file (or of the list or quote it is in), is part of this block',
      },
    ]);
  });

  it('is not closed by a fence line with an info string, a shorter fence or the other fence character', () => {
    expect(blocksOf('```shell', 'a', '```sql', 'b').map((b) => [b.line, b.unclosed, b.code])).toEqual([[3, true, 'a\n```sql\nb']]);
    expect(blocksOf('````sh', 'a', '```').map((b) => b.unclosed)).toEqual([true]);
    expect(blocksOf('```sh', 'a', '~~~').map((b) => b.unclosed)).toEqual([true]);
  });

  it('is closed by a longer closing fence', () => {
    expect(blocksOf('```sh', 'a', '`````', 'after').map((b) => [b.unclosed, b.code])).toEqual([[false, 'a']]);
  });

  it('ends with its list item or blockquote, and the next fence starts fresh', () => {
    const runbook = parse(
      doc(
        '## S', //               1
        '- ```sh', //            2
        '  echo in item', //     3
        '- next item', //        4
        '', //                   5
        '> ```sh', //            6
        '> echo in quote', //    7
        '', //                   8
        '```sh', //              9
        'echo outside', //      10
        '```', //               11
      ),
    );
    expect(onlyStep(runbook).blocks.map((b) => [b.line, b.unclosed, b.code])).toEqual([
      [2, true, 'echo in item'],
      [6, true, 'echo in quote'],
      [9, false, 'echo outside'],
    ]);
    expect(findings(doc('## S', '- ```sh', '  echo in item', '- next item'))).toEqual(['2 warning unclosed-fence']);
  });

  it('flags an empty fence at the very end of the file', () => {
    expect(blocksOf('```sh').map((b) => [b.line, b.unclosed, b.code])).toEqual([[3, true, '']]);
  });
});
