import { describe, expect, it } from 'vitest';
import { sliceFrontMatter } from '../../src/runbook/front-matter.js';
import { DEFAULT_TIMEOUT_MS } from '../../src/runbook/model.js';
import { doc, findings, lint, parse } from './helpers.js';

const full = doc(
  '---', //                                                  1
  'title: Juno to Mitaka control-plane upgrade', //          2
  'id: juno-to-mitaka', //                                   3
  'vars:', //                                                4
  '  DB_SOCKET: /run/mysqld/mysqld.sock', //                 5
  '  TARGET:', //                                            6
  '    default: mitaka', //                                  7
  '    description: release to upgrade to', //               8
  '    choices: [kilo, liberty, mitaka]', //                 9
  '  DB_PASSWORD:', //                                      10
  '    secret: true', //                                    11
  '    required: true', //                                  12
  '    env: NOVA_DB_PASSWORD', //                           13
  '  PORT: 3306', //                                        14
  'profiles:', //                                           15
  '  testbed: { DB_SOCKET: /tmp/testbed/mysqld.sock }', //  16
  '  production:', //                                       17
  '    TARGET: liberty', //                                 18
  '    PORT: 3307', //                                      19
  'connections:', //                                        20
  '  nova: mysql://root@localhost/nova?socket=${DB_SOCKET}', // 21
  '  glance:', //                                           22
  '    url: mysql://glance@db1:3306/glance', //             23
  '    password: ${DB_PASSWORD}', //                        24
  'shell: zsh', //                                          25
  'timeout: 1m30s', //                                      26
  '---', //                                                 27
  '# An H1 that does not win over title:', //               28
  '', //                                                    29
  '## First step', //                                       30
  '', //                                                    31
  '```sh', //                                               32
  'true', //                                                33
  '```', //                                                 34
);

describe('front matter', () => {
  const runbook = parse(full);

  it('reads title and id, which win over the H1 and the file name', () => {
    expect(runbook.title).toBe('Juno to Mitaka control-plane upgrade');
    expect(runbook.id).toBe('juno-to-mitaka');
  });

  it('reads a shorthand variable as its default, numbers as text', () => {
    expect(runbook.vars.find((v) => v.name === 'DB_SOCKET')).toEqual({
      name: 'DB_SOCKET',
      line: 5,
      default: '/run/mysqld/mysqld.sock',
      secret: false,
      required: false,
    });
    expect(runbook.vars.find((v) => v.name === 'PORT')).toEqual({
      name: 'PORT',
      line: 14,
      default: '3306',
      secret: false,
      required: false,
    });
  });

  it('reads the object form: default, description, choices', () => {
    expect(runbook.vars.find((v) => v.name === 'TARGET')).toEqual({
      name: 'TARGET',
      line: 6,
      default: 'mitaka',
      description: 'release to upgrade to',
      choices: ['kilo', 'liberty', 'mitaka'],
      secret: false,
      required: false,
    });
  });

  it('reads secret, required and env', () => {
    expect(runbook.vars.find((v) => v.name === 'DB_PASSWORD')).toEqual({
      name: 'DB_PASSWORD',
      line: 10,
      secret: true,
      required: true,
      env: 'NOVA_DB_PASSWORD',
    });
  });

  it('keeps variables in declaration order', () => {
    expect(runbook.vars.map((v) => v.name)).toEqual(['DB_SOCKET', 'TARGET', 'DB_PASSWORD', 'PORT']);
  });

  it('reads profiles in flow and block form, values as text', () => {
    expect(runbook.profiles).toEqual({
      testbed: { DB_SOCKET: '/tmp/testbed/mysqld.sock' },
      production: { TARGET: 'liberty', PORT: '3307' },
    });
  });

  it('reads connections in string and object form, keeping ${VAR} for later', () => {
    expect(runbook.connections).toEqual([
      { name: 'nova', line: 21, url: 'mysql://root@localhost/nova?socket=${DB_SOCKET}', file: 'runbooks/upgrade.md' },
      { name: 'glance', line: 22, url: 'mysql://glance@db1:3306/glance', password: '${DB_PASSWORD}', file: 'runbooks/upgrade.md' },
    ]);
  });

  it('reads shell and the default timeout', () => {
    expect(runbook.shell).toBe('zsh');
    expect(runbook.timeoutMs).toBe(90_000);
  });

  it('has no findings when everything is valid', () => {
    expect(lint(full)).toEqual([]);
  });

  it('keeps file line numbers for what follows it', () => {
    expect(runbook.steps.map((s) => [s.id, s.line])).toEqual([['first-step', 30]]);
    expect(runbook.steps[0]?.blocks[0]?.line).toBe(32);
  });
});

describe('defaults without front matter', () => {
  it('takes the title from the first H1 and the id from the file name', () => {
    const runbook = parse(doc('Some prose.', '', '# The real title', '', '# A later H1', '', '## Step'), 'books/nova upgrade.md');
    expect(runbook.title).toBe('The real title');
    expect(runbook.id).toBe('nova-upgrade');
    expect(runbook.shell).toBe('bash');
    expect(runbook.timeoutMs).toBe(DEFAULT_TIMEOUT_MS);
    expect(runbook.vars).toEqual([]);
    expect(runbook.connections).toEqual([]);
    expect(runbook.profiles).toEqual({});
  });

  it('takes the title from the file name when there is no H1', () => {
    const runbook = parse(doc('## Step'), '/srv/runbooks/juno-to-mitaka.md');
    expect(runbook.title).toBe('juno-to-mitaka');
    expect(runbook.id).toBe('juno-to-mitaka');
  });

  it('takes a setext H1 as the title', () => {
    expect(parse(doc('Setext title', '============', '', '## Step')).title).toBe('Setext title');
  });
});

describe('front matter problems', () => {
  it('reports invalid YAML at the file line of the problem, not the first YAML line', () => {
    const source = doc('---', 'title: x', 'vars:', '  A: 1', '  B: @oops', '---', '## Step', '```sh', 'true', '```');
    const found = lint(source);
    expect(found).toEqual([
      {
        file: 'runbooks/upgrade.md',
        line: 5,
        severity: 'error',
        rule: 'yaml',
        message: 'invalid YAML front matter: Plain value cannot start with reserved character @',
      },
    ]);
  });

  it('reports a duplicate YAML key on the line of the second one', () => {
    const source = doc('---', 'title: x', 'shell: bash', 'title: y', '---', '## Step');
    expect(findings(source)).toEqual(['4 error yaml', '6 warning empty-step']);
  });

  it('reports a tab used as indentation on its line, after a step-free YAML preamble', () => {
    const source = doc('---', 'title: x', 'vars:', '\t- A', '---', '## Step', 'text');
    expect(findings(source)).toEqual(['4 error yaml']);
  });

  it('drops everything the broken YAML declared but still parses the steps', () => {
    const runbook = parse(doc('---', 'title: Broken', 'vars: [a', '---', '## Step', '```sh', 'true', '```'));
    expect(runbook.vars).toEqual([]);
    expect(runbook.title).toBe('upgrade');
    expect(runbook.steps.map((s) => [s.id, s.line])).toEqual([['step', 5]]);
  });

  it('reports a default outside its choices on the variable line', () => {
    const source = doc('---', 'vars:', '  TARGET:', '    default: juno', '    choices: [kilo, liberty]', '---', '## Step', 'text');
    const found = lint(source);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 3, severity: 'error', rule: 'front-matter' });
    expect(found[0]?.message).toBe('default "juno" of TARGET is not one of its choices: kilo, liberty');
  });

  it('reports a profile value outside the choices and a profile setting an undeclared variable', () => {
    const source = doc(
      '---',
      'vars:',
      '  TARGET: { default: kilo, choices: [kilo, liberty] }',
      'profiles:',
      '  lab:',
      '    TARGET: juno',
      '    NOPE: 1',
      '---',
      '## Step',
      'text',
    );
    const found = lint(source);
    expect(found.map((d) => [d.line, d.message])).toEqual([
      [6, 'profile lab sets TARGET to "juno", not one of its choices: kilo, liberty'],
      [7, 'profile lab sets NOPE, which is not declared under vars'],
    ]);
  });

  it('reports unclosed front matter on line 1', () => {
    const runbook = parse(doc('---', 'title: x', '## Step', 'text'));
    expect(runbook.diagnostics.map((d) => [d.line, d.rule, d.message])).toContainEqual([
      1,
      'front-matter',
      'front matter starts with "---" but has no closing "---" line',
    ]);
  });

  it('accepts "..." as the closing line', () => {
    const runbook = parse(doc('---', 'title: Dots', '...', '## Step', 'text'));
    expect(runbook.title).toBe('Dots');
    expect(runbook.steps[0]?.line).toBe(4);
  });

  it('checks value shapes: timeout, id, secret/required, env, choices, unknown fields and keys', () => {
    const source = doc(
      '---', //                              1
      'id: not a good id', //                2
      'timeout: soon', //                    3
      'vars:', //                            4
      '  A:', //                             5
      '    secret: maybe', //                6
      '    env: 1BAD', //                    7
      '    choices: kilo', //                8
      '    colour: red', //                  9
      '  9LIVES: x', //                     10
      '  LIST: [a, b]', //                  11
      'connections:', //                    12
      '  c: { password: x }', //            13
      'flavour: vanilla', //                14
      '---', //                             15
      '## Step', //                         16
      'text', //                            17
    );
    expect(findings(source)).toEqual([
      '2 error front-matter',
      '3 error front-matter',
      '6 error front-matter',
      '7 error front-matter',
      '8 error front-matter',
      '9 error front-matter',
      '10 error front-matter',
      '11 error front-matter',
      '13 error front-matter',
      '14 warning unknown-key',
    ]);
    const runbook = parse(source);
    expect(runbook.id).toBe('upgrade');
    expect(runbook.timeoutMs).toBe(DEFAULT_TIMEOUT_MS);
  });

  it('reports a front matter that is not a mapping', () => {
    expect(findings(doc('---', '- a', '- b', '---', '## Step', 'text'))).toEqual(['2 error front-matter']);
  });
});

describe('sliceFrontMatter', () => {
  it('finds the YAML and how many file lines it takes', () => {
    expect(sliceFrontMatter('---\na: 1\n---\nbody\n')).toEqual({ yaml: 'a: 1', firstLine: 2, lineCount: 3, closed: true });
  });

  it('needs "---" on the very first line', () => {
    expect(sliceFrontMatter('\n---\na: 1\n---\n')).toBeUndefined();
    expect(sliceFrontMatter('# Title\n---\n')).toBeUndefined();
  });
  it('reads an empty, a "..."-closed and an unclosed front matter line for line', () => {
    expect(sliceFrontMatter('---\n---\nbody')).toEqual({ yaml: '', firstLine: 2, lineCount: 2, closed: true });
    expect(sliceFrontMatter('---\na: 1\n... \n---\n')).toEqual({ yaml: 'a: 1', firstLine: 2, lineCount: 3, closed: true });
    expect(sliceFrontMatter('---\na: 1\nb: 2')).toEqual({ yaml: 'a: 1\nb: 2', firstLine: 2, lineCount: 3, closed: false });
    expect(sliceFrontMatter('---\na: 1\n')).toEqual({ yaml: 'a: 1\n', firstLine: 2, lineCount: 3, closed: false });
    expect(sliceFrontMatter('---\n')).toEqual({ yaml: '', firstLine: 2, lineCount: 2, closed: false });
  });

  it('stops at the first closing line of a long file', () => {
    const body = '## Step\n\n---\n\n'.repeat(10_000);
    expect(sliceFrontMatter(`---\ntitle: x\n---\n${body}`)).toEqual({ yaml: 'title: x', firstLine: 2, lineCount: 3, closed: true });
  });
});
