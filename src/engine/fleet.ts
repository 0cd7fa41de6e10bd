/**
 * What a fleet block's hosts add up to: counts, batches and the failure budget. Pure functions of
 * the checkpointed host records, so the engine, the TUI, headless output and the reports all say
 * the same thing about a fleet.
 */
import { dirname, resolve } from 'node:path';
import type { Block, FleetAttributes, Runbook, Step } from '../runbook/model.js';
import { interpolate } from '../runbook/connection.js';
import { failureBudget as budgetOf, planBatches } from './exec/fleet/batches.js';
import { isHostDone, isHostFailed, type HostState, type HostStatus } from './run-state.js';

/** Hosts by status. */
export type HostCounts = Record<HostStatus, number>;

/** Where a fleet block stands, for showing and deciding. */
export interface FleetSummary {
  total: number;
  counts: HostCounts;
  /** Batches in the rolling plan, and how many have every host done. */
  batches: number;
  batchesDone: number;
  /** The batch that runs next (1-based), or null when no host is left to run. */
  nextBatch: number | null;
  /** Hosts that may fail or be unreachable across the block, and how many have. */
  budget: number;
  failed: number;
  /** The hosts of the last batch that ran, for the confirmation between batches. */
  lastBatch: { batch: number; hosts: HostState[] } | null;
}

const STATUSES: readonly HostStatus[] = ['pending', 'running', 'ok', 'failed', 'unreachable', 'skipped', 'interrupted', 'marked-done'];

/** Hosts that may fail or be unreachable across the whole block: `max-fail=`, none when absent. */
export function failureBudget(fleet: FleetAttributes, total: number): number {
  return budgetOf(total, fleet.maxFail);
}

// The rolling plan is cut as Ansible's `serial` cuts it (exec/fleet/batches.ts).
export { planBatches };

export function countHosts(hosts: readonly HostState[]): HostCounts {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0])) as HostCounts;
  for (const host of hosts) counts[host.status] += 1;
  return counts;
}

export function summarizeFleet(fleet: FleetAttributes, hosts: readonly HostState[]): FleetSummary {
  const batches = hosts.reduce((max, h) => Math.max(max, h.batch), 0);
  let batchesDone = 0;
  let nextBatch: number | null = null;
  for (let batch = 1; batch <= batches; batch++) {
    const inBatch = hosts.filter((h) => h.batch === batch);
    if (inBatch.every(isHostDone)) batchesDone += 1;
    else if (nextBatch === null && inBatch.some((h) => !isHostDone(h))) nextBatch = batch;
  }
  const ran = hosts.filter((h) => h.execution !== undefined);
  const lastExecution = ran.reduce((max, h) => Math.max(max, h.execution ?? 0), 0);
  const lastHosts = ran.filter((h) => h.execution === lastExecution);
  const lastBatchNumber = lastHosts.reduce((max, h) => Math.max(max, h.batch), 0);
  return {
    total: hosts.length,
    counts: countHosts(hosts),
    batches,
    batchesDone,
    nextBatch,
    budget: failureBudget(fleet, hosts.length),
    failed: hosts.filter(isHostFailed).length,
    lastBatch: lastHosts.length > 0 ? { batch: lastBatchNumber, hosts: lastHosts.filter((h) => h.batch === lastBatchNumber) } : null,
  };
}

/** One line for the counts, in a fixed order, leaving out zeros: "9 ok, 1 failed, 1 unreachable, 1 pending". */
export function describeCounts(counts: HostCounts): string {
  const order: HostStatus[] = ['ok', 'failed', 'unreachable', 'interrupted', 'running', 'pending', 'skipped', 'marked-done'];
  const parts = order.filter((s) => counts[s] > 0).map((s) => `${counts[s]} ${s}`);
  return parts.length > 0 ? parts.join(', ') : 'no hosts';
}

/** The step's fleet checks: what `check-hosts` runs on the hosts a crash left interrupted. */
export function fleetChecksOf(step: Step): Block[] {
  return step.blocks.filter((b) => b.role === 'check' && b.executor !== null && b.attrs.fleet !== undefined);
}

/**
 * The Ansible inventory fleet blocks run against: `--inventory` (relative to where waymark was
 * started), else the profile's `inventory:`, else the front matter's (with its variables), both
 * relative to the file that declares them. The run and the preflight both ask here.
 */
export function inventoryFor(
  runbook: Runbook,
  profile: string | null,
  values: Record<string, string>,
  flag?: string,
): string | { error: string } {
  if (flag !== undefined) return resolve(flag);
  const decl = runbook.inventory;
  const written = (profile !== null ? decl?.byProfile[profile] : undefined) ?? decl?.path;
  if (!decl || written === undefined) {
    return {
      error: `no inventory for fleet blocks: give --inventory FILE, or name one with inventory: in the front matter${profile ? ` or in profile ${profile}` : ''} of ${runbook.file}`,
    };
  }
  return resolve(dirname(resolve(decl.file)), interpolate(written, values));
}
