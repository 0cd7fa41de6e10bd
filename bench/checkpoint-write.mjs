// Checkpoint write with 1,000 steps of state (SPEC §6: ≤ 5 ms median), measured in process.
//
// Builds the checkpoint of a run 90% through a generated 1,000-step runbook the way a
// session would — `initialRunState`, then the engine's own `reduce` over the events of
// each step (checks and runs passed with exit codes, durations, a 15-line tail, SQL
// checks with their columns, checklist items ticked) — then times N writes of
// waymark's checkpoint (`RunCheckpoint.commit`: one flushed journal line per transition,
// and every COMPACT_EVERY transitions a snapshot rewrite — compact JSON, temp file, fsync,
// rename, fsync of the directory — whose cost lands in the max and is amortised in the
// median as in a real run) against N writes of a bare lowdb `JSONFile` (steno: temp file
// and rename, no fsync, 2-space JSON) of the whole state. Before each pair of writes the
// run moves on by one real event (block-started, block-finished, ...), as it does
// between two checkpoint writes of a session. The two are interleaved, alternating
// which goes first. Times are around the awaited write, serialisation included.
//
//   node bench/checkpoint-write.mjs [--steps 1000] [--writes 200] [--warmup 5] [--dir DIR] [--out FILE.json]
//
// Prints (and with --out writes) JSON: { subject, baseline, stringify, bytes, ... }
// where subject/baseline/stringify are { median, min, max, n } in ms.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { runbookText } from './gen-runbook.mjs';
import { stats } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (path) => import(pathToFileURL(join(root, 'dist', path)).href);
const { parseRunbook } = await dist('runbook/parse.js');
const { initialRunState, blockHash } = await dist('engine/reconcile.js');
const { reduce } = await dist('engine/run-state.js');
const { runOrder } = await dist('engine/plan.js');
const { RunCheckpoint, readCheckpoint } = await dist('engine/checkpoint.js');

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '1000' },
    writes: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '5' },
    done: { type: 'string', default: '0.9' },
    dir: { type: 'string' },
    out: { type: 'string' },
  },
});
const steps = Number(values.steps);
const writes = Number(values.writes);
const warmup = Number(values.warmup);
const doneShare = Number(values.done);
if (![steps, writes, warmup].every((n) => Number.isInteger(n) && n >= 0) || writes < 1 || !(doneShare >= 0 && doneShare <= 1)) {
  console.error('usage: node bench/checkpoint-write.mjs [--steps N] [--writes N≥1] [--warmup N] [--done 0..1] [--dir DIR] [--out FILE]');
  process.exit(2);
}

// A clock that moves on a few seconds per event, so timestamps look like a real run's.
let clock = Date.parse('2026-11-20T22:00:00.000Z');
const tick = (ms) => new Date((clock += ms)).toISOString();

// What a shell block's last 15 lines look like after an apt upgrade of a service.
function aptTail(service, n) {
  return [
    'Reading package lists...',
    'Building dependency tree...',
    'Reading state information...',
    'Calculating upgrade...',
    `The following packages will be upgraded:`,
    `  python3-${service.split('-')[0]} ${service}`,
    `2 upgraded, 0 newly installed, 0 to remove and ${n % 40} not upgraded.`,
    `Need to get ${(1.2 + (n % 7) / 10).toFixed(1)} MB of archives.`,
    `Get:1 http://archive.ubuntu.com/ubuntu jammy-updates/main amd64 ${service} all 2:13.1.${n % 10}-0ubuntu1 [${200 + (n % 300)} kB]`,
    `Fetched ${(1.2 + (n % 7) / 10).toFixed(1)} MB in ${1 + (n % 4)}s (${900 + n} kB/s)`,
    `(Reading database ... ${183000 + n} files and directories currently installed.)`,
    `Preparing to unpack .../${service}_2%3a13.1.${n % 10}-0ubuntu1_all.deb ...`,
    `Unpacking ${service} (2:13.1.${n % 10}-0ubuntu1) over (2:12.0.4-0ubuntu1) ...`,
    `Setting up ${service} (2:13.1.${n % 10}-0ubuntu1) ...`,
    'Processing triggers for man-db (2.10.2-1) ...',
  ];
}

/** The events a session dispatches for one step, all blocks passing. */
function stepEvents(step, n) {
  const events = [{ type: 'step-started', step: step.id, at: tick(800) }];
  for (const block of runOrder(step)) {
    events.push({ type: 'block-started', step: step.id, block: block.id, hash: blockHash(block), log: `logs/${block.id}.1.log`, at: tick(40) });
    const durationMs = 150 + ((n * 7919 + block.id.length * 131) % 9000);
    const finished = { type: 'block-finished', step: step.id, block: block.id, outcome: 'success', attempts: 1, durationMs, at: tick(durationMs) };
    if (block.lang === 'sql') {
      Object.assign(finished, { exitCode: null, reason: 'no rows', columns: ['id', 'host'], rows: [], rowCount: 0 });
    } else if (block.role === 'check') {
      Object.assign(finished, { exitCode: 0, reason: 'exit 0', tail: ['active'] });
    } else {
      Object.assign(finished, { exitCode: 0, reason: 'exit 0', tail: aptTail(step.id.replace(/^s\d+-/, ''), n) });
    }
    events.push(finished);
  }
  for (const item of step.checklist) {
    events.push({ type: 'item-ticked', step: step.id, item: item.id, decision: { by: 'jdoe', at: tick(5000) } });
  }
  events.push({ type: 'step-finished', step: step.id, at: tick(200) });
  return events;
}

const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'wm-bench-checkpoint-'));
const file = join(dir, `generated-${steps}.md`);
const runbook = parseRunbook(runbookText(steps), file);
let state = initialRunState(runbook, {
  id: '20261120T220000Z-b3c4',
  operator: 'jdoe',
  host: 'deploy-1',
  profile: 'production',
  vars: { DB_SOCKET: '/run/mysqld/mysqld.sock', TARGET: 'mitaka', CONTROLLER: 'ctl-1', DB_PASSWORD: '${DB_PASSWORD}' },
  at: tick(0),
});
const doneSteps = Math.round(steps * doneShare);
runbook.steps.forEach((step, i) => {
  if (i < doneSteps) for (const event of stepEvents(step, i + 1)) state = reduce(state, event);
});
// The events the run goes on with, one per timed pair of writes.
const ahead = runbook.steps.slice(doneSteps).flatMap((step, i) => stepEvents(step, doneSteps + i + 1));
const nextEvent = (k) => (k < ahead.length ? ahead[k] : { type: 'run-status', status: 'running', at: tick(1000 + k) });

const subjectPath = join(dir, 'waymark', 'checkpoint.json');
const baselinePath = join(dir, 'checkpoint-lowdb.json');
// The engine's checkpoint: a transition appends one journal line; every COMPACT_EVERY
// transitions the snapshot is rewritten (that cost is in the figures, amortised as in a run).
const checkpoint = await RunCheckpoint.create(subjectPath, state);
const raw = new Low(new JSONFile(baselinePath), state);

const took = { subject: [], baseline: [], stringify: [] };
const timed = async (write) => {
  const start = performance.now();
  await write();
  return performance.now() - start;
};
for (let k = 0; k < warmup + writes; k++) {
  const event = nextEvent(k);
  state = reduce(state, event);
  const order = k % 2 === 0 ? ['subject', 'baseline'] : ['baseline', 'subject'];
  for (const role of order) {
    const ms =
      role === 'subject'
        ? await timed(async () => {
            await checkpoint.commit(event, state);
            await checkpoint.compactIfDue(state);
          })
        : await timed(() => {
            raw.data = state;
            return raw.write();
          });
    if (k >= warmup) took[role].push(ms);
  }
  const start = performance.now();
  JSON.stringify(state);
  if (k >= warmup) took.stringify.push(performance.now() - start);
}

// The files must hold the last state, or the figures time something else.
await checkpoint.close();
const written = await readCheckpoint(subjectPath);
if (written.updatedAt !== state.updatedAt || written.steps.length !== steps || JSON.stringify(written.steps) !== JSON.stringify(state.steps)) {
  throw new Error('the checkpoint on disk (snapshot + journal) is not the last state written');
}

const result = {
  steps,
  doneSteps,
  blocks: state.steps.reduce((sum, s) => sum + s.blocks.length, 0),
  writes,
  warmup,
  bytes: statSync(subjectPath).size,
  baselineBytes: statSync(baselinePath).size,
  subject: stats(took.subject),
  baseline: stats(took.baseline),
  stringify: stats(took.stringify),
};
const text = JSON.stringify(result, null, 2);
if (values.out) writeFileSync(values.out, text);
console.log(text);
if (!values.dir) rmSync(dir, { recursive: true, force: true });
