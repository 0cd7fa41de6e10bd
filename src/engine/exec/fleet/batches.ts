/** The rolling plan of a fleet block (`batch=1,5,25%`) and its failure budget (`max-fail=`). */
import type { HostCount } from '../../../runbook/model.js';

/** One batch size as written: a number of hosts, or a percentage of all the block's hosts. */
export type BatchSize = HostCount;

/** A size in hosts, as Ansible's pct_to_int counts it: a percentage rounds down, and is at least 1. */
function hostsIn(size: BatchSize, total: number): number {
  if ('count' in size) return size.count;
  return Math.floor((size.percent / 100) * total) || 1;
}

/**
 * Cut `hosts` into batches like Ansible's `serial`: the sizes in order, the last one repeated until
 * every host is in a batch; a size of 0 (or none given) takes all the hosts left.
 */
export function planBatches(hosts: readonly string[], sizes: readonly BatchSize[]): string[][] {
  if (hosts.length === 0) return [];
  const batches: string[][] = [];
  let next = 0;
  for (let index = 0; next < hosts.length; index++) {
    const size = sizes[Math.min(index, sizes.length - 1)];
    const count = size === undefined ? hosts.length : hostsIn(size, hosts.length);
    const end = count <= 0 ? hosts.length : Math.min(hosts.length, next + count);
    batches.push(hosts.slice(next, end));
    next = end;
  }
  return batches;
}

/**
 * How many of the block's `total` hosts may fail or be unreachable, over all its batches, before the
 * block fails. No `max-fail`: none. A percentage rounds down (10% of 12 hosts is 1).
 */
export function failureBudget(total: number, maxFail: BatchSize | undefined): number {
  if (maxFail === undefined) return 0;
  if ('count' in maxFail) return Math.max(0, maxFail.count);
  return Math.max(0, Math.floor((maxFail.percent / 100) * total));
}
