// Bundles the CLI into dist/cli/main.js (the `waymark` bin, CommonJS), so start-up reads a few files
// instead of hundreds. The commands are ES modules of their own, dist/cli/modules/NAME.mjs, with the
// database driver in a chunk loaded only when used: `lint` never loads mysql2.
// The TUI (its `run`, with ink and production React) is emitted once, whole, as dist/cli/tui.vm.js:
// a script (not a module) that src/ui/load-tui.ts compiles with V8's code cache, which ES modules
// cannot use on Node 20. main.ts sends every TUI run there, so the module chunks leave it out.
// `lint`, `status` and `plan` are emitted the same way, each as dist/cli/NAME.vm.js (route.ts runs
// them from there; their module chunks remain for runs from source).
// tsc has already written dist/ (type-checked modules that bench drivers import): this replaces
// its copies of the faces (cli/, ui/, report/) with the bundle, so the TUI is in dist/ once.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { builtinModules, createRequire } from 'node:module';
import { chmodSync, cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// yoga (ink's layout engine) carries its wasm inline as a data: URL and, when a global fetch()
// exists, reads that URL through it. In Node that first fetch() loads undici (http, tls, workers:
// ~60 ms of the TUI's start) only to decode base64. Without fetch the same loader decodes it
// itself (atob); the build fails if the loader no longer reads the way this expects.
const yogaWithoutFetch = {
  name: 'yoga-without-fetch',
  setup(build) {
    build.onLoad({ filter: /yoga-layout[\\/]dist[\\/]binaries[\\/]yoga-wasm-base64-esm\.js$/ }, ({ path }) => {
      const source = readFileSync(path, 'utf8');
      const check = '"function"!=typeof fetch';
      const uses = source.split(check).length - 1;
      if (uses !== 2) throw new Error(`yoga-layout's loader changed: expected 2 fetch checks, found ${uses}; review src/build/bundle.mjs`);
      return { contents: source.replaceAll(check, 'true'), loader: 'js' };
    });
  },
};

// wrap-ansi (ink's word wrap) asks for string-width 7, a second copy beside the string-width 8
// that ink measures text with: same API, but its own Intl.Segmenter and emoji regex to build at
// start-up (~20 ms), and widths that can disagree with ink's. One copy serves both.
const oneStringWidth = {
  name: 'one-string-width',
  setup(build) {
    build.onResolve({ filter: /^string-width$/ }, async ({ importer, kind }) => {
      if (!/[\\/]node_modules[\\/]wrap-ansi[\\/]/.test(importer)) return undefined;
      // The copy ink itself resolves.
      const ink = await build.resolve('string-width', { kind, resolveDir: join(root, 'node_modules', 'ink', 'build') });
      return ink.errors.length > 0 ? { errors: ink.errors } : { path: ink.path };
    });
  },
};

// string-width (ink's text measure) tests each grapheme of non-ASCII text against
// /^\p{RGI_Emoji}$/v, a regex V8 takes ~40 ms to parse and compile, and builds it as it loads.
// Every RGI emoji holds an Emoji_Presentation code point or U+FE0F (checked against every code
// point alone, with U+FE0F, keycap and skin-tone modifiers, every flag pair and every emoji
// emojilib lists), so a grapheme without one cannot match: the big regex is built only when a
// grapheme could. The screen's glyphs (✓ · ▶ ─) never need it.
const lazyEmojiRegex = {
  name: 'lazy-emoji-regex',
  setup(build) {
    build.onLoad({ filter: /[\\/]node_modules[\\/]string-width[\\/]index\.js$/ }, async ({ path }) => {
      // Only the copy ink measures with (cli-table3 has an older one of its own).
      const ink = await build.resolve('string-width', { kind: 'import-statement', resolveDir: join(root, 'node_modules', 'ink', 'build') });
      if (path !== ink.path) return undefined;
      const source = readFileSync(path, 'utf8');
      const declaration = 'const rgiEmojiRegex = /^\\p{RGI_Emoji}$/v;';
      const use = 'rgiEmojiRegex.test(segment)';
      if (source.split(declaration).length !== 2 || source.split(use).length !== 2) {
        throw new Error(`string-width changed (${path}): expected its RGI emoji regex once; review src/build/bundle.mjs`);
      }
      const lazy = [
        'let rgiEmojiRegex;',
        'const mayBeRgiEmoji = /[\\p{Emoji_Presentation}\\uFE0F]/u;',
        'const isRgiEmoji = (segment) => mayBeRgiEmoji.test(segment) && (rgiEmojiRegex ??= /^\\p{RGI_Emoji}$/v).test(segment);',
      ].join('\n');
      return { contents: source.replace(declaration, lazy).replace(use, 'isRgiEmoji(segment)'), loader: 'js' };
    });
  },
};

// The Ansible plugins of a fleet block (Python, src/engine/exec/fleet/plugins/), which each batch copies
// beside its playbook: tsc's dist/ gets the folder beside its plugins.js, and the bundle gets their text
// (src/engine/exec/fleet/plugins.ts reads WAYMARK_ANSIBLE_PLUGINS), since its chunks have no such folder.
const ansiblePlugins = join('src', 'engine', 'exec', 'fleet', 'plugins');
const ansiblePluginFiles = readdirSync(join(root, ansiblePlugins), { recursive: true }).filter((file) => file.endsWith('.py'));
cpSync(join(root, ansiblePlugins), join(root, 'dist', 'engine', 'exec', 'fleet', 'plugins'), {
  recursive: true,
  filter: (from) => !from.includes('__pycache__'),
});
const ansiblePluginTexts = Object.fromEntries(
  ansiblePluginFiles.map((file) => [file.split('\\').join('/'), readFileSync(join(root, ansiblePlugins, file), 'utf8')]),
);

const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Less source for V8 to scan at start-up; names are kept, so stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  // `waymark --version` without reading package.json at run time (src/cli/route.ts).
  define: {
    'process.env.NODE_ENV': '"production"',
    WAYMARK_VERSION: JSON.stringify(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version),
    // Base64: as a string literal, the Python would be minified into a template literal whose lines
    // (`import json`) the TUI script's no-import check below cannot tell from code.
    WAYMARK_ANSIBLE_PLUGINS: JSON.stringify(Buffer.from(JSON.stringify(ansiblePluginTexts)).toString('base64')),
  },
  logLevel: 'warning',
  legalComments: 'none',
  alias: { 'cli-highlight': './src/build/no-highlight.mjs', 'node-emoji': './src/build/no-emoji.mjs' },
};

// In the module chunks, cli/run.ts's import of the TUI (ui/start.tsx) is a stand-in that says where
// the TUI is: main.ts sends a run without --headless to dist/cli/tui.vm.js, never to this
// run.js, so the chunks would otherwise hold a second copy of the TUI that nothing loads.
const startTui = join(root, 'src', 'ui', 'start.tsx');
let tuiLeftOut = false;
const tuiOnlyInScript = {
  name: 'tui-only-in-script',
  setup(build) {
    build.onResolve({ filter: /(^|\/)start\.js$/ }, ({ path, importer }) => {
      if (!importer.startsWith(join(root, 'src')) || join(dirname(importer), path.replace(/\.js$/, '.tsx')) !== startTui) return undefined;
      tuiLeftOut = true;
      return { path: startTui, namespace: 'tui-only-in-script' };
    });
    build.onLoad({ filter: /.*/, namespace: 'tui-only-in-script' }, () => ({
      contents: `export async function startTui() {
  throw new Error('the TUI was started from the ES module chunks, which leave it out: main.js runs it from dist/cli/tui.vm.js (src/ui/load-tui.ts); see src/build/bundle.mjs');
}`,
      loader: 'js',
    }));
  },
};

/** Commands main.js runs from a script of their own with the code cache (route.ts), not from the module chunks. */
const COMMAND_SCRIPTS = ['lint', 'status', 'plan'];

for (const face of ['cli', 'ui', 'report']) rmSync(join(root, 'dist', face), { recursive: true, force: true });

// main.js, the `waymark` bin, is CommonJS: a start that only lints (or shows the TUI, or a status)
// never starts Node's ES module loader, which on Node 20 reads the entry through fs/promises and,
// for each `import ... from 'node:fs'`, runs every getter of the built-in (loading its streams).
// It holds route.ts with what the quick commands and the TUI need to start (code-cache.ts,
// ui/load-tui.ts); every other command route.ts imports, `./NAME.js`, stays an import() of the ES
// module dist/cli/modules/NAME.mjs (below), the one place the module loader starts.
const routeFile = join(root, 'src', 'cli', 'route.ts');
const commands = new Set();
const commandsAsModules = {
  name: 'commands-as-modules',
  setup(build) {
    build.onResolve({ filter: /^\.\/[\w-]+\.js$/ }, ({ path, importer, kind }) => {
      const name = path.slice(2, -3);
      if (importer !== routeFile || kind !== 'dynamic-import' || name === 'code-cache') return undefined;
      commands.add(name);
      return { path: `./modules/${name}.mjs`, external: true };
    });
  },
};
await build({
  ...common,
  format: 'cjs',
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/cli',
  define: { ...common.define, WAYMARK_COMMAND_SCRIPTS: JSON.stringify(COMMAND_SCRIPTS), 'import.meta.url': '__waymarkUrl' },
  // "use strict" first: esbuild's own directive comes after the banner, where it is a plain string and
  // main.js would run in sloppy mode, unlike the ES module it was.
  banner: { js: '"use strict";\nconst __waymarkUrl = require("node:url").pathToFileURL(__filename).href;' },
  plugins: [commandsAsModules],
});
if (!COMMAND_SCRIPTS.every((name) => commands.has(name)))
  throw new Error(
    `route.ts no longer imports ./${COMMAND_SCRIPTS.join('.js, ./')}.js as src/build/bundle.mjs expects; review commandsAsModules`,
  );
// Node reads dist/cli/*.js as CommonJS by this file, whatever the package's own "type" says.
writeFileSync(join(root, 'dist', 'cli', 'package.json'), `${JSON.stringify({ type: 'commonjs' })}\n`);

// The commands as ES modules, dist/cli/modules/NAME.mjs, with the chunks they share: what main.js
// imports for every command but the quick ones (their scripts below), and what a build without
// those scripts would run. `.mjs`, as dist/cli/ holds CommonJS.
await build({
  ...common,
  entryPoints: Object.fromEntries([...commands].map((name) => [name, `src/cli/${name}.ts`])),
  outdir: 'dist/cli/modules',
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  // Bundled CommonJS dependencies (mysql2) call require() for Node built-ins.
  banner: { js: "import { createRequire as __waymarkRequire } from 'node:module'; const require = __waymarkRequire(import.meta.url);" },
  // ink, React and their build fixes belong to the script below: these chunks never load them.
  plugins: [tuiOnlyInScript],
});
if (!tuiLeftOut)
  throw new Error(
    'the module chunks no longer import src/ui/start.tsx the way src/build/bundle.mjs expects, so the TUI may be in them twice; review tuiOnlyInScript',
  );
chmodSync(join(root, 'dist', 'cli', 'main.js'), 0o755);

// Built-ins a script imports but most starts never call: each is required when one of its exports
// is first used. `fs/promises` (state/atomic.ts's writers) costs lint ≈ 4 ms a start, yet a lint
// with its inventory cache warm never writes; `child_process` (Ansible, notify=), `crypto` (a state
// folder's name, the inventory cache's key) and `os` cost it ≈ 2, 4 and 0.5 ms more, for a runbook
// without fleet blocks that uses none of them. A bundled `import { open } from 'node:fs/promises'`
// reads `open` from the module object at each call, so a getter per export is enough.
const lazyBuiltins = new Set(['fs/promises', 'child_process', 'crypto', 'os']);
const require = createRequire(import.meta.url);
function lazyBuiltin(path) {
  const names = Object.keys(require(path)).filter((name) => name !== 'default');
  return [
    'let loaded;',
    `const load = () => (loaded ??= require(${JSON.stringify(path)}));`,
    `for (const name of ${JSON.stringify(names)}) Object.defineProperty(module.exports, name, { enumerable: true, get: () => load()[name] });`,
  ].join('\n');
}

// A script has no import statements: Node built-ins (and the devtools ink never loads here) come
// through the `require` the loader passes in. The require() inside the stand-in is left as is.
// In the CommonJS scripts (the quick commands) a built-in that is not lazy is left external: one
// require() read where used, without the ES module interop copy of its exports (esbuild's
// __toESM) that each importing module would otherwise make at every start.
const builtins = new Set(builtinModules);
const builtinsViaRequire = {
  name: 'builtins-via-require',
  setup(build) {
    build.onResolve({ filter: /^[\w@][\w@/:.-]*$/ }, ({ path, namespace }) => {
      if (namespace === 'via-require') return { path, external: true };
      const bare = path.replace(/^node:/, '');
      // A CommonJS script requires a built-in where it is used, as main.js does.
      if (builtins.has(bare) && build.initialOptions.format === 'cjs' && !lazyBuiltins.has(bare)) return { path, external: true };
      if (builtins.has(bare) || path === 'react-devtools-core') return { path, namespace: 'via-require' };
      return undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'via-require' }, ({ path }) => ({
      contents: lazyBuiltins.has(path.replace(/^node:/, '')) ? lazyBuiltin(path) : `module.exports = require(${JSON.stringify(path)});`,
      loader: 'js',
    }));
  },
};
/**
 * In the quick commands' scripts marked is loaded from node_modules when a body first needs it
 * (src/runbook/marked-outline.ts, for what the block scanner leaves to it), not bundled: bundled,
 * its rule tables were built at every start, ≈ 5.5 ms of CPU even with the code cache, for
 * runbooks that mostly never reach it. Its only use there is `new Lexer(options)`.
 */
const markedOnDemand = {
  name: 'marked-on-demand',
  setup(build) {
    build.onResolve({ filter: /^marked$/ }, ({ importer, namespace }) => {
      if (namespace === 'marked-on-demand') return { path: 'marked', external: true };
      if (!importer.endsWith(join('src', 'runbook', 'marked-outline.ts'))) {
        throw new Error(
          `${importer} imports marked, which the quick commands' scripts load on demand for marked-outline.ts only; review markedOnDemand in src/build/bundle.mjs`,
        );
      }
      return { path: 'marked', namespace: 'marked-on-demand' };
    });
    build.onLoad({ filter: /.*/, namespace: 'marked-on-demand' }, () => ({
      contents:
        "let marked;\nexport class Lexer {\n  constructor(options) {\n    marked ??= require('marked');\n    return new marked.Lexer(options);\n  }\n}\n",
      loader: 'js',
    }));
  },
};

/** Bundle `entry` as a plain script (see the header) at dist/cli/NAME.vm.js, its first line `// waymark-NAME BUILDID`. */
async function emitScript(name, options) {
  const result = await build({
    ...common,
    write: false,
    outfile: `dist/cli/${name}.vm.js`,
    // The loader passes the script's own URL in; its top-level awaits (yoga's wasm) run inside the
    // async function the script is wrapped in.
    define: { ...common.define, 'import.meta.url': '__waymarkUrl' },
    ...options,
    plugins: [...(options.plugins ?? []), builtinsViaRequire],
  });
  const body = result.outputFiles[0].text;
  // Every start reads the script and decodes it: UTF-8 with any character beyond ASCII takes
  // Node's slow path (≈ 1.5 ms for lint's 280 KB, against ≈ 0.2 ms). esbuild escapes such
  // characters in strings, not in regular expression literals: write those as \u escapes.
  const nonAscii = /[^\x00-\x7f]/.exec(body);
  if (nonAscii) {
    const around = body.slice(Math.max(0, nonAscii.index - 60), nonAscii.index + 20);
    throw new Error(`dist/cli/${name}.vm.js must be ASCII only, but has ${JSON.stringify(nonAscii[0])} in: ${around}`);
  }
  // import/export statements would not compile in a script, and an import() would fail when reached.
  const leftover = /^\s*(import|export)\b.*$|\bimport\(.*$/m.exec(body);
  if (leftover) throw new Error(`dist/cli/${name}.vm.js must be a plain script without imports, but it has: ${leftover[0].slice(0, 120)}`);
  // The build id keys the code cache: cached code is only ever used with the exact source it came from.
  const id = createHash('sha256').update(body).digest('hex').slice(0, 16);
  writeFileSync(
    join(root, 'dist', 'cli', `${name}.vm.js`),
    `// waymark-${name} ${id}\n(async function (require, __waymarkUrl, __waymarkExport) {\n${body}\n})`,
  );
}

await emitScript('tui', { entryPoints: ['src/build/tui-entry.mjs'], plugins: [yogaWithoutFetch, oneStringWidth, lazyEmojiRegex] });

// The quick commands (route.ts, WAYMARK_COMMAND_SCRIPTS): each a script of its own with what it
// alone needs, compiled with the code cache too (src/cli/code-cache.ts). An editor that lints on
// every save starts `lint` again and again; the cache halves its module compile time (bench/RESULTS.md).
for (const command of COMMAND_SCRIPTS) {
  await emitScript(command, {
    stdin: {
      contents: `import { ${command}Command as run, ${command}Help as help } from '../cli/${command}.ts';\n__waymarkExport({ run, help });\n`,
      resolveDir: join(root, 'src', 'build'),
      sourcefile: `${command}-entry.mjs`,
      loader: 'js',
    },
    plugins: [tuiOnlyInScript, markedOnDemand],
    format: 'cjs',
  });
}
