/**
 * Lint's memory of what `ansible-inventory --list` said about a static inventory file, so that
 * linting in an editor loop does not start Python (0.5–1 s) on every save (docs/fleet.md, "Lint and
 * the inventory cache"). Only the hosts and groups are kept — never `_meta`'s host variables, which
 * may hold passwords. An entry is found by a digest of everything Ansible's answer depends on: the
 * file's bytes and path, the working folder, the `ansible-inventory` program (path, size, mtime),
 * the Ansible configuration files it would read and every ANSIBLE_* variable. A directory, an
 * executable (a script inventory) or an inventory-plugin file (`plugin:`) is never remembered: its
 * hosts can change without the file changing, so Ansible is always asked. A run never uses this.
 */
import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { ensureDir, readFileNoFollowSync, StateLinkError, writeFileAtomic } from '../../../state/atomic.js';
import { type Inventory, readInventory } from './inventory.js';

/** The cache entry's format; a new one makes old entries unreachable. */
const FORMAT = 1;
/** Entries written longer ago than this are removed when a new one is written (an edited inventory leaves its old entry behind). */
const KEEP_MS = 14 * 24 * 3600 * 1000;

/** What lint gets: the inventory (or Ansible's error), and a cache entry it refused, if any. */
export interface LintInventory {
  inventory: Inventory | { error: string };
  /** A cache entry waymark refused to read (a planted link), for a warning. */
  refused?: string;
}

/** The folder of lint's inventory cache: $XDG_CACHE_HOME/waymark/inventory (~/.cache without it). */
export function inventoryCacheFolder(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'waymark', 'inventory');
}

/** Read the inventory as readInventory does, from the cache when this exact static file was read before. */
export async function readInventoryForLint(file: string, options: { cwd: string }): Promise<LintInventory> {
  const key = cacheKey(resolve(options.cwd, file), options.cwd);
  if (key === undefined) return { inventory: await readInventory(file, options) };
  const folder = inventoryCacheFolder();
  const entry = join(folder, `${key}.json`);
  let refused: string | undefined;
  try {
    // O_NOFOLLOW guards the entry's own name only: a linked folder would be read through.
    // Read synchronously: each await here was a trip through libuv's thread pool, which on a busy
    // machine made lint wait more than it read (bench/RESULTS.md, lint-corpus).
    if (lstatSync(folder, { throwIfNoEntry: false })?.isSymbolicLink()) throw new StateLinkError(folder, 'is a symbolic link');
    const remembered = parseEntry(file, readFileNoFollowSync(entry));
    if (remembered !== undefined) return { inventory: remembered };
  } catch (error) {
    if (error instanceof StateLinkError)
      refused = `${error.file} is a symbolic link or not a regular file; waymark did not follow it and asked Ansible instead — check who planted it, then remove it`;
    // ENOENT (first read of this file) and any other unreadable entry: ask Ansible, then (re)write it.
  }
  const inventory = await readInventory(file, options);
  // Only answers are remembered: an error may be Ansible's passing trouble (a timeout, a missing plugin).
  if (!('error' in inventory) && refused === undefined) await remember(folder, entry, inventory);
  return refused === undefined ? { inventory } : { inventory, refused };
}

/** The entry's name for a static inventory file, or undefined when Ansible must always be asked. */
function cacheKey(path: string, cwd: string): string | undefined {
  let content: Buffer;
  try {
    const stats = statSync(path);
    // A directory holds several sources; an executable is a script inventory: both are live.
    if (!stats.isFile() || (stats.mode & 0o111) !== 0) return undefined;
    content = readFileSync(path);
  } catch {
    // Unreadable here: readInventory gets Ansible's own words for it.
    return undefined;
  }
  // An inventory plugin's configuration (aws_ec2, constructed...): the hosts live elsewhere.
  if (/^\s*plugin\s*:/m.test(content.toString('utf8'))) return undefined;
  const program = programStamp();
  if (program === undefined) return undefined;
  const hash = createHash('sha256');
  const part = (text: string) => hash.update(`${text.length}:${text}`);
  part(String(FORMAT));
  part(path);
  part(resolve(cwd));
  hash.update(content);
  part(program);
  for (const config of configFiles(cwd)) part(`${config}=${fileStamp(config)}`);
  for (const name of Object.keys(process.env)
    .filter((n) => n.startsWith('ANSIBLE_'))
    .sort())
    part(`${name}=${process.env[name] ?? ''}`);
  return hash.digest('hex').slice(0, 32);
}

/** Where `ansible-inventory` is on PATH, with its size and mtime (an upgrade rewrites it), or undefined if absent. */
function programStamp(): string | undefined {
  const searched = process.env.PATH ?? '';
  if (stamped?.searched !== searched) stamped = { searched, stamp: findProgramStamp() };
  return stamped.stamp;
}

/** The last PATH searched and what it gave: one lint asks once, not once per fleet runbook. */
let stamped: { searched: string; stamp: string | undefined } | undefined;

function findProgramStamp(): string | undefined {
  for (const folder of (process.env.PATH ?? '').split(delimiter)) {
    if (folder === '') continue;
    const path = join(folder, 'ansible-inventory');
    const stamp = fileStamp(path);
    if (stamp !== 'absent') return `${path}=${stamp}`;
  }
  return undefined;
}

/** The configuration files Ansible reads (ansible.cfg's search order), whether present or not. */
function configFiles(cwd: string): string[] {
  return [
    process.env.ANSIBLE_CONFIG,
    join(resolve(cwd), 'ansible.cfg'),
    join(homedir(), '.ansible.cfg'),
    '/etc/ansible/ansible.cfg',
  ].filter((f): f is string => f !== undefined && f !== '');
}

/** Size, mtime and inode of a file (following links, as Ansible does), or `absent`. */
function fileStamp(path: string): string {
  try {
    const stats = statSync(path);
    return `${stats.size}/${stats.mtimeMs}/${stats.ino}`;
  } catch {
    return 'absent';
  }
}

/** The hosts and groups of a cache entry, or undefined when it is not one waymark wrote. */
function parseEntry(file: string, text: string): Inventory | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const { hosts, groups } = data as { hosts?: unknown; groups?: unknown };
  const isNames = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');
  if (!isNames(hosts) || typeof groups !== 'object' || groups === null || !Object.values(groups).every(isNames)) return undefined;
  return { file, hosts, groups: groups as Record<string, string[]> };
}

/** Write the entry (0600, atomically, never through a link) and drop entries older than KEEP_MS. */
async function remember(folder: string, entry: string, inventory: Inventory): Promise<void> {
  try {
    await ensureDir(folder);
    await writeFileAtomic(entry, JSON.stringify({ hosts: inventory.hosts, groups: inventory.groups }));
    const now = Date.now();
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if (name.endsWith('.json') && now - statSync(path).mtimeMs > KEEP_MS) rmSync(path, { force: true });
    }
  } catch {
    // Handled by doing without: the cache only saves time. A read-only or full disk, or an entry
    // another lint removed meanwhile, makes the next lint ask Ansible again, with the same findings.
  }
}
