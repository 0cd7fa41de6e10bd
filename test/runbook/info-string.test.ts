/**
 * parseInfoString reads plain ASCII info strings (most of them: `sh check name=x timeout=5m`) in
 * one pass of its own, for lint's speed on long runbooks; it must give exactly what the general
 * reader gives, for those and for everything it hands on (braces, quotes, non-ASCII spaces).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAnyInfoString, parseInfoString } from '../../src/runbook/info-string.js';

const SEED = Number(process.env.WAYMARK_FUZZ_SEED ?? 20261206);

const pieces = fc.constantFrom(
  'sh',
  'SQL',
  'Bash',
  'check',
  'run',
  'name=db-sync',
  'timeout=5m',
  'expect=^active$',
  'a=b=c',
  '=x',
  'x=',
  '=',
  'confirm',
  'hosts=web:!db',
  ' ',
  ' ',
  ' ',
  '  ',
  '\t',
  '\n',
  '\r',
  '\f',
  '\v',
  '\u00a0',
  '\u2028',
  '\u3000',
  '\u0001',
  '\u007f',
  'é',
  '日本',
  '🐍',
  '{',
  '}',
  '{ name=x }',
  '{"name":"y"}',
  '"q"',
  "'s'",
  ',',
  '#',
  '}x',
);
const infoStrings = fc.array(pieces, { maxLength: 8 }).map((parts) => parts.join(''));

describe('info string readers', () => {
  it('the one-pass reader agrees with the general reader on 20,000 info strings', () => {
    let plain = 0;
    fc.assert(
      fc.property(infoStrings, (info) => {
        if (/^[\x20-\x7e\t\n\r\f\v]*$/.test(info) && !/[{"']/.test(info)) plain++;
        expect(parseInfoString(info)).toEqual(parseAnyInfoString(info));
      }),
      { numRuns: 20_000, seed: SEED },
    );
    // Enough of them are plain for the one-pass reader to be what is compared.
    expect(plain).toBeGreaterThan(4_000);
  });

  it('reads a plain info string into language, words and attributes', () => {
    expect(parseInfoString('  SH check  name=s1 confirm\ttimeout=5m expect=a=b ')).toEqual({
      lang: 'sh',
      words: ['check', 'confirm'],
      attributes: [
        { key: 'name', value: 's1' },
        { key: 'timeout', value: '5m' },
        { key: 'expect', value: 'a=b' },
      ],
      problems: [],
    });
    expect(parseInfoString('')).toEqual({ lang: '', words: [], attributes: [], problems: [] });
  });
});
