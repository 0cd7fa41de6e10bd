/**
 * Golden tests over the real-world corpus in ../shared/corpus: the parser must never throw on
 * them, and a compact summary of each parse must equal the committed golden JSON.
 * Regenerate with `UPDATE_GOLDEN=1 npx vitest run test/runbook/golden.test.ts`, then review the
 * diff against the Markdown by eye before committing it. A regenerated golden proves nothing by
 * itself (it is the parser's own output), so every corpus file also has an expectation written by
 * hand from its Markdown (`READ_BY_HAND` below, and the corpus specifics), which regeneration never
 * touches: a parser change that breaks a construct fails there, with or without UPDATE_GOLDEN.
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
  const entries = Object.entries(value as Record<string, unknown>).map(
    ([key, item]) => `${inner}${JSON.stringify(key)}: ${compactJson(item, inner)}`,
  );
  return `{\n${entries.join(',\n')}\n${indent}}`;
}

function parseCorpus(name: string): Runbook {
  return parseRunbook(readFileSync(join(corpusDir, name), 'utf8'), name);
}

/** A block as a reader of the Markdown describes it: `LINE LANG runs` or `LINE LANG shown` (`-` for no language). */
function readAs(block: Block): string {
  return `${block.line} ${block.lang || '-'} ${block.executor === null ? 'shown' : 'runs'}`;
}

/** What one corpus file must parse to, written from its Markdown: the construct it exercises, and the steps or intro that show it. */
interface ReadByHand {
  construct: string;
  title: string;
  /** Every step id, in order. */
  steps: string[];
  /** The blocks of some steps (by id), or of the intro (`''`), as `readAs` describes them. */
  blocks: Record<string, string[]>;
}

/**
 * Expectations written by hand from each corpus file's Markdown, independent of the goldens (which
 * UPDATE_GOLDEN rewrites from the parser). The five files of "corpus specifics" are covered there.
 */
const READ_BY_HAND: Record<string, ReadByHand> = {
  'Azure__InnovationEngine__scenarios__testing__CodeBlocks.md': {
    construct: 'a ```text block after a command is its expected output: shown, never run',
    title: 'Test Code Blocks',
    steps: ['simple-case', 'multiparagraph-intro', 'sandwhich-case'],
    blocks: {
      'simple-case': ['11 bash runs', '17 text shown'],
      'multiparagraph-intro': ['27 bash runs', '33 text shown'],
      'sandwhich-case': ['41 bash runs', '47 text shown'],
    },
  },
  'SOURCES.md': {
    construct: 'prose with no level-2 heading and no fence: no step, no block',
    title: 'Corpus sources',
    steps: [],
    blocks: { '': [] },
  },
  'joerdav__xc__parser__testdata__example.md': {
    construct:
      'setext headings (=== title, --- step) count as # and ##; ### sections stay in their step; a fence without a language is shown',
    title: 'My Readme',
    steps: ['subtitle', 'tasks', 'out-of-scope'],
    blocks: { subtitle: [], tasks: ['16 - shown', '25 - shown', '38 - shown'], 'out-of-scope': ['59 - shown'] },
  },
  'jacobdeichert__mask__maskfile.md': {
    construct: '~~~ fences: ~~~bash runs, ~~~powershell is shown (no executor for it)',
    title: 'Tasks',
    steps: ['run-maskfile_command', 'build', 'link', 'test', 'format', 'lint'],
    blocks: { build: ['66 bash runs', '70 powershell shown'], lint: ['204 bash runs', '208 powershell shown'] },
  },
  'mattrussi__gitlab-com-runbooks__docs__patroni__patroni-management.md': {
    construct: 'a long page: one step per ## heading, ```sh and ```bash run, bare and ```ruby fences are shown',
    title: 'Patroni Cluster Management',
    steps: [
      'about',
      'patroni-basics',
      'cluster-information',
      'bootstrapping-modes',
      'configuring-postgresql',
      'pausing-patroni',
      'upgrading-patroni',
      'replica-maintenance',
      'failoverswitchover',
      'replacing-a-cluster-node',
      'scaling-the-cluster-up',
      'scaling-the-cluster-down',
      'replacing-the-whole-cluster-with-a-new-one',
      'auditing-patroni',
    ],
    blocks: {
      'bootstrapping-modes': ['189 sh runs', '201 ruby shown'],
      failoverswitchover: ['496 - shown', '511 bash runs', '519 bash runs', '569 - shown'],
    },
  },
  'mattrussi__gitlab-com-runbooks__docs__patroni__scale-down-patroni.md': {
    construct: 'fences indented under list items belong to their step; a # heading further down (# Execution) starts no step',
    title: 'Scale Down Patroni',
    steps: [
      'overview',
      'pre-requisite',
      'scope',
      'mental-model',
      'preparation',
      'step-1---stop-chef-client',
      'step-2---take-the-replicate-node-out-of-load-balancing',
      'step-3---stop-patroni-service-on-the-node',
      'step-4---terraform-change-to-decrease-the-count',
    ],
    blocks: {
      'step-2---take-the-replicate-node-out-of-load-balancing': ['71 - shown', '80 - shown', '88 - shown', '94 - shown'],
      'step-3---stop-patroni-service-on-the-node': ['111 - shown'],
    },
  },
  'openshift__runbooks__alerts__cluster-etcd-operator__etcdMembersDown.md': {
    construct: '```console transcripts are shown, never run',
    title: 'etcdMembersDown',
    steps: ['meaning', 'impact', 'diagnosis', 'mitigation'],
    blocks: {
      diagnosis: ['24 console shown', '30 console shown', '41 console shown', '50 console shown', '56 console shown', '62 console shown'],
    },
  },
  'openshift__runbooks__alerts__cluster-monitoring-operator__KubeNodeNotReady.md': {
    construct: '```txt, and ```console indented in a list, are shown',
    title: 'KubeNodeNotReady',
    steps: ['meaning', 'impact', 'diagnosis', 'mitigation'],
    blocks: { diagnosis: ['20 txt shown', '30 console shown', '40 console shown', '46 console shown'] },
  },
  'prometheus-operator__runbooks__content__runbooks__kubernetes__KubePersistentVolumeFillingUp.md': {
    construct: 'the front matter title wins over the # heading; ```shell runs; ### sections stay in their step',
    title: 'Kube Persistent Volume Filling Up',
    steps: ['meaning', 'impact', 'diagnosis', 'mitigation'],
    blocks: { mitigation: ['69 shell runs', '79 shell runs', '89 shell runs', '97 shell runs'] },
  },
  'stateful__runme__internal__renderer__testdata__doublecode.md': {
    construct: 'a setext === title before a # heading is the title; ```sh runs, a bare fence is shown',
    title: 'Runme Examples',
    steps: ['shell-executions', 'complexer-output', 'stdin-example'],
    blocks: { 'shell-executions': ['12 sh runs', '16 sh runs'], 'complexer-output': ['26 sh runs'], 'stdin-example': ['32 - shown'] },
  },
  'stateful__runme__internal__renderer__testdata__symbols.md': {
    construct: 'a block before any ## heading is in the intro, not a step; a second # heading starts no step',
    title: 'Leading dollar sign',
    steps: [],
    blocks: { '': ['3 sh runs'] },
  },
};

describe('corpus read by hand (independent of the goldens)', () => {
  it.each(Object.entries(READ_BY_HAND))('%s', (name, expected) => {
    const runbook = parseCorpus(name);
    expect(runbook.title, expected.construct).toBe(expected.title);
    expect(
      runbook.steps.map((step) => step.id),
      expected.construct,
    ).toEqual(expected.steps);
    for (const [stepId, blocks] of Object.entries(expected.blocks)) {
      const found = stepId === '' ? runbook.intro.blocks : runbook.steps.find((step) => step.id === stepId)?.blocks;
      expect(found?.map(readAs), `${expected.construct} (${stepId || 'intro'})`).toEqual(blocks);
    }
  });

  it('covers every corpus file, with the corpus specifics below', () => {
    const specifics = [
      'Azure__InnovationEngine__scenarios__testing__brokenMarkdown.md',
      'mattrussi__gitlab-com-runbooks__docs__patroni__pg_minor_upgrade.md',
      'stateful__runme__examples__README.md',
      'stateful__runme__examples__nested-code-block.md',
      'stateful__vscode-runme__examples__shebang.md',
    ];
    expect([...Object.keys(READ_BY_HAND), ...specifics].sort()).toEqual(corpusFiles);
  });
});

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
      // Comparing the file just written with itself would pass whatever the parser did: the
      // expectations read by hand (READ_BY_HAND, corpus specifics) judge this run instead.
      return;
    }
    if (!existsSync(goldenFile))
      throw new Error(`no golden for ${name}: run UPDATE_GOLDEN=1 npx vitest run test/runbook/golden.test.ts and review it`);
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
    expect(broken.intro.blocks.map((block) => [block.line, block.unclosed, block.code.trimEnd()])).toEqual([
      [7, true, 'echo "hello World"\n``'],
    ]);
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
