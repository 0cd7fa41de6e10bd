/**
 * Front matter entries read without the yaml library (src/runbook/plain-yaml.ts) against the
 * library reading the whole front matter: over generated front matters, both must give the same
 * front matter — the same variables, profiles, connections and findings on the same lines — and
 * each entry read plainly must be the library's node for node: the same kinds, values and offsets.
 * A front matter the plain reader leaves to the library is still compared, and the plain reader
 * must take many of them itself, or the comparison would prove little.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isMap, isPair, isScalar, isSeq, parseDocument } from 'yaml';
import { parseFrontMatter, sliceFrontMatter } from '../../src/runbook/front-matter.js';
import { readPlainEntries } from '../../src/runbook/plain-yaml.js';
// @ts-expect-error: the benchmark's generator is plain JavaScript without types.
import { generateVarsRunbook } from '../../bench/gen-runbook.mjs';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corpus } from './documents.js';

const SEED = Number(process.env.WAYMARK_FUZZ_SEED ?? 20261207);

/**
 * A node as [path, kind, value, line] rows: what the front matter's readers look at (they place a
 * finding on the line where its node starts).
 */
function rows(yaml: string, node: unknown, path: string, out: unknown[][] = []): unknown[][] {
  const lineAt = (offset: number | undefined) => (offset === undefined ? undefined : yaml.slice(0, offset).split('\n').length);
  if (isScalar(node)) out.push([path, 'scalar', node.value, lineAt(node.range?.[0])]);
  else if (isMap(node)) {
    out.push([path, 'map', node.items.length]);
    for (const [i, pair] of node.items.entries()) {
      rows(yaml, pair.key, `${path}.${i}k`, out);
      rows(yaml, pair.value, `${path}.${i}v`, out);
    }
  } else if (isSeq(node)) {
    out.push([path, 'seq', node.items.length]);
    for (const [i, item] of node.items.entries()) rows(yaml, item, `${path}.${i}`, out);
  } else out.push([path, String(node)]);
  return out;
}

/** Each entry the plain reader took, node for node against the library's parse of the whole text. */
function sameNodes(yaml: string): void {
  const split = readPlainEntries(yaml);
  if (!split) return;
  const doc = parseDocument(yaml, { uniqueKeys: false });
  if (doc.errors.length > 0 || !isMap(doc.contents)) return;
  for (const { index, pair } of split.read) {
    const theirs = doc.contents.items[index];
    if (!isPair(theirs)) throw new Error(`the library has no entry ${index} in:\n${JSON.stringify(yaml)}`);
    try {
      expect(rows(yaml, pair.value, String(pair.key.value))).toEqual(
        rows(yaml, theirs.value, String((theirs.key as { value?: unknown }).value)),
      );
      expect(rows(yaml, pair.key, 'key')).toEqual(rows(yaml, theirs.key, 'key'));
    } catch (error) {
      throw new Error(
        `the plain reader and the yaml library disagree on entry ${index} of:\n${JSON.stringify(yaml)}\n${(error as Error).message}`,
      );
    }
  }
}

/** The front matter of `yaml` read both ways; throws, showing the text, when they differ. */
function sameFrontMatter(yaml: string): void {
  const slice = { yaml, firstLine: 2, lineCount: yaml.split('\n').length + 2, closed: true };
  const plain = parseFrontMatter(slice, 'fm.md', true);
  const whole = parseFrontMatter(slice, 'fm.md', false);
  try {
    expect(plain).toEqual(whole);
    sameNodes(yaml);
  } catch (error) {
    throw new Error(
      `the plain reader and the yaml library disagree on this front matter:\n${JSON.stringify(yaml)}\n${(error as Error).message}`,
    );
  }
}

const plainTaken = (yaml: string): boolean => readPlainEntries(yaml) !== undefined;

// Words the plain reader takes (strings, sentences, quoted text, decimal integers, true, false and
// null in their spellings) and words it must leave to the library (other numbers, escapes, anchors,
// tags, block scalars, nested collections), with what lies between: indicators, colons, comments.
const plainWord = fc.constantFrom(
  ...['mitaka', 'ctl-1', '/run/mysqld.sock', 'a_b.c', 'yes', 'x/y-z', 'on', 'n', '_', '~', '20', '0', 'v3', '01HF7B0KJQ', '10m'],
  ...['true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'null', 'Null', 'NULL', 'tRUE', 'nULL'],
  ...['the release to upgrade to', "nova's schema (a relative path, see below)", 'a, b; c', 'mysql://root@db/nova?socket=${DB_SOCKET}'],
  ...['naïve — ünïcode ✓', 'a:b', 'x#y', 'a # a comment', 'b   # spaced comment', 'brackets [a] and {b}', 'ends]', 'c,'],
  ...['"quoted: with colon"', '"2.0"', "'single # not a comment'", '"a \'b\'"', "'back\\slash'", '"" ', "''", '"x" # after'],
  ...['[kilo, liberty]', '["2.0", "2.1"]', '[]', '[ ]', '[ a , b ]', "['no', yes]", '[true, null, 7]', '[-a]', '[x] # c'],
);
const otherWord = fc.constantFrom(
  ...['-1', '+3', '1.10', '.5', '1e3', '0x1F', '0o17', '007', '1_000', '.inf', '-.Inf', '.NaN', '12345678901234567890'],
  ...['["esc\\"q"]', "['it''s', b]", '["t\\tab"]', '["a #b"]', '[\'x\', "y"]', '["[x]"]'],
  ...['"esc\\"aped"', '"tab\\t"', "'it''s'", '"open', "'open", '"a"b', '"a"#b', '[a, [b]]', '[a, {b: c}]', '[a, ]', '[${X}]'],
  ...['["a,b"]', '[a:b]', '[a', 'a]b: c', '&anchor x', '*anchor', '!!str 5', '|', '>', '- x', '-x', '?x', ':x', '@x', '%x', '`x`'],
  ...['nbsp\u00a0inside', 'trailing nbsp\u00a0', '\u3000ideographic', 'x\u2028y', 'bom\ufeff', 'vt\u000bx'],
  ...['two: words', 'trailing:', 'a\tb', '{ default: x, choices: [a, b] }', '{a: 1}', '{ a: "b" }', '#x', ' '],
);
const word = fc.oneof({ weight: 4, arbitrary: plainWord }, { weight: 1, arbitrary: otherWord });
const varName = fc.constantFrom('A', 'DB_SOCKET', 'TARGET', 'bad-name', '9X', 'A', 'Controller', 'true', 'null', 'Null', '\u00a0A');
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
      weight: 2,
      arbitrary: fc
        .tuple(fc.oneof(varName, fieldName), indentOf, fc.array(word, { minLength: 1, maxLength: 3 }))
        .map(([k, more, items]) => [`${pad}${k}:`, ...items.map((item) => `${pad}${' '.repeat(more)}- ${item}`.trimEnd())]),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          [''],
          [`${pad}# a comment`],
          ['#edge'],
          ['   # deeper comment'],
          [`${pad}A:\tx`],
          [`${pad}  over-indented: x`],
          ['- item'],
          [`${pad}A:#x`],
          [`${pad}A: # only a comment`],
          [`${pad}A: x`, `${pad}  continued`],
          [`${pad}choices:`, `${pad}- same-indent item`],
          [`${pad}choices:`, `${pad}  - a`, `${pad}   - b`],
          [`${pad}choices:`, `${pad}  -`],
          [`${pad}choices:`, `${pad}  - k: v`],
          [`${pad}choices:`, `${pad}  - a`, `${pad}  # between`, `${pad}  - b`],
          [`${pad}A: x\r`],
        )
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
        ['title: "Heat rolling upgrade: Newton to Ocata"'],
        ['include:', '  - services/nova.md', '  - services/cinder.md'],
        ['include:', '- same-indent.md'],
        ['include:'],
        ['after: glance # a comment'],
        ['after:', '  - ""'],
        ['weight: 20'],
        ['weight: 2.5'],
        ['runme:', '  id: 01HF7B0KJQ8625WYMCRVJADMQF', '  version: v3'],
        ['notify:', '  command: curl -sS https://chat.example/hook', '  events: [block-failed, run-done]', '  timeout: 5s'],
        ['connections:', '  glance:', '    url: mysql://glance@db1:3306/glance', '    password: ${DB_PASSWORD}'],
        ['tags: [a, b]', '# trailing comment'],
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
    const split = readPlainEntries(slice.yaml);
    expect(split?.read.map((entry) => entry.pair.key.value)).toEqual(['title', 'id', 'vars', 'profiles']);
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

  it('leave a front matter whose top level is more than key: lines to the library, and entries with more than it takes', () => {
    expect(plainTaken('vars:\n  A: x\n- item')).toBe(false);
    expect(plainTaken('"vars":\n  A: x')).toBe(false);
    for (const value of ['5.0', '0x1F', '"esc\\"aped"', "'it''s'", '&a x', '*a', '!!str 5', '|', '[a, [b]]', '[${X}]', 'a: b', '- x'])
      expect(plainTaken(`vars:\n  A: ${value}`), value).toBe(false);
    expect(plainTaken('vars:\n  A: x\n    continued')).toBe(false);
    expect(plainTaken('include:\n- same-indent.md')).toBe(false);
    expect(plainTaken('weight: 20')).toBe(true);
    // One entry left to the library does not keep the others from being read here.
    const split = readPlainEntries('title: t\nvars:\n  A: 5.0\nid: x');
    expect(split?.read.map((entry) => entry.pair.key.value)).toEqual(['title', 'id']);
    expect(split?.rest).toBe('vars:\n  A: 5.0\n');
  });

  it("read every front matter of the corpus and of runbooks/ as the library does, all of the repository's without it", () => {
    const repository = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
    const runbooks = readdirSync(join(repository, 'runbooks'), { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.md'))
      .map((name) => ({ name, text: readFileSync(join(repository, 'runbooks', name), 'utf8'), ours: true }));
    const all = [...corpus.map((doc) => ({ ...doc, ours: false })), ...runbooks];
    let read = 0;
    for (const { name, text, ours } of all) {
      const slice = sliceFrontMatter(text);
      if (!slice) continue;
      sameFrontMatter(slice.yaml);
      const split = readPlainEntries(slice.yaml);
      // The repository's own runbooks are what an editor loop lints: no entry of theirs needs the library.
      if (ours) expect(split && split.read.length === split.entries, name).toBe(true);
      read++;
    }
    expect(read).toBeGreaterThan(10);
  });
});

describe('duplicate keys', () => {
  /** The lines the yaml library's own check (uniqueKeys) puts its duplicate-key errors on. */
  const libraryLines = (yaml: string) => {
    const doc = parseDocument(yaml, { uniqueKeys: true });
    return doc.errors
      .filter((e) => e.code === 'DUPLICATE_KEY')
      .map((e) => yaml.slice(0, e.pos[0]).split('\n').length)
      .sort((a, b) => a - b);
  };
  const ourLines = (yaml: string, plain: boolean) =>
    parseFrontMatter({ yaml, firstLine: 2, lineCount: yaml.split('\n').length + 2, closed: true }, 'fm.md', plain)
      .diagnostics.filter((d) => d.message.endsWith('Map keys must be unique'))
      .map((d) => d.line - 1)
      .sort((a, b) => a - b);

  it.each([
    ['top level', 'title: a\nid: b\ntitle: c'],
    ['a nested mapping', 'vars:\n  A:\n    default: x\n    default: y\n  B: z'],
    ['mappings in a list', 'notify:\n  - { url: a, url: b }\n  - url: c\n    on: d\n    on: e'],
    ['a flow mapping inside a list inside a mapping', 'x:\n  y: [ { a: 1, b: 2, a: 3 } ]\nz: 1'],
    ['a quoted and a plain spelling of one key', 'vars:\n  "A": x\n  A: y'],
    ['several, at three depths', 'a:\n  b: 1\n  b: 2\nc: 1\nc: 2\nd:\n  - e: 1\n    e: 2'],
    ['a mapping as a key', '? { k: 1, k: 2 }\n: v'],
  ])('are found on the lines the yaml library finds them: %s', (_, yaml) => {
    // Reproduced while replacing the library's generic visitor with a walk of waymark's own: the
    // walk must reach mappings under lists, flow collections and keys, as the visitor did.
    const expected = libraryLines(yaml);
    expect(expected.length).toBeGreaterThan(0);
    expect(ourLines(yaml, false)).toEqual(expected);
    expect(ourLines(yaml, true)).toEqual(expected);
  });
});
