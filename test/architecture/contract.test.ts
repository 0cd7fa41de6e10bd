/**
 * The contract lives in the repository (issue 16): docs/ is the reference, and the code points
 * into it. No file under src/, test/ or bench/ may cite the old out-of-tree spec, and every
 * `docs/<page>.md#<anchor>` pointer in them must land on a heading of that page, slugged the way
 * GitHub slugs it (github-slugger, one slugger per page, so a repeated heading gets `-1`). The
 * pages link to each other the same way, docs/README.md indexes them all, and the tables that
 * mirror one table of the code (exit codes, keys, block attributes, audit record types) name
 * everything the code has.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import GithubSlugger from 'github-slugger';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/state/exit-code.js';
import { KEY_TABLE } from '../../src/ui/keys.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** What a citation of the old spec looked like; spelt in two parts so that this file does not cite it. */
const OLD_CITATION = `${'SP'}${'EC'} \u00a7`;
/** The old spec named in prose: the rule it stood for is in docs/ now, and the text should say where. */
const OLD_NAME = new RegExp(`\\b${'the'} ${'spec'}\\b`, 'i');

/** A pointer into docs/: the page (relative to the repository) and, when given, the anchor. */
const POINTER = /\bdocs\/((?:[A-Za-z0-9_.-]+\/)*[A-Za-z0-9_.-]+\.md)(?:#([A-Za-z0-9_-]+))?/g;

/** Every file under `dir`, relative to the repository root, `/`-separated. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    for (const entry of readdirSync(abs, { withFileTypes: true })) {
      const path = join(abs, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) out.push(relative(ROOT, path).split(sep).join('/'));
    }
  };
  walk(join(ROOT, dir));
  return out;
}

/** The text a heading is slugged from: its inline Markdown reduced to what GitHub renders. */
function headingText(raw: string): string {
  return raw
    .replace(/\s+#+\s*$/, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/<[^>]+>/g, '')
    .trim();
}

/** The anchors GitHub gives a Markdown page: one per heading outside code fences, plus explicit `<a id|name>`. */
function anchorsOf(markdown: string): Set<string> {
  const slugger = new GithubSlugger();
  const anchors = new Set<string>();
  let fence: { char: string; length: number } | null = null;
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    // A backtick fence's info string has no backtick: "```` ```yaml ````" is inline code, not a fence.
    const marker = /^ {0,3}(`{3,}(?=[^`]*$)|~{3,})(.*)$/.exec(line);
    if (fence) {
      if (marker && marker[1]?.[0] === fence.char && (marker[1]?.length ?? 0) >= fence.length && (marker[2] ?? '').trim() === '')
        fence = null;
      continue;
    }
    if (marker) {
      fence = { char: marker[1]?.[0] as string, length: marker[1]?.length ?? 3 };
      continue;
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1] as string);
    const atx = /^ {0,3}#{1,6}\s+(.*)$/.exec(line);
    if (atx) {
      anchors.add(slugger.slug(headingText(atx[1] ?? '')));
      continue;
    }
    const next = lines[i + 1];
    if (line.trim() !== '' && next !== undefined && /^ {0,3}(=+|-+)\s*$/.test(next) && !/^\s*([-*+]|\d+[.)])\s/.test(line)) {
      const previous = lines[i - 1];
      if (previous === undefined || previous.trim() === '' || /^ {0,3}#{1,6}\s/.test(previous))
        anchors.add(slugger.slug(headingText(line)));
    }
  }
  return anchors;
}

/** Each pointer into docs/ in `files` that does not resolve, as `file:line: pointer (why)`. */
function brokenPointers(files: { path: string; text: string }[], pageAnchors: (page: string) => Set<string> | null): string[] {
  const broken: string[] = [];
  for (const { path, text } of files) {
    text.split('\n').forEach((line, index) => {
      for (const m of line.matchAll(POINTER)) {
        const page = `docs/${m[1] as string}`;
        const anchors = pageAnchors(page);
        if (!anchors) broken.push(`${path}:${index + 1}: ${m[0]} (no such page)`);
        else if (m[2] !== undefined && !anchors.has(m[2]))
          broken.push(`${path}:${index + 1}: ${m[0]} (no heading of ${page} has this anchor)`);
      }
    });
  }
  return broken;
}

/** The lines of a Markdown page outside code fences, with inline code blanked out, numbered from 1. */
function proseLines(markdown: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  let fence: { char: string; length: number } | null = null;
  markdown.split('\n').forEach((line, index) => {
    const marker = /^\s*(`{3,}(?=[^`]*$)|~{3,})(.*)$/.exec(line);
    if (fence) {
      if (marker && marker[1]?.[0] === fence.char && (marker[1]?.length ?? 0) >= fence.length && (marker[2] ?? '').trim() === '')
        fence = null;
      return;
    }
    if (marker) {
      fence = { char: marker[1]?.[0] as string, length: marker[1]?.length ?? 3 };
      return;
    }
    out.push({ line: index + 1, text: line.replace(/(`+)(?:(?!\1).)+?\1/g, '') });
  });
  return out;
}

/** Each relative link of a Markdown page (`page` relative to the repository) that lands nowhere, as `page:line: target (why)`. */
function brokenLinks(page: string, markdown: string, pageAnchors: (page: string) => Set<string> | null): string[] {
  const broken: string[] = [];
  for (const { line, text } of proseLines(markdown)) {
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1] as string;
      if (/^[a-z]+:/i.test(target)) continue;
      const [path = '', anchor] = target.split('#');
      const file =
        path === ''
          ? page
          : relative(ROOT, resolve(ROOT, dirname(page), path))
              .split(sep)
              .join('/');
      if (!existsSync(join(ROOT, file))) broken.push(`${page}:${line}: ${target} (no such file)`);
      else if (anchor !== undefined && file.endsWith('.md') && !pageAnchors(file)?.has(anchor))
        broken.push(`${page}:${line}: ${target} (no such heading)`);
    }
  }
  return broken;
}

const cache = new Map<string, Set<string> | null>();
function repositoryAnchors(page: string): Set<string> | null {
  if (!cache.has(page)) {
    const abs = join(ROOT, page);
    cache.set(page, existsSync(abs) ? anchorsOf(readFileSync(abs, 'utf8')) : null);
  }
  return cache.get(page) ?? null;
}

const codeFiles = [...filesUnder('src'), ...filesUnder('test'), ...filesUnder('bench')].map((path) => ({
  path,
  text: readFileSync(join(ROOT, path), 'utf8'),
}));

describe('docs/ is the contract', () => {
  it('no file under src/, test/, bench/ or docs/ cites the old spec, by section or by name', () => {
    const docPages = [...filesUnder('docs').filter((p) => p.endsWith('.md')), 'README.md'].map((path) => ({
      path,
      text: readFileSync(join(ROOT, path), 'utf8'),
    }));
    const citing = [...codeFiles, ...docPages].flatMap(({ path, text }) =>
      text
        .split('\n')
        .flatMap((line, index) => (line.includes(OLD_CITATION) || OLD_NAME.test(line) ? [`${path}:${index + 1}: ${line.trim()}`] : [])),
    );
    expect(citing).toEqual([]);
  });

  it('every docs/…md#anchor pointer in src/, test/ and bench/ lands on a heading of that page', () => {
    const pointers = codeFiles.reduce((n, { text }) => n + [...text.matchAll(POINTER)].length, 0);
    expect(pointers).toBeGreaterThan(20);
    expect(brokenPointers(codeFiles, repositoryAnchors)).toEqual([]);
  });

  it('every link between the pages of docs/, README.md and bench/RESULTS.md lands on a file and a heading', () => {
    const pages = [...filesUnder('docs').filter((p) => p.endsWith('.md')), 'README.md', 'bench/RESULTS.md'];
    const texts = pages.map((page) => ({ page, text: readFileSync(join(ROOT, page), 'utf8') }));
    expect(
      texts.reduce((n, { text }) => n + proseLines(text).filter((l) => /\]\((?![a-z]+:)[^)\s]+\)/i.test(l.text)).length, 0),
    ).toBeGreaterThan(100);
    expect(texts.flatMap(({ page, text }) => brokenLinks(page, text, repositoryAnchors))).toEqual([]);
  });

  it('docs/README.md lists every page of docs/, and README.md sends the reader there', () => {
    const index = readFileSync(join(ROOT, 'docs/README.md'), 'utf8');
    const unlisted = filesUnder('docs')
      .filter((p) => p.endsWith('.md') && p !== 'docs/README.md' && !p.startsWith('docs/screens/'))
      .filter((p) => !index.includes(`](${p.slice('docs/'.length)})`) && !index.includes(`](${p.slice('docs/'.length)}#`));
    expect(unlisted).toEqual([]);
    expect(readFileSync(join(ROOT, 'README.md'), 'utf8')).toContain('](docs/README.md)');
  });

  it('every audit record type src/ writes is named in docs/running.md#the-audit-trail', () => {
    const running = readFileSync(join(ROOT, 'docs/running.md'), 'utf8');
    const start = running.indexOf('\n## The audit trail\n');
    const section = running.slice(start, running.indexOf('\n## ', start + 1));
    const written = new Set(
      codeFiles
        .filter(({ path }) => path.startsWith('src/'))
        .flatMap(({ text }) =>
          [...text.matchAll(/(?:#record\(|audit\.append\(|\[)\s*'([a-z]+(?:-[a-z]+)+)',\s*\{/g)].map((m) => m[1] as string),
        ),
    );
    expect(written.size).toBeGreaterThan(25);
    expect([...written].filter((type) => !section.includes(`\`${type}\``))).toEqual([]);
  });

  it('every block attribute src/runbook/attributes.ts knows is in the table of docs/runbook-format.md#attributes', () => {
    const source = readFileSync(join(ROOT, 'src/runbook/attributes.ts'), 'utf8');
    const list = /const WAYMARK_KEYS = \[([^\]]*)\]/.exec(source)?.[1] ?? '';
    const keys = [...list.matchAll(/'([^']+)'/g)].map((m) => m[1] as string);
    expect(keys.length).toBeGreaterThan(15);
    const format = readFileSync(join(ROOT, 'docs/runbook-format.md'), 'utf8');
    const start = format.indexOf('\n### Attributes\n');
    const table = format.slice(start, format.indexOf('\n### ', start + 1));
    expect(keys.filter((key) => !table.includes(`\`${key}=`) && !table.includes(`\`${key}\``))).toEqual([]);
  });

  it('every binding of the one key table (src/ui/keys.ts) has its row in docs/running.md#keys, with its footer hint', () => {
    const running = readFileSync(join(ROOT, 'docs/running.md'), 'utf8');
    const start = running.indexOf('\n### Keys\n');
    const rows = running
      .slice(start, running.indexOf('\n### ', start + 1))
      .split('\n')
      .filter((line) => line.startsWith('| `'))
      .map((line) => {
        const [keys = '', hint = ''] = line
          .split(/(?<!\\)\|/)
          .slice(1)
          .map((cell) => cell.trim());
        return { keys: [...keys.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string), hint };
      });
    expect(rows.length).toBeGreaterThan(20);
    const missing = KEY_TABLE.flatMap((binding) => {
      const row = rows.find((r) => binding.keys.every((key) => r.keys.includes(key)));
      if (!row) return [`${binding.keys.join(' ')} (${binding.hint}): no row`];
      const alone = row.keys.length === binding.keys.length;
      return alone && row.hint !== binding.hint
        ? [`${binding.keys.join(' ')}: the docs say "${row.hint}", the footer "${binding.hint}"`]
        : [];
    });
    expect(missing).toEqual([]);
  });

  it('docs/running.md#exit-codes has a row for each code of the one exit-code table, and no other', () => {
    const running = readFileSync(join(ROOT, 'docs/running.md'), 'utf8');
    const start = running.indexOf('\n## Exit codes\n');
    const documented = [...running.slice(start, running.indexOf('\n## ', start + 1)).matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    expect(documented).toEqual(Object.values(ExitCode).sort((a, b) => a - b));
  });

  it('slugs headings as GitHub does, and reports a pointer to a heading that is not there', () => {
    const page = [
      '# Running a runbook',
      '### Stages: --only and --skip-tag',
      '## Exit codes',
      '````markdown',
      '## Not a heading {#fenced}',
      '```sh',
      '````',
      '## Exit codes',
      '### `status --json`',
      'Setext heading',
      '--------------',
    ].join('\n');
    const anchors = anchorsOf(page);
    expect([...anchors]).toEqual([
      'running-a-runbook',
      'stages---only-and---skip-tag',
      'exit-codes',
      'exit-codes-1',
      'status---json',
      'setext-heading',
    ]);
    const docs = 'docs'; // kept apart, so that the scan of this file does not take these for pointers
    const files = [{ path: 'src/x.ts', text: `// see ${docs}/page.md#exit-codes\n// and ${docs}/page.md#exit-code and ${docs}/gone.md#x` }];
    expect(brokenPointers(files, (p) => (p === `${docs}/page.md` ? anchors : null))).toEqual([
      `src/x.ts:2: ${docs}/page.md#exit-code (no heading of ${docs}/page.md has this anchor)`,
      `src/x.ts:2: ${docs}/gone.md#x (no such page)`,
    ]);
    const links = [
      '[a](running.md#exit-codes) [b](running.md#exit-code) `[c](gone.md)`',
      '```',
      '[d](gone.md)',
      '```',
      '[e](gone.md)',
    ].join('\n');
    expect(brokenLinks(`${docs}/README.md`, links, repositoryAnchors)).toEqual([
      `${docs}/README.md:1: running.md#exit-code (no such heading)`,
      `${docs}/README.md:5: gone.md (no such file)`,
    ]);
  });
});
