/**
 * The state of one run, as checkpointed, and the pure reducer that moves it on.
 * Every transition the orchestrator makes goes through `reduce`, so the rules for what a
 * decision does to a step live here and nowhere else.
 */

import type { Baseline, Deviation } from './baseline.js';

/** Status of a step, as `status --json` reports it. */
export type StepStatus = 'pending' | 'running' | 'passed' | 'failed' | 'refused' | 'skipped' | 'overridden' | 'waiting' | 'interrupted';

/** Status of a block. `warning` waits for an acknowledgement; `acknowledged` has had it. */
export type BlockStatus =
  | 'pending'
  | 'running'
  | 'passed'
  | 'failed'
  | 'refused'
  | 'warning'
  | 'acknowledged'
  | 'overridden'
  | 'interrupted'
  /** A fleet block with `pause=confirm` between two batches: the next batch waits for a confirmation. */
  | 'paused';

/** Where one host of a fleet block stands. `marked-done`: interrupted, and the operator said it was done. */
export type HostStatus = 'pending' | 'running' | 'ok' | 'failed' | 'unreachable' | 'skipped' | 'interrupted' | 'marked-done';

/** What a host's execution came to, as Ansible reported it and waymark judged it. */
export type HostOutcome = 'ok' | 'failed' | 'unreachable' | 'skipped';

/** One host of a fleet block, checkpointed as its result arrives. */
export interface HostState {
  host: string;
  /** The batch of the block's rolling plan it belongs to (1-based). */
  batch: number;
  status: HostStatus;
  rc?: number | null;
  /** Why it failed, in one line (masked). */
  reason?: string;
  /** The last lines of its output (masked, bounded). */
  tail?: string[];
  /** The block execution it last ran in. */
  execution?: number;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  markedDone?: Decision;
}

/** Hosts that count as done: they are never run again in this run. */
export function isHostDone(host: HostState): boolean {
  return host.status === 'ok' || host.status === 'skipped' || host.status === 'marked-done';
}

/** Hosts that count against a fleet block's failure budget. */
export function isHostFailed(host: HostState): boolean {
  return host.status === 'failed' || host.status === 'unreachable';
}

/** Status of the whole run. */
export type RunStatus = 'running' | 'complete' | 'failed' | 'refused' | 'waiting' | 'interrupted' | 'abandoned';

/** Outcome of one block execution, after expectations (oslo.upgradecheck's three plus error). */
export type Outcome = 'success' | 'warning' | 'failure' | 'error';

/** Who decided something, when, and whether a flag decided it for them. */
export interface Decision {
  by: string;
  at: string;
  reason?: string;
  automatic?: boolean;
}

/** What one execution of a block came to: a line of its history. */
export interface Execution {
  /** 1 for the block's first execution in this run, and so on (its log file carries the same number). */
  execution: number;
  /** `interrupted` when it was cut short (cancelled, killed, or the session died under it). */
  outcome: Outcome | 'interrupted' | 'running';
  exitCode: number | null;
  reason?: string;
  /** Tries inside this execution (a verify block's retries). */
  attempts: number;
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  /** The operator's yes to run it, for `confirm` blocks and rollbacks. */
  confirmed?: Decision;
}

/** Executions a block keeps in its history: its first and its latest ones are what a report needs. */
export const HISTORY_LIMIT = 20;

/** One block's checkpointed state. */
export interface BlockState {
  id: string;
  role: string;
  /** Hash of the block's content when it last ran; drift compares against it. */
  hash: string;
  status: BlockStatus;
  exitCode: number | null;
  outcome?: Outcome;
  /** Why it failed or warned, in one line (masked). */
  reason?: string;
  attempts: number;
  /** Executions so far in this run (each gets its own log file). */
  executions: number;
  /** Log file of the last execution, relative to the run folder. */
  log?: string;
  /** Last lines of output of the last execution (masked, bounded). */
  tail?: string[];
  /** SQL: column names and the first rows of the last result (masked, bounded). */
  columns?: string[];
  rows?: string[][];
  rowCount?: number;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  acknowledged?: Decision;
  override?: Decision;
  markedDone?: Decision;
  /**
   * Every execution in this run with its outcome, oldest first, so that a check refused and then
   * fixed reads as both. Bounded: past HISTORY_LIMIT the oldest entries beyond the first go
   * (`executions` still counts them all).
   */
  history?: Execution[];
  /** A fleet block's hosts, in the order of its rolling plan (see docs/fleet.md). */
  hosts?: HostState[];
  /** How its last result departs from the rehearsal's (`--baseline`): its warning needs an acknowledgement. */
  deviation?: Deviation;
  /** `approve=` blocks: the approvals given by other operators (`waymark approve`), each for one content hash. */
  approvals?: Approval[];
}

/** One operator's approval of a block's exact resolved content (engine/approval.ts). */
export interface Approval {
  by: string;
  at: string;
  /** The block's resolved content hash the approval names: it counts only while the block still has it. */
  hash: string;
}

/** One step's checkpointed state. */
export interface StepState {
  id: string;
  title: string;
  hash: string;
  status: StepStatus;
  blocks: BlockState[];
  /** Ticked checklist items by item id. */
  ticked: Record<string, Decision>;
  confirmed?: Decision;
  skipped?: Decision;
  /** Block executions in this step that failed, refused or errored (even if a retry passed later). */
  failures?: number;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
}

/** The checkpoint of a run. */
export interface RunState {
  version: 1;
  runbook: string;
  runbookFile: string;
  title: string;
  run: string;
  operator: string;
  host: string;
  profile: string | null;
  /**
   * The `--inventory` the run was started with (resolved), or null when it was started without one
   * (its fleet blocks use the runbook's own inventory). Fixed at the start like the profile: a fleet
   * block's hosts are known by name only, so hosts done against one inventory must not count as
   * done against another. Absent from the checkpoints of older waymarks.
   */
  inventory?: string | null;
  startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  status: RunStatus;
  /** Non-secret variable values the run used; secrets appear by name only. */
  vars: Record<string, string>;
  /**
   * A keyed digest (HMAC with the audit key) of each secret's value at the run's start: a resume
   * can tell that a secret changed without the value being stored anywhere.
   */
  secretDigests?: Record<string, string>;
  steps: StepState[];
  /** Values blocks captured (`capture=NAME`, docs/capture.md), by name: variables of the blocks after them. */
  captures?: Record<string, CapturedValue>;
  /** Where the audit trail ended at the last checkpoint, so `audit --verify` notices records cut from its end. */
  auditHead?: { seq: number; lineHash: string };
  /** The last journal entry this state includes (see engine/checkpoint.ts). */
  journalSeq?: number;
  /** Bytes of the journal this state includes: readers replay only what follows. */
  journalBytes?: number;
  /** The rehearsal's figures chosen at the run's start (`--baseline`, docs/baseline.md). */
  baseline?: Baseline;
}

/** A value a block captured. A secret one is kept as a keyed digest only, never in clear. */
export interface CapturedValue {
  step: string;
  block: string;
  /** The value; absent for a secret. */
  value?: string;
  secret: boolean;
  /** HMAC (audit key) of a secret value: tells whether a new capture of it differs. */
  digest?: string;
  at: string;
}

/** Everything that can happen to a run. */
export type RunEvent =
  | { type: 'step-started'; step: string; at: string }
  | { type: 'block-started'; step: string; block: string; hash: string; log: string; at: string; confirmed?: Decision }
  | {
      type: 'block-finished';
      step: string;
      block: string;
      outcome: Outcome;
      exitCode: number | null;
      reason?: string;
      attempts: number;
      tail?: string[];
      columns?: string[];
      rows?: string[][];
      rowCount?: number;
      durationMs: number;
      at: string;
      /** The result departs from the rehearsal's: the outcome is then `warning`. */
      deviation?: Deviation;
      /** The block's `capture=`, taken with its end so that the two are never apart. */
      capture?: { name: string; captured: CapturedValue };
    }
  | { type: 'block-interrupted'; step: string; block: string; at: string }
  /** A fleet block's hosts and their batches, as planned for this execution; hosts already done keep their records. */
  | { type: 'fleet-planned'; step: string; block: string; hosts: { host: string; batch: number }[]; at: string }
  | { type: 'hosts-started'; step: string; block: string; hosts: string[]; batch: number; execution: number; at: string }
  | {
      type: 'host-finished';
      step: string;
      block: string;
      host: string;
      status: HostOutcome;
      rc: number | null;
      reason?: string;
      tail?: string[];
      durationMs: number;
      at: string;
    }
  /** A `pause=confirm` fleet block after a batch, with batches left: the next one waits for a confirmation. */
  | { type: 'block-paused'; step: string; block: string; at: string }
  | { type: 'warning-acknowledged'; step: string; block: string; decision: Decision }
  | { type: 'check-overridden'; step: string; block: string; decision: Decision }
  | { type: 'interrupted-marked-done'; step: string; block: string; decision: Decision }
  | { type: 'item-ticked'; step: string; item: string; decision: Decision }
  | { type: 'item-unticked'; step: string; item: string }
  | { type: 'step-confirmed'; step: string; decision: Decision }
  | { type: 'step-skipped'; step: string; decision: Decision }
  | { type: 'step-finished'; step: string; at: string }
  | { type: 'block-reset'; step: string; block: string; hash: string }
  /** Another operator approved an `approve=` block (engine/approval.ts); the same approval twice is one. */
  | { type: 'block-approved'; step: string; block: string; approval: Approval }
  | { type: 'run-status'; status: RunStatus; at: string }
  /** The run's baseline, chosen at its start. */
  | { type: 'baseline-chosen'; baseline: Baseline; at: string };

/** Status of a block after an outcome, given its role: a failing check refuses, anything else fails. */
export function statusForOutcome(outcome: Outcome, role: string): BlockStatus {
  if (outcome === 'success') return 'passed';
  if (outcome === 'warning') return 'warning';
  return role === 'check' ? 'refused' : 'failed';
}

/** Blocks that count as done for moving on. */
export function isBlockDone(block: BlockState): boolean {
  return block.status === 'passed' || block.status === 'acknowledged' || block.status === 'overridden';
}

/** Steps that count as done for moving on. */
export function isStepDone(step: StepState): boolean {
  return step.status === 'passed' || step.status === 'skipped' || step.status === 'overridden';
}

function updateStep(state: RunState, stepId: string, change: (step: StepState) => StepState): RunState {
  const index = state.steps.findIndex((s) => s.id === stepId);
  if (index === -1) return state;
  const steps = state.steps.slice();
  steps[index] = change(steps[index] as StepState);
  return { ...state, steps };
}

function updateBlock(state: RunState, stepId: string, blockId: string, change: (block: BlockState) => BlockState): RunState {
  return updateStep(state, stepId, (step) => ({
    ...step,
    blocks: step.blocks.map((b) => (b.id === blockId ? change(b) : b)),
  }));
}

/** A step's status from its blocks, once something happened to one of them. */
function stepStatusFromBlocks(step: StepState): StepStatus {
  if (step.blocks.some((b) => b.status === 'running')) return 'running';
  if (step.blocks.some((b) => b.status === 'interrupted')) return 'interrupted';
  if (step.blocks.some((b) => b.status === 'refused')) return 'refused';
  if (step.blocks.some((b) => b.status === 'failed')) return 'failed';
  if (step.blocks.some((b) => b.status === 'warning' || b.status === 'paused')) return 'waiting';
  return step.status === 'pending' ? 'pending' : 'running';
}

function withStepStatus(step: StepState): StepState {
  if (isStepDone(step)) return step;
  return { ...step, status: stepStatusFromBlocks(step) };
}

/** `history` with `entry` added, keeping the first execution and the latest ones. */
function withExecution(history: Execution[] | undefined, entry: Execution): Execution[] {
  const next = [...(history ?? []), entry];
  return next.length > HISTORY_LIMIT ? [next[0] as Execution, ...next.slice(next.length - HISTORY_LIMIT + 1)] : next;
}

/** `history` with its last (running) execution closed by `change`. */
function closeExecution(history: Execution[] | undefined, change: Partial<Execution>): Execution[] | undefined {
  const last = history?.[history.length - 1];
  if (!history || !last || last.outcome !== 'running') return history;
  return [...history.slice(0, -1), { ...last, ...change }];
}

/**
 * A block cut short at `at`: by a cancel or a signal (block-interrupted), or found running when a
 * session resumes after waymark died (reconcile). Its execution's history entry says so.
 */
export function interruptBlock(block: BlockState, at: string): BlockState {
  const history = closeExecution(block.history, { outcome: 'interrupted', finishedAt: at });
  const hosts = block.hosts?.map((host) =>
    host.status === 'running' ? { ...host, status: 'interrupted' as const, finishedAt: at } : host,
  );
  return { ...block, status: 'interrupted', finishedAt: at, ...(history ? { history } : {}), ...(hosts ? { hosts } : {}) };
}

/**
 * An interrupted block the operator says was done. For a fleet block that is its interrupted
 * hosts: the block passes when no host is left to run, and otherwise waits to run the rest.
 */
function markDone(block: BlockState, decision: Decision): BlockState {
  if (!block.hosts) return { ...block, status: 'passed', markedDone: decision };
  const hosts = block.hosts.map((host) =>
    host.status === 'interrupted' || host.status === 'running' ? { ...host, status: 'marked-done' as const, markedDone: decision } : host,
  );
  const left = hosts.some((host) => !isHostDone(host));
  return { ...block, hosts, status: left ? 'pending' : 'passed', markedDone: decision };
}

/** The pure transition function. Unknown steps or blocks leave the state as it was. */
export function reduce(state: RunState, event: RunEvent): RunState {
  switch (event.type) {
    case 'step-started':
      return updateStep(state, event.step, (step) => ({ ...step, status: 'running', startedAt: step.startedAt ?? event.at }));
    case 'block-started': {
      const next = updateBlock(state, event.step, event.block, (block) => ({
        ...block,
        hash: event.hash,
        status: 'running',
        executions: block.executions + 1,
        log: event.log,
        startedAt: event.at,
        history: withExecution(block.history, {
          execution: block.executions + 1,
          outcome: 'running',
          exitCode: null,
          attempts: 0,
          startedAt: event.at,
          ...(event.confirmed ? { confirmed: event.confirmed } : {}),
        }),
      }));
      return updateStep({ ...next, status: 'running', updatedAt: event.at }, event.step, (step) => ({
        ...step,
        status: 'running',
        startedAt: step.startedAt ?? event.at,
      }));
    }
    case 'block-finished': {
      const next = updateBlock(state, event.step, event.block, (block) => {
        const finished: BlockState = {
          ...block,
          status: statusForOutcome(event.outcome, block.role),
          outcome: event.outcome,
          exitCode: event.exitCode,
          attempts: event.attempts,
          finishedAt: event.at,
          durationMs: event.durationMs,
        };
        for (const key of ['reason', 'tail', 'columns', 'rows', 'rowCount', 'deviation'] as const) delete finished[key];
        if (event.deviation !== undefined) finished.deviation = event.deviation;
        if (event.reason !== undefined) finished.reason = event.reason;
        if (event.tail !== undefined) finished.tail = event.tail;
        if (event.columns !== undefined) finished.columns = event.columns;
        if (event.rows !== undefined) finished.rows = event.rows;
        if (event.rowCount !== undefined) finished.rowCount = event.rowCount;
        const history = closeExecution(block.history, {
          outcome: event.outcome,
          exitCode: event.exitCode,
          attempts: event.attempts,
          finishedAt: event.at,
          durationMs: event.durationMs,
          ...(event.reason !== undefined ? { reason: event.reason } : {}),
        });
        if (history) finished.history = history;
        return finished;
      });
      const failed = event.outcome === 'failure' || event.outcome === 'error';
      const captures = event.capture ? { captures: { ...state.captures, [event.capture.name]: event.capture.captured } } : {};
      return updateStep({ ...next, ...captures, updatedAt: event.at }, event.step, (step) =>
        withStepStatus(failed ? { ...step, failures: (step.failures ?? 0) + 1 } : step),
      );
    }
    case 'fleet-planned':
      return updateBlock(state, event.step, event.block, (block) => {
        const known = new Map((block.hosts ?? []).map((host) => [host.host, host]));
        const hosts = event.hosts.map(({ host, batch }): HostState => {
          const before = known.get(host);
          return before && isHostDone(before) ? before : { ...before, host, batch, status: before?.status ?? 'pending' };
        });
        return { ...block, hosts };
      });
    case 'hosts-started': {
      const started = new Set(event.hosts);
      return updateBlock({ ...state, updatedAt: event.at }, event.step, event.block, (block) => ({
        ...block,
        hosts: block.hosts?.map((host) => {
          if (!started.has(host.host)) return host;
          const { reason: _reason, tail: _tail, rc: _rc, durationMs: _duration, finishedAt: _finished, ...rest } = host;
          return { ...rest, status: 'running', execution: event.execution, startedAt: event.at };
        }),
      }));
    }
    case 'host-finished':
      return updateBlock({ ...state, updatedAt: event.at }, event.step, event.block, (block) => ({
        ...block,
        hosts: block.hosts?.map((host) => {
          if (host.host !== event.host) return host;
          const finished: HostState = { ...host, status: event.status, rc: event.rc, finishedAt: event.at, durationMs: event.durationMs };
          delete finished.reason;
          delete finished.tail;
          if (event.reason !== undefined) finished.reason = event.reason;
          if (event.tail !== undefined) finished.tail = event.tail;
          return finished;
        }),
      }));
    case 'block-paused': {
      const next = updateBlock(state, event.step, event.block, (block) => {
        const history = closeExecution(block.history, { outcome: 'success', finishedAt: event.at, reason: 'paused between batches' });
        // What an earlier execution ended with (a block that stopped over its budget, whose unreachable
        // hosts were then retried alone) is not why it waits now: its hosts and history say what happened.
        const { reason: _reason, outcome: _outcome, tail: _tail, columns: _columns, rows: _rows, rowCount: _rowCount, ...rest } = block;
        return { ...rest, status: 'paused', finishedAt: event.at, ...(history ? { history } : {}) };
      });
      return updateStep({ ...next, updatedAt: event.at }, event.step, withStepStatus);
    }
    case 'block-interrupted': {
      const next = updateBlock(state, event.step, event.block, (block) => interruptBlock(block, event.at));
      return updateStep({ ...next, status: 'interrupted', updatedAt: event.at }, event.step, withStepStatus);
    }
    case 'warning-acknowledged':
      return updateStep(
        updateBlock(state, event.step, event.block, (block) =>
          block.status === 'warning' ? { ...block, status: 'acknowledged', acknowledged: event.decision } : block,
        ),
        event.step,
        withStepStatus,
      );
    case 'check-overridden':
      return updateStep(
        updateBlock(state, event.step, event.block, (block) =>
          block.status === 'refused' || (block.status === 'interrupted' && block.role === 'check')
            ? { ...block, status: 'overridden', override: event.decision }
            : block,
        ),
        event.step,
        withStepStatus,
      );
    case 'interrupted-marked-done':
      return updateStep(
        updateBlock(state, event.step, event.block, (block) =>
          // A check is a gate: it is re-run or overridden, never marked done.
          block.status === 'interrupted' && block.role !== 'check' ? markDone(block, event.decision) : block,
        ),
        event.step,
        withStepStatus,
      );
    case 'block-approved':
      return updateBlock(state, event.step, event.block, (block) => {
        const others = (block.approvals ?? []).filter((a) => a.by !== event.approval.by || a.hash !== event.approval.hash);
        return { ...block, approvals: [...others, event.approval] };
      });
    case 'item-ticked':
      return updateStep(state, event.step, (step) => ({ ...step, ticked: { ...step.ticked, [event.item]: event.decision } }));
    case 'item-unticked':
      return updateStep(state, event.step, (step) => {
        const ticked = { ...step.ticked };
        delete ticked[event.item];
        return { ...step, ticked };
      });
    case 'step-confirmed':
      return updateStep(state, event.step, (step) => ({ ...step, confirmed: event.decision }));
    case 'step-skipped':
      return updateStep(state, event.step, (step) => ({
        ...step,
        status: 'skipped',
        skipped: event.decision,
        finishedAt: event.decision.at,
      }));
    case 'step-finished':
      return updateStep(state, event.step, (step) => {
        const overridden = step.blocks.some((b) => b.status === 'overridden');
        const durationMs = step.startedAt ? Date.parse(event.at) - Date.parse(step.startedAt) : 0;
        return { ...step, status: overridden ? 'overridden' : 'passed', finishedAt: event.at, durationMs };
      });
    case 'block-reset':
      return updateStep(
        updateBlock(state, event.step, event.block, (block) => ({
          id: block.id,
          role: block.role,
          hash: event.hash,
          status: 'pending',
          exitCode: null,
          attempts: 0,
          executions: block.executions,
          // What already ran in this run stays part of its story, though the block changed since.
          ...(block.history ? { history: block.history } : {}),
        })),
        event.step,
        (step) => ({ ...step, status: isStepDone(step) ? 'pending' : step.status }),
      );
    case 'baseline-chosen':
      return { ...state, baseline: event.baseline, updatedAt: event.at };
    case 'run-status': {
      const next: RunState = { ...state, status: event.status, updatedAt: event.at };
      // A run that pauses leaves a step in progress waiting, unless one of its blocks is still
      // running (or was interrupted, which withStepStatus says): "interrupted" is for a block cut short.
      if (event.status !== 'running') {
        next.steps = state.steps.map((step) =>
          step.status === 'running' && !step.blocks.some((b) => b.status === 'running' || b.status === 'interrupted')
            ? { ...step, status: 'waiting' }
            : step,
        );
      }
      if (event.status === 'complete' || event.status === 'abandoned') next.finishedAt = event.at;
      return next;
    }
  }
}
