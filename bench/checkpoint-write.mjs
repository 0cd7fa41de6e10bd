// Checkpoint write with 1,000 steps of state (docs/budgets.md: ≤ 5 ms median), measured in process.
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
// With --fleet BxH (issue 13: 1,000 hosts × 20 fleet blocks ≤ 5 ms), the runbook is B steps of one
// fleet block each over H hosts (`batch=1,25% max-fail=10%`, planned by the engine's planHosts);
// all but the last (or --done of them) ran as fleet-run runs them — block-started, fleet-planned, then per batch
// hosts-started and a host-finished per host (ok, every 97th failed, a 10-line tail each, as
// HOST_TAIL_LINES keeps), block-finished — and the timed writes are the next block's host-finished
// transitions, one host result apart (the hosts-started between batches is written, not timed).
// At that size the baseline cannot be interleaved with waymark's writes: each lowdb write and
// `JSON.stringify` of the state leaves ~35 MB of garbage (and 20 MB of dirty pages) that the next
// timed journal commit would pay for — GC and the flush its fdatasync waits on — which a session,
// making neither, never does (measured: 8–20 ms a commit interleaved, 0.5 ms alone). So waymark's
// writes are timed first, then lowdb's and the stringify on the final state, in the same run.
//
//   node bench/checkpoint-write.mjs [--steps 1000 | --fleet 20x1000] [--writes 200] [--warmup 5] [--dir DIR] [--out FILE.json]
//
// Prints (and with --out writes) JSON: { subject, baseline, stringify, bytes, ... }
// where subject/baseline/stringify are { median, min, max, n } in ms.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Low } from 'lowdb';
import { JSONFile } from 'lowdb/node';
import { fleetHostNames, fleetRunbookText, runbookText } from './gen-runbook.mjs';
import { stats } from './lib.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = (path) => import(pathToFileURL(join(root, 'dist', path)).href);
const { parseRunbook } = await dist('runbook/parse.js');
const { initialRunState, blockHash } = await dist('engine/reconcile.js');
const { reduce } = await dist('engine/run-state.js');
const { runOrder } = await dist('engine/plan.js');
const { RunCheckpoint, readCheckpoint, COMPACT_EVERY } = await dist('engine/checkpoint.js');
const { planHosts, HOST_TAIL_LINES } = await dist('engine/fleet-run.js');

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '1000' },
    writes: { type: 'string', default: '200' },
    warmup: { type: 'string', default: '5' },
    done: { type: 'string' },
    fleet: { type: 'string' },
    dir: { type: 'string' },
    out: { type: 'string' },
  },
});
const steps = Number(values.steps);
const writes = Number(values.writes);
const warmup = Number(values.warmup);
// --fleet BxH: B fleet blocks of H hosts each.
const fleetSize = values.fleet === undefined ? null : /^([1-9]\d*)x([1-9]\d*)$/.exec(values.fleet);
// Done by default: 90 % of the steps; with --fleet every block but the last, which runs (so the state holds B×H hosts).
const doneShare = values.done !== undefined ? Number(values.done) : fleetSize ? (Number(fleetSize[1]) - 1) / Number(fleetSize[1]) : 0.9;
if (
  ![steps, writes, warmup].every((n) => Number.isInteger(n) && n >= 0) ||
  writes < 1 ||
  !(doneShare >= 0 && doneShare <= 1) ||
  (values.fleet !== undefined && !fleetSize)
) {
  console.error(
    'usage: node bench/checkpoint-write.mjs [--steps N | --fleet BLOCKSxHOSTS] [--writes N≥1] [--warmup N] [--done 0..1] [--dir DIR] [--out FILE]',
  );
  process.exit(2);
}
const fleetBlocks = fleetSize ? Number(fleetSize[1]) : 0;
const fleetHosts = fleetSize ? Number(fleetSize[2]) : 0;

// A clock that moves on a few seconds per event, so timestamps look like a real run's.
let clock = Date.parse('2026-11-20T22:00:00.000Z');
const tick = (ms) => {
  clock += ms;
  return new Date(clock).toISOString();
};

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
    events.push({
      type: 'block-started',
      step: step.id,
      block: block.id,
      hash: blockHash(block),
      log: `logs/${block.id}.1.log`,
      at: tick(40),
    });
    const durationMs = 150 + ((n * 7919 + block.id.length * 131) % 9000);
    const finished = {
      type: 'block-finished',
      step: step.id,
      block: block.id,
      outcome: 'success',
      attempts: 1,
      durationMs,
      at: tick(durationMs),
    };
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

/** What a host's last 10 lines look like after a dnf upgrade of nova-compute. */
function hostTail(n) {
  return aptTail('nova-compute', n).slice(-HOST_TAIL_LINES);
}

/**
 * The events fleet-run dispatches for one fleet block over `hosts`, every host reporting: planned by
 * the engine, each batch started, each host's result (ok, every 97th failed), then the block's end.
 */
function fleetStepEvents(step, hosts, n) {
  const block = step.blocks[0];
  const ids = { step: step.id, block: block.id };
  const plan = planHosts(hosts, [], block.attrs.fleet);
  const events = [
    { type: 'step-started', step: step.id, at: tick(800) },
    { type: 'block-started', ...ids, hash: blockHash(block), log: `logs/${block.id}.1.log`, at: tick(40) },
    { type: 'fleet-planned', ...ids, hosts: plan, at: tick(900) },
  ];
  const batches = Math.max(...plan.map((p) => p.batch));
  let failed = 0;
  for (let batch = 1; batch <= batches; batch++) {
    const inBatch = plan.filter((p) => p.batch === batch).map((p) => p.host);
    events.push({ type: 'hosts-started', ...ids, hosts: inBatch, batch, execution: 1, at: tick(3000) });
    for (const host of inBatch) {
      const k = hosts.indexOf(host) + n * hosts.length;
      const durationMs = 20_000 + ((k * 7919) % 40_000);
      const fails = k % 97 === 0;
      if (fails) failed++;
      events.push({
        type: 'host-finished',
        ...ids,
        host,
        status: fails ? 'failed' : 'ok',
        rc: fails ? 1 : 0,
        ...(fails ? { reason: 'exit 1, expected 0' } : {}),
        tail: hostTail(k),
        durationMs,
        at: tick(200),
      });
    }
  }
  events.push({
    type: 'block-finished',
    ...ids,
    outcome: failed > 0 ? 'warning' : 'success',
    exitCode: null,
    reason: `${hosts.length - failed} of ${hosts.length} hosts ok${failed > 0 ? `, ${failed} failed (within max-fail)` : ''}`,
    attempts: 1,
    durationMs: 600_000 + n,
    at: tick(500),
  });
  if (failed > 0) events.push({ type: 'warning-acknowledged', ...ids, decision: { by: 'jdoe', at: tick(4000) } });
  events.push({ type: 'step-finished', step: step.id, at: tick(200) });
  return events;
}

const dir = values.dir ?? mkdtempSync(join(tmpdir(), 'wm-bench-checkpoint-'));
const file = join(dir, fleetSize ? `fleet-${fleetBlocks}x${fleetHosts}.md` : `generated-${steps}.md`);
const runbook = fleetSize
  ? parseRunbook(
      fleetRunbookText({
        blocks: fleetBlocks,
        pattern: 'computes',
        attrs: 'batch=1,25% max-fail=10%',
        code: 'sudo dnf -y update openstack-nova-compute',
      }),
      file,
    )
  : parseRunbook(runbookText(steps), file);
const hostNames = fleetHostNames(fleetHosts);
const eventsOf = (step, i) => (fleetSize ? fleetStepEvents(step, hostNames, i + 1) : stepEvents(step, i + 1));
let state = initialRunState(runbook, {
  id: '20261120T220000Z-b3c4',
  operator: 'jdoe',
  host: 'deploy-1',
  profile: 'production',
  vars: { DB_SOCKET: '/run/mysqld/mysqld.sock', TARGET: 'mitaka', CONTROLLER: 'ctl-1', DB_PASSWORD: '${DB_PASSWORD}' },
  at: tick(0),
});
const stepCount = runbook.steps.length;
const doneSteps = Math.round(stepCount * doneShare);
runbook.steps.forEach((step, i) => {
  if (i < doneSteps) for (const event of eventsOf(step, i)) state = reduce(state, event);
});
// The events the run goes on with, one per timed pair of writes. With --fleet only host results
// are timed: the events between them are written (and reduced) untimed.
const ahead = runbook.steps.slice(doneSteps).flatMap((step, i) => eventsOf(step, doneSteps + i));
const timedEvent = (event) => !fleetSize || event.type === 'host-finished';
if (fleetSize && ahead.filter(timedEvent).length < warmup + writes) {
  console.error(
    `--fleet ${values.fleet} leaves ${ahead.filter(timedEvent).length} host results to time, fewer than --warmup + --writes (${warmup + writes}): lower --done or --writes`,
  );
  process.exit(2);
}
let next = 0;
const nextEvent = () => (next < ahead.length ? ahead[next++] : { type: 'run-status', status: 'running', at: tick(1000 + next++) });

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
  let event = nextEvent();
  state = reduce(state, event);
  while (!timedEvent(event)) {
    await checkpoint.commit(event, state);
    await checkpoint.compactIfDue(state);
    event = nextEvent();
    state = reduce(state, event);
  }
  // --fleet: waymark's writes alone here, the baseline's after (see the header).
  const order = fleetSize ? ['subject'] : k % 2 === 0 ? ['subject', 'baseline'] : ['baseline', 'subject'];
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
  if (fleetSize) continue;
  const start = performance.now();
  JSON.stringify(state);
  if (k >= warmup) took.stringify.push(performance.now() - start);
}
if (fleetSize) {
  for (let k = 0; k < warmup + writes; k++) {
    const ms = await timed(() => {
      raw.data = state;
      return raw.write();
    });
    const start = performance.now();
    JSON.stringify(state);
    if (k >= warmup) {
      took.baseline.push(ms);
      took.stringify.push(performance.now() - start);
    }
  }
}

// With --fleet: what a snapshot rewrite (every COMPACT_EVERY transitions) of this state costs, apart.
const rewrites = [];
if (fleetSize) {
  for (let i = 0; i < 3; i++) rewrites.push(await timed(() => checkpoint.snapshot(state)));
}

// The files must hold the last state, or the figures time something else.
await checkpoint.close();
const written = await readCheckpoint(subjectPath);
if (
  written.updatedAt !== state.updatedAt ||
  written.steps.length !== stepCount ||
  JSON.stringify(written.steps) !== JSON.stringify(state.steps)
) {
  throw new Error('the checkpoint on disk (snapshot + journal) is not the last state written');
}

const mean = (values) => values.reduce((sum, v) => sum + v, 0) / values.length;
const result = {
  steps: stepCount,
  doneSteps,
  blocks: state.steps.reduce((sum, s) => sum + s.blocks.length, 0),
  ...(fleetSize
    ? {
        fleetBlocks,
        fleetHosts,
        hostRecords: state.steps.reduce((sum, s) => sum + s.blocks.reduce((n, b) => n + (b.hosts?.length ?? 0), 0), 0),
        hostsDone: state.steps.reduce(
          (sum, s) =>
            sum + s.blocks.reduce((n, b) => n + (b.hosts ?? []).filter((h) => h.status !== 'pending' && h.status !== 'running').length, 0),
          0,
        ),
        subjectMean: mean(took.subject),
        slowest: [...took.subject].sort((a, b) => b - a).slice(0, 3),
        snapshotRewrite: stats(rewrites),
        compactEvery: COMPACT_EVERY,
      }
    : {}),
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
