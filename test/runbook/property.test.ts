/**
 * Properties of the parser and lint over generated runbook-like documents and over mutations of
 * the real-world corpus: nothing throws, every finding points into the file, every block and
 * step sits on a line of the document that can hold it, and ids are unique.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Diagnostic, Runbook } from '../../src/runbook/model.js';
import { parseRunbook } from '../../src/runbook/parse.js';
import { lintRunbook } from '../../src/runbook/lint.js';

const corpusDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'corpus');
if (!existsSync(corpusDir)) {
  throw new Error(`corpus folder not found at ${corpusDir}: the shared/ folder must sit beside the repository (../shared/corpus)`);
}
const corpus = readdirSync(corpusDir)
  .filter((name) => name.endsWith('.md'))
  .sort()
  .map((name) => ({ name, text: readFileSync(join(corpusDir, name), 'utf8') }));
if (corpus.length === 0) throw new Error(`no corpus files in ${corpusDir}`);

const FILE = 'runbooks/generated.md';
const FENCE_LINE = /(`{3,}|~{3,})/;
const TASK_LINE = /\[[ xX]\]/;

/** Parses and lints one document, then checks every property; throws naming the first one broken. */
function checkInvariants(source: string): void {
  let runbook: Runbook;
  try {
    runbook = parseRunbook(source, FILE);
  } catch (error) {
    throw new Error(`parseRunbook threw: ${(error as Error).stack ?? String(error)}`);
  }
  let found: Diagnostic[];
  try {
    found = lintRunbook(runbook);
  } catch (error) {
    throw new Error(`lintRunbook threw: ${(error as Error).stack ?? String(error)}`);
  }
  checkModel(source, runbook, found);
}

/** The properties a parse and its findings must have against the document's text. */
function checkModel(source: string, runbook: Runbook, found: Diagnostic[]): void {
  const lines = source.split(/\r\n|\r|\n/);
  const lineCount = lines.length;
  const fail = (what: string): never => {
    throw new Error(`${what} (document has ${lineCount} lines)`);
  };

  for (const d of found) {
    if (d.file !== FILE) fail(`finding with file ${JSON.stringify(d.file)}`);
    if (!Number.isInteger(d.line) || d.line < 1 || d.line > lineCount + 1) fail(`finding "${d.message}" on line ${d.line}`);
    if (d.severity !== 'error' && d.severity !== 'warning') fail(`finding with severity ${String(d.severity)}`);
    if (typeof d.message !== 'string' || d.message.trim() === '') fail(`finding on line ${d.line} with an empty message`);
    if (typeof d.rule !== 'string' || d.rule === '') fail(`finding on line ${d.line} without a rule`);
  }

  const blocks = [...runbook.intro.blocks, ...runbook.steps.flatMap((step) => step.blocks)];
  const blockIds = new Set<string>();
  let lastBlockLine = 0;
  for (const block of blocks) {
    if (!Number.isInteger(block.line) || block.line < 1 || block.line > lineCount) fail(`block ${block.id} on line ${block.line}`);
    if (block.line <= lastBlockLine) fail(`block ${block.id} on line ${block.line}, not after the previous block (${lastBlockLine})`);
    lastBlockLine = block.line;
    const text = lines[block.line - 1] as string;
    // A block starts on its fence, or on the first line of indented code: never on a blank line.
    if (text.trim() === '') fail(`block ${block.id} starts on blank line ${block.line}`);
    if (block.info !== '' && !(FENCE_LINE.test(text) && text.includes(block.info))) {
      fail(`block ${block.id} with info ${JSON.stringify(block.info)} is on line ${block.line}: ${JSON.stringify(text)}`);
    }
    if (block.unclosed && !FENCE_LINE.test(text)) fail(`unclosed block ${block.id} on line ${block.line} has no fence there`);
    if (blockIds.has(block.id)) fail(`block id ${block.id} used twice`);
    blockIds.add(block.id);
  }

  const stepIds = new Set<string>();
  let lastStepLine = 0;
  for (const step of runbook.steps) {
    if (!Number.isInteger(step.line) || step.line < 1 || step.line > lineCount) fail(`step ${step.id} on line ${step.line}`);
    if (step.line <= lastStepLine) fail(`step ${step.id} on line ${step.line}, not after the previous step (${lastStepLine})`);
    lastStepLine = step.line;
    if (step.id === '') fail(`step on line ${step.line} has an empty id`);
    if (stepIds.has(step.id)) fail(`step id ${step.id} used twice`);
    stepIds.add(step.id);
    for (const block of step.blocks) if (block.line <= step.line) fail(`block ${block.id} on line ${block.line} is before its step (${step.line})`);
    for (const item of step.checklist) {
      if (!Number.isInteger(item.line) || item.line <= step.line || item.line > lineCount) fail(`checklist item ${item.id} on line ${item.line}`);
      if (!TASK_LINE.test(lines[item.line - 1] as string)) fail(`checklist item ${item.id} on line ${item.line} is not on a task line`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Generated documents, built from runbook-like fragments.

const words = fc.constantFrom('nova', 'Stop nova-compute', 'db sync', 'ÄÖÜ', 'Python 🐍', '日本語', 'a\u200bb', 'x'.repeat(40), '', ' ', '*emph*', '`code`', '\\', '{', '}', '"', "'", '#', '[ ]');
const unicodeText = fc.oneof(
  { weight: 3, arbitrary: words },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 24 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
);
const text = fc.array(unicodeText, { minLength: 1, maxLength: 3 }).map((parts) => parts.join(' '));

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
const jsonBrace = fc.dictionary(fc.constantFrom('name', 'timeout', 'id', 'interactive', 'ignore', 'retries', 'mimeType', 'frob'), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }).map((o) => JSON.stringify(o));
const infoString = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(langs, roles, fc.array(attrPairs, { maxLength: 3 })).map(([lang, role, attrs]) => [lang, role, ...attrs].filter(Boolean).join(' ')) },
  { weight: 1, arbitrary: fc.tuple(langs, jsonBrace).map(([lang, brace]) => `${lang} ${brace}`) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((s) => s.replace(/[`\r\n]/g, '')) },
);

const codeLines = fc.array(fc.oneof(text, fc.constantFrom('SELECT 1 WHERE a = :TARGET', 'echo $TARGET', '## not a heading', '- [ ] not a task', '```', '~~~', '')), { maxLength: 4 });

/** A fenced block: indent, fence, info, body, and one of several ways to end (or not). */
const fence = fc
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
  fc.tuple(fc.constantFrom('#stop', '#stop', '#a.b_c-1', '#-bad', '#'), fc.boolean(), fc.constantFrom('', 'tags=a,b', 'tags="x, y"', 'owner=me', 'optional=false')).map(
    ([id, optional, rest]) => ` {${[id, optional ? 'optional' : '', rest].filter(Boolean).join(' ')}}`,
  ),
  fc.string({ maxLength: 12 }).map((s) => ` {${s.replace(/[{}\r\n]/g, '')}}`),
);
const heading = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(text, stepAttributes).map(([title, attrs]) => [`## ${title}${attrs}`]) },
  { weight: 1, arbitrary: fc.tuple(text, stepAttributes, fc.constantFrom('---', '-----', '==')).map(([title, attrs, rule]) => [`${title.trim() || 'Setext'}${attrs}`, rule]) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('#', '###', '####', '##', ' ##', '\\##'), text).map(([marks, title]) => [`${marks} ${title}`]) },
);

const listItem = fc.tuple(fc.constantFrom('- ', '* ', '+ ', '1. ', '2) '), fc.constantFrom('[ ] ', '[x] ', '[X] ', '', '[] '), text);
const list = fc
  .array(
    fc.oneof(
      listItem.map(([bullet, box, t]) => [`${bullet}${box}${t}`]),
      fc.tuple(listItem, fc.integer({ min: 2, max: 4 })).map(([[bullet, box, t], indent]) => [`${' '.repeat(indent)}${bullet}${box}${t}`]),
      fc.tuple(fence, fc.integer({ min: 2, max: 5 })).map(([lines, indent]) => ['', ...lines.map((line) => `${' '.repeat(indent)}${line}`)]),
      fc.constant(['']),
    ),
    { minLength: 1, maxLength: 5 },
  )
  .map((items) => ['- [ ] first', ...items.flat()]);

const quote = fc.oneof(fence, list, text.map((t) => [t])).map((lines) => lines.map((line, i) => (i % 4 === 3 ? line : `> ${line}`)));

const validFrontMatter = fc.constantFrom(
  ['---', 'title: Generated', 'vars:', '  TARGET: { default: mitaka, choices: [liberty, mitaka] }', '  DB_SOCKET: /run/mysqld/mysqld.sock', 'connections:', '  nova: mysql://root@localhost/nova?socket=${DB_SOCKET}', '---'],
  ['---', 'id: gen', 'timeout: 30s', 'shell: bash', 'connections:', '  nova: mysql://root@db/nova', '  glance: { url: "mysql://g@${HOST}/glance", password: "${PW}" }', '---'],
  ['---', '---'],
  ['---', 'title: Dots', '...'],
);
const brokenFrontMatter = fc
  .tuple(
    fc.array(fc.oneof(fc.constantFrom('vars: [a', '  A: @x', 'title: "open', '\t- tab', 'a: b: c', 'title: x', 'title: y', 'vars:', '  - list', 'timeout: forever', 'profiles: 3'), text), { maxLength: 5 }),
    fc.constantFrom('---', '...', ''),
  )
  .map(([lines, close]) => ['---', ...lines, ...(close ? [close] : [])]);

const block = fc.oneof(
  { weight: 5, arbitrary: fence },
  { weight: 3, arbitrary: heading },
  { weight: 2, arbitrary: list },
  { weight: 1, arbitrary: quote },
  { weight: 2, arbitrary: text.map((t) => [t]) },
  { weight: 1, arbitrary: text.map((t) => [`    ${t}`]) },
  { weight: 2, arbitrary: fc.constant(['']) },
  { weight: 1, arbitrary: fc.constantFrom(['<div>', '', '```sh', 'x', '```', '</div>'], ['<!-- ```sh', '-->'], ['| a | b |', '|---|---|', '| 1 | 2 |'], ['[ref]: http://x', ''], ['---'], ['***']) },
);

const generatedDocument = fc
  .record({
    front: fc.oneof({ weight: 3, arbitrary: fc.constant<string[]>([]) }, { weight: 2, arbitrary: validFrontMatter }, { weight: 1, arbitrary: brokenFrontMatter }),
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

const trickyLines = fc.oneof(
  fc.constantFrom('```', '```sh', '~~~', '````', '```sql check', '> ```sh', '   ```bash', '- [ ] task', '  - [x] nested', '## Step {#dup}', '## Step {#dup}', '---', '===', '    indented', '<div>', '', '## {', '```sh {"name":"', '```{name=x}'),
  text,
);
const mutation = fc.record({
  kind: fc.constantFrom('delete-line', 'duplicate-line', 'insert-line', 'insert-chars', 'delete-chars', 'swap-lines'),
  at: fc.nat(),
  other: fc.nat(),
  payload: trickyLines,
  count: fc.integer({ min: 1, max: 20 }),
});
type Mutation = { kind: string; at: number; other: number; payload: string; count: number };

function mutate(textIn: string, mutations: Mutation[]): string {
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

const mutatedCorpus = fc
  .tuple(fc.constantFrom(...corpus), fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.boolean())
  .map(([file, mutations, crlf]) => {
    const mutated = mutate(file.text, mutations);
    return crlf ? mutated.replace(/\n/g, '\r\n') : mutated;
  });

describe('parser and lint properties', () => {
  it('hold for the unmutated corpus', () => {
    for (const file of corpus) checkInvariants(file.text);
  });

  it('hold for 5,000 generated runbook-like documents', () => {
    fc.assert(fc.property(generatedDocument, (source) => checkInvariants(source)), { numRuns: 5000 });
  }, 60_000);

  it('hold for 6,000 mutations of the corpus', () => {
    fc.assert(fc.property(mutatedCorpus, (source) => checkInvariants(source)), { numRuns: 6000 });
  }, 60_000);

  it('are checked for real: a broken model fails the check', () => {
    const source = '## S\n\n```sh\ntrue\n```\n- [ ] tick\n## T\ntext\n';
    const fresh = () => parseRunbook(source, FILE);
    expect(() => checkModel(source, fresh(), [])).not.toThrow();
    const blankLine = fresh();
    (blankLine.steps[0]?.blocks[0] as { line: number }).line = 2;
    expect(() => checkModel(source, blankLine, [])).toThrow('starts on blank line 2');
    const sameIds = fresh();
    (sameIds.steps[1] as { id: string }).id = 's';
    expect(() => checkModel(source, sameIds, [])).toThrow('step id s used twice');
    const offTask = fresh();
    (offTask.steps[0]?.checklist[0] as { line: number }).line = 5;
    expect(() => checkModel(source, offTask, [])).toThrow('is not on a task line');
    const finding: Diagnostic = { file: FILE, line: 11, severity: 'error', rule: 'x', message: 'm' };
    expect(() => checkModel(source, fresh(), [finding])).toThrow('on line 11');
    expect(() => checkModel(source, fresh(), [{ ...finding, line: 10 }])).not.toThrow();
    expect(() => checkModel(source, fresh(), [{ ...finding, line: 2, message: ' ' }])).toThrow('empty message');
  });
});
