/** Ending a block's whole process group: SIGTERM, then SIGKILL after a grace period (docs/running.md#how-blocks-run). */
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Grace period between SIGTERM and SIGKILL. */
export const DEFAULT_KILL_GRACE_MS = 5000;

const POLL_MS = 20;
// After SIGKILL the members die at once; only zombies nobody reaps (a container whose init
// does not wait) could keep the group "alive", and they must not keep the run waiting.
const AFTER_KILL_WAIT_MS = 1000;

/** True while any process of the group (id = the leader's pid) is still running. */
export function groupAlive(pgid: number): boolean {
  if (!signalGroup(pgid, 0)) return false;
  return hasLivingMember(pgid);
}

/**
 * kill(-pgid, 0) also succeeds for zombies. Orphans of the block are reparented to init, and an init
 * that does not reap (common in containers) would leave them as zombies forever, making a dead group
 * look alive. On Linux, /proc tells zombies apart; elsewhere we trust kill().
 */
function hasLivingMember(pgid: number): boolean {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    // No /proc (macOS, BSD): kill() already said the group exists.
    return true;
  }
  for (const entry of entries) {
    if (entry.charCodeAt(0) < 48 || entry.charCodeAt(0) > 57) continue;
    const member = statOf(entry);
    if (member !== undefined && member.pgrp === pgid && member.state !== 'Z' && member.state !== 'X') return true;
  }
  return false;
}

function statOf(pid: string): { state: string; pgrp: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // The process ended between readdir and read: it is not a living member.
    return undefined;
  }
  // `pid (comm) state ppid pgrp ...`; comm may itself contain spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', pgrp: Number(fields[2]) };
}

/** Send a signal to every process of the group; false when the group is gone or out of our reach. */
export function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    // Only members running as another user are left (a setuid helper): we may not signal them,
    // and waiting for them would only delay the run.
    if (code === 'EPERM') return false;
    throw error;
  }
}

/**
 * SIGTERM the group, wait up to `graceMs` for it to empty, then SIGKILL what is left.
 * Resolves once the group is gone (or has had its SIGKILL), so nothing of the block outlives the call.
 */
export async function terminateGroup(pgid: number, graceMs: number = DEFAULT_KILL_GRACE_MS): Promise<void> {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  if (await waitForEmpty(pgid, graceMs)) return;
  if (!signalGroup(pgid, 'SIGKILL')) return;
  await waitForEmpty(pgid, AFTER_KILL_WAIT_MS);
}

async function waitForEmpty(pgid: number, withinMs: number): Promise<boolean> {
  const deadline = performance.now() + withinMs;
  while (groupAlive(pgid)) {
    if (performance.now() >= deadline) return false;
    await sleep(POLL_MS);
  }
  return true;
}
