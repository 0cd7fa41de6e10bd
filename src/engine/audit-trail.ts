/**
 * The run's audit trail as the engine keeps it in step with the checkpoint. Every transition
 * goes to the journal first, carrying the audit record it is due (masked, sealed with the audit
 * key), then to the trail, where the record names the transition it belongs to. A process killed
 * between the two leaves a transition without its record; the next session finds it here,
 * before anything else is written, and appends the record marked `recovered`. A record that a
 * full disk cut short is set aside the same way. A trail cut back, rewritten or deleted since the
 * checkpoint saw it is refused: chaining onto what is left would make it look intact.
 */
import { basename } from 'node:path';
import { StateError } from '../state/atomic.js';
import { auditMac, type AuditKey } from '../state/audit-key.js';
import {
  AuditLog,
  canonicalJson,
  lastTransition,
  setAsideTornRecord,
  verifyAudit,
  type AuditHead,
  type AuditRecord,
} from '../state/audit.js';
import { readJournal, type JournalEntry } from '../state/journal.js';
import type { RunEvent } from './run-state.js';

/** The audit record a transition is due, kept in its journal line until the record is written. */
export interface DueRecord {
  type: string;
  /** The record's facts, masked. */
  data: Record<string, unknown>;
  operator: string;
  host: string;
  /** When the transition was journaled. */
  at: string;
}

/** The journal meta of one transition: the record it is due and the seal over both. */
export interface DueMeta {
  due: DueRecord;
  /** HMAC over the journal seq, the event and the due record: a journal line forged without the key fails it. */
  seal: string;
}

/** Seal a transition's journal line with the audit key. */
export function sealTransition(key: AuditKey, seq: number, event: RunEvent, due: DueRecord): string {
  return auditMac(key, canonicalJson({ seq, event, due }));
}

/** What continueAuditTrail needs to know about the run. */
export interface ContinueOptions {
  /** The run's audit.jsonl. */
  path: string;
  /** The run's checkpoint.journal. */
  journalPath: string;
  /** The journal seq the snapshot holds; journal lines at or below it are compacted. */
  snapshotSeq: number;
  /** Where the checkpoint saw the trail end. */
  head: AuditHead | undefined;
  key: AuditKey;
  operator: string;
  /** The run id, stamped on the records written here. */
  run: string;
}

/** An open trail caught up with the checkpoint, and what had to be done to get there. */
export interface ContinuedTrail {
  audit: AuditLog;
  notices: string[];
}

function refuse(path: string, why: string): StateError {
  return new StateError(path, `audit trail ${path} ${why}; the run cannot continue on it (waymark audit --verify shows the trail)`);
}

/** True when the trail exists: a missing trail the checkpoint never saw a record of is simply new. */
async function verified(options: ContinueOptions): Promise<AuditRecord[]> {
  const head = options.head;
  try {
    const verdict = await verifyAudit(options.path, { ...(head ? { head } : {}), key: options.key });
    if (!verdict.ok) throw refuse(options.path, `is broken at line ${verdict.line}: ${verdict.reason}`);
    return verdict.records;
  } catch (error) {
    if (!(error instanceof StateError) || !/does not exist/.test(error.message)) throw error;
    if (head && head.seq > 0) throw refuse(options.path, `is missing, but the checkpoint saw its record ${head.seq}`);
    return [];
  }
}

/**
 * Open a run's trail to continue it: refuse it when it is not the trail the checkpoint saw,
 * set aside a record cut short by a crash or a full disk, and append the records of journaled
 * transitions the trail lacks (marked `recovered`). Throws StateError (exit 2) naming the record.
 */
export async function continueAuditTrail(options: ContinueOptions): Promise<ContinuedTrail> {
  const notices: string[] = [];
  const torn = await setAsideTornRecord(options.path);
  const records = await verified(options);
  const keyed = records.some((r) => r.key !== undefined);
  const missing = await unrecordedTransitions(options, records, keyed);
  const audit = await AuditLog.open(options.path, { operator: options.operator, key: options.key });
  if (torn) {
    const message = `the audit trail's last record was cut short by a crash or a full disk; its ${torn.bytes} bytes are kept in ${torn.aside}`;
    notices.push(message);
    await audit.append('audit-torn-record', { run: options.run, aside: basename(torn.aside), bytes: torn.bytes, message });
  }
  for (const entry of missing) {
    const { type, data, at, operator, host } = entry.due;
    await audit.append(type, { ...data, transition: entry.seq, recovered: { at, operator, host } });
  }
  if (missing.length > 0) {
    notices.push(
      `${missing.length} transition(s) reached the checkpoint but not the audit trail before the last session ended; their records were appended, marked recovered`,
    );
  }
  return { audit, notices };
}

/**
 * The journaled transitions past the snapshot that have no audit record yet, in order. Every
 * line must be one waymark wrote: sealed with the key once the trail is keyed, and with its
 * record where the trail has records of later transitions.
 */
async function unrecordedTransitions(
  options: ContinueOptions,
  records: AuditRecord[],
  keyed: boolean,
): Promise<(JournalEntry<RunEvent> & { due: DueRecord })[]> {
  const { entries } = await readJournal<RunEvent>(options.journalPath);
  const recorded = new Map<number, AuditRecord>();
  for (const record of records) if (typeof record.transition === 'number') recorded.set(record.transition, record);
  const last = lastTransition(records);
  const missing: (JournalEntry<RunEvent> & { due: DueRecord })[] = [];
  for (const entry of entries) {
    if (entry.seq <= options.snapshotSeq) continue;
    const meta = entry.meta as Partial<DueMeta> | undefined;
    const where = `journal transition ${entry.seq} (${entry.event.type})`;
    if (!meta?.due || typeof meta.seal !== 'string') {
      // Journals from before records were due in them cannot be checked; a keyed run's always can.
      if (keyed)
        throw refuse(options.path, `has no record for ${where}, and that journal line is not sealed: it was not written by waymark`);
      continue;
    }
    if (sealTransition(options.key, entry.seq, entry.event, meta.due) !== meta.seal) {
      throw refuse(
        options.path,
        `cannot vouch for ${where}: its seal does not verify with key ${options.key.id}, so it was written without the key`,
      );
    }
    const record = recorded.get(entry.seq);
    if (record) {
      if (record.type !== meta.due.type)
        throw refuse(options.path, `record ${record.seq} is a ${record.type} but ${where} is due a ${meta.due.type}`);
    } else if (entry.seq < last) {
      throw refuse(options.path, `has no record for ${where}, though it has records of later transitions`);
    } else {
      missing.push({ ...entry, due: meta.due });
    }
  }
  return missing;
}
