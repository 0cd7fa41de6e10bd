/**
 * The append-only audit trail (`audit.jsonl`): one JSON record per line, each
 * carrying the SHA-256 of the previous line, so an edited, inserted, deleted or
 * reordered record breaks the chain where it happened. Callers mask secrets
 * before appending; this module stores what it is given.
 */

import { createHash } from 'node:crypto';
import { type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { StateError, ensureDir, hasCode, openNoFollow, readFileNoFollow, reasonOf, syncDirectory } from './atomic.js';

/** `prev` of the first record: there is no previous line. */
export const GENESIS_HASH = '0'.repeat(64);

/** One line of `audit.jsonl`: the fixed fields, the event's own data, and `hash` last. */
export interface AuditRecord {
  /** 1 for the first record, then +1 per line. */
  seq: number;
  /** When it was appended, ISO 8601 UTC. */
  ts: string;
  /** What happened, e.g. `run-started`, `check-overridden`, `drift`. */
  type: string;
  operator: string;
  host: string;
  /** SHA-256 (hex) of the previous line's text, or GENESIS_HASH. */
  prev: string;
  /** SHA-256 (hex) of this record's canonical JSON without `hash`. */
  hash: string;
  [field: string]: unknown;
}

/** Where the trail ends: a checkpoint can keep this to notice records cut from the end. */
export interface AuditHead {
  seq: number;
  /** SHA-256 of the last line (the next record's `prev`). */
  lineHash: string;
}

/** Who is writing: stamped on every record of this session. */
export interface AuditSession {
  operator: string;
  /** Default: this machine's host name. */
  host?: string;
  /** Clock for `ts`; tests pin it. */
  now?: () => Date;
}

/** Result of verifyAudit: every record, or the first line that breaks the chain and why. */
export type AuditVerdict = { ok: true; records: AuditRecord[] } | { ok: false; line: number; reason: string };

const FIXED_FIELDS = new Set(['seq', 'ts', 'type', 'operator', 'host', 'prev', 'hash']);
const HEX64 = /^[0-9a-f]{64}$/;

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** JSON with object keys sorted at every depth, so the hash does not depend on key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

function recordHash(record: Record<string, unknown>): string {
  const { hash: _hash, ...body } = record;
  return sha256(canonicalJson(body));
}

/** An open audit trail that appends in O(1): it learned the last seq and line hash once, at open. */
export class AuditLog {
  readonly path: string;
  readonly #file: FileHandle;
  readonly #operator: string;
  readonly #host: string;
  readonly #now: () => Date;
  #seq: number;
  #lineHash: string;
  // Each record is built (seq, prev) at call time and written in call order.
  #lastAppend: Promise<void> = Promise.resolve();
  // After a failed write the chain on disk is behind the one in memory; appending more would break it.
  #failure: StateError | null = null;

  private constructor(path: string, file: FileHandle, session: AuditSession, head: AuditHead) {
    this.path = path;
    this.#file = file;
    this.#operator = session.operator;
    this.#host = session.host ?? hostname();
    this.#now = session.now ?? (() => new Date());
    this.#seq = head.seq;
    this.#lineHash = head.lineHash;
  }

  /**
   * Open (or create, 0600) the trail at `path`. Throws StateError when its last
   * line is cut short or unparseable: appending after it would chain onto garbage.
   */
  static async open(path: string, session: AuditSession): Promise<AuditLog> {
    let text: string | null;
    try {
      text = await readFileNoFollow(path);
    } catch (error) {
      if (error instanceof StateError) throw error;
      if (!hasCode(error, 'ENOENT')) {
        throw new StateError(path, `audit trail ${path} cannot be read: ${reasonOf(error)}; check its permissions`, { cause: error });
      }
      text = null;
    }
    const head = text === null ? { seq: 0, lineHash: GENESIS_HASH } : headOf(path, text);
    if (text === null) await ensureDir(dirname(path));
    let file: FileHandle;
    try {
      file = await openNoFollow(path, 'a', 0o600);
    } catch (error) {
      if (error instanceof StateError) throw error;
      throw new StateError(path, `audit trail ${path} cannot be opened for appending: ${reasonOf(error)}; check its permissions`, { cause: error });
    }
    // A new file's directory entry must survive a crash like its records do.
    if (text === null) await syncDirectory(dirname(path), path);
    return new AuditLog(path, file, session, head);
  }

  /** The last record's seq and line hash (seq 0 for an empty trail). */
  get head(): AuditHead {
    return { seq: this.#seq, lineHash: this.#lineHash };
  }

  /**
   * Append one record and fsync it. `data` becomes top-level fields of the
   * record; it must not use the fixed field names. Resolves once it is on disk.
   */
  append(type: string, data: Record<string, unknown> = {}): Promise<AuditRecord> {
    if (this.#failure) return Promise.reject(this.#failure);
    for (const key of Object.keys(data)) {
      if (FIXED_FIELDS.has(key)) return Promise.reject(new TypeError(`audit data may not set the fixed field "${key}"`));
    }
    // The JSON round trip drops undefined and applies toJSON once, so the hash
    // covers exactly the values a reader of the line will see.
    const body = JSON.parse(
      JSON.stringify({ seq: this.#seq + 1, ts: this.#now().toISOString(), type, operator: this.#operator, host: this.#host, prev: this.#lineHash, ...data }),
    ) as Record<string, unknown>;
    const record = { ...body, hash: sha256(canonicalJson(body)) } as AuditRecord;
    const line = JSON.stringify(record);
    this.#seq = record.seq;
    this.#lineHash = sha256(line);

    const written = this.#lastAppend.then(async () => {
      if (this.#failure) throw this.#failure;
      try {
        await this.#file.appendFile(`${line}\n`, 'utf8');
        await this.#file.datasync();
      } catch (error) {
        this.#failure = new StateError(this.path, `audit trail ${this.path} cannot be written: ${reasonOf(error)}; check free space and permissions`, { cause: error });
        throw this.#failure;
      }
    });
    // The chain only orders appends; each failure reaches its own caller through `written`.
    this.#lastAppend = written.then(
      () => undefined,
      () => undefined,
    );
    return written.then(() => record);
  }

  /** Wait for pending appends and close the file. */
  async close(): Promise<void> {
    await this.#lastAppend;
    await this.#file.close();
  }
}

/** Last seq and line hash of an existing trail's text. */
function headOf(path: string, text: string): AuditHead {
  if (text === '') return { seq: 0, lineHash: GENESIS_HASH };
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const start = body.lastIndexOf('\n') + 1;
  const lineNumber = (): number => body.slice(0, start).split('\n').length;
  const advice = `verify it with \`waymark audit --verify\`, then move it away to start a new trail`;
  if (!text.endsWith('\n')) {
    throw new StateError(path, `audit trail ${path} ends with a cut-short record at line ${lineNumber()} (a crash during a write?); ${advice}`);
  }
  const last = body.slice(start);
  let seq: unknown;
  try {
    seq = (JSON.parse(last) as { seq?: unknown }).seq;
  } catch (error) {
    throw new StateError(path, `audit trail ${path} cannot be parsed at line ${lineNumber()}: ${reasonOf(error)}; ${advice}`, { cause: error });
  }
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) {
    throw new StateError(path, `audit trail ${path} cannot be parsed at line ${lineNumber()}: it has no "seq"; ${advice}`);
  }
  return { seq, lineHash: sha256(last) };
}

/** Why a parsed line is not an audit record, or null when its fixed fields are all there. */
function shapeProblem(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'is not a JSON object';
  const record = value as Record<string, unknown>;
  if (!Number.isSafeInteger(record.seq)) return 'has no numeric "seq"';
  for (const field of ['ts', 'type', 'operator', 'host']) {
    if (typeof record[field] !== 'string') return `has no "${field}"`;
  }
  for (const field of ['prev', 'hash']) {
    if (typeof record[field] !== 'string' || !HEX64.test(record[field] as string)) return `has no valid "${field}" hash`;
  }
  return null;
}

/**
 * Check the whole chain at `path`. With `head` (kept in the checkpoint), also
 * notice records cut from the end, which the chain alone cannot show.
 * Throws StateError only when the file cannot be read at all.
 */
export async function verifyAudit(path: string, options: { head?: AuditHead } = {}): Promise<AuditVerdict> {
  let text: string;
  try {
    text = await readFileNoFollow(path);
  } catch (error) {
    if (error instanceof StateError) throw error;
    const what = hasCode(error, 'ENOENT') ? 'does not exist' : `cannot be read: ${reasonOf(error)}`;
    throw new StateError(path, `audit trail ${path} ${what}; check the run id and --state-dir`, { cause: error });
  }
  const records: AuditRecord[] = [];
  const complete = text.endsWith('\n');
  const lines = text === '' ? [] : (complete ? text.slice(0, -1) : text).split('\n');
  let expectedPrev = GENESIS_HASH;
  const lineHashes: string[] = [];
  for (const [index, line] of lines.entries()) {
    const lineNumber = index + 1;
    const fail = (reason: string): AuditVerdict => ({ ok: false, line: lineNumber, reason: `line ${lineNumber} ${reason}` });
    if (!complete && index === lines.length - 1) return fail('is cut short (no line end): the last write did not finish');
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      // The parser's own message adds nothing an operator can act on; the line number is the finding.
      return fail('is not valid JSON');
    }
    const problem = shapeProblem(parsed);
    if (problem) return fail(`is not an audit record: it ${problem}`);
    const record = parsed as AuditRecord;
    if (recordHash(record) !== record.hash) return fail('was edited: its content does not match its hash');
    if (record.seq !== lineNumber) return fail(`has seq ${record.seq} where ${lineNumber} was expected: a record was inserted, deleted or moved`);
    if (record.prev !== expectedPrev) {
      return fail(`does not follow the line before it (prev hash mismatch): a record was inserted, deleted or moved`);
    }
    expectedPrev = sha256(line);
    lineHashes.push(expectedPrev);
    records.push(record);
  }
  const head = options.head;
  if (head && head.seq > 0) {
    if (records.length < head.seq) {
      const line = records.length + 1;
      return { ok: false, line, reason: `line ${line} is missing: the trail ends at record ${records.length} but the checkpoint saw record ${head.seq}` };
    }
    if (lineHashes[head.seq - 1] !== head.lineHash) {
      return { ok: false, line: head.seq, reason: `line ${head.seq} is not the record the checkpoint saw: the trail was rewritten` };
    }
  }
  return { ok: true, records };
}
