/**
 * A POSIX ustar archive of regular files, written and read in memory. An evidence bundle
 * (cli/evidence.ts) is a handful of files whose every header byte must be the same from one
 * bundle of a run to the next, and whose reader must refuse anything but plain files: this is
 * the whole of the format that needs, with no link, device or extended header to get wrong.
 */

const BLOCK = 512;

/** One regular file of an archive: its path inside it, and its bytes. */
export interface TarEntry {
  name: string;
  data: Buffer;
}

/** An archive that is not one this module writes: the message says where and why. */
export class TarFormatError extends Error {
  override readonly name = 'TarFormatError';
}

/** What every header of an archive carries besides name and size. */
export interface TarStamp {
  /** Seconds since the epoch, for every file. */
  mtime: number;
  /** Permission bits, for every file. */
  mode: number;
}

function octal(header: Buffer, offset: number, width: number, value: number): void {
  const digits = value.toString(8).padStart(width - 1, '0');
  if (digits.length > width - 1) throw new RangeError(`${value} does not fit a ${width}-byte tar field`);
  header.write(`${digits}\0`, offset, 'ascii');
}

/** Split a path into ustar's prefix (up to 155 bytes) and name (up to 100) at a slash. */
function splitName(path: string): { prefix: string; name: string } {
  if (Buffer.byteLength(path) <= 100) return { prefix: '', name: path };
  for (let at = path.indexOf('/'); at >= 0; at = path.indexOf('/', at + 1)) {
    const prefix = path.slice(0, at);
    const name = path.slice(at + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name !== '') return { prefix, name };
  }
  throw new RangeError(`the path ${path} is too long for a tar archive (file names up to 100 bytes, folders up to 155)`);
}

function header(entry: TarEntry, stamp: TarStamp): Buffer {
  const block = Buffer.alloc(BLOCK);
  const { prefix, name } = splitName(entry.name);
  block.write(name, 0, 'utf8');
  octal(block, 100, 8, stamp.mode);
  octal(block, 108, 8, 0);
  octal(block, 116, 8, 0);
  octal(block, 124, 12, entry.data.length);
  octal(block, 136, 12, stamp.mtime);
  block.write(' '.repeat(8), 148, 'ascii');
  block.write('0', 156, 'ascii');
  block.write('ustar\u000000', 257, 'ascii');
  block.write(prefix, 345, 'utf8');
  block.write(`${checksum(block).toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

/** Sum of the header's bytes with its checksum field read as spaces. */
function checksum(block: Buffer): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i += 1) sum += i >= 148 && i < 156 ? 0x20 : (block[i] as number);
  return sum;
}

/** The archive of `entries`, in the order given: uid and gid 0, no user or group names. */
export function writeUstar(entries: readonly TarEntry[], stamp: TarStamp): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    parts.push(header(entry, stamp), entry.data);
    const pad = (BLOCK - (entry.data.length % BLOCK)) % BLOCK;
    if (pad > 0) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(2 * BLOCK));
  return Buffer.concat(parts);
}

function field(block: Buffer, offset: number, width: number): string {
  const raw = block.subarray(offset, offset + width);
  const end = raw.indexOf(0);
  return raw.subarray(0, end < 0 ? width : end).toString('utf8');
}

function readOctal(block: Buffer, offset: number, width: number, what: string, at: number): number {
  const text = field(block, offset, width).trim();
  if (!/^[0-7]+$/.test(text)) throw new TarFormatError(`the header at byte ${at} has no valid ${what}`);
  return Number.parseInt(text, 8);
}

/**
 * The regular files of a ustar (or GNU tar) archive, in archive order; folder entries are passed
 * over. Throws TarFormatError for a header that is damaged or not ustar, an entry that is neither
 * a regular file nor a folder (link, device, extended header, GNU long name), or data cut short.
 */
export function readUstar(archive: Buffer): TarEntry[] {
  const entries: TarEntry[] = [];
  let at = 0;
  while (at + BLOCK <= archive.length) {
    const block = archive.subarray(at, at + BLOCK);
    if (block.every((byte) => byte === 0)) return entries;
    // `ustar` is POSIX; GNU tar writes `ustar ` (its own format, the same for plain files).
    if (!['ustar', 'ustar '].includes(field(block, 257, 6))) throw new TarFormatError(`the header at byte ${at} is not a ustar header`);
    if (readOctal(block, 148, 8, 'checksum', at) !== checksum(block))
      throw new TarFormatError(`the header at byte ${at} does not match its checksum`);
    const prefix = field(block, 345, 155);
    const name = prefix === '' ? field(block, 0, 100) : `${prefix}/${field(block, 0, 100)}`;
    const type = String.fromCharCode(block[156] as number);
    const size = readOctal(block, 124, 12, 'size', at);
    const start = at + BLOCK;
    // A folder entry (tar -c of an extracted bundle writes them) carries nothing to check.
    if (type === '5' && size === 0) {
      at = start;
      continue;
    }
    if (type !== '0' && type !== '\0') throw new TarFormatError(`${name} is not a regular file (tar type "${type}")`);
    if (start + size > archive.length) throw new TarFormatError(`${name} is cut short: the archive ends inside it`);
    entries.push({ name, data: Buffer.from(archive.subarray(start, start + size)) });
    at = start + Math.ceil(size / BLOCK) * BLOCK;
  }
  throw new TarFormatError('the archive ends without its end marker (two empty blocks): it was cut short');
}
