// A TUI frame with a 1,000-host grid updating (issue 13: ≤ 50 ms), measured in process: the real App
// at 80x24 (bench/tui-grid-frame.mjs, bundled here from src with esbuild and production React, as the
// TUI script is built), a fleet block's host results arriving one at a time, each followed by its
// frame. Timed from the controller's notify (its snapshot built: nextAction and decisionsFor) to ink's
// write of the frame: React, the step sections and the grid's lines, yoga's layout and ink's output.
// The baseline is the same frame with a 12-host grid, updated the same way, interleaved with it.
// Every frame is checked to show the new count of hosts ok.
//
//   node bench/tui-grid.mjs [--hosts 1000] [--updates 200] [--warmup 20] [--out FILE.json]
//
// Prints (and with --out writes) JSON { subject, baseline } ({ median, min, max, n } in ms) and more.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { stats } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    hosts: { type: 'string', default: '1000' },
    baseline: { type: 'string', default: '12' },
    updates: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '20' },
    out: { type: 'string' },
  },
});
const [hosts, baselineHosts, updates, warmup] = [values.hosts, values.baseline, values.updates, values.warmup].map(Number);
if (![hosts, baselineHosts, updates, warmup].every((n) => Number.isInteger(n) && n >= 0) || hosts < 2 || baselineHosts < 2 || updates < 1) {
  console.error('usage: node bench/tui-grid.mjs [--hosts N≥2] [--baseline N≥2] [--updates N≥1] [--warmup N] [--out FILE]');
  process.exit(2);
}

// ink writes no frame but the last when it thinks it runs in CI (is-in-ci, read as it loads): the
// TUI's terminal is an operator's, so the CI variables are not passed on to it.
for (const name of Object.keys(process.env))
  if (name === 'CI' || name === 'CONTINUOUS_INTEGRATION' || name.startsWith('CI_')) delete process.env[name];

const scratch = mkdtempSync(join(tmpdir(), 'wm-bench-grid-'));
let result;
try {
  const outfile = join(scratch, 'tui-grid-frame.mjs');
  await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'bench', 'tui-grid-frame.mjs')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    define: { 'process.env.NODE_ENV': '"production"' },
    // As the TUI script: no syntax highlighting or emoji tables in the markdown renderer.
    alias: { 'cli-highlight': './src/build/no-highlight.mjs', 'node-emoji': './src/build/no-emoji.mjs' },
    // Bundled CommonJS dependencies call require() for Node built-ins.
    banner: { js: "import { createRequire as __benchRequire } from 'node:module'; const require = __benchRequire(import.meta.url);" },
    // ink loads its devtools only under DEV=true; they are not installed.
    plugins: [
      {
        name: 'no-devtools',
        setup(bundler) {
          bundler.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'react-devtools-core', namespace: 'no-devtools' }));
          bundler.onLoad({ filter: /.*/, namespace: 'no-devtools' }, () => ({ contents: 'export default {};', loader: 'js' }));
        },
      },
    ],
    logLevel: 'warning',
  });
  const { openFleetFrame } = await import(pathToFileURL(outfile).href);
  const plain = (text) => text.replace(/\u001B\[[0-9;?]*[A-Za-z]/g, '');

  const subject = await openFleetFrame({ hosts });
  const baseline = await openFleetFrame({ hosts: baselineHosts });
  const took = { subject: [], baseline: [] };
  let bytes = 0;
  for (let k = 0; k < warmup + updates; k++) {
    const order =
      k % 2 === 0
        ? [
            ['subject', subject],
            ['baseline', baseline],
          ]
        : [
            ['baseline', baseline],
            ['subject', subject],
          ];
    for (const [role, screen] of order) {
      const { ms, counts, frame } = await screen.update();
      // The frame written must be this update's: the grid's count of hosts ok moved on.
      if (!plain(frame).includes(`✓ ${counts.ok ?? 0} ok`)) {
        throw new Error(`the frame after a host result (${screen.hosts} hosts) does not show "✓ ${counts.ok ?? 0} ok":\n${plain(frame)}`);
      }
      if (k >= warmup) {
        took[role].push(ms);
        if (role === 'subject') bytes += frame.length;
      }
    }
  }
  const last = plain((await subject.update()).frame);
  subject.close();
  baseline.close();
  result = {
    hosts,
    baselineHosts,
    updates,
    warmup,
    columns: 80,
    rows: 24,
    frameBytes: Math.round(bytes / updates),
    subject: stats(took.subject),
    baseline: stats(took.baseline),
    lastFrame: last,
  };
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
const text = JSON.stringify(result, null, 2);
if (values.out) writeFileSync(values.out, text);
console.log(text);
