/**
 * An evidence bundle on disk: a gzipped ustar archive of one folder holding a run's files and a
 * `SHA256SUMS` manifest of them (the format `sha256sum -c` reads). Packing is deterministic: the
 * manifest first, then the files by name, one mtime, mode 0600, uid and gid 0, and gzip without
 * a time or file name, so the same files give the same bytes.
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { readUstar, TarFormatError, writeUstar } from './ustar.js';

/** The manifest's name inside the bundle's folder. */
export const MANIFEST = 'SHA256SUMS';

/** A file of a bundle: its path inside the bundle's folder, and its bytes. */
export interface BundleFile {
  path: string;
  data: Buffer;
}

/** A bundle that cannot be read as one: not gzip, not tar, or not laid out as waymark writes it. */
export class BundleFormatError extends Error {
  override readonly name = 'BundleFormatError';
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `SHA256SUMS` for `files`: one `HASH  PATH` line each, by path. */
export function manifestOf(files: readonly BundleFile[]): string {
  return [...files]
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
    .map((file) => `${sha256Hex(file.data)}  ${file.path}\n`)
    .join('');
}

/** The gzipped archive of `files` and their manifest, all under `folder/`, stamped with `mtime` (seconds). */
export function packBundle(folder: string, files: readonly BundleFile[], mtime: number): Buffer {
  const manifest: BundleFile = { path: MANIFEST, data: Buffer.from(manifestOf(files), 'utf8') };
  const ordered = [manifest, ...[...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))];
  const tar = writeUstar(
    ordered.map((file) => ({ name: `${folder}/${file.path}`, data: file.data })),
    { mtime, mode: 0o600 },
  );
  // Node's gzip header carries mtime 0 and no file name; the level is fixed so the bytes are too.
  return gzipSync(tar, { level: 9 });
}

/** The folder name and files of a bundle, or a BundleFormatError saying what it is instead. */
export function unpackBundle(bytes: Buffer): { folder: string; files: BundleFile[] } {
  let tar: Buffer;
  try {
    tar = gunzipSync(bytes);
  } catch (error) {
    throw new BundleFormatError(`is not a gzip file (${(error as Error).message}): expected a .tar.gz written by \`waymark evidence\``);
  }
  let entries: ReturnType<typeof readUstar>;
  try {
    entries = readUstar(tar);
  } catch (error) {
    if (error instanceof TarFormatError) throw new BundleFormatError(`is not a tar archive waymark wrote: ${error.message}`);
    throw error;
  }
  if (entries.length === 0) throw new BundleFormatError('is an empty archive');
  const folder = (entries[0] as { name: string }).name.split('/')[0] as string;
  const files: BundleFile[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const path = entry.name.startsWith(`${folder}/`) ? entry.name.slice(folder.length + 1) : null;
    if (path === null || path === '' || path.split('/').some((part) => part === '' || part === '.' || part === '..')) {
      throw new BundleFormatError(`holds ${entry.name}, outside its folder ${folder}/: not a bundle waymark wrote`);
    }
    if (seen.has(path)) throw new BundleFormatError(`holds ${folder}/${path} twice: one copy could hide the other`);
    seen.add(path);
    files.push({ path, data: entry.data });
  }
  return { folder, files };
}

/** One way a bundle's files disagree with its manifest. */
export interface ManifestProblem {
  path: string;
  problem: 'altered' | 'missing' | 'extra';
}

/** A manifest's `HASH  PATH` lines; a line of another shape is a BundleFormatError naming its number. */
export function parseManifest(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  for (const [index, line] of lines.entries()) {
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line);
    if (!match) throw new BundleFormatError(`${MANIFEST}:${index + 1}: not a "SHA256  FILE" line`);
    if (sums.has(match[2] as string)) throw new BundleFormatError(`${MANIFEST}:${index + 1}: lists ${match[2]} a second time`);
    sums.set(match[2] as string, match[1] as string);
  }
  return sums;
}

/** Files whose bytes do not match their line, lines without a file, and files without a line. */
export function checkManifest(sums: ReadonlyMap<string, string>, files: readonly BundleFile[]): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const present = new Map(files.filter((file) => file.path !== MANIFEST).map((file) => [file.path, file.data]));
  for (const [path, sum] of sums) {
    const data = present.get(path);
    if (data === undefined) problems.push({ path, problem: 'missing' });
    else if (sha256Hex(data) !== sum) problems.push({ path, problem: 'altered' });
  }
  for (const path of present.keys()) if (!sums.has(path)) problems.push({ path, problem: 'extra' });
  return problems;
}
