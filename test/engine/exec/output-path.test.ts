/**
 * A block's output on its way to the tail, the log and the listener, fed chunk by chunk: a secret is
 * masked whatever chunk or line boundary cuts it, and nothing else is changed.
 */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MASK, MIN_FRAGMENT, createMasker } from '../../../src/engine/exec/mask.js';
import { RawTail } from '../../../src/engine/exec/output.js';
import { outputPath, type LogSink } from '../../../src/engine/exec/shell.js';

/** A tail as large as the longest line the tests write around, so what it keeps can be checked. */
const TAIL_KEPT = 1024 * 1024;

const MiB = 1024 * 1024;
const FILLER = '.-é ';

/** `n` characters of filler that share no character with the secrets below. */
const filler = (n: number): string => FILLER.repeat(Math.ceil(n / FILLER.length)).slice(0, n);

/** `bytes` cut at the given fractions of its length. */
function chunksOf(bytes: Buffer, fractions: number[]): Buffer[] {
  const cuts = [...new Set(fractions.map((f) => Math.floor(f * bytes.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    if (cut > from) chunks.push(bytes.subarray(from, cut));
    from = cut;
  }
  return chunks;
}

/** Feed `chunks` through the output path of one stream; what the log, the tail and the listener got. */
function feed(secret: string, chunks: Buffer[]): { logged: string; tail: string; emitted: Buffer[] } {
  const logChunks: Buffer[] = [];
  const log: LogSink = {
    write: (line) => void logChunks.push(Buffer.from(`${line}\n`)),
    writeChunk: (chunk) => void logChunks.push(chunk),
  };
  const emitted: Buffer[] = [];
  const tail = new RawTail(TAIL_KEPT);
  const path = outputPath('stdout', { tail, log, onOutput: (_stream, chunk) => void emitted.push(chunk), masker: createMasker([secret]) });
  for (const chunk of chunks) path.push(chunk);
  path.end();
  return { logged: Buffer.concat(logChunks).toString('utf8'), tail: tail.text(), emitted };
}

describe('outputPath with a secret', () => {
  it('reproduced: a secret straddling the 1 MiB line cut reached the log, the tail and the listener in two clear halves', () => {
    const secret = randomBytes(40).toString('hex');
    const text = `${'x'.repeat(MiB - 30)}${secret} after\n`;
    // The line's first MiB + 20 characters arrive before its newline: the line was cut at 1 MiB, inside the secret.
    const bytes = Buffer.from(text);
    const { logged, tail, emitted } = feed(secret, [
      bytes.subarray(0, MiB / 2),
      bytes.subarray(MiB / 2, MiB + 20),
      bytes.subarray(MiB + 20),
    ]);
    const expected = `${'x'.repeat(MiB - 30)}${MASK} after\n`;
    expect(logged === expected, 'the log holds the line with the secret masked whole').toBe(true);
    expect(Buffer.concat(emitted).toString('utf8') === expected, 'the listener got the same').toBe(true);
    expect(tail.endsWith(`${MASK} after`)).toBe(true);
    for (const sink of [logged, tail, Buffer.concat(emitted).toString('utf8')]) {
      expect(sink).not.toContain(secret.slice(0, MIN_FRAGMENT));
      expect(sink).not.toContain(secret.slice(-MIN_FRAGMENT));
    }
  });

  it('never lets a secret, or a start or end of it, through, at any split point, in lines up to 4 MiB (property)', () => {
    // Filler lengths cluster around the MiB marks, where a line used to be cut.
    const length = fc.oneof(
      fc.nat(4 * MiB),
      fc.integer({ min: MiB - 200, max: MiB + 8 }),
      fc.integer({ min: 2 * MiB - 200, max: 2 * MiB + 8 }),
      fc.nat(300),
    );
    const segment = fc.record({ newline: fc.boolean(), filler: length });
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...'abcXYZ0189'), minLength: MIN_FRAGMENT * 2, maxLength: 200 }),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 }),
        (secret, segments, fractions) => {
          const text = `${segments.map((s) => `${s.newline ? '\n' : ''}${filler(s.filler)}${secret}`).join('')}\n`;
          const expected = text.replaceAll(secret, MASK).replaceAll(`${MASK}${MASK}`, MASK).replaceAll(`${MASK}${MASK}`, MASK);
          const { logged, tail, emitted } = feed(secret, chunksOf(Buffer.from(text), fractions));
          const head = secret.slice(0, MIN_FRAGMENT);
          const end = secret.slice(-MIN_FRAGMENT);
          // Non-secret text comes through unchanged, in the log and to the listener.
          expect(logged === expected, 'log = input with each secret masked').toBe(true);
          expect(Buffer.concat(emitted).toString('utf8') === expected, 'emitted = input with each secret masked').toBe(true);
          expect(expected.includes(tail.replace(/^\uFFFD+/, ''))).toBe(true);
          for (const sink of [logged, tail, ...emitted.map((chunk) => chunk.toString('utf8'))]) {
            expect(sink.includes(head) || sink.includes(end), 'a start or end of the secret in clear').toBe(false);
          }
        },
      ),
      { numRuns: 20 },
    );
  }, 120_000);

  it('passes chunks through untouched when there is nothing to mask', () => {
    const chunks = [Buffer.from('a\nb'), Buffer.from('c\n')];
    const emitted: Buffer[] = [];
    const path = outputPath('stderr', {
      tail: new RawTail(1024),
      onOutput: (_s, chunk) => void emitted.push(chunk),
      masker: createMasker([]),
    });
    for (const chunk of chunks) path.push(chunk);
    path.end();
    expect(emitted).toEqual(chunks);
    expect(emitted[0]).toBe(chunks[0]);
  });
});
