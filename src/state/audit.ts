/**
 * The append-only audit trail (`audit.jsonl`): one JSON record per line, each
 * carrying the SHA-256 of the previous line, so an edited, inserted, deleted or
 * reordered record breaks the chain where it happened. With a key (audit-key.ts)
 * each record also carries `key` (the key's id) and `mac`, an HMAC of its hash:
 * only a holder of the key can write records that verify. Trails from before keys
 * have neither field and verify as before. Callers mask secrets before appending;
 * this module stores what it is given.
 */

import { createHash } from 'node:crypto';
import type { FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { StateError, ensureDir, hasCode, openNoFollow, reasonOf, readFileNoFollow, syncDirectory } from './atomic.js';
import { auditMac, type AuditKey } from './audit-key.js';

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
  /** SHA-256 (hex) of this record's canonical JSON without `hash` and `mac`. */
  hash: string;
  /** Keyed trails: the id of the key that wrote this record. */
  key?: string;
  /** Keyed trails: HMAC-SHA256 of `hash` under that key. */
  mac?: string;
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
  /** Key the records; without one they are unkeyed (only for trails that are not keyed already). */
  key?: AuditKey | null;
}

/** An intact trail: its records, and how far they are keyed and authenticated. */
export interface AuditIntact {
  ok: true;
  records: AuditRecord[];
  /** The id of the key its records carry, or null for an unkeyed trail. */
  keyId: string | null;
  /** seq of the first keyed record (records before it predate keys), or null. */
  keyedFrom: number | null;
  /** True when every keyed record's MAC was checked with the key (false without the key). */
  authenticated: boolean;
  /** Where the trail ends (what `audit --export` hands out). */
  head: AuditHead;
}

/** Result of verifyAudit: every record, or the first line that breaks the chain and why. */
export type AuditVerdict = AuditIntact | { ok: false; line: number; reason: string };

const FIXED_FIELDS = new Set(['seq', 'ts', 'type', 'operator', 'host', 'prev', 'hash', 'key', 'mac']);
const HEX64 = /^[0-9a-f]{64}$/;
const KEY_ID = /^[0-9a-f]{16}$/;

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
  const { hash: _hash, mac: _mac, ...body } = record;
  return sha256(canonicalJson(body));
}

/** An open audit trail that appends in O(1): it learned the last seq and line hash once, at open. */
export class AuditLog {
  readonly path: string;
  readonly #file: FileHandle;
  readonly #operator: string;
  readonly #host: string;
  readonly #now: () => Date;
  readonly #key: AuditKey | null;
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
    this.#key = session.key ?? null;
    this.#seq = head.seq;
    this.#lineHash = head.lineHash;
  }

  /**
   * Open (or create, 0600) the trail at `path`. Throws StateError when its last
   * line is cut short or unparseable (appending after it would chain onto garbage),
   * or when it is keyed and the session's key is not that key (the chain would
   * change keys, or lose them, from here on).
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
    const head = text === null ? { seq: 0, lineHash: GENESIS_HASH, keyId: null } : headOf(path, text);
    const keyId = session.key?.id ?? null;
    if (head.keyId !== null && head.keyId !== keyId) {
      const have = session.key ? `this session's key ${session.key.path} has id ${keyId}` : 'this session has no key';
      throw new StateError(
        path,
        `audit trail ${path} is keyed with key ${head.keyId} but ${have}; use the key the run was started with (XDG_CONFIG_HOME)`,
      );
    }
    if (text === null) await ensureDir(dirname(path));
    let file: FileHandle;
    try {
      file = await openNoFollow(path, 'a', 0o600);
    } catch (error) {
      if (error instanceof StateError) throw error;
      throw new StateError(path, `audit trail ${path} cannot be opened for appending: ${reasonOf(error)}; check its permissions`, {
        cause: error,
      });
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
    const key = this.#key ? { key: this.#key.id } : {};
    const body = JSON.parse(
      JSON.stringify({
        seq: this.#seq + 1,
        ts: this.#now().toISOString(),
        type,
        operator: this.#operator,
        host: this.#host,
        prev: this.#lineHash,
        ...key,
        ...data,
      }),
    ) as Record<string, unknown>;
    const hash = sha256(canonicalJson(body));
    const record = (this.#key ? { ...body, hash, mac: auditMac(this.#key, hash) } : { ...body, hash }) as AuditRecord;
    const line = JSON.stringify(record);
    this.#seq = record.seq;
    this.#lineHash = sha256(line);

    const written = this.#lastAppend.then(async () => {
      if (this.#failure) throw this.#failure;
      try {
        await this.#file.appendFile(`${line}\n`, 'utf8');
        await this.#file.datasync();
      } catch (error) {
        this.#failure = new StateError(
          this.path,
          `audit trail ${this.path} cannot be written: ${reasonOf(error)}; check free space and permissions`,
          { cause: error },
        );
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

/** Last seq, line hash and key id of an existing trail's text. */
function headOf(path: string, text: string): AuditHead & { keyId: string | null } {
  if (text === '') return { seq: 0, lineHash: GENESIS_HASH, keyId: null };
  const body = text.endsWith('\n') ? text.slice(0, -1) : text;
  const start = body.lastIndexOf('\n') + 1;
  const lineNumber = (): number => body.slice(0, start).split('\n').length;
  const advice = `verify it with \`waymark audit --verify\`, then move it away to start a new trail`;
  if (!text.endsWith('\n')) {
    throw new StateError(
      path,
      `audit trail ${path} ends with a cut-short record at line ${lineNumber()} (a crash during a write?); ${advice}`,
    );
  }
  const last = body.slice(start);
  let seq: unknown;
  let key: unknown;
  try {
    ({ seq, key } = JSON.parse(last) as { seq?: unknown; key?: unknown });
  } catch (error) {
    throw new StateError(path, `audit trail ${path} cannot be parsed at line ${lineNumber()}: ${reasonOf(error)}; ${advice}`, {
      cause: error,
    });
  }
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) {
    throw new StateError(path, `audit trail ${path} cannot be parsed at line ${lineNumber()}: it has no "seq"; ${advice}`);
  }
  return { seq, lineHash: sha256(last), keyId: typeof key === 'string' ? key : null };
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
  if ((record.key === undefined) !== (record.mac === undefined)) return 'has only one of "key" and "mac"';
  if (record.key !== undefined && (typeof record.key !== 'string' || !KEY_ID.test(record.key))) return 'has no valid "key" id';
  if (record.mac !== undefined && (typeof record.mac !== 'string' || !HEX64.test(record.mac))) return 'has no valid "mac"';
  return null;
}

/** How to check a trail beyond its own chain. */
export interface VerifyOptions {
  /** Where the checkpoint saw the trail end: records cut from the end are noticed. */
  head?: AuditHead;
  /** The key to check MACs with; without it keyed records are checked as a plain chain. */
  key?: AuditKey | null;
  /** A head exported earlier (`audit --export`): the trail must still contain that line. */
  anchor?: { seq?: number; lineHash: string };
}

/**
 * Check the whole chain at `path`. With `head` (kept in the checkpoint), also
 * notice records cut from the end, which the chain alone cannot show; with
 * `key`, check every keyed record's MAC. Once a record is keyed, every later one
 * must be keyed with the same key. Throws StateError only when the file cannot be read at all.
 */
export async function verifyAudit(path: string, options: VerifyOptions = {}): Promise<AuditVerdict> {
  let text: string;
  try {
    text = await readFileNoFollow(path);
  } catch (error) {
    if (error instanceof StateError) throw error;
    const what = hasCode(error, 'ENOENT') ? 'does not exist' : `cannot be read: ${reasonOf(error)}`;
    throw new StateError(path, `audit trail ${path} ${what}; check the run id and --state-dir`, { cause: error });
  }
  return verifyAuditText(text, options);
}

/** verifyAudit for a trail's text read from elsewhere (an evidence bundle): never throws. */
export function verifyAuditText(text: string, options: VerifyOptions = {}): AuditVerdict {
  const records: AuditRecord[] = [];
  const complete = text.endsWith('\n');
  const lines = text === '' ? [] : (complete ? text.slice(0, -1) : text).split('\n');
  let expectedPrev = GENESIS_HASH;
  const lineHashes: string[] = [];
  let keyId: string | null = null;
  let keyedFrom: number | null = null;
  const key = options.key ?? null;
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
    if (record.seq !== lineNumber)
      return fail(`has seq ${record.seq} where ${lineNumber} was expected: a record was inserted, deleted or moved`);
    if (record.prev !== expectedPrev) {
      return fail(`does not follow the line before it (prev hash mismatch): a record was inserted, deleted or moved`);
    }
    if (record.key === undefined) {
      if (keyId !== null) return fail(`is not keyed although record ${keyedFrom} and those after it are: it was written without the key`);
    } else {
      if (keyId === null) {
        keyId = record.key;
        keyedFrom = lineNumber;
      } else if (record.key !== keyId) {
        return fail(`is keyed with key ${record.key} where the trail uses key ${keyId}`);
      }
      if (key && key.id === keyId && auditMac(key, record.hash) !== record.mac) {
        return fail(`carries a MAC that does not verify with key ${keyId}: it was written or rewritten without the key`);
      }
    }
    expectedPrev = sha256(line);
    lineHashes.push(expectedPrev);
    records.push(record);
  }
  const head = options.head;
  if (head && head.seq > 0) {
    if (records.length < head.seq) {
      const line = records.length + 1;
      return {
        ok: false,
        line,
        reason: `line ${line} is missing: the trail ends at record ${records.length} but the checkpoint saw record ${head.seq}`,
      };
    }
    if (lineHashes[head.seq - 1] !== head.lineHash) {
      return { ok: false, line: head.seq, reason: `line ${head.seq} is not the record the checkpoint saw: the trail was rewritten` };
    }
  }
  const anchor = options.anchor;
  if (anchor) {
    const at =
      anchor.seq !== undefined
        ? lineHashes[anchor.seq - 1] === anchor.lineHash
          ? anchor.seq - 1
          : -1
        : lineHashes.indexOf(anchor.lineHash);
    if (at < 0) {
      const line = anchor.seq !== undefined ? Math.min(anchor.seq, records.length + 1) : records.length + 1;
      const where =
        anchor.seq !== undefined && anchor.seq > records.length
          ? `the trail ends at record ${records.length}`
          : 'no line of the trail has that hash';
      return {
        ok: false,
        line,
        reason: `line ${line}: the trail does not extend the exported head ${anchor.seq ?? '?'}:${anchor.lineHash}: ${where}; it was cut or rewritten since the export`,
      };
    }
  }
  return {
    ok: true,
    records,
    keyId,
    keyedFrom,
    authenticated: keyId === null || key?.id === keyId,
    head: { seq: records.length, lineHash: expectedPrev },
  };
}

/** The last `transition` (journal seq) the trail has a record of, 0 when none. */
export function lastTransition(records: AuditRecord[]): number {
  for (let i = records.length - 1; i >= 0; i -= 1) {
    const transition = records[i]?.transition;
    if (typeof transition === 'number') return transition;
  }
  return 0;
}

/** Where a torn last record was kept, and its size. */
export interface TornRecord {
  aside: string;
  bytes: number;
}

/**
 * A trail whose last line has no line end (a crash or a full disk during a write) cannot be
 * appended to. When those bytes are the start of the record that would follow the last whole
 * line (its next `seq`, chained to that line), they are copied to `PATH.torn-N` and cut from
 * the trail, so the run can go on; the copy is evidence. Returns null when the trail is not
 * torn, and throws StateError, naming the line, when the tail is anything else.
 */
export async function setAsideTornRecord(path: string): Promise<TornRecord | null> {
  let bytes: Buffer;
  try {
    const file = await openNoFollow(path, 'r');
    try {
      bytes = await file.readFile();
    } finally {
      await file.close();
    }
  } catch (error) {
    if (error instanceof StateError) throw error;
    if (hasCode(error, 'ENOENT')) return null;
    throw new StateError(path, `audit trail ${path} cannot be read: ${reasonOf(error)}; check its permissions`, { cause: error });
  }
  if (bytes.length === 0 || bytes[bytes.length - 1] === 0x0a) return null;
  const end = bytes.lastIndexOf(0x0a) + 1;
  const whole = bytes.subarray(0, end).toString('utf8');
  const torn = bytes.subarray(end).toString('utf8');
  const lines = whole === '' ? [] : whole.slice(0, -1).split('\n');
  const last = lines.at(-1);
  const lineNumber = lines.length + 1;
  let nextSeq = 1;
  if (last !== undefined) {
    try {
      nextSeq = (JSON.parse(last) as { seq: number }).seq + 1;
    } catch {
      nextSeq = Number.NaN;
    }
  }
  if (!startsNextRecord(torn, nextSeq, last === undefined ? GENESIS_HASH : sha256(last))) {
    throw new StateError(
      path,
      `audit trail ${path} ends with a cut-short line ${lineNumber} that is not the start of the record after line ${lineNumber - 1}; verify it with \`waymark audit --verify\`, then move it away to start a new trail`,
    );
  }
  let n = 1;
  for (; ; n += 1) {
    const aside = `${path}.torn-${n}`;
    let file: FileHandle;
    try {
      file = await openNoFollow(aside, 'wx');
    } catch (error) {
      if (hasCode(error, 'EEXIST')) continue;
      throw new StateError(
        aside,
        `the cut-short end of audit trail ${path} cannot be kept at ${aside}: ${reasonOf(error)}; check free space`,
        { cause: error },
      );
    }
    try {
      await file.writeFile(bytes.subarray(end));
      await file.datasync();
    } finally {
      await file.close();
    }
    await syncDirectory(dirname(path), aside);
    // Only once the copy is on disk: a crash in between leaves both, and the next resume finds the tear again.
    const trail = await openNoFollow(path, 'a');
    try {
      await trail.truncate(end);
      await trail.datasync();
    } finally {
      await trail.close();
    }
    return { aside, bytes: bytes.length - end };
  }
}

/** True when `torn` can be the beginning of the line waymark writes as record `seq` after a line hashing to `prev`. */
function startsNextRecord(torn: string, seq: number, prev: string): boolean {
  if (!Number.isSafeInteger(seq) || torn.includes('\n')) return false;
  const opening = `{"seq":${seq},"ts":"`;
  if (!(torn.startsWith(opening) || opening.startsWith(torn))) return false;
  const at = torn.indexOf('"prev":"');
  if (at < 0) return !torn.includes('"hash":"');
  const after = torn.slice(at + '"prev":"'.length);
  const expected = `${prev}"`;
  return after.startsWith(expected) || expected.startsWith(after);
}
