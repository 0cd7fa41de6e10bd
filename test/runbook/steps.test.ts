import { describe, expect, it } from 'vitest';
import { parseStepHeading } from '../../src/runbook/heading.js';
import { doc, findings, lint, parse } from './helpers.js';

describe('steps', () => {
  it('starts a step at every H2 and runs it to the next H2; H1 and H3 do not start steps', () => {
    const runbook = parse(
      doc(
        '# Title', //             1
        '', //                    2
        '## Stop services', //    3
        '', //                    4
        '### Detail', //          5
        '', //                    6
        '#### Deeper', //         7
        '', //                    8
        '# Another H1', //        9
        '## Upgrade', //         10
        'Body text.', //         11
      ),
    );
    expect(runbook.steps.map((s) => [s.id, s.title, s.line])).toEqual([
      ['stop-services', 'Stop services', 3],
      ['upgrade', 'Upgrade', 10],
    ]);
    expect(runbook.steps[0]?.markdown.trim()).toBe('### Detail\n\n#### Deeper\n\n# Another H1');
    expect(runbook.steps[1]?.markdown.trim()).toBe('Body text.');
  });

  it('takes setext H2 headings as steps, on the line of their text', () => {
    const runbook = parse(
      doc(
        'Title', //               1
        '=====', //               2
        '', //                    3
        'First step', //          4
        '----------', //          5
        '```sh', //               6
        'true', //                7
        '```', //                 8
        'Second step', //         9
        '---', //                10
        '## Third step', //      11
      ),
    );
    expect(runbook.title).toBe('Title');
    expect(runbook.steps.map((s) => [s.id, s.line])).toEqual([
      ['first-step', 4],
      ['second-step', 9],
      ['third-step', 11],
    ]);
    expect(runbook.steps[0]?.blocks.map((b) => b.line)).toEqual([6]);
  });

  it('does not take a "## " line inside a fence as a step', () => {
    const runbook = parse(doc('## Real', '```sh', '## not a heading', '```', '## Also real'));
    expect(runbook.steps.map((s) => s.title)).toEqual(['Real', 'Also real']);
  });

  it('strips closing hashes from ATX headings', () => {
    expect(parse(doc('## Drain the node ##')).steps[0]?.title).toBe('Drain the node');
  });
});

describe('the introduction', () => {
  const source = doc(
    '# Upgrade', //               1
    '', //                        2
    'Read this first.', //        3
    '', //                        4
    '```text', //                 5
    'shown only', //              6
    '```', //                     7
    '', //                        8
    '```sh example', //           9
    'echo shown only', //        10
    '```', //                    11
    '', //                       12
    '## Step', //                13
    'Body.', //                  14
  );

  it('holds everything before the first H2, with its blocks, display only', () => {
    const runbook = parse(source);
    expect(runbook.intro.markdown.startsWith('# Upgrade\n\nRead this first.')).toBe(true);
    expect(runbook.intro.line).toBe(1);
    expect(runbook.intro.blocks.map((b) => [b.id, b.line, b.lang, b.executor, b.role])).toEqual([
      ['intro-1', 5, 'text', null, 'example'],
      ['intro-2', 9, 'sh', null, 'example'],
    ]);
    expect(runbook.steps).toHaveLength(1);
    expect(lint(source)).toEqual([]);
  });

  it('is an error when it holds a runnable block', () => {
    const found = lint(doc('Intro.', '', '```bash', 'rm -rf /', '```', '', '## Step', 'text'));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ line: 3, severity: 'error', rule: 'intro-block' });
    expect(found[0]?.message).toContain('runnable bash block in the introduction');
  });
});

describe('step attribute blocks', () => {
  it('reads #id, optional and tags, and strips the block from the title', () => {
    const runbook = parse(doc('## Stop nova-compute {#stop-compute optional tags=compute,dataplane}', 'text'));
    const step = runbook.steps[0];
    expect(step).toMatchObject({
      id: 'stop-compute',
      explicitId: true,
      title: 'Stop nova-compute',
      optional: true,
      tags: ['compute', 'dataplane'],
      extra: {},
      line: 1,
    });
    expect(runbook.diagnostics).toEqual([]);
  });

  it('defaults to a required step with no tags and a slug id', () => {
    expect(parse(doc('## Stop nova-compute', 'text')).steps[0]).toMatchObject({
      id: 'stop-nova-compute',
      explicitId: false,
      optional: false,
      tags: [],
    });
  });

  it('reads the attribute block of a setext heading', () => {
    const step = parse(doc('Drain {#drain optional}', '---', 'text')).steps[0];
    expect(step).toMatchObject({ id: 'drain', title: 'Drain', optional: true, line: 1 });
  });

  it('accepts quoted tags with spaces, optional=true/false, and any order', () => {
    expect(parseStepHeading('Migrate {tags="db, nova" #migrate}')).toMatchObject({
      title: 'Migrate',
      id: 'migrate',
      tags: ['db', 'nova'],
      problems: [],
    });
    expect(parseStepHeading('A {optional=true}').optional).toBe(true);
    expect(parseStepHeading('A {optional=false}').optional).toBe(false);
  });

  it('reports unknown step attributes and bad ids on the heading line', () => {
    const source = doc(
      '## Intro text',
      'text',
      '## Restart {#restart mandatory}',
      'text',
      '## Drain {#-bad}',
      'text',
      '## Migrate {owner=ops}',
      'text',
    );
    expect(findings(source)).toEqual(['3 error step-attribute', '5 error step-attribute', '7 error step-attribute']);
    const messages = lint(source).map((d) => d.message);
    expect(messages).toEqual([
      'unknown step attribute "mandatory" (known: #id, optional, tags=a,b, phase=N, needs=TAG, fixes=STEP, foreach=NAME:v1,v2)',
      'bad step id "#-bad": use letters, digits, ".", "_" or "-"',
      'unknown step attribute "owner" (known: #id, optional, tags=a,b, phase=N, needs=TAG, fixes=STEP, foreach=NAME:v1,v2)',
    ]);
  });

  it('leaves braces that are not at the end of the heading in the title', () => {
    const step = parse(doc('## Set {x} to 1 now', 'text')).steps[0];
    expect(step).toMatchObject({ title: 'Set {x} to 1 now', explicitId: false });
  });
});

describe('step ids', () => {
  it('slugs headings GitHub-style and makes repeats unique with -2, -3', () => {
    const runbook = parse(
      doc('## Restart nova', 'a', '## Restart nova', 'b', '## Restart nova', 'c', '## Stop `nova-api` (again!)', 'd', '## Python 🐍', 'e'),
    );
    expect(runbook.steps.map((s) => s.id)).toEqual(['restart-nova', 'restart-nova-2', 'restart-nova-3', 'stop-nova-api-again', 'python-']);
  });

  it('lets explicit ids win over slugs, wherever they appear', () => {
    const runbook = parse(doc('## Check', 'a', '## Check', 'b', '## Other {#check-2}', 'c', '## Check', 'd'));
    expect(runbook.steps.map((s) => s.id)).toEqual(['check', 'check-3', 'check-2', 'check-4']);
    expect(runbook.diagnostics).toEqual([]);
  });

  it('falls back to "step" for a heading with no sluggable text', () => {
    const runbook = parse(doc('## 🚀', 'a', '## !!!', 'b'));
    expect(runbook.steps.map((s) => s.id)).toEqual(['step', 'step-2']);
  });

  it('reports a duplicate explicit id on the second heading and still keeps every id unique', () => {
    const source = doc('## Stop {#stop}', 'a', '## Halt {#stop}', 'b', '## Stop', 'c');
    const found = lint(source);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      line: 3,
      severity: 'error',
      rule: 'duplicate-id',
      message: 'duplicate step id "#stop" (first used on line 1)',
    });
    const ids = parse(source).steps.map((s) => s.id);
    expect(ids).toEqual(['stop', 'stop-2', 'stop-3']);
  });
});

describe('empty steps', () => {
  it('warns about a step with no body at all', () => {
    expect(findings(doc('## Empty', '## Full', 'text'))).toEqual(['1 warning empty-step']);
  });
});
