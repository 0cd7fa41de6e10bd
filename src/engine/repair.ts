/**
 * Rebuilding a run's checkpoint from the two records a run always keeps: the journal (every
 * transition, exactly as the run reduced it) and the audit trail (every transition and decision,
 * hash-chained). Used by `waymark repair` when `checkpoint.json` is lost or unusable; resuming
 * from the result never runs a block the records show as passed.
 *
 * The journal is the better source (it holds block hashes, output tails, durations), so it is used
 * wherever it reaches. A journal that does not reach back to the run's first transition (written
 * by an older waymark, which emptied it at every snapshot) is completed from the audit trail. What
 * only the audit trail knows (what a resume found: interrupted blocks, drift) is merged in at its
 * place: each journal entry records where the audit trail ended when it was written.
 */
import { existsSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Block, Runbook } from '../runbook/model.js';
import type { Baseline, Deviation } from './baseline.js';
import { ExitCode, OperatorError } from './errors.js';
import { StateError, reasonOf, syncDirectory, writeFileAtomic } from '../state/atomic.js';
import { verifyAudit, type AuditRecord } from '../state/audit.js';
import { loadAuditKey, type AuditKey } from '../state/audit-key.js';
import { continueAuditTrail } from './audit-trail.js';
import { readCurrentRun } from '../state/current.js';
import { readJournal, type JournalEntry } from '../state/journal.js';
import { runPaths, type RunPaths } from '../state/layout.js';
import { locateRunbookState } from './state-folder.js';
import { acquireLock } from '../state/lock.js';
import { applyEntry, journalPathOf, readCheckpoint } from './checkpoint.js';
import { blockHash, initialRunState } from './reconcile.js';
import { reduce, type CapturedValue, type Decision, type RunEvent, type RunState, type RunStatus } from './run-state.js';

/** A rebuilt checkpoint and where it came from. */
export interface Rebuilt {
  state: RunState;
  /** Journal entries replayed. */
  journalEntries: number;
  /** Audit records turned into transitions (the rest are covered by the journal or change nothing). */
  auditRecords: number;
  /** Records of the audit trail read. */
  auditLength: number;
  /** Things the operator should know about the result. */
  notes: string[];
}

/** Audit records of changes the journal never holds (what a resume found): merged even where the journal reaches. */
const AUDIT_ONLY = new Set(['interrupted-found', 'drift']);

/** Audit records of transitions the journal also holds (it is written first). */
const JOURNALED = new Set([
  'block-started',
  'block-finished',
  'block-interrupted',
  'warning-acknowledged',
  'check-overridden',
  'interrupted-marked-done',
  'item-ticked',
  'item-unticked',
  'block-approved',
  'step-confirmed',
  'step-skipped',
  'step-finished',
  'run-complete',
  'run-abandoned',
  'run-paused',
]);

const RUN_STATUSES = new Set<RunStatus>(['running', 'complete', 'failed', 'refused', 'waiting', 'interrupted', 'abandoned']);

function text(record: AuditRecord, field: string): string | undefined {
  const value = record[field];
  return typeof value === 'string' ? value : undefined;
}

function decisionOf(record: AuditRecord): Decision {
  const decision: Decision = { by: record.operator, at: record.ts };
  const reason = text(record, 'reason');
  if (reason !== undefined && reason !== '') decision.reason = reason;
  if (record.automatic === true) decision.automatic = true;
  return decision;
}

/** Turns audit records into the transitions they record, in the context of one runbook. */
class AuditTranslator {
  readonly #blocks = new Map<string, Block>();
  readonly #started = new Map<string, string>();
  /** A block's confirmation, recorded just before the block-started record it belongs with. */
  readonly #confirmed = new Map<string, Decision>();

  constructor(runbook: Runbook) {
    for (const step of runbook.steps) for (const block of step.blocks) this.#blocks.set(`${step.id}\0${block.id}`, block);
  }

  /** The transitions `record` stands for; none for records that change no state. */
  events(record: AuditRecord): RunEvent[] {
    const step = text(record, 'step') ?? '';
    const block = text(record, 'block') ?? '';
    const at = record.ts;
    const key = `${step}\0${block}`;
    // A block no longer in the runbook keeps no hash worth comparing; reconcile drops it on resume.
    const hash = (): string => {
      const found = this.#blocks.get(key);
      return found ? blockHash(found) : '';
    };
    switch (record.type) {
      case 'step-started':
        return [{ type: 'step-started', step, at }];
      case 'block-confirmed':
        this.#confirmed.set(key, { ...decisionOf(record), by: text(record, 'by') ?? record.operator });
        return [];
      case 'block-started': {
        this.#started.set(key, at);
        const confirmed = this.#confirmed.get(key);
        this.#confirmed.delete(key);
        return [
          { type: 'block-started', step, block, hash: hash(), log: text(record, 'log') ?? '', at, ...(confirmed ? { confirmed } : {}) },
        ];
      }
      case 'block-finished': {
        const started = this.#started.get(key);
        const outcome = text(record, 'outcome');
        if (outcome !== 'success' && outcome !== 'warning' && outcome !== 'failure' && outcome !== 'error') return [];
        const event: RunEvent = {
          type: 'block-finished',
          step,
          block,
          outcome,
          exitCode: typeof record.exitCode === 'number' ? record.exitCode : null,
          attempts: typeof record.attempts === 'number' ? record.attempts : 1,
          durationMs: started ? Math.max(0, Date.parse(at) - Date.parse(started)) : 0,
          at,
        };
        const reason = text(record, 'reason');
        if (reason !== undefined) event.reason = reason;
        // A departure from the rehearsal stays one: only --accept-deviation (or a person) accepts it.
        if (record.deviation && typeof record.deviation === 'object') event.deviation = record.deviation as Deviation;
        const capture = capturedFrom(record, step, block, at);
        if (capture) event.capture = capture;
        return [event];
      }
      case 'block-interrupted':
      case 'interrupted-found':
        return [{ type: 'block-interrupted', step, block, at }];
      case 'drift':
        return record.kind === 'drift-changed' ? [{ type: 'block-reset', step, block, hash: hash() }] : [];
      case 'capture-lost':
        return [{ type: 'block-reset', step, block, hash: hash() }];
      case 'warning-acknowledged':
        return [{ type: 'warning-acknowledged', step, block, decision: decisionOf(record) }];
      case 'baseline-chosen':
        return record.baseline && typeof record.baseline === 'object'
          ? [{ type: 'baseline-chosen', baseline: record.baseline as Baseline, at }]
          : [];
      case 'check-overridden':
        return [{ type: 'check-overridden', step, block, decision: decisionOf(record) }];
      case 'interrupted-marked-done':
        return [{ type: 'interrupted-marked-done', step, block, decision: decisionOf(record) }];
      case 'item-ticked':
        return [{ type: 'item-ticked', step, item: text(record, 'item') ?? '', decision: decisionOf(record) }];
      case 'item-unticked':
        return [{ type: 'item-unticked', step, item: text(record, 'item') ?? '' }];
      case 'block-approved': {
        const by = text(record, 'approver');
        const approvedAt = text(record, 'approvedAt');
        const hash = text(record, 'contentHash');
        return by && approvedAt && hash ? [{ type: 'block-approved', step, block, approval: { by, at: approvedAt, hash } }] : [];
      }
      case 'step-confirmed':
        return [{ type: 'step-confirmed', step, decision: decisionOf(record) }];
      case 'step-skipped':
        return [{ type: 'step-skipped', step, decision: decisionOf(record) }];
      case 'step-finished':
        return [{ type: 'step-finished', step, at }];
      case 'run-complete':
        return [{ type: 'run-status', status: 'complete', at }];
      case 'run-abandoned':
        return [{ type: 'run-status', status: 'abandoned', at }];
      case 'run-paused': {
        const status = text(record, 'status') as RunStatus | undefined;
        return status !== undefined && RUN_STATUSES.has(status) ? [{ type: 'run-status', status, at }] : [];
      }
      default:
        return [];
    }
  }
}

/** The audit record type a journal transition is recorded under, when it has one. */
function recordTypeOf(event: RunEvent): string | null {
  switch (event.type) {
    case 'step-started':
    case 'block-reset':
      return null;
    case 'run-status':
      return event.status === 'complete' ? 'run-complete' : event.status === 'abandoned' ? 'run-abandoned' : 'run-paused';
    default:
      return event.type;
  }
}

/** Where the audit trail ended when a journal entry was written (its own record, if any, is the next one). */
function headOf(entry: JournalEntry<RunEvent>): number | null {
  const head = entry.meta?.auditHead as { seq?: unknown } | undefined;
  return typeof head?.seq === 'number' ? head.seq : null;
}

/** Why the records cannot be rebuilt from, as a refusal naming the file. */
function refuse(file: string, why: string): StateError {
  return new StateError(file, `cannot rebuild the checkpoint of this run: ${why}; nothing was written`);
}

/**
 * Rebuild the checkpoint of run `runId` of `runbook` from its journal and audit trail. Throws
 * StateError (exit 2) when they are missing, broken, or belong to another runbook.
 */
export async function rebuildCheckpoint(runbook: Runbook, paths: RunPaths, runId: string, key: AuditKey): Promise<Rebuilt> {
  if (!existsSync(paths.audit))
    throw refuse(paths.audit, `its audit trail ${paths.audit} is missing, and it alone says who started the run, when and with what`);
  const verdict = await verifyAudit(paths.audit, { key });
  if (!verdict.ok)
    throw refuse(
      paths.audit,
      `its audit trail ${paths.audit} is broken at line ${verdict.line} (${verdict.reason}); check it with \`waymark audit --verify\``,
    );
  const records = verdict.records;
  const started = records.find((r) => r.type === 'run-started');
  if (!started) throw refuse(paths.audit, `its audit trail ${paths.audit} has no run-started record`);
  if (started.runbook !== runbook.id) {
    throw refuse(
      paths.audit,
      `run ${runId} is a run of runbook ${String(started.runbook)} (${String(started.file)}), not of ${runbook.id} (${runbook.file})`,
    );
  }

  const journalPath = journalPathOf(paths.checkpoint);
  const { entries, completeBytes } = await readJournal<RunEvent>(journalPath).catch((error: unknown) => {
    throw error instanceof StateError ? refuse(journalPath, error.message) : error;
  });
  for (const [i, entry] of entries.entries()) {
    const previous = entries[i - 1];
    if (previous && entry.seq !== previous.seq + 1)
      throw refuse(journalPath, `its journal ${journalPath} skips from transition ${previous.seq} to ${entry.seq}`);
    if (headOf(entry) === null)
      throw refuse(journalPath, `line ${i + 1} of its journal ${journalPath} does not say where the audit trail stood`);
  }
  const first = entries[0];
  const last = entries.at(-1);
  const notes: string[] = [];

  // The audit records the journal does not cover: everything before its first entry (a journal
  // an older waymark emptied), and everything after the record of its last entry (a journal cut short).
  let coverFrom = records.length + 1;
  let coverTo = records.length;
  if (first && last) {
    coverFrom = first.seq === 1 ? 1 : (headOf(first) as number) + 1;
    const lastHead = headOf(last) as number;
    const own = records[lastHead];
    coverTo = own !== undefined && own.type === recordTypeOf(last.event) ? lastHead + 1 : lastHead;
  }
  if (coverFrom > 1)
    notes.push(
      'the journal does not reach back to the start of the run: earlier transitions come from the audit trail, with block hashes from the runbook as it is now (drift before the repair cannot be seen), and no output tails',
    );
  if (coverTo < records.length && records.slice(coverTo).some((r) => JOURNALED.has(r.type))) {
    notes.push(
      `the audit trail has records after the journal's last transition (record ${coverTo + 1} on): they are taken from the audit trail`,
    );
  }

  const translate = new AuditTranslator(runbook);
  let state = initialRunState(runbook, {
    id: runId,
    operator: started.operator,
    host: started.host,
    profile: typeof started.profile === 'string' ? started.profile : null,
    vars: typeof started.vars === 'object' && started.vars !== null ? (started.vars as Record<string, string>) : {},
    at: started.ts,
  });
  // Recorded by waymarks that fix the inventory at the run's start (string, or null without --inventory).
  if (typeof started.inventory === 'string' || started.inventory === null) state.inventory = started.inventory;
  let auditUsed = 0;
  let next = 0;
  /** Apply the audit records up to seq `upTo` that the journal does not hold. */
  const auditUpTo = (upTo: number): void => {
    for (; next < records.length && (records[next] as AuditRecord).seq <= upTo; next += 1) {
      const record = records[next] as AuditRecord;
      const covered = record.seq >= coverFrom && record.seq <= coverTo;
      if (covered && !AUDIT_ONLY.has(record.type)) continue;
      const events = translate.events(record);
      if (events.length > 0) auditUsed += 1;
      for (const event of events) state = reduce(state, event);
    }
  };
  for (const entry of entries) {
    auditUpTo(headOf(entry) ?? 0);
    state = applyEntry(state, entry);
  }
  auditUpTo(Number.MAX_SAFE_INTEGER);

  // Later entries must continue the journal's numbering; an emptied journal must never look like
  // one that starts at the run's first transition, so its numbering starts past the audit trail.
  const journalSeq = last ? last.seq : records.length;
  state = { ...state, journalSeq, journalBytes: completeBytes };
  return { state, journalEntries: entries.length, auditRecords: auditUsed, auditLength: records.length, notes };
}

/** What `waymark repair` did, for the face to show. */
export type RepairOutcome =
  | { repaired: false; runId: string; state: RunState }
  | (Rebuilt & { repaired: true; runId: string; checkpoint: string; keptAside: string | null; record: number; notices: string[] });

/** The statuses a repair record keeps: every step that is not pending. */
function stepStatuses(state: RunState): Record<string, string> {
  return Object.fromEntries(state.steps.filter((s) => s.status !== 'pending').map((s) => [s.id, s.status]));
}

/**
 * `waymark repair`: under the runbook's lock, rebuild the checkpoint of run `runId` (default: the
 * current run) when it is missing or unusable. Everything that can refuse happens before the
 * first write. An unusable snapshot is renamed aside, never overwritten; the repair is audited
 * (`checkpoint-repaired`) before the new snapshot is written, so a crash between the two only
 * means repairing again.
 */
export async function repairRun(runbook: Runbook, options: { stateDir: string; runId?: string; operator: string }): Promise<RepairOutcome> {
  const book = await locateRunbookState(options.stateDir, runbook);
  const runId = options.runId ?? (await readCurrentRun(book.current));
  if (runId === null)
    throw new OperatorError(
      `${runbook.id} has no current run in ${options.stateDir}; name the run to repair with --run ID`,
      ExitCode.BadInput,
    );
  const paths = runPaths(book, runId);
  if (!existsSync(paths.dir)) throw refuse(paths.dir, `run ${runId} has no folder ${paths.dir}`);
  const lock = await acquireLock(book.dir, { runId, operator: options.operator });
  try {
    let unusable = false;
    try {
      const state = await readCheckpoint(paths.checkpoint, runbook.file);
      if (state !== null) return { repaired: false, runId, state };
    } catch (error) {
      if (!(error instanceof StateError) || !existsSync(paths.checkpoint)) throw error;
      unusable = true;
    }
    const key = await loadAuditKey();
    const rebuilt = await rebuildCheckpoint(runbook, paths, runId, key);
    // Journaled transitions whose records a crash kept from the trail get them now (marked
    // recovered), so the trail and the rebuilt checkpoint agree.
    const trail = await continueAuditTrail({
      path: paths.audit,
      journalPath: journalPathOf(paths.checkpoint),
      snapshotSeq: 0,
      head: undefined,
      key,
      operator: options.operator,
      run: runId,
    });
    const audit = trail.audit;
    try {
      const notices: string[] = [...trail.notices];
      if (lock.takenOver) {
        notices.push(lock.takenOver.notice);
        await audit.append('lock-taken-over', { run: runId, notice: lock.takenOver.notice });
      }
      const keptAside = unusable ? await keepAside(paths.checkpoint) : null;
      const record = await audit.append('checkpoint-repaired', {
        run: runId,
        journalEntries: rebuilt.journalEntries,
        auditRecords: rebuilt.auditRecords,
        keptAside,
        steps: stepStatuses(rebuilt.state),
        notes: rebuilt.notes,
      });
      const state: RunState = { ...rebuilt.state, auditHead: audit.head };
      await writeFileAtomic(paths.checkpoint, JSON.stringify(state));
      return { ...rebuilt, state, repaired: true, runId, checkpoint: paths.checkpoint, keptAside, record: record.seq, notices };
    } finally {
      await audit.close();
    }
  } finally {
    await lock.release();
  }
}

/** Rename an unusable snapshot to `<name>.unusable-<UTC stamp>` beside it: it is evidence. */
async function keepAside(path: string): Promise<string> {
  const aside = `${path}.unusable-${new Date().toISOString().replace(/[-:.]/g, '')}`;
  try {
    await rename(path, aside);
  } catch (error) {
    throw new StateError(path, `state file ${path} cannot be moved aside to ${aside}: ${reasonOf(error)}; nothing was written`, {
      cause: error,
    });
  }
  await syncDirectory(dirname(path), aside);
  return aside;
}

/**
 * The capture a `block-finished` record carries (docs/capture.md). The trail holds a secret one
 * masked, so a rebuilt checkpoint knows it only as secret: a resumed run captures it again.
 */
function capturedFrom(
  record: Record<string, unknown>,
  step: string,
  block: string,
  at: string,
): { name: string; captured: CapturedValue } | undefined {
  const capture = record.capture;
  if (typeof capture !== 'object' || capture === null) return undefined;
  const { name, value, secret } = capture as Record<string, unknown>;
  if (typeof name !== 'string' || typeof value !== 'string') return undefined;
  return { name, captured: secret === true ? { step, block, secret: true, at } : { step, block, value, secret: false, at } };
}
