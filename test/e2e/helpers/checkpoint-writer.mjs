// A run's checkpoint writer without the blocks: the engine's RunCheckpoint from the build under
// test, moving STEPS one-block steps to passed as fast as the journal's fsyncs allow, with its
// snapshot every COMPACT_EVERY transitions. Each block fails FAILURES times before it passes, so
// there are many transitions (and compactions) for a checkpoint small enough to read often.
// usage: node checkpoint-writer.mjs DIST_DIR CHECKPOINT_PATH STEPS
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';

const [dist, path, count] = process.argv.slice(2);
const { RunCheckpoint } = await import(pathToFileURL(join(dist, 'engine/checkpoint.js')).href);
const { reduce } = await import(pathToFileURL(join(dist, 'engine/run-state.js')).href);

const at = () => new Date().toISOString();
const steps = Array.from({ length: Number(count) }, (_, i) => ({
  id: `s${i + 1}`,
  title: `Step ${i + 1}`,
  hash: 'h',
  status: 'pending',
  blocks: [{ id: `b${i + 1}`, role: 'run', hash: 'h', status: 'pending', exitCode: null, attempts: 0, executions: 0 }],
  ticked: {},
}));
let state = {
  version: 1,
  runbook: 'race',
  runbookFile: 'race.md',
  title: 'Race',
  run: 'r1',
  operator: 'test',
  host: 'test',
  profile: null,
  startedAt: at(),
  updatedAt: at(),
  status: 'running',
  vars: {},
  steps,
};
// Builds from before issue 10 had only `open`: kept so the race can be shown against them.
const checkpoint = await RunCheckpoint.create(path, state);
const FAILURES = 4;
for (const step of steps) {
  const block = step.blocks[0].id;
  const execution = (n, outcome) => [
    { type: 'block-started', step: step.id, block, hash: 'h', log: `logs/${block}.${n}.log`, at: at() },
    {
      type: 'block-finished',
      step: step.id,
      block,
      outcome,
      exitCode: outcome === 'success' ? 0 : 1,
      attempts: 1,
      durationMs: 1,
      at: at(),
    },
  ];
  const events = [];
  for (let n = 1; n <= FAILURES; n += 1) events.push(...execution(n, 'failure'));
  events.push(...execution(FAILURES + 1, 'success'), { type: 'step-finished', step: step.id, at: at() });
  for (const event of events) {
    state = reduce(state, event);
    await checkpoint.commit(event, state);
    await checkpoint.compactIfDue(state);
  }
}
await checkpoint.snapshot(state);
await checkpoint.close();
