// waymark's benchmarks against the budgets of SPEC §6.
//
//   node bench/run.mjs              every benchmark; writes bench/RESULTS.md
//   node bench/run.mjs lint-2000    one benchmark by name (its row in RESULTS.md is updated)
//   node bench/run.mjs --quick      few runs, to check the harness works; writes nothing
//   node bench/run.mjs --runs 20    more runs than the default
//
// Exit status: 0 when every selected benchmark ran (a missed budget is reported,
// not an error), 1 when one could not run, 2 for bad arguments.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canMeasureRss, compare, machineLine, mb, ms } from './lib.mjs';
import { generateRunbook } from './gen-runbook.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(root, 'dist', 'cli', 'main.js');
const RESULTS = join(root, 'bench', 'RESULTS.md');
const node = (...args) => ({ cmd: process.execPath, args });

// Budgets: `text` as SPEC §6 words it, `met(result)` against { subject, baseline }.
const medianAtMost = (limitMs) => ({
  text: `≤ ${limitMs} ms wall, median`,
  met: ({ subject }) => subject.wall.median <= limitMs,
});

/**
 * Every benchmark, in the order they run. `run({ tmp, runs, warmup })` returns
 * { subject, baseline } as `compare` does; `needs` lists files that must exist.
 * Later entries (per-block overhead, 1M-line output, checkpoint write, TUI first
 * frame) go here with their own budget.
 */
const BENCHMARKS = [
  {
    name: 'lint-2000',
    what: '`waymark lint` of a generated 2,000-step runbook',
    budget: medianAtMost(250),
    needs: [CLI],
    run: ({ tmp, runs, warmup }) => {
      const file = generateRunbook({ steps: 2000, dir: tmp });
      return compare('lint-2000', {
        subject: { ...node(CLI, 'lint', file), cwd: tmp },
        baseline: { ...node('-e', ''), cwd: tmp },
        runs,
        warmup,
      });
    },
  },
];

function parseArgs(argv) {
  const options = { quick: false, runs: undefined, filter: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--quick') options.quick = true;
    else if (arg === '--runs') options.runs = Number(argv[++i]);
    else if (arg === '--help' || arg === '-h') options.help = true;
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`);
    else if (options.filter) throw new Error('give at most one benchmark name');
    else options.filter = arg;
  }
  if (options.runs !== undefined && !(Number.isInteger(options.runs) && options.runs >= 1)) {
    throw new Error('--runs needs a whole number ≥ 1');
  }
  return options;
}

function usage() {
  return `usage: node bench/run.mjs [--quick] [--runs N] [NAME]\nbenchmarks: ${BENCHMARKS.map((b) => b.name).join(', ')}`;
}

function row(entry, result) {
  const { subject, baseline } = result;
  const diff = subject.wall.median - baseline.wall.median;
  return {
    name: entry.name,
    what: entry.what,
    budget: entry.budget.text,
    median: `${ms(subject.wall.median)} (${ms(subject.wall.min)}–${ms(subject.wall.max)})`,
    baseline: `${ms(baseline.wall.median)} \`${baseline.command.replace(process.execPath, 'node')}\``,
    diff: `${diff >= 0 ? '+' : ''}${ms(diff)} / ×${(subject.wall.median / baseline.wall.median).toFixed(2)}`,
    rss: mb(subject.peakRssKb),
    runs: String(subject.wall.n),
    measured: new Date().toISOString().slice(0, 16).replace('T', ' '),
    verdict: entry.budget.met(result) ? 'meets' : 'MISSES',
  };
}

const COLUMNS = [
  ['name', 'benchmark'],
  ['what', 'what'],
  ['budget', 'budget'],
  ['median', 'median (min–max)'],
  ['baseline', 'baseline median'],
  ['diff', 'difference / ratio'],
  ['rss', 'peak RSS'],
  ['runs', 'runs'],
  ['measured', 'measured (UTC)'],
  ['verdict', 'verdict'],
];

function printTable(rows) {
  const widths = COLUMNS.map(([key, title]) => Math.max(title.length, ...rows.map((r) => r[key].length)));
  const line = (cells) => cells.map((cell, i) => cell.padEnd(widths[i])).join('  ');
  console.log(line(COLUMNS.map(([, title]) => title)));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(COLUMNS.map(([key]) => r[key])));
}

const mdRow = (cells) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;

// Rows of benchmarks not run this time are kept from the previous file.
function previousRows() {
  if (!existsSync(RESULTS)) return new Map();
  const kept = new Map();
  for (const line of readFileSync(RESULTS, 'utf8').split('\n')) {
    const name = /^\| `([^`]+)` \|/.exec(line)?.[1];
    if (name && BENCHMARKS.some((b) => b.name === name)) kept.set(name, line);
  }
  return kept;
}

function writeResults(rows) {
  const lines = previousRows();
  for (const r of rows) lines.set(r.name, mdRow(COLUMNS.map(([key]) => (key === 'name' ? `\`${r.name}\`` : r[key]))));
  const ordered = BENCHMARKS.map((b) => lines.get(b.name)).filter(Boolean);
  const text = `# Benchmark results

Machine: ${machineLine()}.

Budgets are SPEC §6's. Each benchmark runs interleaved with its baseline
(baseline, subject, baseline, subject, ...) after one warm-up pair; wall time is
measured around the spawned process, peak RSS with \`/usr/bin/time -f %M\`
${canMeasureRss ? '' : '(not available on this machine, hence n/a) '}of the subject.
Regenerate with \`npm run bench\` (all) or \`npm run build && node bench/run.mjs NAME\` (one row).

${mdRow(COLUMNS.map(([, title]) => title))}
${mdRow(COLUMNS.map(() => '---'))}
${ordered.join('\n')}
`;
  writeFileSync(RESULTS, text);
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`${error.message}\n${usage()}`);
    return 2;
  }
  if (options.help) {
    console.log(usage());
    return 0;
  }
  const selected = options.filter ? BENCHMARKS.filter((b) => b.name === options.filter) : BENCHMARKS;
  if (selected.length === 0) {
    console.error(`no benchmark named "${options.filter}"\n${usage()}`);
    return 2;
  }
  const runs = options.runs ?? (options.quick ? 3 : 15);
  const warmup = 1;
  console.log(`${machineLine()}`);
  console.log(`${runs} runs each${options.quick ? ' (--quick: figures are indicative only)' : ''}; peak RSS ${canMeasureRss ? 'via /usr/bin/time' : 'n/a (/usr/bin/time not found)'}\n`);

  const rows = [];
  let failed = 0;
  for (const entry of selected) {
    const missing = (entry.needs ?? []).filter((file) => !existsSync(file));
    if (missing.length > 0) {
      console.error(`${entry.name}: not run: ${missing.map((f) => relative(root, f)).join(', ')} missing — run \`npm run build\` first (\`npm run bench\` builds for you)`);
      failed++;
      continue;
    }
    const tmp = mkdtempSync(join(tmpdir(), 'wm-bench-'));
    try {
      process.stdout.write(`${entry.name}: ${entry.what} ... `);
      const result = await entry.run({ tmp, runs, warmup });
      const r = row(entry, result);
      console.log(`${r.median}, ${r.verdict}`);
      rows.push(r);
    } catch (error) {
      console.log('failed');
      console.error(`${entry.name}: ${error.message}`);
      failed++;
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  if (rows.length > 0) {
    console.log('');
    printTable(rows);
  }
  if (options.quick) {
    console.log('\n--quick: bench/RESULTS.md not written');
  } else if (rows.length > 0) {
    writeResults(rows);
    console.log(`\nwrote ${relative(process.cwd(), RESULTS) || RESULTS}`);
  }
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
