/**
 * Runbook-like documents for the parser's property and differential tests: generated from
 * fragments (fences, headings, lists, quotes, front matter), and mutations of the real-world
 * corpus in ../shared/corpus.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';

const corpusDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'corpus');
if (!existsSync(corpusDir)) {
  throw new Error(`corpus folder not found at ${corpusDir}: the shared/ folder must sit beside the repository (../shared/corpus)`);
}
export const corpus = readdirSync(corpusDir)
  .filter((name) => name.endsWith('.md'))
  .sort()
  .map((name) => ({ name, text: readFileSync(join(corpusDir, name), 'utf8') }));
if (corpus.length === 0) throw new Error(`no corpus files in ${corpusDir}`);

// ---------------------------------------------------------------------------------------------
// Generated documents, built from runbook-like fragments.

const words = fc.constantFrom(
  'nova',
  'Stop nova-compute',
  'db sync',
  'ÄÖÜ',
  'Python 🐍',
  '日本語',
  'a\u200bb',
  'x'.repeat(40),
  '',
  ' ',
  '*emph*',
  '`code`',
  '\\',
  '{',
  '}',
  '"',
  "'",
  '#',
  '[ ]',
);
const unicodeText = fc.oneof(
  { weight: 3, arbitrary: words },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
);
export const text = fc.array(unicodeText, { minLength: 1, maxLength: 3 }).map((parts) => parts.join(' '));

const langs = fc.constantFrom('sh', 'bash', 'shell', 'python', 'sql', 'SQL', 'text', 'console', 'yaml', 'json', '', 'go');
const roles = fc.constantFrom('', 'run', 'check', 'verify', 'rollback', 'example', 'chekc', 'confirm', 'ignore', 'timeout');
const attrPairs = fc.constantFrom(
  'name=db-sync',
  'name=x',
  'name=x',
  'timeout=30s',
  'timeout=soon',
  'retries=3',
  'retries=-1',
  'delay=5s',
  'exit=256',
  'exit=0',
  'expect=empty',
  'expect=rows:2',
  'expect="^ok\\s"',
  'expect=(',
  'severity=warning',
  'override=allowed',
  'connection=nova',
  'connection=missing',
  'codes=oslo',
  'rerun-on-exit=1',
  'cwd=/tmp',
  'excludeFromRunAll',
  'frob=1',
  '{"name":"x","timeout":"30s"}',
  '{ name=y timeout=30s }',
  '{"id":"01HTZBCXFZ0V7P4AXE70CNSGPG","terminalRows":"3"}',
  '{"excludeFromRunAll":true}',
  '{ ignore }',
  '{"a":{"b":[1,2,{"c":"}"}]}}',
  '{unclosed',
  '"unclosed quote',
  "'single'",
  '{"name":"bad name"}',
  '{}',
);
const jsonBrace = fc
  .dictionary(
    fc.constantFrom('name', 'timeout', 'id', 'interactive', 'ignore', 'retries', 'mimeType', 'frob'),
    fc.jsonValue({ maxDepth: 2 }),
    { maxKeys: 3 },
  )
  .map((o) => JSON.stringify(o));
export const infoString = fc.oneof(
  {
    weight: 4,
    arbitrary: fc
      .tuple(langs, roles, fc.array(attrPairs, { maxLength: 3 }))
      .map(([lang, role, attrs]) => [lang, role, ...attrs].filter(Boolean).join(' ')),
  },
  { weight: 1, arbitrary: fc.tuple(langs, jsonBrace).map(([lang, brace]) => `${lang} ${brace}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((s) => s.replace(/[`\r\n]/g, '')) },
);

const codeLines = fc.array(
  fc.oneof(text, fc.constantFrom('SELECT 1 WHERE a = :TARGET', 'echo $TARGET', '## not a heading', '- [ ] not a task', '```', '~~~', '')),
  { maxLength: 4 },
);

/** A fenced block: indent, fence, info, body, and one of several ways to end (or not). */
export const fence = fc
  .record({
    char: fc.constantFrom('`', '~'),
    length: fc.integer({ min: 3, max: 5 }),
    indent: fc.integer({ min: 0, max: 3 }),
    info: infoString,
    body: codeLines,
    end: fc.constantFrom('same', 'same', 'same', 'longer', 'none', 'with-info', 'shorter', 'other-char'),
  })
  .map(({ char, length, indent, info, body, end }) => {
    const pad = ' '.repeat(indent);
    const open = char.repeat(length);
    const other = char === '`' ? '~' : '`';
    const closing: Record<string, string[]> = {
      same: [open],
      longer: [char.repeat(length + 1)],
      none: [],
      'with-info': [`${open}sql`],
      shorter: ['``'],
      'other-char': [other.repeat(length)],
    };
    return [`${pad}${open}${info}`, ...body.map((line) => `${pad}${line}`), ...(closing[end] ?? []).map((line) => `${pad}${line}`)];
  });

const stepAttributes = fc.oneof(
  fc.constant(''),
  fc
    .tuple(
      fc.constantFrom('#stop', '#stop', '#a.b_c-1', '#-bad', '#'),
      fc.boolean(),
      fc.constantFrom('', 'tags=a,b', 'tags="x, y"', 'owner=me', 'optional=false'),
    )
    .map(([id, optional, rest]) => ` {${[id, optional ? 'optional' : '', rest].filter(Boolean).join(' ')}}`),
  fc.string({ maxLength: 12 }).map((s) => ` {${s.replace(/[{}\r\n]/g, '')}}`),
);
export const heading = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(text, stepAttributes).map(([title, attrs]) => [`## ${title}${attrs}`]) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(text, stepAttributes, fc.constantFrom('---', '-----', '=='))
      .map(([title, attrs, rule]) => [`${title.trim() || 'Setext'}${attrs}`, rule]),
  },
  {
    weight: 1,
    arbitrary: fc.tuple(fc.constantFrom('#', '###', '####', '##', ' ##', '\\##'), text).map(([marks, title]) => [`${marks} ${title}`]),
  },
);

const listItem = fc.tuple(fc.constantFrom('- ', '* ', '+ ', '1. ', '2) '), fc.constantFrom('[ ] ', '[x] ', '[X] ', '', '[] '), text);
export const list = fc
  .array(
    fc.oneof(
      listItem.map(([bullet, box, t]) => [`${bullet}${box}${t}`]),
      fc.tuple(listItem, fc.integer({ min: 2, max: 4 })).map(([[bullet, box, t], indent]) => [`${' '.repeat(indent)}${bullet}${box}${t}`]),
      fc
        .tuple(fence, fc.integer({ min: 2, max: 5 }))
        .map(([lines, indent]) => ['', ...lines.map((line) => `${' '.repeat(indent)}${line}`)]),
      fc.constant(['']),
    ),
    { minLength: 1, maxLength: 5 },
  )
  .map((items) => ['- [ ] first', ...items.flat()]);

const quoted = fc.oneof(
  fence,
  list,
  heading,
  text.map((t) => [t]),
  fc.constant(['']),
);
/** Block quotes: with lazy lines (every fourth line without `>`), with every line marked, nested, and with a blank `>` line between blocks (these end at a blank line). */
const quote = fc.oneof(
  quoted.map((lines) => lines.map((line, i) => (i % 4 === 3 ? line : `> ${line}`))),
  fc
    .tuple(fc.array(quoted, { minLength: 1, maxLength: 3 }), fc.constantFrom('> ', '>', '  > ', '> > ', '>> '))
    .map(([blocks, marker]) => [...blocks.flatMap((lines) => [...lines, '']).map((line) => `${marker}${line}`), '']),
  fc.tuple(quoted, quoted).map(([outer, inner]) => [...outer.map((line) => `> ${line}`), '>', ...inner.map((line) => `> > ${line}`), '']),
);

const validFrontMatter = fc.constantFrom(
  [
    '---',
    'title: Generated',
    'vars:',
    '  TARGET: { default: mitaka, choices: [liberty, mitaka] }',
    '  DB_SOCKET: /run/mysqld/mysqld.sock',
    'connections:',
    '  nova: mysql://root@localhost/nova?socket=${DB_SOCKET}',
    '---',
  ],
  [
    '---',
    'id: gen',
    'timeout: 30s',
    'shell: bash',
    'connections:',
    '  nova: mysql://root@db/nova',
    '  glance: { url: "mysql://g@${HOST}/glance", password: "${PW}" }',
    '---',
  ],
  ['---', '---'],
  ['---', 'title: Dots', '...'],
);
const brokenFrontMatter = fc
  .tuple(
    fc.array(
      fc.oneof(
        fc.constantFrom(
          'vars: [a',
          '  A: @x',
          'title: "open',
          '\t- tab',
          'a: b: c',
          'title: x',
          'title: y',
          'vars:',
          '  - list',
          'timeout: forever',
          'profiles: 3',
        ),
        text,
      ),
      { maxLength: 5 },
    ),
    fc.constantFrom('---', '...', ''),
  )
  .map(([lines, close]) => ['---', ...lines, ...(close ? [close] : [])]);

const block = fc.oneof(
  { weight: 5, arbitrary: fence },
  { weight: 3, arbitrary: heading },
  { weight: 2, arbitrary: list },
  { weight: 2, arbitrary: quote },
  { weight: 2, arbitrary: text.map((t) => [t]) },
  { weight: 1, arbitrary: text.map((t) => [`    ${t}`]) },
  { weight: 2, arbitrary: fc.constant(['']) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      ['<div>', '', '```sh', 'x', '```', '</div>'],
      ['<!-- ```sh', '-->'],
      ['| a | b |', '|---|---|', '| 1 | 2 |'],
      ['[ref]: http://x', ''],
      ['---'],
      ['***'],
    ),
  },
);

export const generatedDocument = fc
  .record({
    front: fc.oneof(
      { weight: 3, arbitrary: fc.constant<string[]>([]) },
      { weight: 2, arbitrary: validFrontMatter },
      { weight: 1, arbitrary: brokenFrontMatter },
    ),
    body: fc.array(block, { maxLength: 24 }),
    eol: fc.constantFrom('\n', '\n', '\n', '\r\n', '\r'),
    finalNewline: fc.boolean(),
  })
  .map(({ front, body, eol, finalNewline }) => {
    const lines = [...front, ...body.flat()];
    return lines.join(eol) + (finalNewline ? eol : '');
  });

// ---------------------------------------------------------------------------------------------
// Mutations of the corpus: delete, duplicate, insert lines; insert and delete characters.

export const trickyLines = fc.oneof(
  fc.constantFrom(
    '```',
    '```sh',
    '~~~',
    '````',
    '```sql check',
    '> ```sh',
    '   ```bash',
    '- [ ] task',
    '  - [x] nested',
    '## Step {#dup}',
    '## Step {#dup}',
    '---',
    '===',
    '    indented',
    '<div>',
    '',
    '## {',
    '```sh {"name":"',
    '```{name=x}',
  ),
  text,
);
export const mutation = fc.record({
  kind: fc.constantFrom('delete-line', 'duplicate-line', 'insert-line', 'insert-chars', 'delete-chars', 'swap-lines'),
  at: fc.nat(),
  other: fc.nat(),
  payload: trickyLines,
  count: fc.integer({ min: 1, max: 20 }),
});
export type Mutation = { kind: string; at: number; other: number; payload: string; count: number };

export function mutate(textIn: string, mutations: Mutation[]): string {
  let source = textIn;
  for (const m of mutations) {
    const lines = source.split('\n');
    const i = m.at % (lines.length + 1);
    const j = m.other % Math.max(lines.length, 1);
    switch (m.kind) {
      case 'delete-line':
        lines.splice(i, m.count % 4 || 1);
        break;
      case 'duplicate-line':
        lines.splice(i, 0, ...lines.slice(i, i + (m.count % 6 || 1)));
        break;
      case 'insert-line':
        lines.splice(i, 0, m.payload);
        break;
      case 'swap-lines': {
        const a = lines[i % Math.max(lines.length, 1)];
        const b = lines[j];
        if (a !== undefined && b !== undefined) {
          lines[i % lines.length] = b;
          lines[j] = a;
        }
        break;
      }
      case 'insert-chars': {
        const pos = m.at % (source.length + 1);
        source = source.slice(0, pos) + m.payload + source.slice(pos);
        continue;
      }
      case 'delete-chars': {
        const pos = m.at % (source.length + 1);
        source = source.slice(0, pos) + source.slice(pos + m.count);
        continue;
      }
    }
    source = lines.join('\n');
  }
  return source;
}

export const mutatedCorpus = fc
  .tuple(fc.constantFrom(...corpus), fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.boolean())
  .map(([file, mutations, crlf]) => {
    const mutated = mutate(file.text, mutations);
    return crlf ? mutated.replace(/\n/g, '\r\n') : mutated;
  });
