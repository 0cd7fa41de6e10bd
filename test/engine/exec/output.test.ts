import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineChunker, RawTail, StreamTail, countNewlines, splitLines } from '../../../src/engine/exec/output.js';

/** Feed chunks through a LineChunker; every delivery must be whole lines. */
function split(chunks: Array<Buffer | string>, maxLineChars?: number): { lines: string[]; deliveries: number } {
  let all = '';
  let deliveries = 0;
  const chunker = new LineChunker((text) => {
    expect(text.endsWith('\n')).toBe(true);
    all += text;
    deliveries += 1;
  }, maxLineChars);
  for (const chunk of chunks) chunker.push(chunk);
  chunker.end();
  return { lines: all === '' ? [] : splitLines(all.slice(0, -1)), deliveries };
}
const lines = (chunks: Array<Buffer | string>, maxLineChars?: number): string[] => split(chunks, maxLineChars).lines;

describe('LineChunker', () => {
  it('joins a line split across chunks', () => {
    expect(lines([Buffer.from('hel'), Buffer.from('lo\nwor'), Buffer.from('ld\n')])).toEqual(['hello', 'world']);
  });

  it('delivers a chunk of many lines in one call, not one call per line', () => {
    const text = `${Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n')}\n`;
    const result = split([Buffer.from(text)]);
    expect(result.deliveries).toBe(1);
    expect(result.lines).toHaveLength(1000);
  });

  it('delivers a final line that has no newline', () => {
    expect(lines([Buffer.from('one\ntwo')])).toEqual(['one', 'two']);
  });

  it('keeps empty lines and does not invent a line after a trailing newline', () => {
    expect(lines([Buffer.from('a\n\nb\n')])).toEqual(['a', '', 'b']);
  });

  it('decodes a UTF-8 character split between chunks', () => {
    const bytes = Buffer.from('café ✓\n', 'utf8');
    // Cut inside the 2-byte é and inside the 3-byte ✓.
    const eAt = bytes.indexOf(0xc3);
    const checkAt = bytes.indexOf(0xe2);
    const chunks = [bytes.subarray(0, eAt + 1), bytes.subarray(eAt + 1, checkAt + 2), bytes.subarray(checkAt + 2)];
    expect(lines(chunks)).toEqual(['café ✓']);
  });

  it('feeds one byte at a time without losing anything', () => {
    const bytes = Buffer.from('αβγ\nδ\r\nlast', 'utf8');
    const chunks = [...bytes].map((byte) => Buffer.from([byte]));
    expect(lines(chunks)).toEqual(['αβγ', 'δ', 'last']);
  });

  it('drops the \\r of CRLF line endings, even when \\r and \\n arrive in different chunks', () => {
    expect(lines([Buffer.from('a\r'), Buffer.from('\nb\r\n')])).toEqual(['a', 'b']);
  });

  it('cuts a line longer than the limit so memory stays bounded', () => {
    expect(lines([Buffer.from('x'.repeat(25)), Buffer.from('y\n')], 10)).toEqual(['x'.repeat(10), 'x'.repeat(10), 'xxxxxy']);
  });

  it('does not cut an emoji in half', () => {
    expect(lines([Buffer.from('abc😀def'), Buffer.from('\n')], 4)).toEqual(['abc', '😀de', 'f']);
  });
});

describe('RawTail', () => {
  const fed = (text: string, maxBytes: number, chunkSize = 7): RawTail => {
    const tail = new RawTail(maxBytes);
    const bytes = Buffer.from(text);
    for (let at = 0; at < bytes.length; at += chunkSize) tail.push(bytes.subarray(at, at + chunkSize));
    return tail;
  };

  it('keeps the last N lines and counts every line', () => {
    const tail = fed(`${Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n')}\n`, 1000);
    expect(tail.lines(3)).toEqual(['line 8', 'line 9', 'line 10']);
    expect(tail.lineCount).toBe(10);
  });

  it('counts a last line without a newline, and an empty output as no line', () => {
    expect(fed('a\nb', 100).lineCount).toBe(2);
    expect(fed('a\nb', 100).lines(5)).toEqual(['a', 'b']);
    expect(new RawTail(100).lines(5)).toEqual([]);
    expect(fed('\n', 100).lines(5)).toEqual(['']);
  });

  it('keeps at most M bytes, starting at a whole line, counting UTF-8 bytes', () => {
    const tail = fed('aaaa\néé\nbbbb\n', 1000);
    // 'éé' is 4 bytes + newline = 5, 'bbbb' + newline = 5: together 10.
    expect(tail.lines(10, 10)).toEqual(['éé', 'bbbb']);
    expect(tail.text(10)).toBe('éé\nbbbb');
    expect(tail.truncated(10)).toBe(true);
    expect(tail.truncated()).toBe(false);
  });

  it('keeps the end of a newest line larger than the byte budget rather than nothing', () => {
    const tail = fed(`a\n${'z'.repeat(30)}\n`, 1000);
    expect(tail.lines(5, 8)).toEqual(['z'.repeat(7)]);
  });

  it('stays bounded by its byte budget however much it is fed, and keeps the end exact', () => {
    const text = `${Array.from({ length: 50_000 }, (_, i) => `line ${i + 1}`).join('\n')}\n`;
    const tail = fed(text, 100_000, 4096);
    const kept = tail.text();
    expect(tail.truncated()).toBe(true);
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(100_000);
    expect(Buffer.byteLength(kept)).toBeGreaterThan(99_000);
    expect(kept.endsWith('line 49999\nline 50000')).toBe(true);
    const first = Number(kept.split('\n')[0]?.slice(5));
    expect(kept.split('\n')).toHaveLength(50_000 - first + 1);
    expect(tail.lineCount).toBe(50_000);
  });

  it('gives lines without the \\r of CRLF output', () => {
    expect(fed('a\r\nb\r\n', 100).lines(5)).toEqual(['a', 'b']);
  });
});

describe('countNewlines', () => {
  it('counts exactly the newline bytes, at any alignment and length, whatever the other bytes are', () => {
    // Bytes next to 10 (9, 11, 138 = 10 | 0x80) are the ones a wrong word trick would miscount.
    const byte = fc.constantFrom(10, 10, 9, 11, 0, 138, 255, 0x0a0a, 48);
    fc.assert(
      fc.property(fc.array(byte, { maxLength: 80 }), fc.nat(7), (values, offset) => {
        const backing = new Uint8Array(values.length + offset);
        backing.set(
          values.map((v) => v & 0xff),
          offset,
        );
        const bytes = backing.subarray(offset);
        const expected = [...bytes].filter((b) => b === 10).length;
        expect(countNewlines(bytes)).toBe(expected);
      }),
      { numRuns: 3000 },
    );
  });

  it('gives RawTail the line count of a million-line output fed in pipe-sized chunks', () => {
    const text = `${Array.from({ length: 1_000_000 }, (_, i) => String(i + 1)).join('\n')}\n`;
    const bytes = Buffer.from(text);
    const tail = new RawTail(1024);
    // Odd chunk sizes so that chunks start at every alignment.
    for (let at = 0; at < bytes.length; at += 65_537) tail.push(bytes.subarray(at, at + 65_537));
    expect(tail.lineCount).toBe(1_000_000);
    expect(tail.lines(2)).toEqual(['999999', '1000000']);
  });
});

describe('StreamTail (the TUI marks stderr lines: issue 12, item 9b)', () => {
  const feed = (tail: StreamTail, stream: 'stdout' | 'stderr', text: string) => tail.push(Buffer.from(text), stream);

  it('keeps which stream each line came from, in the order the lines ended', () => {
    const tail = new StreamTail(1000);
    feed(tail, 'stdout', 'one\ntw');
    feed(tail, 'stderr', 'warning: disk\n');
    feed(tail, 'stdout', 'o\nthree\n');
    expect(tail.lines(10)).toEqual([
      { stream: 'stdout', text: 'one' },
      { stream: 'stderr', text: 'warning: disk' },
      { stream: 'stdout', text: 'two' },
      { stream: 'stdout', text: 'three' },
    ]);
    expect(tail.lineCount).toBe(4);
  });

  it('shows a line still being printed last, and counts it', () => {
    const tail = new StreamTail(1000);
    feed(tail, 'stderr', 'err\n50%');
    feed(tail, 'stdout', 'out\nprogress');
    expect(tail.lines(10)).toEqual([
      { stream: 'stderr', text: 'err' },
      { stream: 'stdout', text: 'out' },
      { stream: 'stderr', text: '50%' },
      { stream: 'stdout', text: 'progress' },
    ]);
    expect(tail.lineCount).toBe(4);
    expect(tail.lines(2).map((l) => l.text)).toEqual(['50%', 'progress']);
  });

  it('stays within its byte budget and never shows a line whose start it dropped', () => {
    const tail = new StreamTail(20);
    for (let i = 1; i <= 50; i++) {
      feed(tail, 'stdout', `out ${i}\n`);
      feed(tail, 'stderr', `e`);
      feed(tail, 'stderr', `rr ${i}\n`);
    }
    const lines = tail.lines(100);
    expect(lines.at(-1)).toEqual({ stream: 'stderr', text: 'err 50' });
    expect(lines.at(-2)).toEqual({ stream: 'stdout', text: 'out 50' });
    for (const line of lines) expect(line.text).toMatch(/^(out|err) \d+$/);
    expect(tail.lineCount).toBe(100);
  });

  it('decodes a character cut between two chunks of one stream, and drops the CR of CRLF', () => {
    const tail = new StreamTail(1000);
    const bytes = Buffer.from('café\r\n');
    tail.push(bytes.subarray(0, 4), 'stdout');
    tail.push(Buffer.from('x\n'), 'stderr');
    tail.push(bytes.subarray(4), 'stdout');
    expect(tail.lines(5)).toEqual([
      { stream: 'stderr', text: 'x' },
      { stream: 'stdout', text: 'café' },
    ]);
  });
});

describe('StreamTail over many chunks', () => {
  it('gives the same last lines as decoding everything it keeps, however the two streams interleave', () => {
    const tail = new StreamTail(64 * 1024);
    const expected: { stream: 'stdout' | 'stderr'; text: string }[] = [];
    for (let i = 1; i <= 20_000; i++) {
      const stream = i % 7 === 0 ? 'stderr' : 'stdout';
      tail.push(Buffer.from(`${stream} ${i}\n`), stream);
      expected.push({ stream, text: `${stream} ${i}` });
    }
    expect(tail.lines(200)).toEqual(expected.slice(-200));
    expect(tail.lines(3)).toEqual(expected.slice(-3));
  });
});

describe('StreamTail against a plain model', () => {
  /** Each stream's text split into lines as they end, in the order chunks arrived; unfinished lines last. */
  function model(chunks: { stream: 'stdout' | 'stderr'; text: string }[]): { stream: 'stdout' | 'stderr'; text: string }[] {
    const lines: { stream: 'stdout' | 'stderr'; text: string }[] = [];
    const open = { stdout: '', stderr: '' };
    const last = { stdout: -1, stderr: -1 };
    chunks.forEach(({ stream, text }, i) => {
      const parts = (open[stream] + text).split('\n');
      open[stream] = parts.pop() as string;
      for (const part of parts) lines.push({ stream, text: part });
      if (open[stream] !== '') last[stream] = i;
    });
    const unfinished = (['stdout', 'stderr'] as const).filter((s) => open[s] !== '').sort((a, b) => last[a] - last[b]);
    return [...lines, ...unfinished.map((stream) => ({ stream, text: open[stream] }))];
  }

  it('shows the same last lines, whatever the chunks and the number asked for', () => {
    const chunk = fc.record({ stream: fc.constantFrom('stdout' as const, 'stderr' as const), text: fc.stringMatching(/^[ab\n]{1,12}$/) });
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 60 }), fc.integer({ min: 1, max: 30 }), (chunks, max) => {
        const tail = new StreamTail(1 << 20);
        for (const { stream, text } of chunks) tail.push(Buffer.from(text), stream);
        expect(tail.lines(max)).toEqual(model(chunks).slice(-max));
      }),
      { numRuns: 500 },
    );
  });
});
