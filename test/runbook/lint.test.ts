import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatDiagnostic, lintFile, sqlParameters } from '../../src/runbook/lint.js';
import { doc, findings, lint } from './helpers.js';

/** A runbook with a valid front matter declaring these connections, then `body` from line 12 on. */
function withConnections(connections: string[], ...body: string[]): string {
  const header = [
    '---', //                                       1
    'vars:', //                                     2
    '  DB_SOCKET: /run/mysqld/mysqld.sock', //      3
    '  TARGET: { default: mitaka, choices: [liberty, mitaka] }', // 4
    '  DB_PASSWORD: { secret: true, required: true }', // 5
    'connections:', //                              6
    ...connections.map((c) => `  ${c}`),
  ];
  while (header.length < 10) header.push('# filler comment');
  return doc(...header, '---', ...body);
}

describe('lint rules', () => {
  it('reproduced: a variable BASH_ENV with default ./evil.sh ran evil.sh before a confirm block that showed only `echo hi`; now a variable, a capture or a foreach name the interpreter acts on is an error', () => {
    const found = lint(
      doc(
        '---', // 1
        'vars:', // 2
        '  BASH_ENV: { default: ./evil.sh }', // 3
        '  LD_PRELOAD: { default: ./evil.so }', // 4
        '  PATHS: { default: fine }', // 5
        '  ENV_NAME: { default: fine }', // 6
        '---', // 7
        '## Say hi', // 8
        '```sh confirm', // 9
        'echo hi', // 10
        '```', // 11
        '```sh capture=PYTHONPATH', // 12
        'echo ./lib', // 13
        '```', // 14
        '## Each {foreach=PATH:/a,/b}', // 15
        'echo on', // 16
      ),
    ).filter((d) => d.rule === 'interpreter-variable');
    expect(found.map((d) => [d.line, d.severity])).toEqual([
      [3, 'error'],
      [4, 'error'],
      [12, 'error'],
      [15, 'error'],
    ]);
    expect(found[0]?.message).toBe(
      'variable BASH_ENV is given to every block as an environment variable, and bash runs the file it names before the code of every block: what runs would not be what the screen shows; give it another name',
    );
    expect(found[2]?.message).toMatch(/^capture=PYTHONPATH is given to the blocks after it as an environment variable/);
    expect(found[3]?.message).toMatch(/^step each(-\S+)? gives its blocks PATH as an environment variable, and it decides which program/);
  });

  it('invalid YAML front matter: error on the line of the problem', () => {
    const found = lint(doc('---', 'title: x', 'vars:', '  A: b: c', '---', '## S', 'text'));
    expect(found.map((d) => [d.line, d.severity, d.rule])).toEqual([[4, 'error', 'yaml']]);
    expect(found[0]?.message).toBe('invalid YAML front matter: Nested mappings are not allowed in compact mappings');
  });

  it('unknown role or attribute on a runnable block', () => {
    const found = lint(doc('## S', '```sh chekc', 'true', '```', '```sh check timout=5s', 'true', '```'));
    expect(found.map((d) => [d.line, d.severity, d.rule, d.message])).toEqual([
      [2, 'error', 'block-attribute', 'unknown role or attribute "chekc"; roles are run, check, verify, rollback, example'],
      [5, 'error', 'block-attribute', 'unknown attribute "timout" (did you mean "timeout"?)'],
    ]);
  });

  it('bad attribute values: timeout, retries, delay, exit, sql expect — one finding each, on the fence line', () => {
    const source = withConnections(
      ['nova: mysql://root@localhost/nova'],
      '## S', //                                 12
      '```sh timeout=forever', //                13
      '```', //                                  14
      '```sh check retries=lots', //             15
      '```', //                                  16
      '```sh check retries=2 delay=soon', //     17
      '```', //                                  18
      '```sh exit=-1', //                        19
      '```', //                                  20
      '```sql check expect=rows:many', //        21
      'SELECT 1', //                             22
      '```', //                                  23
    );
    expect(
      lint(source)
        .filter((d) => d.rule !== 'empty-check')
        .map((d) => [d.line, d.rule, d.message]),
    ).toEqual([
      [13, 'block-attribute', 'bad timeout value "forever": expected a duration such as 30s, 5m or 1h'],
      [15, 'block-attribute', 'bad retries value "lots": expected a whole number of extra attempts'],
      [17, 'block-attribute', 'bad delay value "soon": expected a duration such as 30s, 5m or 1h'],
      [19, 'block-attribute', 'bad exit value "-1": expected an exit code from 0 to 255'],
      [21, 'block-attribute', 'bad expect value "rows:many" for sql: use empty, nonempty, rows:N or value:X'],
    ]);
  });

  it('duplicate explicit step ids and block names', () => {
    const source = doc('## A {#a}', '```sh name=x', '```', '## B {#a}', '```sh name=x', '```');
    expect(lint(source).map((d) => [d.line, d.rule, d.message])).toEqual([
      [4, 'duplicate-id', 'duplicate step id "#a" (first used on line 1)'],
      [5, 'duplicate-id', 'duplicate block name "x" (first used on line 2)'],
    ]);
  });

  it('reproduced: expect="^(a+)+$" hung a run with no warning; lint warns on nested quantifiers', () => {
    const source = doc(
      '## S',
      '```sh check expect="^(a+)+$"',
      'echo aaaa',
      '```',
      '```sh check expect="^(ok|fine)+ [0-9]+$"',
      'echo ok 1',
      '```',
    );
    expect(lint(source).map((d) => [d.line, d.severity, d.rule, d.message.slice(0, 40)])).toEqual([
      [2, 'warning', 'slow-pattern', 'expect= nests quantifiers in (a+)+: on s'],
    ]);
  });

  it('sql block naming a connection that does not exist', () => {
    const source = withConnections(['nova: mysql://root@localhost/nova'], '## S', '```sql check connection=cinder', 'SELECT 1', '```');
    expect(lint(source).map((d) => [d.line, d.rule, d.message])).toEqual([
      [13, 'unknown-connection', 'sql block uses connection "cinder", which is not declared (connections: nova)'],
    ]);
  });

  it('sql block whose connection cannot be resolved: none declared, or several and no connection=', () => {
    expect(lint(doc('## S', '```sql', 'SELECT 1', '```')).map((d) => [d.line, d.rule, d.message])).toEqual([
      [2, 'unknown-connection', 'sql block has no connection: declare one under connections in the front matter'],
    ]);
    const several = withConnections(
      ['nova: mysql://root@localhost/nova', 'glance: mysql://root@localhost/glance'],
      '## S',
      '```sql check',
      'SELECT 1',
      '```',
    );
    expect(lint(several).map((d) => [d.line, d.rule, d.message])).toEqual([
      [13, 'unknown-connection', 'sql block needs connection=NAME: the runbook declares 2 connections (nova, glance)'],
    ]);
  });

  it('an sql block without connection= uses the only connection', () => {
    expect(lint(withConnections(['nova: mysql://root@localhost/nova'], '## S', '```sql check', 'SELECT 1', '```'))).toEqual([]);
  });

  it('${VAR} in a connection naming no declared variable, in the url or the password', () => {
    const source = withConnections(
      ['nova: mysql://root@${DB_HOST}/nova', 'glance:', '    url: mysql://glance@db1/glance', '    password: ${GLANCE_PASSWORD}'],
      '## S',
      'text',
    );
    expect(lint(source).map((d) => [d.line, d.rule, d.message])).toEqual([
      [7, 'unknown-variable', 'connection nova uses ${DB_HOST}, which is not declared under vars'],
      [8, 'unknown-variable', 'connection glance uses ${GLANCE_PASSWORD}, which is not declared under vars'],
    ]);
  });

  it('a connection URL that is wrong with the values lint knows', () => {
    const source = withConnections(['nova: http://root@localhost/nova', 'glance: mysql:///glance'], '## S', 'text');
    expect(lint(source).map((d) => [d.line, d.rule, d.message])).toEqual([
      [7, 'bad-connection', 'connection nova: unsupported scheme "http" (use mysql:// or mariadb://)'],
      [8, 'bad-connection', 'connection glance: no host in "mysql:///glance"'],
    ]);
  });

  it('no bad-connection finding when a variable without a default is what shapes the URL', () => {
    const source = doc(
      '---',
      'vars:',
      '  DB_URL: { required: true }',
      '  DB_PORT: { required: true }',
      'connections:',
      '  nova: ${DB_URL}',
      '  glance: mysql://glance@db1:${DB_PORT}/glance',
      '---',
      '## S',
      'text',
    );
    expect(lint(source)).toEqual([]);
  });

  it('sql parameters that name no declared variable', () => {
    const source = withConnections(
      ['nova: mysql://root@localhost/nova'],
      '## S',
      '```sql check',
      'SELECT 1 WHERE a = :TARGET AND b = :MISSING',
      '```',
    );
    expect(lint(source).map((d) => [d.line, d.rule, d.message])).toEqual([
      [13, 'unknown-variable', 'sql parameter :MISSING is not a declared variable'],
    ]);
  });

  it('executable block in the introduction', () => {
    expect(findings(doc('```python', 'print(1)', '```', '## S', 'text'))).toEqual(['1 error intro-block']);
    expect(findings(doc('```sql example', 'SELECT 1', '```', '## S', 'text'))).toEqual([]);
  });

  it('severity= or override= on a block that is not a check', () => {
    const source = doc(
      '## S',
      '```sh severity=warning',
      '```',
      '```sh verify override=allowed',
      '```',
      '```sh check severity=warning override=allowed',
      '```',
    );
    expect(
      lint(source)
        .filter((d) => d.rule !== 'empty-check')
        .map((d) => [d.line, d.rule, d.message]),
    ).toEqual([
      [2, 'block-attribute', 'severity= is only for check blocks, not run'],
      [4, 'block-attribute', 'override= is only for check blocks, not verify'],
    ]);
  });

  it('no steps', () => {
    expect(lint(doc('# Title', '', 'Only prose.'))).toEqual([
      {
        file: 'runbooks/upgrade.md',
        line: 1,
        severity: 'error',
        rule: 'no-steps',
        message: 'no steps: a runbook needs at least one "## " heading',
      },
    ]);
    expect(findings('')).toEqual(['1 error no-steps']);
  });

  it('default outside choices', () => {
    const found = lint(doc('---', 'vars:', '  TARGET:', '    default: juno', '    choices: [kilo]', '---', '## S', 'text'));
    expect(found.map((d) => [d.line, d.severity, d.message])).toEqual([
      [3, 'error', 'default "juno" of TARGET is not one of its choices: kilo'],
    ]);
  });

  it('unclosed fence is a warning, not an error', () => {
    expect(findings(doc('## S', '~~~sh', 'true'))).toEqual(['2 warning unclosed-fence']);
  });

  it('sorts findings by line, across front matter, steps and whole-runbook checks', () => {
    const source = doc(
      '---',
      'vars:',
      '  A: { default: x, choices: [y] }',
      '---',
      '```sh',
      '```',
      '## S {#s bogus}',
      '```sh timeout=x',
      '```',
    );
    expect(findings(source)).toEqual(['3 error front-matter', '5 error intro-block', '7 error step-attribute', '8 error block-attribute']);
  });
  it("fixes= must name an earlier step that has checks: an error on the fixing step's heading", () => {
    const found = lint(
      doc(
        '## Gate {#gate}', //                             1
        '```sh check', //                                 2
        'true', //                                        3
        '```', //                                         4
        '## Prose {#prose}', //                           5
        'Nothing to check here.', //                      6
        '## Fix {#fix optional fixes=gate}', //           7
        '```sh', //                                       8
        'true', //                                        9
        '```', //                                         10
        '## Bad {#bad fixes=nope,prose,later,bad}', //    11
        '```sh', //                                       12
        'true', //                                        13
        '```', //                                         14
        '## Later {#later}', //                           15
        '```sh check', //                                 16
        'true', //                                        17
        '```', //                                         18
        '## Empty {#empty fixes=}', //                    19
        'text', //                                        20
      ),
    );
    expect(found.map((d) => [d.line, d.severity, d.rule, d.message])).toEqual([
      [11, 'error', 'bad-fixes', 'fixes=nope: no step has the id nope'],
      [11, 'error', 'bad-fixes', 'fixes=prose: step prose has no check for this step to fix'],
      [
        11,
        'error',
        'bad-fixes',
        'fixes=later: step later does not come before this step; a fix names an earlier step whose check it remedies',
      ],
      [11, 'error', 'bad-fixes', 'fixes=bad: step bad does not come before this step; a fix names an earlier step whose check it remedies'],
      [19, 'error', 'step-attribute', 'fixes= expects the id of the step whose check this step remedies, e.g. fixes=charset'],
    ]);
  });
});

describe('sqlParameters', () => {
  it('finds :NAME outside strings, comments and casts', () => {
    const sql = [
      'SELECT \':NOT_A\' AS s, "x:NOT_B" AS t, `c:NOT_C`, created::date',
      'FROM t -- :NOT_D',
      '# :NOT_E',
      '/* :NOT_F */',
      'WHERE a = :FIRST AND b = :second_2',
    ].join('\n');
    expect(sqlParameters(sql)).toEqual(['FIRST', 'second_2']);
  });
});

describe('lintFile and formatDiagnostic', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'waymark-lint-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads, parses and lints a file, naming it in every finding', async () => {
    const file = join(dir, 'book.md');
    await writeFile(file, doc('## S', '```sh exit=x', '```'));
    const found = await lintFile(file);
    expect(found).toEqual([
      { file, line: 2, severity: 'error', rule: 'block-attribute', message: 'bad exit value "x": expected an exit code from 0 to 255' },
    ]);
    expect(formatDiagnostic(found[0] as (typeof found)[number])).toBe(
      `${file}:2: error: bad exit value "x": expected an exit code from 0 to 255`,
    );
  });

  it('turns a missing file into a finding instead of throwing', async () => {
    const file = join(dir, 'missing.md');
    expect(await lintFile(file)).toEqual([
      { file, line: 1, severity: 'error', rule: 'unreadable', message: 'cannot read runbook: no such file' },
    ]);
  });
});
