/**
 * Headless lines for a fleet block's hosts: one line per host result as it arrives, so that a
 * rehearsal's log says which hosts passed while the batch still runs. Every field is one line of
 * inert text (a host name or a reason from outside cannot start a line of its own), and the
 * reason and output are the engine's masked ones.
 */
import type { HostState } from '../engine/run-state.js';
import { formatDuration } from '../runbook/duration.js';
import { displayLine } from '../runbook/inert.js';

/** Host names are padded to the longest of the block's, up to this, so that the columns line up. */
const NAME_PAD = 24;

/** The column width for a block's host names. */
export function hostNameWidth(hosts: readonly { host: string }[]): number {
  return Math.min(NAME_PAD, Math.max(0, ...hosts.map((h) => [...displayLine(h.host)].length)));
}

/**
 * `   cmp-03  failed       rc=1  batch 2  1.2s  exit 1, expected 0`: the host, its status, its exit
 * code, its batch, how long it took and, when it did not pass, why (else its last line of output).
 */
export function hostLine(host: HostState, nameWidth = 0): string {
  const rc = host.rc === undefined || host.rc === null ? 'rc=-' : `rc=${host.rc}`;
  const took = host.durationMs !== undefined ? formatDuration(host.durationMs) : '';
  const why = host.reason ?? (host.status === 'ok' ? '' : (host.tail?.[host.tail.length - 1] ?? ''));
  const fields = [displayLine(host.host).padEnd(nameWidth), host.status.padEnd(11), rc.padEnd(6), `batch ${host.batch}`, took];
  return `   ${fields.join('  ').trimEnd()}${why ? `  ${displayLine(why)}` : ''}`;
}

/** With `--output`: the host's line, then the last lines of its output, each marked with the host. */
export function hostLines(host: HostState, nameWidth: number, withOutput: boolean): string[] {
  const lines = [hostLine(host, nameWidth)];
  if (withOutput) for (const line of host.tail ?? []) lines.push(`   | ${displayLine(host.host)}: ${displayLine(line)}`);
  return lines;
}
