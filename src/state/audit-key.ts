/**
 * The key of the audit chain's HMAC. It lives outside the state directory
 * (`$XDG_CONFIG_HOME/waymark/audit.key`, else `~/.config/waymark/audit.key`), so
 * someone who can only write the state directory cannot write records that verify.
 * Created (0600, 32 random bytes as hex) on first use; never read or written through a symlink.
 */
import { constants, type Stats } from 'node:fs';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { link, lstat, open, unlink, type FileHandle } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { StateError, ensureDir, hasCode, reasonOf, syncDirectory } from './atomic.js';

/** The chain's key: its secret and a short public id that records and exported heads name. */
export interface AuditKey {
  /** 16 hex characters of a hash of the key: says which key, reveals nothing of it. */
  id: string;
  path: string;
  readonly secret: Buffer;
}

const KEY_TEXT = /^[0-9a-f]{64}\n?$/;

/** Where the key is for this environment. */
export function auditKeyPath(env: NodeJS.ProcessEnv = process.env): string {
  const config = env.XDG_CONFIG_HOME?.startsWith('/') ? env.XDG_CONFIG_HOME : join(env.HOME || homedir(), '.config');
  return join(config, 'waymark', 'audit.key');
}

/** The id of a key: public, stable, and useless for computing MACs. */
export function auditKeyId(secret: Buffer): string {
  return createHash('sha256').update('waymark audit key id\0').update(secret).digest('hex').slice(0, 16);
}

/** HMAC-SHA256 of `text` under the key, hex. */
export function auditMac(key: AuditKey, text: string): string {
  return createHmac('sha256', key.secret).update(text, 'utf8').digest('hex');
}

function keyError(path: string, what: string, cause?: unknown): StateError {
  return new StateError(
    path,
    `audit key ${path} ${what}; fix it, or point XDG_CONFIG_HOME at the folder holding waymark/audit.key`,
    cause === undefined ? undefined : { cause },
  );
}

async function readKeyFile(path: string): Promise<Buffer | null> {
  let file: FileHandle;
  try {
    file = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return null;
    if (hasCode(error, 'ELOOP')) throw keyError(path, 'is a symbolic link, which waymark never follows');
    throw keyError(path, `cannot be read: ${reasonOf(error)}`, error);
  }
  try {
    const stats: Stats = await file.stat();
    if (!stats.isFile()) throw keyError(path, 'is not a regular file');
    if ((stats.mode & 0o077) !== 0)
      throw keyError(path, `is readable or writable by others (mode ${(stats.mode & 0o777).toString(8)}); chmod 600 it`);
    const text = await file.readFile('utf8');
    if (!KEY_TEXT.test(text)) throw keyError(path, 'does not hold a key (64 hex characters)');
    return Buffer.from(text.slice(0, 64), 'hex');
  } finally {
    await file.close();
  }
}

/**
 * Create the key whole or not at all: it is written to a file of this process's own, then linked
 * into place, which fails if another waymark's key got there first. A waymark starting at the same
 * moment never sees the key file empty or half written (it read "does not hold a key" before).
 */
async function createKeyFile(path: string): Promise<void> {
  const dir = dirname(path);
  await ensureDir(dir);
  // A planted symlink in place of the folder would put the key where someone else chose.
  const dirStats = await lstat(dir);
  if (dirStats.isSymbolicLink() || !dirStats.isDirectory()) throw keyError(path, `cannot be created: ${dir} is not a plain folder`);
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let file: FileHandle;
  try {
    file = await open(draft, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    throw keyError(path, `cannot be created: ${reasonOf(error)}`, error);
  }
  try {
    try {
      await file.writeFile(`${randomBytes(32).toString('hex')}\n`);
      await file.datasync();
    } finally {
      await file.close();
    }
    try {
      await link(draft, path);
    } catch (error) {
      if (!hasCode(error, 'EEXIST')) throw keyError(path, `cannot be created: ${reasonOf(error)}`, error);
      // Another waymark created it first: read theirs.
    }
  } finally {
    await unlink(draft).catch(() => undefined);
  }
  await syncDirectory(dir, path);
}

/** The key for this environment, created on first use. Throws StateError (exit 2) naming the file. */
export async function loadAuditKey(env: NodeJS.ProcessEnv = process.env): Promise<AuditKey> {
  const path = auditKeyPath(env);
  let secret = await readKeyFile(path);
  if (secret === null) {
    await createKeyFile(path);
    secret = await readKeyFile(path);
    if (secret === null) throw keyError(path, 'disappeared right after it was created');
  }
  return { id: auditKeyId(secret), path, secret };
}

/** The key if it exists, without creating one (for commands that only read). */
export async function findAuditKey(env: NodeJS.ProcessEnv = process.env): Promise<AuditKey | null> {
  const path = auditKeyPath(env);
  const secret = await readKeyFile(path);
  return secret === null ? null : { id: auditKeyId(secret), path, secret };
}
