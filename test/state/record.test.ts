/**
 * readRecord (src/state/record.ts): the one reader of the small JSON records other processes
 * write (approvals, the lock's holder). A file that is torn, foreign or edited by hand is
 * unreadable (null), never an exception, and never an object with a field of the wrong kind.
 */
import { describe, expect, it } from 'vitest';
import { readRecord } from '../../src/state/record.js';

const HOLDER = { pid: 'positive-integer', user: 'string', host: 'string' } as const;

describe('readRecord', () => {
  it('returns exactly the fields asked for, typed', () => {
    expect(readRecord('{"pid":4242,"user":"","host":"ctl-1","extra":true}', HOLDER)).toEqual({ pid: 4242, user: '', host: 'ctl-1' });
  });

  it('is null for text that is not a JSON object', () => {
    for (const text of ['', '{"pid":42,"user":"a"', 'null', '"text"', '42', '[4242,"a","b"]'])
      expect(readRecord(text, HOLDER), text).toBeNull();
  });

  it('is null when a field is missing or of another kind', () => {
    expect(readRecord('{"pid":4242,"user":"a"}', HOLDER)).toBeNull();
    expect(readRecord('{"pid":"4242","user":"a","host":"h"}', HOLDER)).toBeNull();
    expect(readRecord('{"pid":4242,"user":1,"host":"h"}', HOLDER)).toBeNull();
  });

  it('a positive integer is a whole number above 0 (a pid of 0 or -n would probe a process group)', () => {
    for (const pid of ['0', '-1', '1.5', '1e300', '9007199254740993'])
      expect(readRecord(`{"pid":${pid},"user":"a","host":"h"}`, HOLDER), pid).toBeNull();
    expect(readRecord('{"pid":1,"user":"a","host":"h"}', HOLDER)).toEqual({ pid: 1, user: 'a', host: 'h' });
  });

  it('a non-empty field refuses the empty string', () => {
    expect(readRecord('{"by":""}', { by: 'non-empty' })).toBeNull();
    expect(readRecord('{"by":"bob"}', { by: 'non-empty' })).toEqual({ by: 'bob' });
  });

  it('reads a field only from the record itself, not from what every object inherits', () => {
    expect(readRecord('{}', { toString: 'string' })).toBeNull();
    expect(readRecord('{"__proto__":{"user":"x"}}', { user: 'string' })).toBeNull();
  });
});
