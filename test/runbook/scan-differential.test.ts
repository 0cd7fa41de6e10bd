/**
 * The block scanner (src/runbook/scan.ts) against marked's lexer: over the corpus, every runbook
 * in the repository and 20,000 generated and mutated documents, both parsers must give the same
 * runbook — the same steps and blocks on the same lines, the same checklist, notes, Markdown and
 * findings. A body the scanner hands to marked is still compared (it must then be marked's), and
 * the scanner must take on most documents itself, or the comparison would prove little.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRunbook, runbookBody } from '../../src/runbook/parse.js';
import { scanOutline } from '../../src/runbook/scan.js';
import { corpus, generatedDocument, mutate, mutation } from './documents.js';
// @ts-expect-error: the benchmark's generator is plain JavaScript without types.
import { runbookText } from '../../bench/gen-runbook.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FILE = 'runbooks/generated.md';
// Deterministic by default so CI is repeatable; WAYMARK_FUZZ_SEED=<n> explores other documents.
const SEED = Number(process.env.WAYMARK_FUZZ_SEED ?? 20261205);

function markdownFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => join(dir, name));
}

/** Every runbook the repository's tests and users read. */
const repositoryRunbooks = [...markdownFiles(join(root, 'runbooks')), ...markdownFiles(join(root, 'test', 'fixtures'))].map((file) => ({
  name: relative(root, file),
  text: readFileSync(file, 'utf8'),
}));

/** Throws, showing the document, when the two parsers disagree. */
function sameRunbook(source: string, file = FILE): void {
  const scanned = parseRunbook(source, file, 'scan');
  const lexed = parseRunbook(source, file, 'marked');
  try {
    expect(scanned).toEqual(lexed);
  } catch (error) {
    throw new Error(`the scanner and marked disagree on this document:\n${JSON.stringify(source)}\n${(error as Error).message}`);
  }
}

/** True when the scanner reads `source` itself rather than handing it to marked. */
const scannerTakes = (source: string): boolean => scanOutline(runbookBody(source)) !== undefined;

// ---------------------------------------------------------------------------------------------
// Line soup: documents of lines the scanner must tell apart, in any order and indentation.

const words = fc.constantFrom(
  'restart nova',
  'db sync',
  'ÄÖÜ 日本語',
  '*emph* `code`',
  'a | b',
  '[link](http://x) after',
  '\\# escaped',
  'trailing  ',
  '',
);
const lineKinds = fc.oneof(
  { weight: 6, arbitrary: words },
  { weight: 3, arbitrary: fc.constantFrom('', '', '', '   ') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      '# Title',
      '## Step one',
      '## Step {#dup}',
      '### Detail',
      '## closed ##',
      '## x #',
      '##no-space',
      '#',
      '## ',
      '###### six',
      '####### seven',
      '#\u00a0nbsp',
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom('---', '===', '***', '___', '- - -', '-----', '---  ', '= =', '-- -') },
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      '```',
      '```',
      '```sh',
      '```sh check name=x',
      '````',
      '````sql',
      '~~~',
      '~~~sh',
      '~~~~',
      '``` a`b',
      '``',
      '~~',
      '```{name=y}',
      '``` sh',
    ),
  },
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      '- item',
      '- [ ] task one',
      '- [x] done',
      '* [X] star',
      '+ plus',
      '1. first',
      '2. second',
      '1) paren',
      '10. ten',
      '-',
      '- ',
      '-  [ ]  spaced',
      '-    four',
      '-     five',
      '- [ ]',
      '- [] not a task',
      '- [ ]x',
      '- - nested',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '| a | b |',
      'a | b',
      '|---|---|',
      '---|---',
      '| :-: | --: |',
      ':--',
      '| 1 | 2 |',
      '| one |',
      'x \\| y | z',
      '|---|',
    ),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '[ref]: http://x',
      '[ref]:',
      '[Ref]: /url "title"',
      '[a]: (x',
      '[a]: x)',
      '[a]: <b c>',
      '"title"',
      '/url',
      "'t'",
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom('<!-- c -->', '<!--', '-->', 'a --> b', '<!-->', '<!-- open') },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '> quote',
      '>',
      '> ```sh',
      '> ~~~',
      '> - [ ] task',
      '>     indented',
      '> ## heading',
      '> > nested',
      '>> ```',
      '  > text',
      '> | a | b |',
      '> [ref]: /x',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '> quote',
      '<div>',
      '</div>',
      '<!-- c -->',
      '[ref]: http://x',
      '[ref]:',
      '| a | b |',
      '|---|---|',
      ':--',
      '\tTab',
      'a\tb',
    ),
  },
);
const soupLine = fc.tuple(fc.constantFrom(0, 0, 0, 0, 1, 2, 3, 4, 5, 6), lineKinds).map(([indent, line]) => ' '.repeat(indent) + line);
const lineSoup = fc
  .tuple(fc.array(soupLine, { minLength: 1, maxLength: 30 }), fc.boolean())
  .map(([lines, finalNewline]) => lines.join('\n') + (finalNewline ? '\n' : ''));

/** The corpus and the repository's runbooks, mutated line by line. */
const mutatedRunbooks = fc
  .tuple(fc.constantFrom(...corpus, ...repositoryRunbooks), fc.array(mutation, { minLength: 1, maxLength: 6 }))
  .map(([file, mutations]) => mutate(file.text, mutations));

describe('block scanner against marked', () => {
  it('gives the same runbook for every corpus file and every runbook in the repository', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(15);
    expect(repositoryRunbooks.length).toBeGreaterThan(20);
    for (const file of [...corpus, ...repositoryRunbooks]) sameRunbook(file.text, file.name);
  });

  it('reads the runbooks of this repository and most of the corpus itself, not through marked', () => {
    const runbooks = repositoryRunbooks.filter((file) => file.name.startsWith('runbooks'));
    expect(runbooks.filter((file) => !scannerTakes(file.text)).map((file) => file.name)).toEqual([]);
    // Fixtures may hold quotes and HTML on purpose; those go to marked.
    expect(repositoryRunbooks.filter((file) => scannerTakes(file.text)).length / repositoryRunbooks.length).toBeGreaterThan(0.9);
    // Three of them have block quotes, one with a fence inside: lint never loads marked for the corpus.
    expect(corpus.filter((file) => !scannerTakes(file.text)).map((file) => file.name)).toEqual([]);
  });

  it('reads the worked example of docs/block-scanner.md as the page says', () => {
    const page = readFileSync(join(root, 'docs', 'block-scanner.md'), 'utf8');
    const source = (/~~~~markdown\n([\s\S]*?)~~~~\n/.exec(page) as RegExpExecArray)[1] as string;
    expect(scannerTakes(source)).toBe(true);
    sameRunbook(source, 'restart-nova.md');
    const runbook = parseRunbook(source, 'restart-nova.md');
    expect(runbook.title).toBe('Restart nova');
    expect(runbook.steps.map((step) => [step.id, step.line])).toEqual([
      ['stop', 7],
      ['start-it-again', 16],
      ['verify-it', 22],
    ]);
    const [stop, start, verify] = runbook.steps;
    expect(stop?.blocks.map((block) => [block.id, block.line, block.note])).toEqual([
      ['stop-api', 9, 'Stops the API; running instances are not touched.'],
    ]);
    expect(stop?.checklist).toEqual([{ id: 'stop-check-1', line: 14, text: 'the load balancer shows nova-api down' }]);
    expect(start?.blocks.map((block) => [block.id, block.line])).toEqual([['start-api', 18]]);
    expect(verify?.blocks.map((block) => [block.line, block.executor])).toEqual([[25, null]]);
    expect(runbook.diagnostics).toEqual([]);
  });

  it("reads the benchmark's generated 200-step runbook itself, and agrees with marked on it", () => {
    const source = runbookText(200);
    expect(scannerTakes(source)).toBe(true);
    sameRunbook(source);
  });

  it('gives the same runbook for 10,000 line soups, most of them read by the scanner', () => {
    let taken = 0;
    fc.assert(
      fc.property(lineSoup, (source) => {
        if (scannerTakes(source)) taken++;
        sameRunbook(source);
      }),
      { numRuns: 10_000, seed: SEED },
    );
    expect(taken).toBeGreaterThan(4_000);
  }, 120_000);

  it('gives the same runbook for 4,000 generated runbook-like documents, the scanner reading many with block quotes', () => {
    let quoted = 0;
    let quotedTaken = 0;
    fc.assert(
      fc.property(generatedDocument, (source) => {
        if (/^ {0,3}>/m.test(source)) {
          quoted++;
          if (scannerTakes(source)) quotedTaken++;
        }
        sameRunbook(source);
      }),
      { numRuns: 4_000, seed: SEED },
    );
    expect(quoted).toBeGreaterThan(1_000);
    expect(quotedTaken).toBeGreaterThan(quoted / 3);
  }, 120_000);

  it('gives the same runbook for 6,000 mutations of the corpus and the repository runbooks', () => {
    fc.assert(
      fc.property(mutatedRunbooks, (source) => sameRunbook(source)),
      { numRuns: 6_000, seed: SEED },
    );
  }, 120_000);
});
