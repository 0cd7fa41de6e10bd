// Bundles the CLI into dist/cli/main.js (the `waymark` bin) with production React, so start-up
// reads a few files instead of hundreds. Commands, the TUI and the database driver stay in
// chunks of their own, loaded only when used: `lint` never loads ink or mysql2.
// The TUI's `run` is bundled a second time, whole, as dist/cli/tui.vm.js: a script (not a module)
// that src/ui/load-tui.ts compiles with V8's code cache, which ES modules cannot use on Node 20.
// tsc has already written dist/ (type-checked modules that tests and bench drivers import);
// this replaces only the entry point.
import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { builtinModules } from 'node:module';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

const common = {
  absWorkingDir: root,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Less source for V8 to scan at start-up; names are kept, so stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  define: { 'process.env.NODE_ENV': '"production"' },
  logLevel: 'warning',
  legalComments: 'none',
  alias: { 'cli-highlight': './src/build/no-highlight.mjs', 'node-emoji': './src/build/no-emoji.mjs' },
};

rmSync(join(root, 'dist', 'cli', 'chunks'), { recursive: true, force: true });
await build({
  ...common,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/cli',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  // Bundled CommonJS dependencies (mysql2) call require() for Node built-ins.
  banner: { js: "import { createRequire as __waymarkRequire } from 'node:module'; const require = __waymarkRequire(import.meta.url);" },
  // ink imports the React devtools only when DEV is set; waymark never ships them.
  external: ['react-devtools-core'],
  plugins: [yogaWithoutFetch, oneStringWidth, lazyEmojiRegex],
});
chmodSync(join(root, 'dist', 'cli', 'main.js'), 0o755);

// A script has no import statements: Node built-ins (and the devtools ink never loads here) come
// through the `require` the loader passes in. The require() inside the stand-in is left as is.
const builtins = new Set(builtinModules);
const builtinsViaRequire = {
  name: 'builtins-via-require',
  setup(build) {
    build.onResolve({ filter: /^[\w@][\w@/:.-]*$/ }, ({ path, namespace }) => {
      if (namespace === 'via-require') return { path, external: true };
      if (builtins.has(path.replace(/^node:/, '')) || path === 'react-devtools-core') return { path, namespace: 'via-require' };
      return undefined;
    });
    build.onLoad({ filter: /.*/, namespace: 'via-require' }, ({ path }) => ({ contents: `module.exports = require(${JSON.stringify(path)});`, loader: 'js' }));
  },
};
const tui = await build({
  ...common,
  entryPoints: ['src/build/tui-entry.mjs'],
  write: false,
  outfile: 'dist/cli/tui.vm.js',
  // The loader passes the script's own URL in; its top-level awaits (yoga's wasm) run inside the
  // async function the script is wrapped in.
  define: { ...common.define, 'import.meta.url': '__waymarkUrl' },
  plugins: [yogaWithoutFetch, oneStringWidth, lazyEmojiRegex, builtinsViaRequire],
});
const body = tui.outputFiles[0].text;
// import/export statements would not compile in a script, and an import() would fail when reached.
const leftover = /^\s*(import|export)\b.*$|\bimport\(.*$/m.exec(body);
if (leftover) throw new Error(`dist/cli/tui.vm.js must be a plain script without imports, but it has: ${leftover[0].slice(0, 120)}`);
// The build id keys the code cache: cached code is only ever used with the exact source it came from.
const id = createHash('sha256').update(body).digest('hex').slice(0, 16);
writeFileSync(join(root, 'dist', 'cli', 'tui.vm.js'), `// waymark-tui ${id}\n(async function (require, __waymarkUrl, __waymarkExport) {\n${body}\n})`);
