import { mkdir, readFile, stat, symlink, writeFile, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditKeyId, auditKeyPath, findAuditKey, loadAuditKey } from '../../src/state/audit-key.js';
import { AuditLog, verifyAudit } from '../../src/state/audit.js';
import { modeOf, useTempDir } from './temp-dir.js';

const tempDir = useTempDir();
const envOf = (dir: string): NodeJS.ProcessEnv => ({ XDG_CONFIG_HOME: join(dir, 'config') });

describe('the audit key', () => {
  it('is created 0600 under $XDG_CONFIG_HOME/waymark on first use, and read back the same afterwards', async () => {
    const env = envOf(tempDir());
    expect(await findAuditKey(env)).toBeNull();
    const key = await loadAuditKey(env);
    expect(key.path).toBe(join(tempDir(), 'config', 'waymark', 'audit.key'));
    expect(modeOf(await stat(key.path))).toBe(0o600);
    expect(key.id).toBe(auditKeyId(Buffer.from((await readFile(key.path, 'utf8')).trim(), 'hex')));
    expect((await loadAuditKey(env)).id).toBe(key.id);
  });

  it('falls back to ~/.config when XDG_CONFIG_HOME is unset or not absolute', () => {
    expect(auditKeyPath({ HOME: '/home/op' })).toBe('/home/op/.config/waymark/audit.key');
    expect(auditKeyPath({ HOME: '/home/op', XDG_CONFIG_HOME: 'relative' })).toBe('/home/op/.config/waymark/audit.key');
  });

  it('is never read through a symlink', async () => {
    const env = envOf(tempDir());
    const real = await loadAuditKey({ XDG_CONFIG_HOME: join(tempDir(), 'elsewhere') });
    await mkdir(join(tempDir(), 'config', 'waymark'), { recursive: true });
    await symlink(real.path, join(tempDir(), 'config', 'waymark', 'audit.key'));
    await expect(loadAuditKey(env)).rejects.toThrow(/audit\.key is a symbolic link, which waymark never follows/);
  });

  it('is refused when others can read it, naming the file and the fix', async () => {
    const env = envOf(tempDir());
    const key = await loadAuditKey(env);
    await chmod(key.path, 0o644);
    await expect(loadAuditKey(env)).rejects.toThrow(`audit key ${key.path} is readable or writable by others (mode 644); chmod 600 it`);
  });

  it('is refused when it does not hold a key', async () => {
    const env = envOf(tempDir());
    const key = await loadAuditKey(env);
    await writeFile(key.path, 'not a key\n');
    await expect(loadAuditKey(env)).rejects.toThrow('does not hold a key');
  });
});

describe('a keyed trail', () => {
  it('verifies with its key, and reports an old unkeyed trail as unkeyed', async () => {
    const key = await loadAuditKey(envOf(tempDir()));
    const keyed = join(tempDir(), 'keyed.jsonl');
    const log = await AuditLog.open(keyed, { operator: 'alice', key });
    await log.append('run-started');
    await log.append('step-started', { step: 'one' });
    await log.close();
    expect(await verifyAudit(keyed, { key })).toMatchObject({ ok: true, keyId: key.id, keyedFrom: 1, authenticated: true });
    expect(await verifyAudit(keyed)).toMatchObject({ ok: true, keyId: key.id, authenticated: false });

    const plain = join(tempDir(), 'plain.jsonl');
    const old = await AuditLog.open(plain, { operator: 'alice' });
    await old.append('run-started');
    await old.close();
    expect(await verifyAudit(plain, { key })).toMatchObject({ ok: true, keyId: null, keyedFrom: null, authenticated: true });
  });

  it('continues an unkeyed trail keyed from the next record, and refuses a keyed one without its key', async () => {
    const key = await loadAuditKey(envOf(tempDir()));
    const path = join(tempDir(), 'audit.jsonl');
    const old = await AuditLog.open(path, { operator: 'alice' });
    await old.append('run-started');
    await old.close();
    const resumed = await AuditLog.open(path, { operator: 'alice', key });
    await resumed.append('run-resumed');
    await resumed.close();
    expect(await verifyAudit(path, { key })).toMatchObject({ ok: true, keyedFrom: 2, authenticated: true });
    await expect(AuditLog.open(path, { operator: 'alice' })).rejects.toThrow(`is keyed with key ${key.id} but this session has no key`);
    const other = await loadAuditKey(envOf(join(tempDir(), 'b')));
    await expect(AuditLog.open(path, { operator: 'alice', key: other })).rejects.toThrow(
      `this session's key ${other.path} has id ${other.id}`,
    );
  });

  it('finds an unkeyed record after keyed ones (a record swapped for one written without the key)', async () => {
    const key = await loadAuditKey(envOf(tempDir()));
    const path = join(tempDir(), 'audit.jsonl');
    const log = await AuditLog.open(path, { operator: 'alice', key });
    await log.append('run-started');
    await log.close();
    // Someone without the key strips the key fields and recomputes the hash: a plain record chained on.
    const text = await readFile(path, 'utf8');
    const { createHash } = await import('node:crypto');
    const { canonicalJson } = await import('../../src/state/audit.js');
    const line = text.trim();
    const prev = createHash('sha256').update(line).digest('hex');
    const body = { seq: 2, ts: new Date().toISOString(), type: 'check-overridden', operator: 'mallory', host: 'x', prev };
    const forged = JSON.stringify({ ...body, hash: createHash('sha256').update(canonicalJson(body)).digest('hex') });
    await writeFile(path, `${text}${forged}\n`);
    expect(await verifyAudit(path, { key })).toMatchObject({
      ok: false,
      line: 2,
      reason: expect.stringContaining('is not keyed although record 1 and those after it are'),
    });
  });
});
