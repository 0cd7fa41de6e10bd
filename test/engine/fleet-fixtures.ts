/**
 * Fleet block states for the faces' tests (grid, headless lines, status, reports), built as a run
 * builds them: a parsed runbook with a fleet block, then the events fleet-run dispatches
 * (fleet-planned, hosts-started, host-finished) through the real `reduce`.
 */
import { writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { Runbook } from '../../src/runbook/model.js';
import { loadRunbook } from '../../src/runbook/load.js';
import { RunCheckpoint } from '../../src/engine/checkpoint.js';
import { claimRunbookState } from '../../src/engine/state-folder.js';
import { blockHash, initialRunState } from '../../src/engine/reconcile.js';
import { runPaths } from '../../src/state/layout.js';
import { writeCurrentRun } from '../../src/state/current.js';
import { parseRunbook } from '../../src/runbook/parse.js';
import { reduce, type HostOutcome, type RunEvent, type RunState } from '../../src/engine/run-state.js';
import { AT, sh, stateAfter } from './fixtures.js';

/** A runbook whose step `computes` has the fleet block `upgrade` (a canary, then batches of 3, 3 may fail), and a local check. */
export const FLEET_MD = [
  '---',
  'title: Computes',
  'id: computes-book',
  '---',
  '# Computes',
  '## Upgrade the computes {#computes}',
  'Upgrade nova-compute, a canary first.',
  '',
  ...sh('run name=upgrade hosts=computes batch=1,3 max-fail=3', 'apt-get install -y nova-compute'),
  '- [ ] The canary serves instances again',
  '## Look {#look}',
  ...sh('check name=services', 'true'),
].join('\n');

export const FLEET_BOOK = parseRunbook(`${FLEET_MD}\n`, '/tmp/book.md');

/** A host's result as fleet-run dispatches it. */
export function hostFinished(
  host: string,
  status: HostOutcome,
  rc: number | null,
  extra: { reason?: string; tail?: string[]; durationMs?: number; at?: string } = {},
): RunEvent {
  const { durationMs = 1200, at = AT, ...rest } = extra;
  return { type: 'host-finished', step: 'computes', block: 'upgrade', host, status, rc, durationMs, at, ...rest };
}

export const hostsStarted = (batch: number, ...hosts: string[]): RunEvent => ({
  type: 'hosts-started',
  step: 'computes',
  block: 'upgrade',
  hosts,
  batch,
  execution: 1,
  at: AT,
});

/** The block started on `hosts` (of `runbook`, FLEET_MD parsed), planned as the canary then batches of `size`. */
export function fleetStart(hosts: string[], size: number, runbook: Runbook = FLEET_BOOK): RunEvent[] {
  const planned = hosts.map((host, i) => ({ host, batch: i === 0 ? 1 : 2 + Math.floor((i - 1) / size) }));
  const block = runbook.steps[0]!.blocks.find((b) => b.id === 'upgrade')!;
  return [
    { type: 'block-started', step: 'computes', block: 'upgrade', hash: blockHash(block), log: 'logs/upgrade.1.log', at: AT },
    { type: 'fleet-planned', step: 'computes', block: 'upgrade', hosts: planned, at: AT },
  ];
}

/** The run after the block started on `hosts` (fleetStart), and `events`. */
export function fleetRun(hosts: string[], size: number, ...events: RunEvent[]): RunState {
  return stateAfter(FLEET_BOOK, ...fleetStart(hosts, size), ...events);
}

export const TWELVE = Array.from({ length: 12 }, (_, i) => `cmp-${String(i + 1).padStart(2, '0')}`);

/** Twelve hosts: the canary passed; batch 2 ran (one ok, one failed, one unreachable); batch 3 runs. */
export function twelveHosts(): RunState {
  return fleetRun(TWELVE, 3, ...twelveEvents());
}

/** What twelveHosts adds after the block started. */
export function twelveEvents(): RunEvent[] {
  return [
    hostsStarted(1, 'cmp-01'),
    hostFinished('cmp-01', 'ok', 0),
    hostsStarted(2, 'cmp-02', 'cmp-03', 'cmp-04'),
    hostFinished('cmp-02', 'ok', 0),
    hostFinished('cmp-03', 'failed', 1, {
      reason: 'exit 1, expected 0',
      tail: ['Reading package lists...', 'E: nova-compute 29.0 conflicts with python3-nova 27.1'],
    }),
    hostFinished('cmp-04', 'unreachable', null, { reason: 'ssh: connect to host 127.0.0.5 port 2222: Connection refused' }),
    hostsStarted(3, 'cmp-05', 'cmp-06', 'cmp-07'),
  ];
}

/**
 * FLEET_MD written to `file`, and a run of it checkpointed in `stateDir` as a session writes one
 * (snapshot, journal, current-run pointer) after fleetStart(TWELVE, 3) and `events`; no lock is
 * held, so it reads as a run that died mid-batch.
 */
export async function checkpointFleetRun(file: string, stateDir: string, events: RunEvent[] = twelveEvents()): Promise<void> {
  writeFileSync(file, `${FLEET_MD}\n`);
  const runbook = await loadRunbook(file);
  const { book } = await claimRunbookState(stateDir, runbook);
  const paths = runPaths(book, 'run-1');
  await mkdir(paths.logs, { recursive: true });
  let state: RunState = initialRunState(runbook, { id: 'run-1', operator: 'alice', host: 'host', profile: null, vars: {}, at: AT });
  const checkpoint = await RunCheckpoint.create(paths.checkpoint, state);
  for (const event of [...fleetStart(TWELVE, 3, runbook), ...events]) {
    state = reduce(state, event);
    await checkpoint.commit(event, state);
  }
  await checkpoint.close();
  await writeCurrentRun(book.current, 'run-1');
}
