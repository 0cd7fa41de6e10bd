import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateError } from '../../src/state/atomic.js';
import { AuditLog, GENESIS_HASH, canonicalJson, verifyAudit, type AuditHead } from '../../src/state/audit.js';
import { modeOf, useTempDir } from './temp-dir.js';

const tempDir = useTempDir();
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A trail of five records written by one session; returns its path and final head. */
async function writeTrail(): Promise<{ path: string; head: AuditHead }> {
  const path = join(tempDir(), 'run', 'audit.jsonl');
  let tick = 0;
  const log = await AuditLog.open(path, { operator: 'alice', host: 'ops1', now: () => new Date(Date.UTC(2026, 10, 22, 1, 0, tick++)) });
  await log.append('run-started', { runbook: 'juno-to-mitaka', runId: 'r1' });
  await log.append('block-passed', { block: 'backup-1', exitCode: 0 });
  await log.append('check-failed', { block: 'latin1', rows: [{ table: 'instances', charset: 'latin1' }] });
  await log.append('check-overridden', { block: 'latin1', reason: 'converted by hand' });
  await log.append('block-passed', { block: 'migrate', exitCode: 0 });
  const head = log.head;
  await log.close();
  return { path, head };
}

async function lines(path: string): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').slice(0, -1);
}

async function rewrite(path: string, edit: (lines: string[]) => string[]): Promise<void> {
  await writeFile(
    path,
    edit(await lines(path))
      .map((line) => `${line}\n`)
      .join(''),
  );
}

describe('AuditLog', () => {
  it('writes a 0600 chain where each record carries the hash of the line before it', async () => {
    const { path } = await writeTrail();
    expect(modeOf(await stat(path))).toBe(0o600);
    const text = await lines(path);
    expect(text).toHaveLength(5);
    const records = text.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(records[0]).toMatchObject({
      seq: 1,
      ts: '2026-11-22T01:00:00.000Z',
      type: 'run-started',
      operator: 'alice',
      host: 'ops1',
      prev: GENESIS_HASH,
      runbook: 'juno-to-mitaka',
    });
    for (let i = 1; i < records.length; i += 1) {
      expect(records[i]?.seq).toBe(i + 1);
      expect(records[i]?.prev).toBe(sha256(text[i - 1] as string));
    }
    const { hash, ...body } = records[2] as Record<string, unknown>;
    expect(hash).toBe(sha256(canonicalJson(body)));
  });

  it('continues the chain after a reopen without rewriting earlier lines', async () => {
    const { path, head } = await writeTrail();
    const before = await readFile(path, 'utf8');
    const log = await AuditLog.open(path, { operator: 'bob' });
    expect(log.head).toEqual(head);
    const record = await log.append('run-resumed', {});
    await log.close();
    expect(record.seq).toBe(6);
    expect(record.operator).toBe('bob');
    const after = await readFile(path, 'utf8');
    expect(after.startsWith(before)).toBe(true);
    const verdict = await verifyAudit(path);
    expect(verdict.ok && verdict.records.map((r) => r.type)).toEqual([
      'run-started',
      'block-passed',
      'check-failed',
      'check-overridden',
      'block-passed',
      'run-resumed',
    ]);
  });

  it('keeps call order when appends are not awaited one by one', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    const log = await AuditLog.open(path, { operator: 'alice' });
    await Promise.all(Array.from({ length: 20 }, (_, i) => log.append('tick', { i })));
    await log.close();
    const verdict = await verifyAudit(path);
    expect(verdict.ok && verdict.records.map((r) => r.i)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('refuses data that would overwrite a fixed field', async () => {
    const log = await AuditLog.open(join(tempDir(), 'audit.jsonl'), { operator: 'alice' });
    await expect(log.append('sneaky', { seq: 1 })).rejects.toThrow('"seq"');
    await expect(log.append('sneaky', { operator: 'mallory' })).rejects.toThrow('"operator"');
    await log.close();
  });

  it('refuses to append after a cut-short last line, naming the file', async () => {
    const { path } = await writeTrail();
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, -20));
    await expect(AuditLog.open(path, { operator: 'alice' })).rejects.toThrow(StateError);
    await expect(AuditLog.open(path, { operator: 'alice' })).rejects.toThrow(`audit trail ${path} ends with a cut-short record at line 5`);
    expect(await readFile(path, 'utf8')).toBe(text.slice(0, -20));
  });
});

describe('verifyAudit', () => {
  it('accepts an intact chain and returns its records', async () => {
    const { path, head } = await writeTrail();
    const verdict = await verifyAudit(path, { head });
    expect(verdict.ok).toBe(true);
    expect(verdict.ok && verdict.records).toHaveLength(5);
  });

  it('accepts an empty trail', async () => {
    const path = join(tempDir(), 'audit.jsonl');
    await writeFile(path, '');
    expect(await verifyAudit(path)).toMatchObject({ ok: true, records: [], keyId: null, head: { seq: 0 } });
  });

  it('finds an edited record', async () => {
    const { path } = await writeTrail();
    await rewrite(path, (all) => all.map((line, i) => (i === 2 ? line.replace('"latin1"', '"utf8"') : line)));
    const verdict = await verifyAudit(path);
    expect(verdict).toMatchObject({ ok: false, line: 3 });
    expect(!verdict.ok && verdict.reason).toContain('edited');
  });

  it('finds an edited record whose own hash was recomputed, at the next line', async () => {
    const { path } = await writeTrail();
    await rewrite(path, (all) =>
      all.map((line, i) => {
        if (i !== 3) return line;
        const { hash: _hash, ...body } = JSON.parse(line) as Record<string, unknown>;
        body.reason = 'nobody overrode anything';
        return JSON.stringify({ ...body, hash: sha256(canonicalJson(body)) });
      }),
    );
    expect(await verifyAudit(path)).toMatchObject({ ok: false, line: 5 });
  });

  it('finds an inserted record', async () => {
    const { path } = await writeTrail();
    await rewrite(path, (all) => [...all.slice(0, 2), all[1] as string, ...all.slice(2)]);
    expect(await verifyAudit(path)).toEqual({
      ok: false,
      line: 3,
      reason: 'line 3 has seq 2 where 3 was expected: a record was inserted, deleted or moved',
    });
  });

  it('finds an inserted record forged with the right seq and its own valid hash', async () => {
    const { path } = await writeTrail();
    await rewrite(path, (all) => {
      const body = {
        seq: 3,
        ts: '2026-11-22T01:00:02.500Z',
        type: 'block-passed',
        operator: 'alice',
        host: 'ops1',
        prev: sha256(all[1] as string),
        block: 'fake',
      };
      const forged = JSON.stringify({ ...body, hash: sha256(canonicalJson(body)) });
      return [...all.slice(0, 2), forged, ...all.slice(2)];
    });
    // The forged line chains correctly; the original third record, now fourth, does not.
    expect(await verifyAudit(path)).toMatchObject({ ok: false, line: 4 });
  });

  it('finds a record whose seq was changed and its hash recomputed, by its seq', async () => {
    const { path } = await writeTrail();
    await rewrite(path, (all) =>
      all.map((line, i) => {
        if (i !== 1) return line;
        const { hash: _hash, ...body } = JSON.parse(line) as Record<string, unknown>;
        body.seq = 7;
        return JSON.stringify({ ...body, hash: sha256(canonicalJson(body)) });
      }),
    );
    expect(await verifyAudit(path)).toEqual({
      ok: false,
      line: 2,
      reason: 'line 2 has seq 7 where 2 was expected: a record was inserted, deleted or moved',
    });
  });

  it('finds a deleted record', async () => {
    const { path } = await writeTrail();
    await rewrite(path, (all) => all.filter((_, i) => i !== 2));
    const verdict = await verifyAudit(path);
    expect(verdict).toMatchObject({ ok: false, line: 3 });
    expect(!verdict.ok && verdict.reason).toContain('inserted, deleted or moved');
  });

  it('finds reordered records', async () => {
    const { path } = await writeTrail();
    await rewrite(path, (all) => [all[0], all[1], all[3], all[2], all[4]] as string[]);
    expect(await verifyAudit(path)).toMatchObject({ ok: false, line: 3 });
  });

  it('finds a record moved with its seq rewritten to fit, by its prev hash', async () => {
    const { path } = await writeTrail();
    await rewrite(path, (all) => {
      const moved = [all[0], all[1], all[3], all[2], all[4]] as string[];
      return moved.map((line, i) => {
        const { hash: _hash, ...body } = JSON.parse(line) as Record<string, unknown>;
        body.seq = i + 1;
        return i === 2 ? JSON.stringify({ ...body, hash: sha256(canonicalJson(body)) }) : line;
      });
    });
    expect(await verifyAudit(path)).toEqual({
      ok: false,
      line: 3,
      reason: 'line 3 does not follow the line before it (prev hash mismatch): a record was inserted, deleted or moved',
    });
  });

  it('finds a cut-short last line', async () => {
    const { path } = await writeTrail();
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, -30));
    const verdict = await verifyAudit(path);
    expect(verdict).toMatchObject({ ok: false, line: 5 });
    expect(!verdict.ok && verdict.reason).toContain('cut short');
  });

  it('finds records cut from the end when given the head the checkpoint kept', async () => {
    const { path, head } = await writeTrail();
    await rewrite(path, (all) => all.slice(0, 4));
    expect((await verifyAudit(path)).ok).toBe(true);
    expect(await verifyAudit(path, { head })).toEqual({
      ok: false,
      line: 5,
      reason: 'line 5 is missing: the trail ends at record 4 but the checkpoint saw record 5',
    });
  });

  it('holds against the head of a checkpoint that saw no record yet', async () => {
    const { path } = await writeTrail();
    expect(await verifyAudit(path, { head: { seq: 0, lineHash: GENESIS_HASH } })).toMatchObject({ ok: true, head: { seq: 5 } });
  });

  it('finds a whole chain rewritten consistently, same length, when given the head the checkpoint kept', async () => {
    // Reproduced (issue 16 §7): with the head's line-hash comparison skipped in state/audit.ts
    // verifyAuditText, this forged trail verified as intact although the checkpoint saw another one.
    const { path, head } = await writeTrail();
    await rewrite(path, (all) => {
      let prev = GENESIS_HASH;
      return all.map((line) => {
        const { hash: _hash, ...body } = JSON.parse(line) as Record<string, unknown>;
        if (body.type === 'check-overridden') body.reason = 'nobody looked at it';
        body.prev = prev;
        const forged = JSON.stringify({ ...body, hash: sha256(canonicalJson(body)) });
        prev = sha256(forged);
        return forged;
      });
    });
    // The chain alone cannot tell: every hash and prev agrees, and the length is the same.
    const alone = await verifyAudit(path);
    expect(alone).toMatchObject({ ok: true, head: { seq: head.seq } });
    expect(alone.ok && alone.records[3]?.reason).toBe('nobody looked at it');
    const verdict = await verifyAudit(path, { head });
    expect(verdict).toMatchObject({ ok: false, line: 5 });
    expect(!verdict.ok && verdict.reason).toContain('the trail was rewritten');
  });

  it('finds a line that is not JSON', async () => {
    const { path } = await writeTrail();
    await rewrite(path, (all) => all.map((line, i) => (i === 1 ? 'not json' : line)));
    expect(await verifyAudit(path)).toEqual({ ok: false, line: 2, reason: 'line 2 is not valid JSON' });
  });

  it('reports a missing trail as a StateError naming the file', async () => {
    const path = join(tempDir(), 'nope.jsonl');
    await expect(verifyAudit(path)).rejects.toThrow(`audit trail ${path} does not exist; check the run id and --state-dir`);
    expect(((await verifyAudit(path).catch((e: unknown) => e)) as StateError).cause).toMatchObject({ code: 'ENOENT' });
  });
});

describe('canonicalJson', () => {
  it('does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
    // The text hashed is plain JSON (what another tool recomputing a hash would write), with keys sorted at every depth.
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"x":1,"y":2}]},"b":1}');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
  });
});
