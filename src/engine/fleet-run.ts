/**
 * Running a fleet block: hosts from the inventory, batches from the rolling plan, each batch
 * handed to Ansible, each host's result judged and checkpointed as it arrives. waymark plans the
 * batches itself so that it owns resume: a host that passed is never run again, and a run killed
 * mid-batch finds the hosts that were in flight interrupted (docs/fleet.md).
 */
import type { Block, FleetAttributes } from '../runbook/model.js';
import { judgeProcess, type Outcome } from './exec/expect.js';
import { MATCH_GRACE_MS, patternError, StdoutMatcher } from './exec/match.js';
import type { Masker } from './exec/mask.js';
import type { ProcessResult } from './exec/shell.js';
import { runBatch, type HostResult } from './exec/fleet/ansible.js';
import { matchHosts, readInventory } from './exec/fleet/inventory.js';
import { failureBudget, planBatches } from './fleet.js';
import { isHostDone, isHostFailed, type BlockState, type HostOutcome, type HostState, type RunEvent } from './run-state.js';

/** Lines of a host's output kept in the checkpoint. */
export const HOST_TAIL_LINES = 10;
/** Hosts shown as rows of a fleet block's result (the report and the log have them all). */
export const HOST_ROWS = 50;
/** The columns of a fleet block's result table, as SQL rows are shown. */
export const HOST_COLUMNS = ['host', 'outcome', 'rc', 'output'];

/** Everything a fleet block needs from the session around it. */
export interface FleetContext {
  stepId: string;
  block: Block;
  /** This execution's number (the block's executions count, this one included). */
  execution: number;
  /** The block's checkpointed state now. */
  state(): BlockState;
  /** The inventory file (resolved), or why there is none. */
  inventory: string | { error: string };
  /**
   * Which hosts run: by default those not done; `unreachable` (the answer `retry-hosts`) the
   * unreachable ones alone; a list (the answer `check-hosts`) those of the block's hosts, done or
   * not, or all of its hosts when it targets none of them (see hostsToCheck).
   */
  only?: HostSelection;
  vars: Record<string, string>;
  secretNames: string[];
  masker: Masker;
  shell: string;
  timeoutMs: number;
  /** Where ansible-playbook runs: the runbook's folder. */
  cwd: string;
  signal: AbortSignal;
  killGraceMs?: number;
  /** Apply and checkpoint a transition, with its audit record. */
  dispatch(event: RunEvent, audit: [string, Record<string, unknown>]): Promise<void>;
  /** A line for the block's log (masked). */
  log(line: string): void;
  /** A batch's hosts all have a result (checkpointed): `summary` says which batch and how it went. */
  batchFinished?(summary: string): void;
}

/** Hosts an execution is limited to (see FleetContext.only). */
export type HostSelection = 'unreachable' | string[];

/** How a fleet block's execution ended. */
export type FleetResult =
  | { kind: 'finished'; outcome: Outcome; reason: string; tail: string[]; columns: string[]; rows: string[][]; rowCount: number }
  /** `pause=confirm`, after a batch with batches left. */
  | { kind: 'paused' }
  | { kind: 'canceled' };

/** Run a fleet block's hosts that are not done, batch by batch. Never throws for what Ansible or a host causes. */
export async function runFleet(ctx: FleetContext): Promise<FleetResult> {
  const fleet = ctx.block.attrs.fleet as FleetAttributes;
  const error = (reason: string): FleetResult => finished(ctx, 'error', ctx.masker.mask(reason));
  if (typeof ctx.inventory !== 'string') return error(ctx.inventory.error);
  const inventory = await readInventory(ctx.inventory, { signal: ctx.signal, cwd: ctx.cwd });
  if (ctx.signal.aborted) return { kind: 'canceled' };
  if ('error' in inventory) return error(inventory.error);
  const matched = matchHosts(fleet.hosts, inventory);
  if ('error' in matched) return error(`hosts=${fleet.hosts}: ${matched.error}`);
  if (matched.length === 0) return error(`hosts=${fleet.hosts} matches no host in ${ctx.inventory}`);
  // A batch reaches Ansible as a list of host names, which Ansible reads as patterns: a name with a
  // leading ! or & is an exclusion or an intersection there, which starts from all hosts, so a batch
  // holding it would run on every host of the inventory, unrecorded. Such a host cannot be targeted.
  const operators = matched.filter((host) => host.startsWith('!') || host.startsWith('&'));
  if (operators.length > 0) {
    return error(
      `hosts=${fleet.hosts} matches ${operators.map((host) => JSON.stringify(host)).join(', ')} in ${ctx.inventory}: Ansible reads a host name starting with ! or & as a pattern (an exclusion or an intersection, from all hosts), so a batch with it would run on other hosts too; rename the host in the inventory, or leave it out of hosts=`,
    );
  }

  const planned = planHosts(matched, ctx.state().hosts ?? [], fleet);
  if (!samePlan(planned, ctx.state().hosts ?? [])) {
    await ctx.dispatch({ type: 'fleet-planned', step: ctx.stepId, block: ctx.block.id, hosts: planned, at: now() }, [
      'fleet-planned',
      { step: ctx.stepId, block: ctx.block.id, hosts: planned.length, batches: planned.reduce((max, h) => Math.max(max, h.batch), 0) },
    ]);
  }

  const budget = failureBudget(fleet, planned.length);
  const checking = hostsToCheck(ctx.only, planned, fleet);
  if (checking.note !== undefined) ctx.log(checking.note);
  // What the operator is told: where the check ran when it was not on the hosts asked for.
  const told = (result: FleetResult): FleetResult =>
    checking.note !== undefined && result.kind === 'finished' ? { ...result, reason: `${checking.note}: ${result.reason}` } : result;
  const only = checking.only;
  const batches = batchesToRun(ctx.state().hosts ?? [], only);
  for (const [index, [batch, hosts]] of batches.entries()) {
    if (ctx.signal.aborted) return { kind: 'canceled' };
    await ctx.dispatch(
      { type: 'hosts-started', step: ctx.stepId, block: ctx.block.id, hosts, batch, execution: ctx.execution, at: now() },
      ['hosts-started', { step: ctx.stepId, block: ctx.block.id, batch, targets: hosts }],
    );
    const canceled = await runOneBatch(ctx, batch, hosts);
    if (canceled) return { kind: 'canceled' };
    const hostsNow = ctx.state().hosts ?? [];
    const failed = hostsNow.filter(isHostFailed).length;
    const inBatch = hostsNow.filter((h) => hosts.includes(h.host));
    const total = hostsNow.reduce((max, h) => Math.max(max, h.batch), 0);
    ctx.batchFinished?.(
      `batch ${batch}/${total} of ${ctx.block.id}: ${inBatch.filter((h) => !isHostFailed(h)).length} ok, ${inBatch.filter(isHostFailed).length} failed or unreachable`,
    );
    // A check is a gate: any failed or unreachable host refuses it, and no later batch needs to run.
    if (ctx.block.role === 'check' && failed > 0) return told(verdict(ctx, fleet, budget));
    if (failed > budget) return told(verdict(ctx, fleet, budget, batch));
    if (fleet.pause === 'confirm' && only === undefined && index < batches.length - 1) return { kind: 'paused' };
  }
  const settled = told(verdict(ctx, fleet, budget));
  // An execution limited to some hosts (the unreachable ones retried alone, the interrupted ones
  // checked) leaves the others as they were: a block that stopped over its budget after its canary
  // has hosts that never ran. It has not run everywhere, so it cannot pass yet: it waits, as between
  // batches, for a confirmation of the rest.
  const left = (ctx.state().hosts ?? []).filter((h) => !isHostDone(h) && !isHostFailed(h));
  if (settled.kind === 'finished' && (settled.outcome === 'success' || settled.outcome === 'warning') && left.length > 0)
    return { kind: 'paused' };
  return settled;
}

/**
 * The plan for the hosts the pattern matches now: the recorded plan when the hosts are the same,
 * otherwise hosts already done keep their batches and the others are planned after them.
 */
export function planHosts(matched: string[], recorded: HostState[], fleet: FleetAttributes): { host: string; batch: number }[] {
  const known = new Map(recorded.map((h) => [h.host, h]));
  if (recorded.length === matched.length && matched.every((host) => known.has(host)))
    return recorded.map(({ host, batch }) => ({ host, batch }));
  const done = matched.filter((host) => {
    const record = known.get(host);
    return record !== undefined && isHostDone(record);
  });
  const after = done.reduce((max, host) => Math.max(max, known.get(host)?.batch ?? 0), 0);
  const left = matched.filter((host) => !done.includes(host));
  const plan = new Map<string, number>(done.map((host) => [host, known.get(host)?.batch ?? 1]));
  planBatches(left, fleet.batches).forEach((hosts, i) => {
    for (const host of hosts) plan.set(host, after + i + 1);
  });
  return matched.map((host) => ({ host, batch: plan.get(host) as number })).sort((a, b) => a.batch - b.batch);
}

function samePlan(planned: { host: string; batch: number }[], recorded: HostState[]): boolean {
  return planned.length === recorded.length && planned.every((p, i) => recorded[i]?.host === p.host && recorded[i]?.batch === p.batch);
}

/**
 * The hosts an execution limited to a list (the answer `check-hosts`: the hosts a crash left
 * interrupted in another block) runs on: those of the list this block targets. A check that
 * targets none of them (a check of the computes, in a step that restarts the controllers) would
 * otherwise run nowhere and report its earlier result as a pass now; it runs on all of its own
 * hosts instead, so that what it reports is what it finds now, and `note` says so.
 */
export function hostsToCheck(
  only: HostSelection | undefined,
  planned: { host: string }[],
  fleet: FleetAttributes,
): { only: HostSelection | undefined; note?: string } {
  if (!Array.isArray(only) || planned.some((p) => only.includes(p.host))) return { only };
  const named =
    only.length === 0 ? 'there are none' : only.slice(0, 5).join(', ') + (only.length > 5 ? ` and ${only.length - 5} more` : '');
  return {
    only: planned.map((p) => p.host),
    note: `hosts=${fleet.hosts} targets none of the interrupted hosts (${named}): checked on all ${planned.length} of its own hosts instead`,
  };
}

/** The hosts to run now, by batch in order: those not done, the unreachable ones alone, or the ones named. */
export function batchesToRun(hosts: HostState[], only?: HostSelection): [number, string[]][] {
  const byBatch = new Map<number, string[]>();
  for (const host of hosts) {
    const runs = only === 'unreachable' ? host.status === 'unreachable' : only !== undefined ? only.includes(host.host) : !isHostDone(host);
    if (!runs) continue;
    const list = byBatch.get(host.batch) ?? [];
    list.push(host.host);
    byBatch.set(host.batch, list);
  }
  return [...byBatch.entries()].sort((a, b) => a[0] - b[0]);
}

/** One batch through Ansible; each host's result is judged and checkpointed as it arrives. True when canceled. */
async function runOneBatch(ctx: FleetContext, batch: number, hosts: string[]): Promise<boolean> {
  const fleet = ctx.block.attrs.fleet as FleetAttributes;
  const seen = new Set<string>();
  let writes: Promise<void> = Promise.resolve();
  const finish = (host: string, judged: JudgedHost, durationMs: number): void => {
    seen.add(host);
    writes = writes.then(() => recordHost(ctx, host, judged, durationMs));
  };
  const outcome = await runBatch({
    inventory: ctx.inventory as string,
    hosts,
    batch,
    code: ctx.block.code,
    interpreter: ctx.block.executor === 'python' ? 'python' : 'shell',
    shell: ctx.shell,
    vars: ctx.vars,
    secretNames: ctx.secretNames,
    masker: ctx.masker,
    ...(fleet.forks !== undefined ? { forks: fleet.forks } : {}),
    timeoutMs: ctx.block.attrs.timeoutMs ?? ctx.timeoutMs,
    cwd: ctx.cwd,
    signal: ctx.signal,
    ...(ctx.killGraceMs !== undefined ? { killGraceMs: ctx.killGraceMs } : {}),
    onHostResult: (result) => {
      if (seen.has(result.host) || !hosts.includes(result.host)) return;
      const judging = judgeHost(ctx.block, result, ctx.signal);
      seen.add(result.host);
      writes = writes.then(async () => recordHost(ctx, result.host, await judging, result.durationMs));
    },
    log: ctx.log,
  });
  await writes;
  if (outcome.canceled) return true;
  // Hosts Ansible said nothing about: it timed out, or could not run at all.
  const why = outcome.timedOut
    ? 'the batch timed out before this host reported'
    : `no result from Ansible${outcome.error ? `: ${outcome.error}` : ''}`;
  for (const host of hosts) if (!seen.has(host)) finish(host, { status: 'failed', rc: null, reason: ctx.masker.mask(why), tail: [] }, 0);
  await writes;
  return false;
}

interface JudgedHost {
  status: HostOutcome;
  rc: number | null;
  reason?: string;
  tail: string[];
  warning?: boolean;
}

/** A host's result judged as the block's own expectations judge a local run: `exit=`, `codes=`, `expect=`. */
async function judgeHost(block: Block, result: HostResult, signal: AbortSignal): Promise<JudgedHost> {
  const tail = tailOf(result);
  if (result.status === 'unreachable') return { status: 'unreachable', rc: null, reason: oneLine(result.msg ?? 'unreachable'), tail };
  if (result.status === 'skipped') return { status: 'skipped', rc: null, tail };
  if (result.rc === null) return { status: 'failed', rc: null, reason: oneLine(result.msg ?? 'the host reported no exit code'), tail };
  const process: ProcessResult & { stdoutMatch?: { matched: boolean } | { error: string } } = {
    exitCode: result.rc,
    timedOut: false,
    canceled: false,
    timeoutMs: 0,
    durationMs: result.durationMs,
    stdoutTail: result.stdout.split('\n'),
    stderrTail: result.stderr.split('\n'),
    droppedLines: 0,
  };
  const pattern = block.attrs.expect;
  if (pattern !== undefined) {
    const invalid = patternError(pattern);
    if (invalid !== undefined) process.stdoutMatch = { error: invalid };
    else {
      // The host sent back the end of its stdout only: the matcher never judges that part as the whole.
      const matcher = new StdoutMatcher(pattern, result.stdoutDropped);
      matcher.push(Buffer.from(result.stdout));
      const settled = await matcher.result(MATCH_GRACE_MS, signal);
      process.stdoutMatch = 'match' in settled ? settled.match : { error: 'canceled' };
    }
  }
  const verdict = judgeProcess(block, process);
  if (verdict.outcome === 'success') return { status: 'ok', rc: result.rc, tail };
  if (verdict.outcome === 'warning') return { status: 'ok', rc: result.rc, reason: `warning: ${verdict.reason}`, tail, warning: true };
  return { status: 'failed', rc: result.rc, reason: verdict.reason, tail };
}

async function recordHost(ctx: FleetContext, host: string, judged: JudgedHost, durationMs: number): Promise<void> {
  const event: RunEvent = {
    type: 'host-finished',
    step: ctx.stepId,
    block: ctx.block.id,
    host,
    status: judged.status,
    rc: judged.rc,
    tail: judged.tail,
    durationMs: Math.round(durationMs),
    at: now(),
  };
  if (judged.reason !== undefined) event.reason = ctx.masker.mask(judged.reason);
  await ctx.dispatch(event, [
    'host-finished',
    {
      step: ctx.stepId,
      block: ctx.block.id,
      target: host,
      status: judged.status,
      rc: judged.rc,
      reason: event.reason ?? null,
      durationMs: event.durationMs,
    },
  ]);
}

/** The block's verdict from its hosts. `stoppedAt`: the batch after which the budget ran out. */
function verdict(ctx: FleetContext, fleet: FleetAttributes, budget: number, stoppedAt?: number): FleetResult {
  const hosts = ctx.state().hosts ?? [];
  const failed = hosts.filter(isHostFailed);
  const batches = hosts.reduce((max, h) => Math.max(max, h.batch), 0);
  const named = failed
    .slice(0, 5)
    .map((h) => `${h.host} (${h.status === 'unreachable' ? 'unreachable' : (h.reason ?? 'failed')})`)
    .join(', ');
  const more = failed.length > 5 ? ` and ${failed.length - 5} more` : '';
  if (failed.length > 0 && ctx.block.role === 'check') {
    return finished(ctx, 'failure', `${failed.length} of ${hosts.length} hosts failed or were unreachable: ${named}${more}`);
  }
  if (failed.length > budget) {
    const where = stoppedAt !== undefined && stoppedAt < batches ? `; stopped after batch ${stoppedAt}/${batches}` : '';
    return finished(
      ctx,
      'failure',
      `${failed.length} of ${hosts.length} hosts failed or were unreachable, over the failure budget of ${budget}${fleet.maxFail ? ` (max-fail=${describeCount(fleet.maxFail)})` : ''}${where}: ${named}${more}`,
    );
  }
  if (failed.length > 0) {
    return finished(
      ctx,
      'warning',
      `${failed.length} of ${hosts.length} hosts failed or were unreachable, within the failure budget of ${budget}: ${named}${more}`,
    );
  }
  const warned = hosts.filter((h) => h.reason?.startsWith('warning:'));
  if (warned.length > 0)
    return finished(
      ctx,
      'warning',
      `${warned.length} of ${hosts.length} hosts ended with a warning: ${warned
        .slice(0, 5)
        .map((h) => h.host)
        .join(', ')}`,
    );
  return finished(ctx, 'success', `${hosts.length} hosts ok`);
}

function finished(ctx: FleetContext, outcome: Outcome, reason: string): FleetResult {
  const hosts = ctx.state().hosts ?? [];
  // The hosts that need attention first, as a refused SQL check shows its rows.
  const order = (h: HostState): number => (isHostFailed(h) ? 0 : h.status === 'interrupted' ? 1 : isHostDone(h) ? 3 : 2);
  const sorted = [...hosts].sort((a, b) => order(a) - order(b));
  const rows = sorted
    .slice(0, HOST_ROWS)
    .map((h) => [h.host, h.status, h.rc === undefined || h.rc === null ? '' : String(h.rc), h.reason ?? h.tail?.[h.tail.length - 1] ?? '']);
  const tail = sorted
    .filter((h) => !isHostDone(h))
    .slice(0, 15)
    .map((h) => `${h.host}: ${h.status}${h.reason ? ` (${h.reason})` : ''}`);
  return {
    kind: 'finished',
    outcome,
    reason,
    tail,
    columns: hosts.length > 0 ? HOST_COLUMNS : [],
    rows: hosts.length > 0 ? rows : [],
    rowCount: hosts.length,
  };
}

function describeCount(count: { count: number } | { percent: number }): string {
  return 'count' in count ? String(count.count) : `${count.percent}%`;
}

function tailOf(result: HostResult): string[] {
  const lines = [...result.stdout.split('\n'), ...result.stderr.split('\n')].filter((line) => line !== '');
  return lines.slice(-HOST_TAIL_LINES);
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

function now(): string {
  return new Date().toISOString();
}
