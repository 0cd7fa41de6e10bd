/**
 * Golden tests over the real-world corpus in ../shared/corpus: the parser must never throw on
 * them, and a compact summary of each parse must equal the committed golden JSON.
 * Regenerate with `UPDATE_GOLDEN=1 npx vitest run test/runbook/golden.test.ts`, then review the
 * diff against the Markdown by eye before committing it.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Block, Runbook } from '../../src/runbook/model.js';
import { parseRunbook } from '../../src/runbook/parse.js';
import { lintRunbook } from '../../src/runbook/lint.js';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '..', '..');
const corpusDir = resolve(repoRoot, '..', 'shared', 'corpus');
const goldenDir = join(here, 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

if (!existsSync(corpusDir)) {
  throw new Error(`corpus folder not found at ${corpusDir}: the shared/ folder must sit beside the repository (../shared/corpus)`);
}
const corpusFiles = readdirSync(corpusDir)
  .filter((name) => name.endsWith('.md'))
  .sort();
if (corpusFiles.length === 0) throw new Error(`no Markdown files in ${corpusDir}`);

/** What a golden records of one block. */
function blockSummary(block: Block) {
  return {
    id: block.id,
    line: block.line,
    lang: block.lang,
    executor: block.executor,
    role: block.role,
    explicitId: block.explicitId,
    runme: Object.keys(block.runme).sort(),
    unclosed: block.unclosed,
  };
}

/** The compact, reviewable summary of a parse that the goldens hold. */
function summarize(runbook: Runbook) {
  return {
    title: runbook.title,
    id: runbook.id,
    introBlockCount: runbook.intro.blocks.length,
    introBlocks: runbook.intro.blocks.map(blockSummary),
    steps: runbook.steps.map((step) => ({
      id: step.id,
      title: step.title,
      line: step.line,
      optional: step.optional,
      tags: step.tags,
      checklist: step.checklist.map((item) => item.line),
      blocks: step.blocks.map(blockSummary),
    })),
    findings: lintRunbook(runbook).map((d) => `${d.line} ${d.severity} ${d.rule}`),
  };
}

/** JSON with every object or array that fits on one line written on one line: one block per line reads well in review. */
function compactJson(value: unknown, indent = ''): string {
  const inline = JSON.stringify(value);
  if (inline.length + indent.length <= 180 || value === null || typeof value !== 'object') return inline;
  const inner = `${indent}  `;
  if (Array.isArray(value)) return `[\n${value.map((item) => inner + compactJson(item, inner)).join(',\n')}\n${indent}]`;
  const entries = Object.entries(value as Record<string, unknown>).map(([key, item]) => `${inner}${JSON.stringify(key)}: ${compactJson(item, inner)}`);
  return `{\n${entries.join(',\n')}\n${indent}}`;
}

function parseCorpus(name: string): Runbook {
  return parseRunbook(readFileSync(join(corpusDir, name), 'utf8'), name);
}

describe('corpus goldens', () => {
  it.each(corpusFiles)('%s parses without throwing and matches its golden', (name) => {
    let runbook: Runbook | undefined;
    expect(() => {
      runbook = parseCorpus(name);
    }).not.toThrow();
    const summary = summarize(runbook as Runbook);
    const goldenFile = join(goldenDir, `${name.replace(/\.md$/, '')}.json`);
    if (update) {
      mkdirSync(goldenDir, { recursive: true });
      writeFileSync(goldenFile, `${compactJson(summary)}\n`);
    }
    if (!existsSync(goldenFile)) throw new Error(`no golden for ${name}: run UPDATE_GOLDEN=1 npx vitest run test/runbook/golden.test.ts and review it`);
    expect(summary).toEqual(JSON.parse(readFileSync(goldenFile, 'utf8')) as unknown);
  });

  it('has no golden left over for a corpus file that is gone', () => {
    const goldens = readdirSync(goldenDir).filter((name) => name.endsWith('.json'));
    expect(goldens.sort()).toEqual(corpusFiles.map((name) => `${name.replace(/\.md$/, '')}.json`).sort());
  });
});

describe('corpus specifics', () => {
  it('keeps Runme name attributes as block ids, and Runme ids out of them', () => {
    const shebang = parseCorpus('stateful__vscode-runme__examples__shebang.md');
    const ruby = shebang.steps.find((step) => step.title === 'Ruby 💎');
    expect(ruby?.blocks[0]).toMatchObject({ id: 'check-ruby-version', explicitId: true, line: 101, lang: 'sh', executor: 'shell' });
    expect(ruby?.blocks[0]?.runme).toEqual({ id: '01HTZBCXFZ0V7P4AXE79429E8J', terminalRows: '2' });
    const named = shebang.steps.flatMap((step) => step.blocks).filter((block) => block.explicitId);
    expect(named.map((block) => block.id)).toEqual(['check-ruby-version']);

    const readme = parseCorpus('stateful__runme__examples__README.md');
    expect(readme.steps[0]?.blocks.map((block) => [block.id, block.line, block.explicitId])).toEqual([
      ['shell-1', 7, false],
      ['echo', 13, true],
      ['shell-3', 19, false],
      ['shell-4', 27, false],
      ['shell-5', 33, false],
    ]);
  });

  it('follows CommonMark where the corpus is broken: a closing fence with an info string does not close', () => {
    const upgrade = parseCorpus('mattrussi__gitlab-com-runbooks__docs__patroni__pg_minor_upgrade.md');
    expect(upgrade.steps.map((step) => step.id)).toEqual(['the-main-steps']);
    const block = upgrade.steps[0]?.blocks[0];
    expect(block).toMatchObject({ line: 40, lang: 'shell', unclosed: true });
    expect(block?.code).toContain('```sql');
    expect(block?.code).toContain('### Post checks');
    expect(block?.code.endsWith('we could execute a switchover first.')).toBe(true);
  });

  it('keeps an unclosed fence ended by "``" open to the end of the file', () => {
    const broken = parseCorpus('Azure__InnovationEngine__scenarios__testing__brokenMarkdown.md');
    expect(broken.intro.blocks.map((block) => [block.line, block.unclosed, block.code.trimEnd()])).toEqual([[7, true, 'echo "hello World"\n``']]);
    expect(broken.steps).toEqual([]);
  });

  it('finds fences indented in list items and inside a blockquote', () => {
    const nested = parseCorpus('stateful__runme__examples__nested-code-block.md');
    expect(nested.steps[0]?.blocks.map((block) => [block.line, block.lang, block.code])).toEqual([
      [9, 'bash', 'curl https://run.linkerd.io/install | sh'],
      [15, 'bash', 'linkerd install | kubectl apply -f -'],
      [21, 'bash', 'linkerd dashboard'],
      [27, 'bash', 'kubectl kustomize kustomize/deployment | \\\n    linkerd inject - | \\\n    kubectl apply -f -'],
      [35, 'bash', 'minikube -n emojivoto service web-svc'],
      [41, '', 'a + b'],
    ]);
  });
});
