/**
 * The checkpoint journal on its own (src/state/journal.ts): what a reader finds from an offset, how
 * a torn last line is kept aside and cut, and what is refused with the line to fix
 * (docs/running.md#the-state-directory). npm run mutate found these reached only through whole runs.
 */
import { existsSync } from 'node:fs';
import { link, readFile, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateError, StateLinkError } from '../../src/state/atomic.js';
import { Journal, readJournal } from '../../src/state/journal.js';
import { useTempDir } from './temp-dir.js';

const tempDir = useTempDir();
const line = (seq: number): string => `${JSON.stringify({ seq, event: { type: 'tick', n: seq } })}\n`;

describe('readJournal', () => {
  it('reads every complete entry, and from a snapshot offset only those after it', async () => {
    const path = join(tempDir(), 'checkpoint.journal');
    await writeFile(path, line(1) + line(2) + line(3));
    const all = await readJournal(path);
    expect(all).toEqual({
      entries: [1, 2, 3].map((seq) => ({ seq, event: { type: 'tick', n: seq } })),
      completeBytes: Buffer.byteLength(line(1) + line(2) + line(3)),
      torn: false,
    });
    const offset = Buffer.byteLength(line(1));
    const rest = await readJournal(path, offset);
    expect(rest.entries.map((e) => e.seq)).toEqual([2, 3]);
    expect(rest.completeBytes).toBe(all.completeBytes);
  });

  it('leaves out a torn last line (never acknowledged) and says it is torn', async () => {
    const path = join(tempDir(), 'checkpoint.journal');
    await writeFile(path, `${line(1)}{"seq":2,"ev`);
    expect(await readJournal(path)).toEqual({
      entries: [{ seq: 1, event: { type: 'tick', n: 1 } }],
      completeBytes: Buffer.byteLength(line(1)),
      torn: true,
    });
  });

  it('is empty when there is no journal yet, and refused when a snapshot relied on one', async () => {
    const path = join(tempDir(), 'checkpoint.journal');
    expect(await readJournal(path)).toEqual({ entries: [], completeBytes: 0, torn: false });
    await expect(readJournal(path, 40)).rejects.toThrow(
      `state file ${path} is missing, but the checkpoint recorded 40 bytes of it: transitions were removed`,
    );
  });

  it('refuses a journal shorter than the snapshot says, naming both sizes', async () => {
    const path = join(tempDir(), 'checkpoint.journal');
    await writeFile(path, line(1));
    const size = Buffer.byteLength(line(1));
    await expect(readJournal(path, size)).resolves.toMatchObject({ entries: [], torn: false });
    const shorter = await readJournal(path, size + 1).catch((e: unknown) => e);
    expect(shorter).toBeInstanceOf(StateError);
    expect((shorter as StateError).message).toBe(
      `state file ${path} is shorter (${size} bytes) than the checkpoint recorded (${size + 1} bytes): transitions were removed from it`,
    );
  });

  it('names the line to fix, counted from the start or from the snapshot offset', async () => {
    const path = join(tempDir(), 'checkpoint.journal');
    await writeFile(path, `${line(1)}${line(2)}not json\n`);
    await expect(readJournal(path)).rejects.toThrow(`state file ${path} cannot be parsed at line 3: `);
    await expect(readJournal(path, Buffer.byteLength(line(1)))).rejects.toThrow(
      `cannot be parsed at entry 2 after byte ${Buffer.byteLength(line(1))}: `,
    );
    await expect(readJournal(path)).rejects.toThrow('fix that line: every transition after it depends on it');
    // The parser's own reason, not "not a journal entry": the line is not JSON at all.
    const error = await readJournal(path).catch((e: unknown) => e);
    expect((error as StateError).message).toMatch(new RegExp(`^state file ${path} cannot be parsed at line 3: .*JSON.*; fix that line`));
    expect((error as StateError).cause).toBeInstanceOf(SyntaxError);
  });

  it('a journal that cannot be opened is a state error naming it, not a system error', async () => {
    const notADir = join(tempDir(), 'run');
    await writeFile(notADir, '');
    const path = join(notADir, 'checkpoint.journal');
    const error = await readJournal(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).message).toMatch(new RegExp(`^state file ${path} cannot be read: .*ENOTDIR.*; check its permissions$`));
    expect((error as StateError).cause).toMatchObject({ code: 'ENOTDIR' });
  });

  it('a journal that is a symbolic link is refused as one, not as unreadable', async () => {
    const target = join(tempDir(), 'elsewhere');
    await writeFile(target, line(1));
    const path = join(tempDir(), 'checkpoint.journal');
    await symlink(target, path);
    const error = await readJournal(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateLinkError);
    expect((error as StateLinkError).message).toBe(
      `${path} in the state directory is a symbolic link; waymark never follows links there — check who planted it, then remove it`,
    );
  });

  it.each([
    ['a number', '7'],
    ['null', 'null'],
    ['an entry without seq', '{"event":{}}'],
    ['an entry without event', '{"seq":1}'],
  ])('refuses %s as not a journal entry', async (_what, text) => {
    const path = join(tempDir(), 'checkpoint.journal');
    await writeFile(path, `${text}\n`);
    const read = readJournal(path);
    await expect(read).rejects.toThrow(StateError);
    await expect(read).rejects.toThrow(`state file ${path} cannot be parsed at line 1: not a journal entry`);
  });
});

describe('Journal', () => {
  it('appends entries in call order, flushed, and counts the bytes a snapshot would cover', async () => {
    const path = join(tempDir(), 'run', 'checkpoint.journal');
    const journal = await Journal.open(path);
    expect(journal.size).toBe(0);
    await Promise.all([1, 2, 3].map((seq) => journal.append({ seq, event: { type: 'tick', n: seq } })));
    expect(journal.size).toBe(Buffer.byteLength(line(1) + line(2) + line(3)));
    await journal.close();
    expect(await readFile(path, 'utf8')).toBe(line(1) + line(2) + line(3));
  });

  it('on open, keeps a torn last line aside (named by its offset) and cuts it, so the next entry starts on its own line', async () => {
    const path = join(tempDir(), 'checkpoint.journal');
    await writeFile(path, `${line(1)}{"seq":2,"ev`);
    const offset = Buffer.byteLength(line(1));
    const journal = await Journal.open(path);
    expect(journal.size).toBe(offset);
    expect(await readFile(`${path}.torn-${offset}`, 'utf8')).toBe('{"seq":2,"ev');
    await journal.append({ seq: 2, event: { type: 'tick', n: 2 } });
    await journal.close();
    expect(await readFile(path, 'utf8')).toBe(line(1) + line(2));
  });

  it('continues after the entries already there, from the snapshot offset', async () => {
    const path = join(tempDir(), 'checkpoint.journal');
    await writeFile(path, line(1) + line(2));
    const journal = await Journal.open(path, Buffer.byteLength(line(1)));
    expect(journal.size).toBe(Buffer.byteLength(line(1) + line(2)));
    await journal.close();
    expect(existsSync(`${path}.torn-0`)).toBe(false);
    // A journal that was not torn has nothing to keep aside.
    expect(await readdir(tempDir())).toEqual(['checkpoint.journal']);
  });

  it('refuses to open for appending a journal with a second name (a write would change the other file too)', async () => {
    const path = join(tempDir(), 'checkpoint.journal');
    await writeFile(path, line(1));
    await link(path, join(tempDir(), 'copy'));
    const error = await Journal.open(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateLinkError);
    expect((error as StateLinkError).message).toMatch(new RegExp(`^${path} in the state directory has 2 hard links`));
  });

  it('close waits for the appends made before it; an append after close is refused', async () => {
    const path = join(tempDir(), 'checkpoint.journal');
    const journal = await Journal.open(path);
    const appended = journal.append({ seq: 1, event: { type: 'tick', n: 1 } });
    await journal.close();
    expect(await readFile(path, 'utf8')).toBe(line(1));
    await appended;
    await expect(journal.append({ seq: 2, event: {} })).rejects.toThrow(`checkpoint journal ${path} cannot be written: `);
    expect(await readFile(path, 'utf8')).toBe(line(1));
  });

  it.each([
    ['removed', async (path: string) => rm(path), 'ENOENT'],
    [
      'replaced by another file',
      async (path: string) => {
        await writeFile(`${path}.new`, line(1));
        await rename(`${path}.new`, path);
      },
      'it was removed or replaced while the run was live',
    ],
  ])('refuses to append once the journal was %s while the run was live: the run stops', async (_what, change, why) => {
    const path = join(tempDir(), 'checkpoint.journal');
    const journal = await Journal.open(path);
    await journal.append({ seq: 1, event: {} });
    await change(path);
    const refused = journal.append({ seq: 2, event: {} });
    await expect(refused).rejects.toThrow(StateError);
    await expect(refused).rejects.toThrow(`checkpoint journal ${path} cannot be written: `);
    await expect(refused).rejects.toThrow(why);
    await expect(refused).rejects.toThrow('; the run stops here');
    expect(((await refused.catch((e: unknown) => e)) as StateError).cause).toBeInstanceOf(Error);
    expect(journal.size).toBe(Buffer.byteLength(`${JSON.stringify({ seq: 1, event: {} })}\n`));
    await journal.close();
  });

  it('once the journal is gone, every append queued after is refused too: none is lost without its caller knowing', async () => {
    const path = join(tempDir(), 'checkpoint.journal');
    const journal = await Journal.open(path);
    await rm(path);
    const first = journal.append({ seq: 1, event: {} });
    const second = journal.append({ seq: 2, event: {} });
    await expect(first).rejects.toThrow(StateError);
    await expect(second).rejects.toThrow(StateError);
    expect(journal.size).toBe(0);
    await journal.close();
  });
});
