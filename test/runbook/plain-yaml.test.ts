/**
 * Plain `vars:` and `profiles:` read without the yaml library (src/runbook/plain-yaml.ts) against
 * the library reading the whole front matter: over generated front matters, both must give the same
 * front matter — the same variables, profiles, connections and findings on the same lines. A front
 * matter the plain reader leaves to the library is still compared, and the plain reader must take
 * many of them itself, or the comparison would prove little.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFrontMatter, sliceFrontMatter } from '../../src/runbook/front-matter.js';
import { readPlainEntries } from '../../src/runbook/plain-yaml.js';
// @ts-expect-error: the benchmark's generator is plain JavaScript without types.
import { generateVarsRunbook } from '../../bench/gen-runbook.mjs';
import { readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

const SEED = Number(process.env.WAYMARK_FUZZ_SEED ?? 20261207);
const PLAIN_KEYS = new Set(['vars', 'profiles']);

/** The front matter of `yaml` read both ways; throws, showing the text, when they differ. */
function sameFrontMatter(yaml: string): void {
  const slice = { yaml, firstLine: 2, lineCount: yaml.split('\n').length + 2, closed: true };
  const plain = parseFrontMatter(slice, 'fm.md', true);
  const whole = parseFrontMatter(slice, 'fm.md', false);
  try {
    expect(plain).toEqual(whole);
  } catch (error) {
    throw new Error(
      `the plain reader and the yaml library disagree on this front matter:\n${JSON.stringify(yaml)}\n${(error as Error).message}`,
    );
  }
}

const plainTaken = (yaml: string): boolean => readPlainEntries(yaml, PLAIN_KEYS) !== undefined;

// Words the plain reader takes (strings, true, false, null in their spellings) and words it must
// leave to the library (numbers, quotes, flow sequences, anchors, comments, URLs, spaces).
const plainWord = fc.constantFrom(
  ...['mitaka', 'ctl-1', '/run/mysqld.sock', 'a_b.c', 'yes', 'x/y-z', 'on', 'n', '_'],
  ...['true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'null', 'Null', 'NULL', 'tRUE', 'nULL'],
);
const otherWord = fc.constantFrom(
  '5',
  '-1',
  '1.10',
  '.inf',
  '"quoted"',
  "'single'",
  '[kilo, liberty]',
  '&anchor x',
  '*anchor',
  'a # comment',
  'mysql://root@db/nova',
  'two words',
  '~',
  '',
  '|',
  '{ default: x, choices: [a, b] }',
  'a:b',
  '!!str 5',
);
const word = fc.oneof({ weight: 4, arbitrary: plainWord }, { weight: 1, arbitrary: otherWord });
const varName = fc.constantFrom('A', 'DB_SOCKET', 'TARGET', 'bad-name', '9X', 'A', 'Controller', 'true');
const fieldName = fc.constantFrom('default', 'secret', 'description', 'env', 'required', 'choices', 'colour');
const indentOf = fc.constantFrom(2, 2, 2, 4, 1, 3);

/** `{ k: v, ... }` on one line, in the spacings the plain reader takes and some it does not. */
const flowMap = fc
  .tuple(fc.array(fc.tuple(fc.oneof(fieldName, varName), word), { maxLength: 3 }), fc.boolean(), fc.constantFrom(', ', ',', ' , '))
  .map(([entries, spaced, comma]) => {
    const inner = entries.map(([k, v]) => `${k}: ${v}`).join(comma);
    return spaced ? `{ ${inner} }` : `{${inner}}`;
  });

/** A mapping's lines at `indent`: plain values, flow maps, nested mappings below a bare key. */
function mapping(indent: number, depth: number): fc.Arbitrary<string[]> {
  const pad = ' '.repeat(indent);
  const entry: fc.Arbitrary<string[]> = fc.oneof(
    { weight: 5, arbitrary: fc.tuple(varName, word).map(([k, v]) => [`${pad}${k}: ${v}`.trimEnd()]) },
    { weight: 2, arbitrary: fc.tuple(varName, flowMap).map(([k, v]) => [`${pad}${k}: ${v}`]) },
    {
      weight: depth < 2 ? 2 : 0,
      arbitrary: fc
        .tuple(fc.oneof(varName, fieldName), indentOf, fc.constant(null))
        .chain(([k, more]) => mapping(indent + more, depth + 1).map((lines) => [`${pad}${k}:`, ...lines])),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom([''], [`${pad}# a comment`], ['#edge'], [`${pad}A:\tx`], [`${pad}  over-indented: x`], ['- item'])
        .map((lines) => [...lines]),
    },
  );
  return fc.array(entry, { minLength: 1, maxLength: 6 }).map((entries) => entries.flat());
}

/** A top-level entry of a front matter. */
const topEntry: fc.Arbitrary<string[]> = fc.oneof(
  { weight: 4, arbitrary: indentOf.chain((indent) => mapping(indent, 0).map((lines) => ['vars:', ...lines])) },
  { weight: 3, arbitrary: indentOf.chain((indent) => mapping(indent, 0).map((lines) => ['profiles:', ...lines])) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom(['vars:'], ['profiles: {}'], ['vars: { A: x }'], ['vars: # list'], ['profiles:   '])
      .map((lines) => [...lines]),
  },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(
        ['title: An upgrade: with a colon'],
        ['id: nova-upgrade'],
        ['id: bad id'],
        ['connections:', '  nova: mysql://root@localhost/nova?socket=${DB_SOCKET}'],
        ['shell: bash'],
        ['timeout: 10m'],
        ['# a comment at the edge'],
        [''],
        ['notify: echo done'],
        ['unknown: x'],
        ['title: "open quote'],
        ['- a list item'],
        ['---'],
        ['  indented: first'],
        ['inventory: hosts.ini'],
        ['title: >', '  folded', '  text'],
        ['after: [a, b]'],
      )
      .map((lines) => [...lines]),
  },
);
const frontMatter = fc.array(topEntry, { minLength: 1, maxLength: 6 }).map((entries) => entries.flat().join('\n'));

describe('plain vars and profiles read without the yaml library', () => {
  it('give the same front matter as the library for 3,000 generated front matters, many of them read plainly', () => {
    let taken = 0;
    fc.assert(
      fc.property(frontMatter, (yaml) => {
        if (plainTaken(yaml)) taken++;
        sameFrontMatter(yaml);
      }),
      { numRuns: 3_000, seed: SEED },
    );
    expect(taken).toBeGreaterThan(600);
  }, 120_000);

  it("read the benchmark's 2,000-variable front matter plainly, with its secrets, defaults and profile", () => {
    const file = generateVarsRunbook({ vars: 2000 }) as string;
    const source = readFileSync(file, 'utf8');
    rmSync(dirname(file), { recursive: true, force: true });
    const slice = sliceFrontMatter(source);
    if (!slice) throw new Error('the generated runbook has no front matter');
    const split = readPlainEntries(slice.yaml, PLAIN_KEYS);
    expect(split?.read.map((entry) => entry.pair.key.value)).toEqual(['vars', 'profiles']);
    const plain = parseFrontMatter(slice, file, true);
    expect(plain).toEqual(parseFrontMatter(slice, file, false));
    expect(plain.diagnostics).toEqual([]);
    expect(plain.vars).toHaveLength(2000);
    expect(plain.vars[0]).toEqual({ name: 'V0', line: 5, default: 'd0', secret: true, required: false });
    expect(plain.vars[1]).toEqual({ name: 'V1', line: 6, default: 'd1', secret: false, required: false });
    expect(plain.profiles.testbed?.V1999).toBe('p1999');
  });

  it('find the same errors on the same lines: a duplicate variable, an undeclared profile value, a bad name', () => {
    const yaml = ['title: t', 'vars:', '  A: x', '  B: y', '  A: z', 'profiles:', '  lab:', '    C: w'].join('\n');
    expect(plainTaken(yaml)).toBe(true);
    sameFrontMatter(yaml);
    const found = parseFrontMatter({ yaml, firstLine: 2, lineCount: 10, closed: true }, 'fm.md', true).diagnostics;
    expect(found.map((d) => [d.line, d.message])).toEqual([[6, 'invalid YAML front matter: Map keys must be unique']]);
    const undeclared = ['vars:', '  A: x', 'profiles:', '  lab: { B: w }', 'id: 9-bad id'].join('\n');
    expect(plainTaken(undeclared)).toBe(true);
    sameFrontMatter(undeclared);
    const lines = parseFrontMatter({ yaml: undeclared, firstLine: 2, lineCount: 7, closed: true }, 'fm.md', true).diagnostics.map(
      (d) => d.line,
    );
    expect(lines.sort()).toEqual([5, 6]);
  });

  it('leave a front matter whose top level is more than key: lines to the library', () => {
    expect(plainTaken('vars:\n  A: x\n- item')).toBe(false);
    expect(plainTaken('"vars":\n  A: x')).toBe(false);
    expect(plainTaken('vars:\n  A: "x"')).toBe(false);
    expect(plainTaken('vars:\n  A: 5')).toBe(false);
    expect(plainTaken('vars:\n  A: x # note')).toBe(false);
  });
});
