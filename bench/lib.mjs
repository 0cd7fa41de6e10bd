// Measuring commands: wall time (process.hrtime) and peak RSS (GNU time's %M),
// run alone or interleaved with a baseline so both see the same machine noise.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';

const GNU_TIME = '/usr/bin/time';

function gnuTimeWorks() {
  try {
    accessSync(GNU_TIME, constants.X_OK);
  } catch {
    return false;
  }
  return true;
}

/** True when peak RSS can be measured (GNU time is installed). */
export const canMeasureRss = gnuTimeWorks();

// One scratch dir for GNU time's output files, removed when the process ends.
const scratch = mkdtempSync(join(tmpdir(), 'wm-bench-time-'));
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
let sample = 0;

/**
 * Variables this harness takes out of every measured command's environment, and why. Each one
 * costs every Node process the same at start, before any of waymark's code runs, so it would
 * weigh on a budget in ms without saying anything about waymark.
 */
export const UNSET_FOR_MEASURING = {
  // With it set, Node 20 parses its ~140 bundled root certificates and the named bundle at every
  // start, TLS or not (≈ 38 ms of a 100 ms `node -e ''` on the 2-core VM of bench/RESULTS.md,
  // which sets it for every process). No benchmarked command opens a TLS connection.
  NODE_EXTRA_CA_CERTS: 'parsed at every Node start (≈ 38 ms here), though no benchmarked command uses TLS',
};

/** The environment measured commands start from: this process's, without UNSET_FOR_MEASURING. */
export function measuringEnv() {
  const env = { ...process.env };
  for (const name of Object.keys(UNSET_FOR_MEASURING)) delete env[name];
  return env;
}

/**
 * Run a command once. Returns { wallMs, rssKb (null when unknown), exitCode, signal, stderr }.
 * `command` is { cmd, args, env?, cwd?, stdout?: 'ignore' | 'pipe' }; stdout is discarded by default.
 * The command's environment is measuringEnv() with `env` over it.
 */
export function runOnce(command) {
  const { cmd, args = [], env, cwd } = command;
  const timeFile = join(scratch, `${sample++}.txt`);
  const [file, argv] = canMeasureRss ? [GNU_TIME, ['-f', '%M', '-o', timeFile, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(file, argv, {
      cwd,
      env: { ...measuringEnv(), ...env },
      stdio: ['ignore', command.stdout ?? 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      if (stderr.length < 8192) stderr += chunk;
    });
    if (child.stdout) child.stdout.resume();
    child.once('error', reject);
    child.once('close', (code, signal) => {
      const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
      let rssKb = null;
      if (canMeasureRss) {
        // GNU time writes "Command exited with non-zero status N" before the figure.
        const lines = readFileSync(timeFile, 'utf8').trim().split('\n');
        const value = Number(lines.at(-1));
        rssKb = Number.isFinite(value) ? value : null;
        rmSync(timeFile, { force: true });
      }
      resolve({ wallMs, rssKb, exitCode: code, signal, stderr });
    });
  });
}

/** Median, min and max of a list of numbers. */
export function stats(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted.at(-1), n: sorted.length };
}

function describeCommand({ cmd, args = [] }) {
  return [cmd, ...args].map((a) => (a === '' || /[\s'"]/.test(a) ? JSON.stringify(a) : a)).join(' ');
}

function checkExit(name, command, result) {
  const expected = command.expectExit ?? 0;
  if (result.exitCode === expected) return;
  const how = result.signal ? `was killed by ${result.signal}` : `exited ${result.exitCode}`;
  const stderr = result.stderr.trim().split('\n').slice(-10).join('\n');
  throw new Error(`${name}: \`${describeCommand(command)}\` ${how}, expected exit ${expected}${stderr ? `\n${stderr}` : ''}`);
}

function summarize(samples) {
  const rss = samples.map((s) => s.rssKb).filter((v) => v !== null);
  return {
    wall: stats(samples.map((s) => s.wallMs)),
    peakRssKb: rss.length ? Math.max(...rss) : null,
    samples: samples.map((s) => s.wallMs),
  };
}

/**
 * Run one command `runs` times (after `warmup` unmeasured runs); a run that
 * exits other than `expectExit` (default 0) is an error, not a figure.
 * Returns { name, command, wall: {median,min,max,n}, peakRssKb, samples }.
 */
export async function measure(name, cmd, args, { runs = 10, warmup = 1, env, cwd, expectExit } = {}) {
  const command = { cmd, args, env, cwd, expectExit };
  const samples = [];
  for (let i = 0; i < warmup + runs; i++) {
    const result = await runOnce(command);
    checkExit(name, command, result);
    if (i >= warmup) samples.push(result);
  }
  return { name, command: describeCommand(command), ...summarize(samples) };
}

/**
 * Measure `subject` against `baseline`, interleaved (baseline, subject,
 * baseline, subject, ...) so slow moments of the machine hit both alike.
 * Returns { subject, baseline } in the form `measure` returns.
 *
 * `subject` and `baseline` are commands, or functions `(i) => command` for a
 * command that must differ per run (a fresh state directory each time; `i`
 * counts from 0, warm-up runs included). `afterRun(role, i, result, command,
 * measured)`, awaited after every run that exited as expected, can read what the
 * run left behind (its audit trail, its checkpoint) before the next one starts;
 * `measured` is false for warm-up runs.
 */
export async function compare(name, { subject, baseline, runs = 10, warmup = 1, afterRun }) {
  const taken = { subject: [], baseline: [] };
  const described = {};
  for (let i = 0; i < warmup + runs; i++) {
    for (const [role, spec] of [
      ['baseline', baseline],
      ['subject', subject],
    ]) {
      const command = typeof spec === 'function' ? spec(i) : spec;
      described[role] ??= describeCommand(command);
      const result = await runOnce(command);
      checkExit(`${name} (${role})`, command, result);
      await afterRun?.(role, i, result, command, i >= warmup);
      if (i >= warmup) taken[role].push(result);
    }
  }
  return {
    subject: { name, command: described.subject, ...summarize(taken.subject) },
    baseline: { name: `${name} baseline`, command: described.baseline, ...summarize(taken.baseline) },
  };
}

/** One line about the machine the figures come from. */
export function machineLine(now = new Date()) {
  const cpu = cpus();
  const model = cpu[0]?.model.trim() ?? 'unknown CPU';
  const memGiB = (totalmem() / 2 ** 30).toFixed(1);
  return `${model}, ${cpu.length} cores, ${memGiB} GiB RAM, Node ${process.version}, ${process.platform}; measured ${now.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** `123.4 ms`, or `n/a`. */
export function ms(value) {
  return value === null || value === undefined ? 'n/a' : `${value.toFixed(1)} ms`;
}

/** `45.6 MB` from kilobytes, or `n/a`. */
export function mb(kb) {
  return kb === null || kb === undefined ? 'n/a' : `${(kb / 1024).toFixed(1)} MB`;
}

/**
 * The rows of RESULTS.md's table, by benchmark name, for the names in `names`; each row as written,
 * with empty cells added up to `columns` (a row written before a column was added). Cells may be
 * padded, as a Markdown formatter aligns a table: a row is found by its first cell, whatever the
 * spaces around it.
 */
export function resultRows(text, names, columns) {
  const rows = new Map();
  for (const line of text.split('\n')) {
    const name = /^\|\s*`([^`]+)`\s*\|/.exec(line)?.[1];
    if (!name || !names.includes(name)) continue;
    const cells = line.split(/(?<!\\)\|/).length - 2;
    rows.set(name, cells < columns ? `${line}${' |'.repeat(columns - cells)}` : line);
  }
  return rows;
}
