/**
 * Lint's memory of what `ansible-inventory --list` said about a static inventory file, so that
 * linting in an editor loop does not start Python (0.5–1 s) on every save (docs/fleet.md, "Lint and
 * the inventory cache"). Only the hosts and groups are kept — never `_meta`'s host variables, which
 * may hold passwords. An entry is found by a digest of everything Ansible's answer depends on: the
 * file's bytes and path, the working folder, the `ansible-inventory` program (path, size, mtime),
 * the Ansible configuration files it would read and every ANSIBLE_* variable. A directory, an
 * executable (a script inventory) or an inventory-plugin file (`plugin:`) is never remembered: its
 * hosts can change without the file changing, so Ansible is always asked. A run never uses this.
 *
 * A stamp beside the entries skips the digest while nothing it depends on changed, as git's index
 * skips hashing a file whose stat did not change: the file's inode, size and modification and
 * change times, with everything else of the digest but ANSIBLE_* values (with one set, lint always
 * hashes: a variable's value may be a secret, and a stamp holds its material in clear). A stamp is
 * only written for a file last modified SETTLED_MS before: a later change gets a later time. The
 * digest needs node:crypto, whose ≈ 20 modules cost a lint ≈ 6-8 ms to load (bench/RESULTS.md,
 * lint-corpus).
 */
import { createHash } from 'node:crypto';
import { type BigIntStats, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { assertNoSymlinksBelowSync, ensureDir, readFileNoFollowSync, StateLinkError, writeFileAtomic } from '../../../state/atomic.js';
import { cacheHome } from '../../../state/cache-home.js';
import { onPath } from './ansible-available.js';
import { type Inventory, readInventory } from './inventory.js';

/** The cache entry's format; a new one makes old entries unreachable. */
const FORMAT = 1;
/** Entries written longer ago than this are removed when a new one is written (an edited inventory leaves its old entry behind). */
const KEEP_MS = 14 * 24 * 3600 * 1000;
/**
 * How long before a stamp is written its file must have last changed. A change within the file
 * system's timestamp tick of the stamp's stat would keep the same times; a file older than this
 * gets a later time from any change.
 */
export const SETTLED_MS = 2000;

/** What lint gets: the inventory (or Ansible's error), and a cache entry it refused, if any. */
export interface LintInventory {
  inventory: Inventory | { error: string };
  /** A cache entry waymark refused to read (a planted link), for a warning. */
  refused?: string;
}

/** The folder of lint's inventory cache: $XDG_CACHE_HOME/waymark/inventory (~/.cache without it). */
export function inventoryCacheFolder(): string {
  return join(cacheHome(), 'waymark', 'inventory');
}

/** Read the inventory as readInventory does, from the cache when this exact static file was read before. */
export async function readInventoryForLint(file: string, options: { cwd: string }): Promise<LintInventory> {
  const path = resolve(options.cwd, file);
  const known = keyMaterial(path, options.cwd);
  if (known === undefined) return { inventory: await readInventory(file, options) };
  const { material, settled } = known;
  const stamps = stampsAllowed();
  const home = cacheHome();
  const folder = inventoryCacheFolder();
  let entry: string | undefined;
  let stampToWrite: Stamp | undefined;
  let refused: string | undefined;
  try {
    // O_NOFOLLOW guards the entry's own name only: a linked folder (waymark/ or waymark/inventory/)
    // would be read through. Read synchronously: each await here was a trip through libuv's thread
    // pool, which on a busy machine made lint wait more than it read (bench/RESULTS.md, lint-corpus).
    assertNoSymlinksBelowSync(home, folder);
    let key = stamps ? stampedKey(folder, material) : undefined;
    if (key === undefined) {
      key = digestKey(material);
      // A plugin configuration: its hosts live elsewhere, so Ansible is always asked.
      if (key === undefined) return { inventory: await readInventory(file, options) };
      if (stamps && settled) stampToWrite = { ...material, key };
    }
    entry = join(folder, `${key}.json`);
    const remembered = parseEntry(file, readFileNoFollowSync(entry));
    if (remembered !== undefined) {
      if (stampToWrite) await remember(home, folder, [[stampFile(folder, stampToWrite), JSON.stringify(stampToWrite)]]);
      return { inventory: remembered };
    }
  } catch (error) {
    if (error instanceof StateLinkError)
      refused = `${error.file} is a symbolic link or not a regular file; waymark did not follow it and asked Ansible instead — check who planted it, then remove it`;
    // ENOENT (first read of this file) and any other unreadable entry: ask Ansible, then (re)write it.
  }
  const inventory = await readInventory(file, options);
  // Only answers are remembered: an error may be Ansible's passing trouble (a timeout, a missing plugin).
  if (!('error' in inventory) && refused === undefined && entry !== undefined) {
    const writes: [string, string][] = [[entry, JSON.stringify({ hosts: inventory.hosts, groups: inventory.groups })]];
    // The stamp after its entry: a stamp never names an entry that is not there yet.
    if (stampToWrite) writes.push([stampFile(folder, stampToWrite), JSON.stringify(stampToWrite)]);
    await remember(home, folder, writes);
  }
  return refused === undefined ? { inventory } : { inventory, refused };
}

/** What the entry's key depends on, but the file's bytes; what a stamp holds, but the key. */
interface KeyMaterial {
  /** The inventory file, resolved. */
  path: string;
  /** The folder the inventory is resolved from. */
  cwd: string;
  /** The inventory file's device, inode, size, and modification and change times in nanoseconds. */
  file: string;
  program: string;
  configs: string[];
}

/** A stamp file: while all but `key` match, the file's digest is `key`. */
type Stamp = KeyMaterial & { key: string };

/** Whether a stamp may be used: not while an ANSIBLE_* variable is set (a stamp holds its material in clear). */
function stampsAllowed(): boolean {
  return !Object.keys(process.env).some((name) => name.startsWith('ANSIBLE_'));
}

/** The material, and whether the file last changed SETTLED_MS ago or more (a stamp may be written); undefined when Ansible must always be asked. */
function keyMaterial(path: string, cwd: string): { material: KeyMaterial; settled: boolean } | undefined {
  let stats: BigIntStats;
  try {
    stats = statSync(path, { bigint: true });
  } catch {
    // Unreadable here: readInventory gets Ansible's own words for it.
    return undefined;
  }
  // A directory holds several sources; an executable is a script inventory: both are live.
  if (!stats.isFile() || (stats.mode & 0o111n) !== 0n) return undefined;
  const program = programStamp();
  if (program === undefined) return undefined;
  const configs = configFiles(cwd).map((config) => `${config}=${fileStamp(config)}`);
  const file = `${stats.dev}/${stats.ino}/${stats.size}/${stats.mtimeNs}/${stats.ctimeNs}`;
  // The change time moves with every write (and cannot be set back); the later of the two, to be sure.
  const changed = Math.max(Number(stats.mtimeNs), Number(stats.ctimeNs)) / 1e6;
  return { material: { path, cwd: resolve(cwd), file, program, configs }, settled: Date.now() - changed >= SETTLED_MS };
}

/**
 * The stamp file of an inventory read from `stamp.cwd`, named by a 32-bit FNV-1a hash of the two
 * paths: a clash only costs a digest, and node:zlib's CRC would cost loading zlib (≈ 3.5 ms).
 */
function stampFile(folder: string, stamp: Pick<KeyMaterial, 'path' | 'cwd'>): string {
  const text = `${stamp.path}\0${stamp.cwd}`;
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  return join(folder, `${(hash >>> 0).toString(16).padStart(8, '0')}.stamp`);
}

/** The key a stamp remembers for the file, when everything it holds still matches; never read through a link. */
function stampedKey(folder: string, expected: KeyMaterial): string | undefined {
  let data: Partial<Stamp>;
  try {
    data = JSON.parse(readFileNoFollowSync(stampFile(folder, expected))) as Partial<Stamp>;
  } catch (error) {
    // A planted link is refused as an entry would be; a missing or damaged stamp only costs the digest.
    if (error instanceof StateLinkError) throw error;
    return undefined;
  }
  const same =
    data.path === expected.path &&
    data.cwd === expected.cwd &&
    data.file === expected.file &&
    data.program === expected.program &&
    Array.isArray(data.configs) &&
    data.configs.length === expected.configs.length &&
    data.configs.every((config, i) => config === expected.configs[i]);
  // The key names a file in the folder: only ever a digest's hex.
  return same && typeof data.key === 'string' && /^[0-9a-f]{32}$/.test(data.key) ? data.key : undefined;
}

/** The entry's name: a digest of the file's bytes with everything else Ansible's answer depends on; undefined for a plugin's configuration. */
function digestKey(material: KeyMaterial): string | undefined {
  let content: Buffer;
  try {
    content = readFileSync(material.path);
  } catch {
    return undefined;
  }
  // An inventory plugin's configuration (aws_ec2, constructed...): the hosts live elsewhere.
  if (/^\s*plugin\s*:/m.test(content.toString('utf8'))) return undefined;
  const hash = createHash('sha256');
  const part = (text: string) => hash.update(`${text.length}:${text}`);
  part(String(FORMAT));
  part(material.path);
  part(material.cwd);
  hash.update(content);
  part(material.program);
  for (const config of material.configs) part(config);
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
  for (const path of onPath('ansible-inventory')) {
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
    // A missing file (most of PATH, most configuration files) without an exception and its stack trace.
    const stats = statSync(path, { throwIfNoEntry: false });
    return stats === undefined ? 'absent' : `${stats.size}/${stats.mtimeMs}/${stats.ino}`;
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

/** Write each file (0600, atomically, never through a link), in order, and drop entries and stamps older than KEEP_MS. */
async function remember(home: string, folder: string, files: [string, string][]): Promise<void> {
  try {
    // Again, as a link may have been planted while Ansible read: ensureDir would make the folder, and
    // the files go, wherever it points.
    assertNoSymlinksBelowSync(home, folder);
    await ensureDir(folder);
    for (const [path, text] of files) await writeFileAtomic(path, text);
    const now = Date.now();
    for (const name of readdirSync(folder)) {
      const path = join(folder, name);
      if ((name.endsWith('.json') || name.endsWith('.stamp')) && now - statSync(path).mtimeMs > KEEP_MS) rmSync(path, { force: true });
    }
  } catch {
    // Handled by doing without: the cache only saves time. A read-only or full disk, or an entry
    // another lint removed meanwhile, makes the next lint ask Ansible again, with the same findings.
  }
}
