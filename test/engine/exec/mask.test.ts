import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MASK, MIN_FRAGMENT, createMasker } from '../../../src/engine/exec/mask.js';

/** Every start and every end of `secret` at least MIN_FRAGMENT long (the whole secret included). */
function fragments(secret: string): string[] {
  const found: string[] = [];
  for (let n = MIN_FRAGMENT; n <= secret.length; n += 1) found.push(secret.slice(0, n), secret.slice(-n));
  return found;
}

/** `text` cut at the given points (any order, duplicates and out-of-range points allowed). */
function cutAt(text: string, points: number[]): string[] {
  const cuts = [...new Set(points.map((p) => p % (text.length + 1)))].sort((a, b) => a - b);
  const pieces: string[] = [];
  let from = 0;
  for (const cut of cuts) {
    pieces.push(text.slice(from, cut));
    from = cut;
  }
  pieces.push(text.slice(from));
  return pieces;
}

describe('createMasker', () => {
  it('replaces every occurrence of a secret', () => {
    const masker = createMasker(['hunter2']);
    expect(masker.mask('pw=hunter2 again hunter2')).toBe(`pw=${MASK} again ${MASK}`);
  });

  it('masks a secret containing another one as a whole (longest first)', () => {
    const masker = createMasker(['abc', 'xxabcxx']);
    expect(masker.mask('[xxabcxx] [abc]')).toBe(`[${MASK}] [${MASK}]`);
  });

  it('leaves nothing of two overlapping secrets visible', () => {
    const masker = createMasker(['abc', 'cde']);
    expect(masker.mask('_abcde_')).toBe(`_${MASK}_`);
  });

  // Reproduced (issue 16 §7): with findSpans' indexOf scans in exec/mask.ts going on after the whole
  // match (at + length) instead of at + 1, the second, overlapping occurrence was not found and the
  // tail of the secret was shown: `abab` in `ababab` came out as `••••ab`.
  it('leaves nothing of a secret that overlaps itself, short or long, whole or cut', () => {
    expect(createMasker(['abab']).mask('ababab')).toBe(MASK);
    expect(createMasker(['abab']).mask('[ababab]')).toBe(`[${MASK}]`);
    // Longer than MIN_FRAGMENT: every run of its first 8 characters is masked (the start scan)...
    expect(createMasker(['aaaaaaaaX']).mask('<aaaaaaaaaaaa>')).toBe(`<${MASK}>`);
    // ...and every run of its last 8 (the end scan).
    expect(createMasker(['Xaaaaaaaa']).mask('<aaaaaaaaaaaa>')).toBe(`<${MASK}>`);
    // The same through a stream cut in the middle of the overlap.
    const stream = createMasker(['aaaaaaaaX']).stream();
    expect(stream.push('<aaaaaaa') + stream.push('aaaaa>') + stream.end()).toBe(`<${MASK}>`);
  });

  it('masks even a one-character secret and ignores empty ones', () => {
    const masker = createMasker(['', 'Q']);
    expect(masker.mask('aQb')).toBe(`a${MASK}b`);
    expect(createMasker(['']).empty).toBe(true);
    expect(createMasker(['']).mask('text')).toBe('text');
  });

  it('masks each line of a multi-line secret, since output is masked line by line', () => {
    const masker = createMasker(['-----BEGIN KEY-----\nMIIEsecretbody\n-----END KEY-----']);
    expect(masker.mask('MIIEsecretbody')).toBe(MASK);
    expect(masker.empty).toBe(false);
  });

  it('masks the lines of a secret written with CRLF line ends, and a carriage return inside a line as part of it', () => {
    const masker = createMasker(['user-line\r\npassw0rd-line\r\n', 'in\rside']);
    expect(masker.mask('got passw0rd-line\n')).toBe(`got ${MASK}\n`);
    expect(masker.mask('[in\rside] [inside]')).toBe(`[${MASK}] [inside]`);
  });

  it('does not take the blank lines of a multi-line secret, nor a secret of spaces only, for secrets: blanks stay', () => {
    const masker = createMasker(['first-line\n   \n\tlast-line', '  ']);
    expect(masker.mask('a   b\t c')).toBe('a   b\t c');
    expect(masker.mask('x first-line y')).toBe(`x ${MASK} y`);
  });

  it('masks nothing of the text "null" for a secret of exactly 8 characters (which has no end scan of its own)', () => {
    expect(createMasker(['exactly8']).mask('value is null, not exactly8')).toBe(`value is null, not ${MASK}`);
  });

  it('without secrets, a stream gives out what it is given at once', () => {
    const stream = createMasker([]).stream();
    expect(stream.push('pass ')).toBe('pass ');
    expect(stream.push('through')).toBe('through');
    expect(stream.end()).toBe('');
  });

  it('holds back as much as the longest secret, so a long secret cut between two pieces is not given out in part', () => {
    const stream = createMasker(['pin', 'Secret-12chr']).stream();
    const pieces = [stream.push('x Secret'), stream.push('-12chr y'), stream.end()];
    expect(pieces.join('')).toBe(`x ${MASK} y`);
    for (const piece of pieces) expect(piece).not.toMatch(/Secret|12chr/);
  });

  it('never cuts a stream between the two halves of a character outside the BMP (each piece is valid UTF-16)', () => {
    const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
    // The first and last characters whose high halves are 0xD800 and 0xDBFF, and an emoji between them.
    for (const wide of ['\u{10000}', '😀', '\u{10FFFD}']) {
      for (let before = 0; before < 4; before += 1) {
        const masker = createMasker(['secret-value']);
        const text = `${'x'.repeat(before)}${wide}${'y'.repeat(11)}${wide}${'z'.repeat(12)}`;
        const stream = masker.stream();
        const pieces: string[] = [];
        for (let at = 0; at < text.length; at += 5) pieces.push(stream.push(text.slice(at, at + 5)));
        pieces.push(stream.end());
        expect(pieces.join('')).toBe(text);
        for (const piece of pieces) expect(piece).not.toMatch(lone);
      }
    }
  });

  it('returns text without secrets unchanged', () => {
    expect(createMasker(['s3cret']).mask('nothing to see')).toBe('nothing to see');
  });

  it('reproduced: MariaDB cut a 164-character secret to its first 128 in an error message, which was shown in clear', () => {
    const secret = `${'Zq9'.repeat(54)}XY`;
    expect(secret).toHaveLength(164);
    const masker = createMasker([secret]);
    const message = `Truncated incorrect DECIMAL value: '${secret.slice(0, 128)}'`;
    expect(masker.mask(message)).toBe(`Truncated incorrect DECIMAL value: '${MASK}'`);
  });

  it('masks any start and any end of a secret that is at least 8 characters long, and nothing next to it', () => {
    const masker = createMasker(['correct-horse-battery']);
    expect(masker.mask('[correct-]')).toBe(`[${MASK}]`);
    expect(masker.mask('[correct-horse-b...]')).toBe(`[${MASK}...]`);
    expect(masker.mask('...se-battery]')).toBe(`...${MASK}]`);
    expect(masker.mask('correct-horse-battery-staple')).toBe(`${MASK}-staple`);
    // Shorter pieces, and pieces from the middle, are not the secret's start or end: they stay.
    expect(masker.mask('correct horse-bat')).toBe('correct horse-bat');
  });

  it('masks a secret shorter than 8 characters only whole', () => {
    expect(createMasker(['hunter2']).mask('hunter hunter2')).toBe(`hunter ${MASK}`);
  });

  it('leaves no start or end of 8 or more characters of a secret in what it returns (property)', () => {
    const alphabet = fc.constantFrom('a', 'b', 'c', ' ', '\n');
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', 'c'), minLength: 1, maxLength: 30 }),
        fc.array(fc.oneof(fc.string({ unit: alphabet, maxLength: 12 }), fc.nat(40)), { maxLength: 12 }),
        (secret, parts) => {
          // Text woven from random filler and random cut-outs of the secret.
          const text = parts
            .map((part) => (typeof part === 'string' ? part : secret.slice(part % secret.length, (part * 7) % (secret.length + 1))))
            .join('');
          const masked = createMasker([secret]).mask(text);
          const forbidden = secret.length < MIN_FRAGMENT ? [secret] : fragments(secret);
          for (const fragment of forbidden) expect(masked).not.toContain(fragment);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('gives, as a stream, exactly what mask() gives for the whole text, wherever the text is cut (property)', () => {
    const unit = fc.constantFrom('a', 'b', 'c', '\n', '😀');
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'c', '😀'), minLength: 1, maxLength: 14 }), { minLength: 1, maxLength: 3 }),
        fc.string({ unit, maxLength: 80 }),
        fc.array(fc.nat(200), { maxLength: 12 }),
        (secrets, text, points) => {
          const masker = createMasker(secrets);
          const stream = masker.stream();
          const given =
            cutAt(text, points)
              .map((piece) => stream.push(piece))
              .join('') + stream.end();
          expect(given).toBe(masker.mask(text));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('gives out complete lines at once, holding back only the end of an unfinished line', () => {
    const stream = createMasker(['s3cr3t-password']).stream();
    expect(stream.push('one s3cr3t-password\ntwo s3cr3t')).toBe(`one ${MASK}\n`);
    // The last 15 characters (the secret's length) wait for what follows.
    expect(stream.push('-password and more text than the secret is long')).toBe(`two ${MASK} and more text than the`);
    expect(stream.end()).toBe(' secret is long');
  });
});
