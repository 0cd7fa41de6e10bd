/**
 * The audit trail's edges that only whole runs reached before (npm run mutate found them
 * untested in process): an exported head (`audit --export`) checked later, a record torn by a
 * crash set aside so the run can go on, lines that are not audit records, and an open refused on
 * a trail it cannot continue (docs/running.md#the-audit-trail).
 */
import { createHash } from 'node:crypto';
import { appendFile, link, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateError, StateLinkError } from '../../src/state/atomic.js';
import { auditMac, loadAuditKey, type AuditKey } from '../../src/state/audit-key.js';
import {
  AuditLog,
  GENESIS_HASH,
  canonicalJson,
  lastTransition,
  setAsideTornRecord,
  verifyAudit,
  type AuditRecord,
} from '../../src/state/audit.js';
import { useTempDir } from './temp-dir.js';

const tempDir = useTempDir();
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A trail of three records; returns its path and its lines. */
async function trail(): Promise<{ path: string; lines: string[] }> {
  const path = join(tempDir(), 'run', 'audit.jsonl');
  let tick = 0;
  const log = await AuditLog.open(path, { operator: 'alice', host: 'ops1', now: () => new Date(Date.UTC(2026, 11, 6, 1, 0, tick++)) });
  await log.append('run-started', { runbook: 'r' });
  await log.append('block-passed', { block: 'a' });
  await log.append('block-passed', { block: 'b' });
  await log.close();
  return { path, lines: (await readFile(path, 'utf8')).split('\n').slice(0, -1) };
}

describe('an exported head checked later (audit --export, then --verify against it)', () => {
  it('holds while the trail still has that line, at that seq or, without a seq, anywhere', async () => {
    const { path, lines } = await trail();
    expect(await verifyAudit(path, { anchor: { seq: 2, lineHash: sha256(lines[1]!) } })).toMatchObject({ ok: true });
    expect(await verifyAudit(path, { anchor: { lineHash: sha256(lines[2]!) } })).toMatchObject({ ok: true });
  });

  it('fails when the trail was cut before the exported line, naming where it ends', async () => {
    const { path, lines } = await trail();
    const anchor = { seq: 3, lineHash: sha256(lines[2]!) };
    await writeFile(path, `${lines.slice(0, 2).join('\n')}\n`);
    const verdict = await verifyAudit(path, { anchor });
    expect(verdict).toEqual({
      ok: false,
      line: 3,
      reason: `line 3: the trail does not extend the exported head 3:${anchor.lineHash}: the trail ends at record 2; it was cut or rewritten since the export`,
    });
  });

  it('fails when the exported line is not at its seq any more, or nowhere without a seq', async () => {
    const { path, lines } = await trail();
    const wrongSeq = await verifyAudit(path, { anchor: { seq: 1, lineHash: sha256(lines[1]!) } });
    expect(wrongSeq).toEqual({
      ok: false,
      line: 1,
      reason: `line 1: the trail does not extend the exported head 1:${sha256(lines[1]!)}: no line of the trail has that hash; it was cut or rewritten since the export`,
    });
    const unknown = 'f'.repeat(64);
    const nowhere = await verifyAudit(path, { anchor: { lineHash: unknown } });
    expect(nowhere).toEqual({
      ok: false,
      line: 4,
      reason: `line 4: the trail does not extend the exported head ?:${unknown}: no line of the trail has that hash; it was cut or rewritten since the export`,
    });
  });
});

describe('a record torn by a crash during its write', () => {
  it('is copied aside and cut from the trail when it is the start of the next record, so the chain goes on', async () => {
    const { path, lines } = await trail();
    const torn = `{"seq":4,"ts":"2026-12-06T01:00:09.000Z","type":"block-passed","operator":"alice","host":"ops1","prev":"${sha256(lines[2]!).slice(0, 20)}`;
    await appendFile(path, torn);
    expect(await setAsideTornRecord(path)).toEqual({ aside: `${path}.torn-1`, bytes: Buffer.byteLength(torn) });
    expect(await readFile(`${path}.torn-1`, 'utf8')).toBe(torn);
    expect(await readFile(path, 'utf8')).toBe(`${lines.join('\n')}\n`);
    expect(await verifyAudit(path)).toMatchObject({ ok: true, head: { seq: 3 } });
    // A second tear is kept beside the first, never over it.
    await appendFile(path, '{"seq":4,"t');
    expect(await setAsideTornRecord(path)).toEqual({ aside: `${path}.torn-2`, bytes: 11 });
    expect(await readFile(`${path}.torn-1`, 'utf8')).toBe(torn);
  });

  it('as the first record of a trail, is set aside too', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    await writeFile(
      path,
      `{"seq":1,"ts":"2026-12-06T01:00:00.000Z","type":"run-started","operator":"a","host":"h","prev":"${'0'.repeat(64)}","hash":"ab`,
    );
    expect(await setAsideTornRecord(path)).toMatchObject({ aside: `${path}.torn-1` });
    expect(await readFile(path, 'utf8')).toBe('');
  });

  it('is nothing to set aside when the trail is missing, empty or ends with a whole line', async () => {
    const { path } = await trail();
    expect(await setAsideTornRecord(path)).toBeNull();
    expect(await setAsideTornRecord(join(tempDir(), 'none.jsonl'))).toBeNull();
    const empty = join(tempDir(), 'empty.jsonl');
    await writeFile(empty, '');
    expect(await setAsideTornRecord(empty)).toBeNull();
    expect(existsSync(`${path}.torn-1`)).toBe(false);
  });

  it.each([
    ['a record with the wrong seq', (prev: string) => `{"seq":7,"ts":"2026-12-06T01:00:09.000Z","prev":"${prev}`],
    [
      'a record chained to another line',
      () => `{"seq":4,"ts":"2026-12-06T01:00:09.000Z","type":"x","operator":"a","host":"h","prev":"${'1'.repeat(64)}"`,
    ],
    ['a record with a hash but no prev', () => '{"seq":4,"ts":"2026-12-06T01:00:09.000Z","hash":"'],
    ['text that is no record at all', () => 'edited by hand'],
  ])('is refused, naming the line, when the tail is %s: that is not a crash waymark can explain', async (_what, tail) => {
    const { path, lines } = await trail();
    await appendFile(path, tail(sha256(lines[2]!)));
    const refused = setAsideTornRecord(path);
    await expect(refused).rejects.toThrow(StateError);
    await expect(refused).rejects.toThrow(
      `audit trail ${path} ends with a cut-short line 4 that is not the start of the record after line 3`,
    );
    expect(existsSync(`${path}.torn-1`)).toBe(false);
  });

  it('is refused when the last whole line is not JSON, since the next seq cannot be known', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    await writeFile(path, 'garbage\n{"seq":2,"ts":"');
    await expect(setAsideTornRecord(path)).rejects.toThrow('cut-short line 2 that is not the start of the record after line 1');
  });
});

describe('lines that are not audit records', () => {
  const hex = 'a'.repeat(64);
  const base = { seq: 1, ts: '2026-12-06T01:00:00.000Z', type: 't', operator: 'o', host: 'h', prev: hex, hash: hex };
  it.each<[string, unknown, string]>([
    ['an array', [1], 'is not a JSON object'],
    ['null', null, 'is not a JSON object'],
    ['no seq', { ...base, seq: '1' }, 'has no numeric "seq"'],
    ['no ts', { ...base, ts: 5 }, 'has no "ts"'],
    ['no host', { ...base, host: undefined }, 'has no "host"'],
    ['a short prev', { ...base, prev: 'abc' }, 'has no valid "prev" hash'],
    ['no hash', { ...base, hash: undefined }, 'has no valid "hash" hash'],
    ['a key without a mac', { ...base, key: '0123456789abcdef' }, 'has only one of "key" and "mac"'],
    ['a key that is no key id', { ...base, key: 'KEY', mac: hex }, 'has no valid "key" id'],
    ['a mac that is no MAC', { ...base, key: '0123456789abcdef', mac: 'zz' }, 'has no valid "mac"'],
  ])('%s: the verdict names the line and what is missing', async (_what, record, problem) => {
    const path = join(tempDir(), 'audit.jsonl');
    await writeFile(path, `${JSON.stringify(record)}\n`);
    expect(await verifyAudit(path)).toEqual({ ok: false, line: 1, reason: `line 1 is not an audit record: it ${problem}` });
  });
});

describe('opening a trail it cannot continue', () => {
  it.each([
    [
      'a last line cut short',
      (lines: string[]) => `${lines.join('\n')}\n{"seq":4`,
      'ends with a cut-short record at line 4 (a crash during a write?)',
    ],
    ['a last line that is not JSON', (lines: string[]) => `${lines.join('\n')}\nnot json\n`, 'cannot be parsed at line 4: '],
    ['a last line without seq', (lines: string[]) => `${lines.join('\n')}\n{"type":"x"}\n`, 'cannot be parsed at line 4: it has no "seq"'],
  ])('refuses %s, naming the file, the line and what to do', async (_what, text, message) => {
    const { path, lines } = await trail();
    await writeFile(path, text(lines));
    const opened = AuditLog.open(path, { operator: 'alice' });
    await expect(opened).rejects.toThrow(StateError);
    await expect(opened).rejects.toThrow(`audit trail ${path} ${message}`);
    await expect(AuditLog.open(path, { operator: 'alice' })).rejects.toThrow(
      'verify it with `waymark audit --verify`, then move it away to start a new trail',
    );
  });

  it('continues a trail of one record, chained to that line', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    const first = await AuditLog.open(path, { operator: 'alice', host: 'ops1' });
    await first.append('run-started');
    await first.close();
    const line = (await readFile(path, 'utf8')).trimEnd();
    const again = await AuditLog.open(path, { operator: 'bob', host: 'ops2' });
    expect(again.head).toEqual({ seq: 1, lineHash: sha256(line) });
    const record = await again.append('resumed');
    await again.close();
    expect(record).toMatchObject({ seq: 2, prev: sha256(line), operator: 'bob', host: 'ops2', type: 'resumed' });
  });
});

describe('what npm run mutate found unasserted in state/audit.ts', () => {
  const linkRefusal = (path: string): string =>
    `${path} in the state directory is a symbolic link; waymark never follows links there — check who planted it, then remove it`;
  const forgedRecord = (body: Record<string, unknown>, key?: AuditKey): string => {
    const hash = sha256(canonicalJson(body));
    return JSON.stringify(key ? { ...body, hash, mac: auditMac(key, hash) } : { ...body, hash });
  };

  it.each(['seq', 'ts', 'type', 'operator', 'host', 'prev', 'hash', 'key', 'mac'])(
    'refuses data that would set the fixed field %s',
    async (field) => {
      const log = await AuditLog.open(join(tempDir(), 'audit.jsonl'), { operator: 'alice' });
      await expect(log.append('x', { [field]: 'forged' })).rejects.toThrow(`audit data may not set the fixed field "${field}"`);
      await log.close();
      expect(await readFile(join(tempDir(), 'audit.jsonl'), 'utf8')).toBe('');
    },
  );

  it('continues an existing empty trail from the first record', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    await writeFile(path, '');
    const log = await AuditLog.open(path, { operator: 'alice' });
    expect(log.head).toEqual({ seq: 0, lineHash: GENESIS_HASH });
    expect(await log.append('run-started')).toMatchObject({ seq: 1, prev: GENESIS_HASH });
    await log.close();
  });

  it('continues a keyed trail with its own key', async () => {
    const key = await loadAuditKey({ XDG_CONFIG_HOME: join(tempDir(), 'config') });
    const path = join(tempDir(), 'audit.jsonl');
    for (const type of ['run-started', 'run-resumed']) {
      const log = await AuditLog.open(path, { operator: 'alice', key });
      await log.append(type);
      await log.close();
    }
    expect(await verifyAudit(path, { key })).toMatchObject({ ok: true, keyedFrom: 1, authenticated: true, head: { seq: 2 } });
  });

  it('refuses a trail whose last line has a seq that is no whole number', async () => {
    const { path, lines } = await trail();
    await writeFile(path, `${lines.join('\n')}\n{"seq":3.5}\n`);
    await expect(AuditLog.open(path, { operator: 'alice' })).rejects.toThrow(
      `audit trail ${path} cannot be parsed at line 4: it has no "seq"`,
    );
  });

  it('names the parser’s reason for a last line that is not JSON', async () => {
    const { path, lines } = await trail();
    await writeFile(path, `${lines.join('\n')}\nnot json\n`);
    const error = await AuditLog.open(path, { operator: 'alice' }).catch((e: unknown) => e);
    expect((error as StateError).message).toMatch(new RegExp(`^audit trail ${path} cannot be parsed at line 4: .*JSON.*; verify it with`));
    expect((error as StateError).cause).toBeInstanceOf(SyntaxError);
  });

  it('after close, an append is refused as a write failure, and so is every append after it: the chain on disk stopped', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    const log = await AuditLog.open(path, { operator: 'alice' });
    await log.append('run-started');
    const kept = await readFile(path, 'utf8');
    await log.close();
    const first = await log.append('late').catch((e: unknown) => e);
    expect(first).toBeInstanceOf(StateError);
    expect((first as StateError).message).toMatch(
      new RegExp(`^audit trail ${path} cannot be written: .*; check free space and permissions$`),
    );
    expect((first as StateError).cause).toBeInstanceOf(Error);
    const head = log.head;
    await expect(log.append('later')).rejects.toBe(first);
    expect(log.head).toEqual(head);
    expect(await readFile(path, 'utf8')).toBe(kept);
  });

  it('close waits for the appends made before it', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    const log = await AuditLog.open(path, { operator: 'alice' });
    const appended = log.append('run-started');
    await log.close();
    expect((await readFile(path, 'utf8')).split('\n')).toHaveLength(2);
    await appended;
  });

  it('a trail it cannot read is a state error naming it, for open, verify and setting aside a tear', async () => {
    const notADir = join(tempDir(), 'run');
    await writeFile(notADir, '');
    const path = join(notADir, 'audit.jsonl');
    for (const [operation, message] of [
      [() => AuditLog.open(path, { operator: 'alice' }), `^audit trail ${path} cannot be read: .*ENOTDIR.*; check its permissions$`],
      [() => verifyAudit(path), `^audit trail ${path} cannot be read: .*ENOTDIR.*; check the run id and --state-dir$`],
      [() => setAsideTornRecord(path), `^audit trail ${path} cannot be read: .*ENOTDIR.*; check its permissions$`],
    ] as const) {
      // Each operation starts only when its turn comes: started together, the later ones' refusals
      // were unhandled while the first was awaited (CI reported them as unhandled rejections).
      const error = await (operation() as Promise<unknown>).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StateError);
      expect((error as StateError).message).toMatch(new RegExp(message));
      expect((error as StateError).cause).toMatchObject({ code: 'ENOTDIR' });
    }
  });

  it('a trail that is a symbolic link is refused as one by open, verify and setting aside a tear', async () => {
    const { path: real } = await trail();
    const path = join(tempDir(), 'audit.jsonl');
    await symlink(real, path);
    for (const operation of [() => AuditLog.open(path, { operator: 'alice' }), () => verifyAudit(path), () => setAsideTornRecord(path)]) {
      const error = await (operation() as Promise<unknown>).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StateLinkError);
      expect((error as StateLinkError).message).toBe(linkRefusal(path));
    }
  });

  it('a trail with a second name is refused for appending (the other file would change too)', async () => {
    const { path } = await trail();
    await link(path, join(tempDir(), 'copy.jsonl'));
    const error = await AuditLog.open(path, { operator: 'alice' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateLinkError);
    expect((error as StateLinkError).message).toMatch(new RegExp(`^${path} in the state directory has 2 hard links`));
  });

  it('a tear it cannot keep aside is a state error naming where, and the trail is left as it was', async () => {
    // A trail whose path leaves no room for `.torn-1` (PATH_MAX is 4096 bytes on Linux).
    let dir = tempDir();
    while (dir.length < 4080 - 201) dir = join(dir, 'd'.repeat(200));
    dir = join(dir, 'e'.repeat(4080 - dir.length - 1));
    await mkdir(dir, { recursive: true });
    const path = join(dir, 'audit.jsonl');
    await writeFile(path, '{"seq":1,"ts":"');
    const error = await setAsideTornRecord(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).message).toMatch(
      new RegExp(`^the cut-short end of audit trail ${path} cannot be kept at ${path}\\.torn-1: .*ENAMETOOLONG.*; check free space$`),
    );
    expect((error as StateError).cause).toMatchObject({ code: 'ENAMETOOLONG' });
    expect(await readFile(path, 'utf8')).toBe('{"seq":1,"ts":"');
  });

  it('refuses a tear after a last whole line that is not JSON, even one that could start a first record', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    await writeFile(path, 'garbage\n{"se');
    await expect(setAsideTornRecord(path)).rejects.toThrow('cut-short line 2 that is not the start of the record after line 1');
    expect(await readFile(path, 'utf8')).toBe('garbage\n{"se');
  });

  it.each<[string, (hex: string) => Record<string, unknown>, string]>([
    ['a number', () => ({}), 'is not a JSON object'],
    ['a prev with more after it', (hex) => ({ prev: `${hex}00` }), 'has no valid "prev" hash'],
    ['a prev with more before it', (hex) => ({ prev: `00${hex}` }), 'has no valid "prev" hash'],
    ['a prev that is a list', (hex) => ({ prev: [hex] }), 'has no valid "prev" hash'],
    ['a key id with more after it', (hex) => ({ key: '0123456789abcdef0', mac: hex }), 'has no valid "key" id'],
    ['a key id with more before it', (hex) => ({ key: '00123456789abcdef', mac: hex }), 'has no valid "key" id'],
    ['a key id that is a list', (hex) => ({ key: ['0123456789abcdef'], mac: hex }), 'has no valid "key" id'],
    ['a mac that is a list', (hex) => ({ key: '0123456789abcdef', mac: [hex] }), 'has no valid "mac"'],
  ])('%s: the verdict names the line and what is wrong', async (what, change, problem) => {
    const hex = 'a'.repeat(64);
    const record =
      what === 'a number'
        ? 5
        : { seq: 1, ts: '2026-12-06T01:00:00.000Z', type: 't', operator: 'o', host: 'h', prev: hex, hash: hex, ...change(hex) };
    const path = join(tempDir(), 'audit.jsonl');
    await writeFile(path, `${JSON.stringify(record)}\n`);
    expect(await verifyAudit(path)).toEqual({ ok: false, line: 1, reason: `line 1 is not an audit record: it ${problem}` });
  });

  describe('a keyed trail', () => {
    async function keyedTrail(): Promise<{ path: string; key: AuditKey; other: AuditKey; lines: string[] }> {
      const key = await loadAuditKey({ XDG_CONFIG_HOME: join(tempDir(), 'config') });
      const other = await loadAuditKey({ XDG_CONFIG_HOME: join(tempDir(), 'other') });
      const path = join(tempDir(), 'audit.jsonl');
      const log = await AuditLog.open(path, { operator: 'alice', key });
      await log.append('run-started');
      await log.close();
      return { path, key, other, lines: (await readFile(path, 'utf8')).split('\n').slice(0, -1) };
    }

    it('finds a record keyed with another key', async () => {
      const { path, key, other, lines } = await keyedTrail();
      const body = {
        seq: 2,
        ts: '2026-12-06T01:00:01.000Z',
        type: 'check-overridden',
        operator: 'mallory',
        host: 'x',
        prev: sha256(lines[0]!),
        key: other.id,
      };
      await appendFile(path, `${forgedRecord(body, other)}\n`);
      expect(await verifyAudit(path)).toEqual({
        ok: false,
        line: 2,
        reason: `line 2 is keyed with key ${other.id} where the trail uses key ${key.id}`,
      });
    });

    it('finds a record whose MAC was not made with the key, and only with the key at hand', async () => {
      const { path, key, other, lines } = await keyedTrail();
      const body = {
        seq: 2,
        ts: '2026-12-06T01:00:01.000Z',
        type: 'check-overridden',
        operator: 'mallory',
        host: 'x',
        prev: sha256(lines[0]!),
        key: key.id,
      };
      // Right key id, MAC made with another secret: the chain holds, the MAC does not.
      await appendFile(path, `${forgedRecord(body, other)}\n`);
      expect(await verifyAudit(path, { key })).toEqual({
        ok: false,
        line: 2,
        reason: `line 2 carries a MAC that does not verify with key ${key.id}: it was written or rewritten without the key`,
      });
      // Without the trail's key the MACs cannot be checked: the chain verifies, not authenticated.
      expect(await verifyAudit(path, { key: other })).toMatchObject({ ok: true, keyId: key.id, authenticated: false });
    });
  });

  describe('an exported head', () => {
    it('holds at the first record, with or without its seq', async () => {
      const { path, lines } = await trail();
      expect(await verifyAudit(path, { anchor: { seq: 1, lineHash: sha256(lines[0]!) } })).toMatchObject({ ok: true });
      expect(await verifyAudit(path, { anchor: { lineHash: sha256(lines[0]!) } })).toMatchObject({ ok: true });
    });

    it('at the last seq but with another hash, says no line has that hash', async () => {
      const { path } = await trail();
      const unknown = 'f'.repeat(64);
      expect(await verifyAudit(path, { anchor: { seq: 3, lineHash: unknown } })).toEqual({
        ok: false,
        line: 3,
        reason: `line 3: the trail does not extend the exported head 3:${unknown}: no line of the trail has that hash; it was cut or rewritten since the export`,
      });
    });
  });
});

describe('lastTransition: the last checkpoint transition the trail records (what a resume compares with the journal)', () => {
  const record = (seq: number, extra: Record<string, unknown> = {}): AuditRecord =>
    ({ seq, ts: '', type: 't', operator: 'o', host: 'h', prev: GENESIS_HASH, hash: GENESIS_HASH, ...extra }) as AuditRecord;

  it('is the transition of the latest record that has one, skipping later records without', () => {
    expect(lastTransition([record(1, { transition: 1 }), record(2, { transition: 4 }), record(3), record(4, { transition: '9' })])).toBe(4);
  });

  it('is found in the first record too, and is 0 when no record has one', () => {
    expect(lastTransition([record(1, { transition: 7 }), record(2)])).toBe(7);
    expect(lastTransition([record(1), record(2)])).toBe(0);
    expect(lastTransition([])).toBe(0);
  });
});
