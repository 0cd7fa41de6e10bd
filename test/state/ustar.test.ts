/** The ustar writer and reader behind evidence bundles: what GNU tar reads, and what the reader refuses. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readUstar, TarFormatError, writeUstar } from '../../src/state/ustar.js';

const stamp = { mtime: 1_700_000_000, mode: 0o600 };
const longName = `bundle/logs/${'b'.repeat(90)}.1.log`;

describe('ustar', () => {
  it('round-trips files, a name past 100 bytes split into prefix and name, and GNU tar extracts the same bytes', () => {
    const entries = [
      { name: 'bundle/SHA256SUMS', data: Buffer.from('x\n') },
      { name: longName, data: Buffer.alloc(1300, 'y') },
      { name: 'bundle/empty', data: Buffer.alloc(0) },
    ];
    const archive = writeUstar(entries, stamp);
    expect(archive.length % 512).toBe(0);
    expect(readUstar(archive)).toEqual(entries);
    const dir = mkdtempSync(join(tmpdir(), 'wm-tar-'));
    try {
      writeFileSync(join(dir, 'a.tar'), archive);
      execFileSync('tar', ['-xf', 'a.tar'], { cwd: dir });
      expect(readFileSync(join(dir, longName))).toEqual(entries[1]?.data);
      expect(execFileSync('tar', ['-tvf', 'a.tar', '--numeric-owner'], { cwd: dir, env: { TZ: 'UTC' } }).toString()).toContain(
        '-rw------- 0/0',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a file name no ustar header can hold', () => {
    expect(() => writeUstar([{ name: `bundle/${'c'.repeat(101)}`, data: Buffer.alloc(1) }], stamp)).toThrow(/too long for a tar archive/);
  });

  it('refuses a damaged header, a link, data cut short and a missing end marker, saying which', () => {
    const archive = writeUstar([{ name: 'bundle/a', data: Buffer.from('hello') }], stamp);
    const damaged = Buffer.from(archive);
    damaged[0] = 0x41;
    expect(() => readUstar(damaged)).toThrow(/does not match its checksum/);
    const link = Buffer.from(archive);
    link.write('2', 156);
    link.write(
      `${link
        .subarray(0, 512)
        .reduce((sum, byte, i) => sum + (i >= 148 && i < 156 ? 32 : byte), 0)
        .toString(8)
        .padStart(6, '0')}\0 `,
      148,
    );
    expect(() => readUstar(link)).toThrow(new TarFormatError('bundle/a is not a regular file (tar type "2")'));
    expect(() => readUstar(archive.subarray(0, 514))).toThrow(/cut short/);
    expect(() => readUstar(archive.subarray(0, 1024))).toThrow(/without its end marker/);
  });
});
