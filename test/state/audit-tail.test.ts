/**
 * The audit trail's edges that only whole runs reached before (npm run mutate found them
 * untested in process): an exported head (`audit --export`) checked later, a record torn by a
 * crash set aside so the run can go on, lines that are not audit records, and an open refused on
 * a trail it cannot continue (docs/running.md#the-audit-trail).
 */
import { createHash } from 'node:crypto';
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateError } from '../../src/state/atomic.js';
import { AuditLog, setAsideTornRecord, verifyAudit } from '../../src/state/audit.js';
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
    expect(verdict).toEqual({ ok: false, line: 3, reason: `line 3: the trail does not extend the exported head 3:${anchor.lineHash}: the trail ends at record 2; it was cut or rewritten since the export` });
  });

  it('fails when the exported line is not at its seq any more, or nowhere without a seq', async () => {
    const { path, lines } = await trail();
    const wrongSeq = await verifyAudit(path, { anchor: { seq: 1, lineHash: sha256(lines[1]!) } });
    expect(wrongSeq).toEqual({ ok: false, line: 1, reason: `line 1: the trail does not extend the exported head 1:${sha256(lines[1]!)}: no line of the trail has that hash; it was cut or rewritten since the export` });
    const unknown = 'f'.repeat(64);
    const nowhere = await verifyAudit(path, { anchor: { lineHash: unknown } });
    expect(nowhere).toEqual({ ok: false, line: 4, reason: `line 4: the trail does not extend the exported head ?:${unknown}: no line of the trail has that hash; it was cut or rewritten since the export` });
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
    await writeFile(path, `{"seq":1,"ts":"2026-12-06T01:00:00.000Z","type":"run-started","operator":"a","host":"h","prev":"${'0'.repeat(64)}","hash":"ab`);
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
    ['a record chained to another line', () => `{"seq":4,"ts":"2026-12-06T01:00:09.000Z","type":"x","operator":"a","host":"h","prev":"${'1'.repeat(64)}"`],
    ['a record with a hash but no prev', () => '{"seq":4,"ts":"2026-12-06T01:00:09.000Z","hash":"'],
    ['text that is no record at all', () => 'edited by hand'],
  ])('is refused, naming the line, when the tail is %s: that is not a crash waymark can explain', async (_what, tail) => {
    const { path, lines } = await trail();
    await appendFile(path, tail(sha256(lines[2]!)));
    const refused = setAsideTornRecord(path);
    await expect(refused).rejects.toThrow(StateError);
    await expect(refused).rejects.toThrow(`audit trail ${path} ends with a cut-short line 4 that is not the start of the record after line 3`);
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
    ['a last line cut short', (lines: string[]) => `${lines.join('\n')}\n{"seq":4`, 'ends with a cut-short record at line 4 (a crash during a write?)'],
    ['a last line that is not JSON', (lines: string[]) => `${lines.join('\n')}\nnot json\n`, 'cannot be parsed at line 4: '],
    ['a last line without seq', (lines: string[]) => `${lines.join('\n')}\n{"type":"x"}\n`, 'cannot be parsed at line 4: it has no "seq"'],
  ])('refuses %s, naming the file, the line and what to do', async (_what, text, message) => {
    const { path, lines } = await trail();
    await writeFile(path, text(lines));
    const opened = AuditLog.open(path, { operator: 'alice' });
    await expect(opened).rejects.toThrow(StateError);
    await expect(opened).rejects.toThrow(`audit trail ${path} ${message}`);
    await expect(AuditLog.open(path, { operator: 'alice' })).rejects.toThrow('verify it with `waymark audit --verify`, then move it away to start a new trail');
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
