/**
 * A run's checkpoint on disk: a lowdb snapshot (`checkpoint.json`) plus the journal of the
 * transitions since (`checkpoint.journal`). A transition appends one line; every
 * COMPACT_EVERY transitions the snapshot is rewritten and the journal emptied. Reading replays
 * the journal through the same pure reducer the run used, so both always agree.
 */
import { AtomicJsonFile, openCheckpointWith, type CheckpointStore } from '../state/checkpoint.js';
import { Journal, readJournal, type JournalEntry } from '../state/journal.js';
import type { RunEvent, RunState } from './run-state.js';
import { reduce } from './run-state.js';
import { validateRunState } from './validate.js';

/** Transitions between snapshots: enough that rewrites are rare, few enough that a replay is instant. */
export const COMPACT_EVERY = 200;

/** The journal beside a snapshot. */
export function journalPathOf(checkpointPath: string): string {
  return checkpointPath.replace(/\.json$/, '') + '.journal';
}

function replay(snapshot: RunState, entries: JournalEntry<RunEvent>[]): RunState {
  let state = snapshot;
  const from = snapshot.journalSeq ?? 0;
  for (const entry of entries) {
    if (entry.seq <= from) continue;
    state = reduce(state, entry.event);
    const auditHead = entry.meta?.auditHead as RunState['auditHead'];
    state = { ...state, journalSeq: entry.seq, ...(auditHead ? { auditHead } : {}) };
  }
  return state;
}

/** Read a checkpoint (snapshot and journal) without opening it for writing; null when there is none. */
export async function readCheckpoint(checkpointPath: string): Promise<RunState | null> {
  const snapshot = await new AtomicJsonFile<RunState>(checkpointPath, validateRunState).read();
  if (snapshot === null) return null;
  const { entries } = await readJournal<RunEvent>(journalPathOf(checkpointPath));
  return replay(snapshot, entries);
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

  /** Open the checkpoint at `path`; `initial` is used (and written) when there is none yet. */
  static async open(path: string, initial: RunState): Promise<{ checkpoint: RunCheckpoint; state: RunState }> {
    const adapter = new AtomicJsonFile<RunState>(path, validateRunState);
    const existing = await adapter.read();
    const store = await openCheckpointWith(adapter, existing ?? initial);
    const journal = (await Journal.open(journalPathOf(path))) as Journal<RunEvent>;
    const { entries } = await readJournal<RunEvent>(journalPathOf(path));
    const state = existing ? replay(existing, entries) : initial;
    const checkpoint = new RunCheckpoint(path, store, journal, state.journalSeq ?? 0);
    if (!existing) await checkpoint.snapshot(initial);
    return { checkpoint, state };
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

  /** Write the whole state as the snapshot and empty the journal. */
  async snapshot(state: RunState): Promise<void> {
    this.#store.data = { ...state, journalSeq: this.#seq };
    await this.#store.write();
    this.#snapshotSeq = this.#seq;
    // If waymark dies between these two lines, the journal's entries are all at or below
    // the snapshot's journalSeq and a replay skips them.
    await this.#journal.reset();
  }

  async close(): Promise<void> {
    await this.#journal.close();
  }
}
