/**
 * What a capture holds (engine/capture.ts), how the checkpoint keeps it (the block-finished
 * transition), what a checkpoint read from disk may say about it, and which secret captures a
 * resumed run must capture again.
 */
import { describe, expect, it } from 'vitest';
import { CAPTURE_MAX_BYTES, captureSql, captureStdout, capturedRecord, lostSecretCaptures } from '../../src/engine/capture.js';
import { createMasker } from '../../src/engine/exec/mask.js';
import type { RunEvent } from '../../src/engine/run-state.js';
import { validateRunState } from '../../src/engine/validate.js';
import { AT, LATER, book, sh, stateAfter } from './fixtures.js';

const STDOUT = { name: 'OUT', form: 'stdout' } as const;
const VALUE = { name: 'N', form: 'value' } as const;
const ROWS = { name: 'R', form: 'rows' } as const;
const masker = createMasker(['hunter2-secret']);
const sql = (rows: Record<string, string>[], columns = Object.keys(rows[0] ?? {})) => ({
  rows,
  columns,
  durationMs: 1,
  timedOut: false,
  canceled: false,
});

describe('what a capture holds', () => {
  it('stdout trimmed, secret only when its output had a secret masked', () => {
    expect(captureStdout(STDOUT, { text: '\n  /var/backups/dump.sql.gz \n\n', cut: false }, masker, false)).toEqual({
      value: '/var/backups/dump.sql.gz',
      secret: false,
    });
    expect(captureStdout(STDOUT, { text: 'token-hunter2-secret\n', cut: false }, masker, false)).toEqual({
      value: 'token-hunter2-secret',
      secret: true,
    });
    // The secret was on stderr: stdout alone looks clean, the block's output did not.
    expect(captureStdout(STDOUT, { text: 'ok\n', cut: false }, masker, true)).toEqual({ value: 'ok', secret: true });
  });

  it('refuses stdout that was cut, too long, or holding a NUL byte', () => {
    expect(captureStdout(STDOUT, { text: 'x', cut: true }, masker, false)).toEqual({
      error: expect.stringContaining('more than 64 KiB on stdout'),
    });
    expect(captureStdout(STDOUT, { text: 'x'.repeat(CAPTURE_MAX_BYTES + 1), cut: false }, masker, false)).toEqual({
      error: expect.stringContaining('over 64 KiB'),
    });
    expect(captureStdout(STDOUT, { text: 'a\0b', cut: false }, masker, false)).toEqual({
      error: 'capture=OUT: the result holds a NUL byte, which a variable cannot',
    });
  });

  it('sql: the first value, or the rows as JSON; secret when any value was masked', () => {
    const result = sql([
      { name: 'a', n: '1' },
      { name: 'b', n: '2' },
    ]);
    expect(captureSql(VALUE, result, masker)).toEqual({ value: 'a', secret: false });
    expect(captureSql(ROWS, result, masker)).toEqual({ value: '[{"name":"a","n":"1"},{"name":"b","n":"2"}]', secret: false });
    expect(captureSql(VALUE, sql([], ['n']), masker)).toEqual({ value: '', secret: false });
    expect(captureSql(VALUE, sql([{ n: '1' }, { n: 'hunter2-secret' }]), masker)).toEqual({ value: '1', secret: true });
  });
});

describe('the checkpoint', () => {
  const BOOK = book(
    '# R',
    '## Make {#make}',
    ...sh('name=make capture=TOKEN'),
    '## Use {#use}',
    ...sh('name=use', 'echo "$TOKEN"'),
    '## Later {#later}',
    ...sh('name=later'),
  );
  const finished = (captured: ReturnType<typeof capturedRecord>): RunEvent[] => [
    { type: 'block-started', step: 'make', block: 'make', hash: 'h', log: 'logs/make.1.log', at: AT },
    {
      type: 'block-finished',
      step: 'make',
      block: 'make',
      outcome: 'success',
      exitCode: 0,
      attempts: 1,
      durationMs: 5,
      at: LATER,
      capture: { name: 'TOKEN', captured },
    },
  ];

  it('keeps a value in clear, a secret one as a digest only', () => {
    const mac = (text: string) => `mac(${text.length})`;
    const clear = stateAfter(BOOK, ...finished(capturedRecord('make', 'make', { value: 'abc', secret: false }, LATER, mac, 'TOKEN')));
    expect(clear.captures).toEqual({ TOKEN: { step: 'make', block: 'make', value: 'abc', secret: false, at: LATER } });
    const secret = stateAfter(BOOK, ...finished(capturedRecord('make', 'make', { value: 'abc', secret: true }, LATER, mac, 'TOKEN')));
    expect(secret.captures?.TOKEN).toEqual({ step: 'make', block: 'make', secret: true, digest: 'mac(17)', at: LATER });
    expect(JSON.stringify(secret)).not.toContain('abc');
    expect(validateRunState(JSON.parse(JSON.stringify(secret)))).toBeNull();
  });

  it('refuses a checkpoint whose captures are malformed', () => {
    const state = stateAfter(BOOK) as unknown as Record<string, unknown>;
    expect(validateRunState({ ...state, captures: 'x' })).toBe('its "captures" is not an object');
    expect(validateRunState({ ...state, captures: { TOKEN: { step: 'make', block: 'make', secret: 'no' } } })).toBe(
      'its capture TOKEN is malformed',
    );
  });

  it('a resumed run captures a secret again only while a block still to run uses it', () => {
    const mac = (text: string) => text.length.toString();
    const events = finished(capturedRecord('make', 'make', { value: 'abc', secret: true }, LATER, mac, 'TOKEN'));
    const pending = stateAfter(BOOK, ...events);
    expect(lostSecretCaptures(BOOK, pending, new Set()).map((l) => [l.name, l.step, l.block.id])).toEqual([['TOKEN', 'make', 'make']]);
    expect(lostSecretCaptures(BOOK, pending, new Set(['TOKEN']))).toEqual([]);
    const used = stateAfter(
      BOOK,
      ...events,
      { type: 'step-finished', step: 'make', at: LATER },
      { type: 'block-started', step: 'use', block: 'use', hash: 'h', log: 'l', at: LATER },
      { type: 'block-finished', step: 'use', block: 'use', outcome: 'success', exitCode: 0, attempts: 1, durationMs: 1, at: LATER },
      { type: 'step-finished', step: 'use', at: LATER },
    );
    expect(lostSecretCaptures(BOOK, used, new Set())).toEqual([]);
  });
});
