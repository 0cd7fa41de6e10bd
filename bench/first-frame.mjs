// TUI first frame (docs/budgets.md: ≤ 350 ms): the time from spawning `waymark RUNBOOK.md` in a
// pseudo-terminal (util-linux `script`) until the frame is on the screen (its output pane and
// the footer's key hints, the last lines ink draws), against the time until a bare `node -e` in the same pty has printed.
// Runs interleaved; prints JSON { subject, baseline } with median/min/max/n (ms).
//
//   node bench/first-frame.mjs --runbook FILE --runs N [--out FILE.json]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stats } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { runbook: { type: 'string' }, runs: { type: 'string', default: '5' }, out: { type: 'string' } } });
const runs = Number(values.runs);

/** Spawn `command` in a pty sized 80x24 and resolve with ms until `ready(screenText)` holds. */
function timeUntil(command, ready, holdMs = 0) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn('script', ['-qfec', `stty cols 80 rows 24; ${command}`, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      env: { ...process.env, TERM: 'xterm-256color' },
    });
    let text = '';
    let done = false;
    let measured = 0;
    const timer = setTimeout(() => finish(new Error(`no first frame within 10 s; screen so far:\n${text.slice(-500)}`)), 10_000);
    const finish = (error, ms) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // Already gone: nothing left to stop.
      }
      if (error) reject(error);
      else resolve(ms);
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      text += chunk;
      if (ready(text) && !measured) {
        measured = Number(process.hrtime.bigint() - start) / 1e6;
        setTimeout(() => finish(null, measured), holdMs);
      }
    });
    child.once('exit', () => setTimeout(() => finish(new Error(`exited before the first frame:\n${text.slice(-500)}`)), 50));
  });
}

const subject = [];
const baseline = [];
for (let i = 0; i < runs + 1; i++) {
  const stateDir = mkdtempSync(join(tmpdir(), 'wm-frame-'));
  const b = await timeUntil(`node -e "console.log('ready')"`, (t) => t.includes('ready'));
  // The warm-up start stays up long enough to save the TUI's code cache (src/ui/load-tui.ts),
  // as any session an operator keeps open does: the runs then measure a start like every start
  // but the first after an install or upgrade.
  const s = await timeUntil(
    `node ${join(root, 'dist', 'cli', 'main.js')} ${values.runbook} --state-dir ${stateDir}`,
    (t) => t.includes('── output') && t.includes('? help'),
    i === 0 ? 2000 : 0,
  );
  rmSync(stateDir, { recursive: true, force: true });
  if (i === 0) continue; // warm-up pair
  subject.push(s);
  baseline.push(b);
}
const text = JSON.stringify({ subject: stats(subject), baseline: stats(baseline) });
if (values.out) writeFileSync(values.out, text);
console.log(text);
