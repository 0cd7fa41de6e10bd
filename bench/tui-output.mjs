// A block printing N lines, run from the TUI (docs/budgets.md: "headless and in the TUI"): the real binary in an
// 80x24 pty (util-linux `script`), Enter pressed once the first frame is up, `q` once the block's
// `block-finished` record is in the audit trail. The block's own time is read from the run's
// checkpoint (`durationMs`, as for the headless row); peak RSS of the waymark process from GNU time.
// `bash -c 'seq 1 N > FILE'` is timed before each run, as the baseline.
// Prints JSON { blockMs: stats, baselineMs: stats, rssKb: [..], lines } (ms).
//
//   node bench/tui-output.mjs --runbook FILE --lines N --runs N [--out FILE.json]
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { canMeasureRss, runOnce, stats } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(root, 'dist', 'cli', 'main.js');
const { values } = parseArgs({
  options: { runbook: { type: 'string' }, lines: { type: 'string' }, runs: { type: 'string', default: '5' }, out: { type: 'string' } },
});
const runs = Number(values.runs);
const lines = Number(values.lines);
const quote = (text) => `'${text.replaceAll("'", "'\\''")}'`;

/** The one run directory under a state dir, once it exists. */
function runDir(stateDir) {
  if (!existsSync(stateDir)) return null;
  for (const book of readdirSync(stateDir)) {
    const runsDir = join(stateDir, book, 'runs');
    if (!existsSync(runsDir)) continue;
    const found = readdirSync(runsDir);
    if (found.length === 1) return join(runsDir, found[0]);
  }
  return null;
}

/** The `block-finished` event's durationMs, from the compacted checkpoint or its journal. */
function blockDuration(dir) {
  const events = readFileSync(join(dir, 'checkpoint.journal'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  const find = (value) => {
    if (value === null || typeof value !== 'object') return undefined;
    if (value.type === 'block-finished' && typeof value.durationMs === 'number') return value.durationMs;
    for (const child of Object.values(value)) {
      const found = find(child);
      if (found !== undefined) return found;
    }
    return undefined;
  };
  for (const event of events) {
    const found = find(event);
    if (found !== undefined) return found;
  }
  const checkpoint = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'));
  return find(checkpoint.steps) ?? checkpoint.steps?.[0]?.blocks?.[0]?.durationMs;
}

/** One TUI run; the warm-up one waits on its first frame long enough for the TUI to save its code cache. */
function once(warmUp = false) {
  return new Promise((resolve, reject) => {
    const stateDir = mkdtempSync(join(tmpdir(), 'wm-tui-out-'));
    const rssFile = join(stateDir, 'rss.txt');
    const state = join(stateDir, 'state');
    const timeWrap = canMeasureRss ? `/usr/bin/time -f %M -o ${quote(rssFile)} ` : '';
    const command = `stty cols 80 rows 24; ${timeWrap}${quote(process.execPath)} ${quote(CLI)} ${quote(values.runbook)} --state-dir ${quote(state)}`;
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, TERM: 'xterm-256color' },
    });
    let screen = '';
    let phase = 'frame';
    let durationMs;
    const timer = setTimeout(
      () => fail(new Error(`no result within 120 s (phase ${phase}); screen so far:\n${screen.slice(-800)}`)),
      120_000,
    );
    const poll = setInterval(() => {
      if (phase !== 'running') return;
      const dir = runDir(state);
      if (dir === null || !existsSync(join(dir, 'audit.jsonl'))) return;
      if (!readFileSync(join(dir, 'audit.jsonl'), 'utf8').includes('"type":"block-finished"')) return;
      phase = 'quitting';
      durationMs = blockDuration(dir);
      child.stdin.write('q');
    }, 20);
    const cleanup = () => {
      clearTimeout(timer);
      clearInterval(poll);
    };
    const fail = (error) => {
      cleanup();
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
      rmSync(stateDir, { recursive: true, force: true });
      reject(error);
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      screen = (screen + chunk).slice(-20_000);
      if (phase === 'frame' && screen.includes('? help')) {
        phase = 'waiting';
        setTimeout(
          () => {
            phase = 'running';
            child.stdin.write('\r');
          },
          warmUp ? 2000 : 0,
        );
      }
    });
    child.once('exit', (code) => {
      cleanup();
      if (phase !== 'quitting')
        return fail(new Error(`waymark exited ${code} before the block finished (phase ${phase}):\n${screen.slice(-800)}`));
      const dir = runDir(state);
      const log = readdirSync(join(dir, 'logs')).map((name) => readFileSync(join(dir, 'logs', name), 'utf8'))[0] ?? '';
      const logLines = log.split('\n').length - 1;
      const rssKb = existsSync(rssFile) ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').at(-1)) : null;
      rmSync(stateDir, { recursive: true, force: true });
      if (logLines !== lines) return reject(new Error(`the block's log holds ${logLines} lines, not ${lines}`));
      if (typeof durationMs !== 'number') return reject(new Error('no durationMs for the block in the checkpoint'));
      resolve({ durationMs, rssKb });
    });
  });
}

const blockMs = [];
const rssKb = [];
const baselineMs = [];
const scratch = mkdtempSync(join(tmpdir(), 'wm-tui-seq-'));
for (let i = 0; i < runs + 1; i++) {
  // The baseline interleaved with the runs, as the headless row does it.
  const baseline = await runOnce({ cmd: 'bash', args: ['-c', `seq 1 ${lines} > seq-out.txt`], cwd: scratch });
  if (baseline.exitCode !== 0) throw new Error(`the baseline exited ${baseline.exitCode}: ${baseline.stderr}`);
  const result = await once(i === 0);
  if (i === 0) continue; // warm-up
  blockMs.push(result.durationMs);
  baselineMs.push(baseline.wallMs);
  if (result.rssKb !== null) rssKb.push(result.rssKb);
}
rmSync(scratch, { recursive: true, force: true });
const text = JSON.stringify({ blockMs: stats(blockMs), baselineMs: stats(baselineMs), rssKb, lines });
if (values.out) writeFileSync(values.out, text);
console.log(text);
