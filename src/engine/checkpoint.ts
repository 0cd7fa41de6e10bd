/**
 * A run's checkpoint on disk: a lowdb snapshot (`checkpoint.json`) plus the journal of every
 * transition (`checkpoint.journal`). A transition appends one line; every COMPACT_EVERY
 * transitions the snapshot is rewritten. Reading replays the journal entries after the
 * snapshot through the same pure reducer the run used, so both always agree.
 *
 * Reading without a lock: the snapshot is replaced atomically and records the journal offset
 * and seq it covers; the journal is only ever appended to (never emptied). So a reader that
 * reads the snapshot and then the journal finds every transition after the snapshot, and a
 * later read never shows an older state than an earlier one.
 */
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { StateError } from '../state/atomic.js';
import { AtomicJsonFile, openCheckpointWith, type CheckpointStore } from '../state/checkpoint.js';
import { Journal, readJournal, type JournalEntry } from '../state/journal.js';
import type { RunPaths } from '../state/layout.js';
import type { RunEvent, RunState } from './run-state.js';
import { reduce } from './run-state.js';
import { validateRunState } from './validate.js';

/** Transitions between snapshots: enough that rewrites are rare, few enough that a replay is instant. */
export const COMPACT_EVERY = 200;

/** The journal beside a snapshot. */
export function journalPathOf(checkpointPath: string): string {
  return `${checkpointPath.replace(/\.json$/, '')}.journal`;
}

/** What to do about a checkpoint that cannot be used, for the end of a refusal. */
export function repairAdvice(runbookFile?: string): string {
  return `fix it, or rebuild it from the audit trail and journal with \`waymark repair ${runbookFile ?? 'RUNBOOK.md'}\``;
}

/** Apply one journal entry: the event, then the facts stored beside it. */
export function applyEntry(state: RunState, entry: JournalEntry<RunEvent>): RunState {
  const next = reduce(state, entry.event);
  const auditHead = entry.meta?.auditHead as RunState['auditHead'];
  return { ...next, journalSeq: entry.seq, ...(auditHead ? { auditHead } : {}) };
}

/**
 * The snapshot with the journal entries after it applied. Entries must follow the snapshot
 * one seq after another: a gap means transitions were lost, and the state would silently
 * lack them.
 */
function replay(path: string, snapshot: RunState, entries: JournalEntry<RunEvent>[], runbookFile?: string): RunState {
  let state = snapshot;
  for (const entry of entries) {
    const expected = (state.journalSeq ?? 0) + 1;
    if (entry.seq < expected) continue;
    if (entry.seq > expected) {
      throw new StateError(
        journalPathOf(path),
        `checkpoint journal ${journalPathOf(path)} skips from transition ${expected - 1} to ${entry.seq}: transitions are missing; ${repairAdvice(runbookFile)}`,
      );
    }
    state = applyEntry(state, entry);
  }
  return state;
}

function snapshotFile(path: string, runbookFile?: string): AtomicJsonFile<RunState> {
  return new AtomicJsonFile<RunState>(path, validateRunState, repairAdvice(runbookFile));
}

/** Read a checkpoint (snapshot and journal) without opening it for writing; null when there is none. */
export async function readCheckpoint(checkpointPath: string, runbookFile?: string): Promise<RunState | null> {
  const snapshot = await snapshotFile(checkpointPath, runbookFile).read();
  if (snapshot === null) return null;
  const { entries } = await readJournal<RunEvent>(journalPathOf(checkpointPath), snapshot.journalBytes ?? 0);
  return replay(checkpointPath, snapshot, entries, runbookFile);
}

/** Which run a checkpoint belongs to, for refusals that name what is missing and what to do. */
export interface RunContext {
  runId: string;
  /** The runbook file, for the `waymark repair FILE` advice. */
  runbookFile: string;
  /** The `current.json` that names the run. */
  current: string;
}

/**
 * The refusal for a run whose checkpoint is missing: it names what is missing and what is left,
 * and offers `waymark repair` when there is something to rebuild from. A missing checkpoint is
 * never a reason to start the run again from its first step.
 */
export function missingCheckpoint(paths: RunPaths, run: RunContext): StateError {
  const journal = journalPathOf(paths.checkpoint);
  const startOver = `to give the run up and start a new one, move ${run.current} away`;
  if (!existsSync(paths.dir)) {
    return new StateError(
      paths.dir,
      `run ${run.runId} is the current run (${run.current}), but its folder ${paths.dir} does not exist; nothing was run. Nothing is left to rebuild it from: restore the folder, or ${startOver}`,
    );
  }
  const left = [journal, paths.audit].filter((file) => existsSync(file)).map((file) => basename(file));
  if (left.length === 0) {
    return new StateError(
      paths.checkpoint,
      `run ${run.runId} has no checkpoint: ${paths.checkpoint} is missing, and so are its journal and audit trail; nothing was run. Restore them, or ${startOver}`,
    );
  }
  return new StateError(
    paths.checkpoint,
    `run ${run.runId} has no checkpoint: ${paths.checkpoint} is missing (its ${left.join(' and ')} ${left.length === 1 ? 'is' : 'are'} still there); nothing was run. Rebuild it with \`waymark repair ${run.runbookFile}\``,
  );
}

/** A checkpoint open for writing by the one live session. */
export class RunCheckpoint {
  readonly path: string;
  readonly #store: CheckpointStore<RunState>;
  readonly #journal: Journal<RunEvent>;
  #seq: number;
  #snapshotSeq: number;

  private constructor(path: string, store: CheckpointStore<RunState>, journal: Journal<RunEvent>, seq: number) {
    this.path = path;
    this.#store = store;
    this.#journal = journal;
    this.#seq = seq;
    this.#snapshotSeq = store.data.journalSeq ?? 0;
  }

  /**
   * Start the checkpoint of a new run at `path` with `initial`. Refused when the run already has
   * a snapshot or a journal: a new run never writes over another run's records.
   */
  static async create(path: string, initial: RunState): Promise<RunCheckpoint> {
    for (const file of [path, journalPathOf(path)]) {
      if (existsSync(file))
        throw new StateError(file, `state file ${file} already exists: a new run cannot start on another run's records`);
    }
    const adapter = snapshotFile(path);
    const store = await openCheckpointWith(adapter, initial);
    const journal = (await Journal.open(journalPathOf(path))) as Journal<RunEvent>;
    const checkpoint = new RunCheckpoint(path, store, journal, 0);
    await checkpoint.snapshot(initial);
    return checkpoint;
  }

  /**
   * Open the checkpoint of an existing run for writing. Throws StateError when it is missing or
   * unreadable (`run` names what is missing and how to repair it).
   */
  static async resume(paths: RunPaths, run: RunContext): Promise<{ checkpoint: RunCheckpoint; state: RunState }> {
    const { runbookFile } = run;
    const adapter = snapshotFile(paths.checkpoint, runbookFile);
    const existing = await adapter.read();
    if (existing === null) throw missingCheckpoint(paths, run);
    const from = existing.journalBytes ?? 0;
    const { entries } = await readJournal<RunEvent>(journalPathOf(paths.checkpoint), from);
    const state = replay(paths.checkpoint, existing, entries, runbookFile);
    const store = await openCheckpointWith(adapter, existing);
    const journal = (await Journal.open(journalPathOf(paths.checkpoint), from)) as Journal<RunEvent>;
    return { checkpoint: new RunCheckpoint(paths.checkpoint, store, journal, state.journalSeq ?? 0), state };
  }

  /** The journal seq the snapshot holds: journal lines at or below it are compacted into it. */
  get snapshotSeq(): number {
    return this.#snapshotSeq;
  }

  /**
   * Record one transition; `state` is the state after it and `meta` gives extra facts to keep
   * with it, given its seq (e.g. the audit record it is due). Resolves to the seq once the line is on disk.
   */
  async commit(event: RunEvent, state: RunState, meta: (seq: number) => Record<string, unknown> = () => ({})): Promise<number> {
    this.#seq++;
    const entry: JournalEntry<RunEvent> = { seq: this.#seq, event };
    const all = { ...(state.auditHead ? { auditHead: state.auditHead } : {}), ...meta(this.#seq) };
    if (Object.keys(all).length > 0) entry.meta = all;
    await this.#journal.append(entry);
    return this.#seq;
  }

  /**
   * Rewrite the snapshot once COMPACT_EVERY transitions piled up in the journal. Compaction drops
   * journal lines, so call it only once everything a line is needed for (its audit record) is on disk.
   */
  async compactIfDue(state: RunState): Promise<void> {
    if (this.#seq - this.#snapshotSeq >= COMPACT_EVERY) await this.snapshot(state);
  }

  /**
   * Write the whole state as the snapshot, with the journal seq and offset it covers. The journal
   * is kept whole: readers between the two files, and `waymark repair`, rely on it.
   */
  async snapshot(state: RunState): Promise<void> {
    this.#store.data = { ...state, journalSeq: this.#seq, journalBytes: this.#journal.size };
    await this.#store.write();
    this.#snapshotSeq = this.#seq;
  }

  async close(): Promise<void> {
    await this.#journal.close();
  }
}
