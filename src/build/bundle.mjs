// Bundles the CLI into dist/cli/main.js (the `waymark` bin) with production React, so start-up
// reads a few files instead of hundreds. Commands, the TUI and the database driver stay in
// chunks of their own, loaded only when used: `lint` never loads ink or mysql2.
// tsc has already written dist/ (type-checked modules that tests and bench drivers import);
// this replaces only the entry point.
import { build } from 'esbuild';
import { chmodSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
rmSync(join(root, 'dist', 'cli', 'chunks'), { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/cli',
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  define: { 'process.env.NODE_ENV': '"production"' },
  // Bundled CommonJS dependencies (mysql2) call require() for Node built-ins.
  banner: { js: "import { createRequire as __waymarkRequire } from 'node:module'; const require = __waymarkRequire(import.meta.url);" },
  logLevel: 'warning',
  legalComments: 'none',
  // ink imports the React devtools only when DEV is set; waymark never ships them.
  external: ['react-devtools-core'],
  alias: { 'cli-highlight': './src/build/no-highlight.mjs' },
});
chmodSync(join(root, 'dist', 'cli', 'main.js'), 0o755);
