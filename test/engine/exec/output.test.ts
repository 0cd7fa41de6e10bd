import { describe, expect, it } from 'vitest';
import { LineSplitter, TailCollector, TextTail } from '../../../src/engine/exec/output.js';

function split(chunks: Array<Buffer | string>, maxLineChars?: number): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line), maxLineChars);
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

describe('LineSplitter', () => {
  it('joins a line split across chunks', () => {
    expect(split([Buffer.from('hel'), Buffer.from('lo\nwor'), Buffer.from('ld\n')])).toEqual(['hello', 'world']);
  });

  it('emits a final line that has no newline', () => {
    expect(split([Buffer.from('one\ntwo')])).toEqual(['one', 'two']);
  });

  it('keeps empty lines and does not invent a line after a trailing newline', () => {
    expect(split([Buffer.from('a\n\nb\n')])).toEqual(['a', '', 'b']);
  });

  it('decodes a UTF-8 character split between chunks', () => {
    const bytes = Buffer.from('café ✓\n', 'utf8');
    // Cut inside the 2-byte é and inside the 3-byte ✓.
    const eAt = bytes.indexOf(0xc3);
    const checkAt = bytes.indexOf(0xe2);
    const chunks = [bytes.subarray(0, eAt + 1), bytes.subarray(eAt + 1, checkAt + 2), bytes.subarray(checkAt + 2)];
    expect(split(chunks)).toEqual(['café ✓']);
  });

  it('feeds one byte at a time without losing anything', () => {
    const bytes = Buffer.from('αβγ\nδ\r\nlast', 'utf8');
    const chunks = [...bytes].map((byte) => Buffer.from([byte]));
    expect(split(chunks)).toEqual(['αβγ', 'δ', 'last']);
  });

  it('drops the \\r of CRLF line endings, even when \\r and \\n arrive in different chunks', () => {
    expect(split([Buffer.from('a\r'), Buffer.from('\nb\r\n')])).toEqual(['a', 'b']);
  });

  it('cuts a line longer than the limit so memory stays bounded', () => {
    expect(split([Buffer.from('x'.repeat(25)), Buffer.from('y\n')], 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'xxxxxy']);
  });

  it('does not cut an emoji in half', () => {
    expect(split([Buffer.from('abc😀def'), Buffer.from('\n')], 4)).toEqual(['abc', '😀de', 'f']);
  });
});

describe('TailCollector', () => {
  it('keeps the last N lines and counts the dropped ones', () => {
    const tail = new TailCollector({ maxLines: 3, maxBytes: 1_000_000 });
    for (let i = 1; i <= 10; i += 1) tail.push(`line ${i}`);
    expect(tail.lines()).toEqual(['line 8', 'line 9', 'line 10']);
    expect(tail.dropped).toBe(7);
    expect(tail.total).toBe(10);
  });

  it('keeps at most M bytes, counting UTF-8 bytes and newlines', () => {
    const tail = new TailCollector({ maxLines: Infinity, maxBytes: 10 });
    for (const line of ['aaaa', 'éé', 'bbbb']) tail.push(line);
    // 'éé' is 4 bytes + newline = 5, 'bbbb' + newline = 5: together 10.
    expect(tail.lines()).toEqual(['éé', 'bbbb']);
    expect(tail.bytes).toBe(10);
    expect(tail.dropped).toBe(1);
    expect(tail.text()).toBe('éé\nbbbb');
  });

  it('always keeps the newest line, even one larger than the byte budget', () => {
    const tail = new TailCollector({ maxLines: 5, maxBytes: 4 });
    tail.push('a');
    tail.push('a long line');
    expect(tail.lines()).toEqual(['a long line']);
    expect(tail.dropped).toBe(1);
  });

  it('stays correct across its internal compaction', () => {
    const tail = new TailCollector({ maxLines: 5, maxBytes: 1_000_000 });
    for (let i = 0; i < 100_000; i += 1) tail.push(String(i));
    expect(tail.lines()).toEqual(['99995', '99996', '99997', '99998', '99999']);
    expect(tail.dropped).toBe(99_995);
  });
});

describe('TextTail', () => {
  it('returns all lines joined when they fit', () => {
    const tail = new TextTail(1024);
    for (const line of ['a', '', 'ü']) tail.push(line);
    expect(tail.text()).toBe('a\n\nü');
    expect(tail.truncated).toBe(false);
  });

  it('keeps only the last whole lines within the byte budget', () => {
    const tail = new TextTail(100_000);
    for (let i = 1; i <= 50_000; i += 1) tail.push(`line ${i}`);
    const text = tail.text();
    expect(tail.truncated).toBe(true);
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(100_000);
    expect(Buffer.byteLength(text)).toBeGreaterThan(99_000);
    expect(text.endsWith('line 49999\nline 50000')).toBe(true);
    // It starts at a line boundary, with no partial line.
    expect(text.split('\n')[0]).toMatch(/^line \d+$/);
    const first = Number(text.split('\n')[0]?.slice(5));
    expect(text.split('\n')).toHaveLength(50_000 - first + 1);
  });
});
