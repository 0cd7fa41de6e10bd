/**
 * The floors of src/ (issue 11, design point 4), bottom to top: runbook/ and state/ (floor 0),
 * engine/ (floor 1), the faces cli/, ui/ and report/ (floor 2). An import may point down a floor
 * or stay on its own, never up: a face is a thin mapping over the engine, and the engine never
 * reaches into a face. The executor's internals (engine/exec/) are the engine's own: faces reach
 * them through src/engine/output.ts. src/build/ is tooling (the bundler's scripts and the TUI
 * script's entry): it may import any floor, and no floor may import it.
 *
 * Every import is read from the syntax tree, so `import type`, `export ... from`, `await import()`
 * and `typeof import()` all count and comments or strings never do.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SRC = join(ROOT, 'src');

/** The floor of each top-level folder of src/; `tooling` is outside the floors. */
const FLOORS: Record<string, number | 'tooling'> = { runbook: 0, state: 0, engine: 1, cli: 2, ui: 2, report: 2, build: 'tooling' };
const FACE = 2;

/** One import of a source file: what it names, where, and the file it points at (relative to src/, `/`-separated). */
interface ImportSite {
  specifier: string;
  line: number;
  target: string;
}

/** Every static import, re-export, dynamic `import()` and `import()` type in `text` that points into src/. */
function importsOf(file: string, text: string): ImportSite[] {
  const kind = file.endsWith('.tsx') ? ts.ScriptKind.TSX : file.endsWith('.ts') ? ts.ScriptKind.TS : ts.ScriptKind.JS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const sites: ImportSite[] = [];
  const add = (node: ts.Node): void => {
    if (!ts.isStringLiteralLike(node) || !node.text.startsWith('.')) return;
    const target = relative(SRC, resolve(SRC, dirname(file), node.text))
      .split(sep)
      .join('/');
    sites.push({ specifier: node.text, line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1, target });
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) add(node.moduleSpecifier);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0]) add(node.arguments[0]);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

/** The floor of a path relative to src/, or why it has none. */
function floorOf(path: string): number | 'tooling' | 'outside src' | 'no floor' {
  if (path.startsWith('../')) return 'outside src';
  const top = path.split('/')[0] as string;
  return FLOORS[top] ?? 'no floor';
}

/** The imports among `files` (paths relative to src/) that break the floors, each as `file:line imports X (floor N → M)`. */
function floorViolations(files: { path: string; text: string }[]): string[] {
  const found: string[] = [];
  for (const { path, text } of files) {
    const from = floorOf(path);
    const where = `src/${path}`;
    if (from === 'no floor') {
      found.push(`${where}: src/${path.split('/')[0]}/ has no floor; give it one in test/architecture/floors.test.ts`);
      continue;
    }
    if (from === 'tooling' || from === 'outside src') continue;
    for (const site of importsOf(path, text)) {
      const to = floorOf(site.target);
      const at = `${where}:${site.line} imports ${site.specifier}`;
      if (to === 'tooling') found.push(`${at} (floor ${from} → src/build, which is tooling)`);
      else if (to === 'no floor' || to === 'outside src') found.push(`${at} (floor ${from} → ${to})`);
      else if (to > from) found.push(`${at} (floor ${from} → ${to})`);
      else if (from === FACE && site.target.startsWith('engine/exec/'))
        found.push(`${at} (floor ${from} → ${to}: engine/exec/ is private to the engine; use engine/output.ts)`);
    }
  }
  return found;
}

function sourceFiles(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|tsx|mts|mjs|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const srcFiles = sourceFiles(SRC).map((file) => ({ path: relative(SRC, file).split(sep).join('/'), text: readFileSync(file, 'utf8') }));

describe('the floors of src/', () => {
  it('no import points up a floor, and no face reaches into engine/exec/', () => {
    const violations = floorViolations(srcFiles);
    if (violations.length > 0) expect.fail(`${violations.length} import(s) break the floors:\n${violations.join('\n')}`);
  });

  it('reads every kind of import in src/ (a scan that finds nothing would pass anything)', () => {
    // route.ts holds the commands' and the TUI loader's imports (main.ts is the process around it).
    const main = srcFiles.find((f) => f.path === 'cli/route.ts');
    expect(main, 'src/cli/route.ts').toBeDefined();
    const targets = importsOf(main!.path, main!.text).map((site) => site.target);
    // Static, and the commands' and the TUI loader's dynamic imports.
    expect(targets).toEqual(expect.arrayContaining(['engine/errors.js', 'cli/lint.js', 'ui/load-tui.js']));
    expect(srcFiles.length).toBeGreaterThan(80);
  });
});

describe('the floor check itself', () => {
  const check = (path: string, text: string) => floorViolations([{ path, text }]);

  it('names the file, the line, the import and the floors of an upward import, whichever its form', () => {
    expect(check('engine/session.ts', "import { OperatorError } from '../cli/errors.js';")).toEqual([
      'src/engine/session.ts:1 imports ../cli/errors.js (floor 1 → 2)',
    ]);
    expect(check('state/lock.ts', "// a comment\nexport { x } from '../engine/plan.js';")).toEqual([
      'src/state/lock.ts:2 imports ../engine/plan.js (floor 0 → 1)',
    ]);
    expect(check('runbook/parse.ts', "const m = await import(\n  '../ui/app.js');")).toEqual([
      'src/runbook/parse.ts:2 imports ../ui/app.js (floor 0 → 2)',
    ]);
    expect(check('engine/exec/shell.ts', "let m: typeof import('../../cli/run.js');")).toEqual([
      'src/engine/exec/shell.ts:1 imports ../../cli/run.js (floor 1 → 2)',
    ]);
    expect(check('runbook/x.ts', "import type { Run } from '../engine/run-state.js';")).toEqual([
      'src/runbook/x.ts:1 imports ../engine/run-state.js (floor 0 → 1)',
    ]);
  });

  it('lets imports go down or stay on a floor, and ignores packages, comments and strings', () => {
    const fine = [
      "import { a } from '../runbook/model.js';",
      "import { b } from '../state/lock.js';",
      "import { c } from './plan.js';",
      "import { execa } from 'execa';",
      "import { join } from 'node:path';",
      "// import { d } from '../cli/errors.js';",
      'const text = "import(\'../ui/app.js\')";',
    ].join('\n');
    expect(check('engine/session.ts', fine)).toEqual([]);
    expect(check('cli/run.ts', "import { startTui } from '../ui/start.js';\nimport { r } from '../report/model.js';")).toEqual([]);
  });

  it('keeps engine/exec/ private to the engine', () => {
    expect(check('ui/components/SecretPrompt.tsx', "import { MASK } from '../../engine/exec/mask.js';")).toEqual([
      'src/ui/components/SecretPrompt.tsx:1 imports ../../engine/exec/mask.js (floor 2 → 1: engine/exec/ is private to the engine; use engine/output.ts)',
    ]);
    expect(check('engine/session.ts', "import { executeBlock } from './exec/run-block.js';")).toEqual([]);
  });

  it('treats src/build as tooling and a folder without a floor as a mistake', () => {
    expect(check('build/tui-entry.mjs', "import { runCommand } from '../cli/run.ts';")).toEqual([]);
    expect(check('cli/main.ts', "import { x } from '../build/bundle.mjs';")).toEqual([
      'src/cli/main.ts:1 imports ../build/bundle.mjs (floor 2 → src/build, which is tooling)',
    ]);
    expect(check('utils/misc.ts', '')).toEqual([
      'src/utils/misc.ts: src/utils/ has no floor; give it one in test/architecture/floors.test.ts',
    ]);
  });
});
