import { describe, expect, it } from 'vitest';
import { judgeProcess, judgeSql, needsStdoutMatch, type JudgedBlock, type Verdict } from '../../../src/engine/exec/expect.js';
import type { JudgedProcess } from '../../../src/engine/exec/expect.js';
import type { SqlResult } from '../../../src/engine/exec/sql.js';
import type { BlockAttributes, Role } from '../../../src/runbook/model.js';

function block(attrs: Partial<BlockAttributes> = {}, role: Role = 'check', executor: JudgedBlock['executor'] = 'shell'): JudgedBlock {
  return { role, executor, attrs: { confirm: false, ...attrs } };
}

function exited(exitCode: number | null, extra: Partial<JudgedProcess> = {}): JudgedProcess {
  return {
    exitCode,
    timedOut: false,
    canceled: false,
    timeoutMs: 30_000,
    durationMs: 5,
    stdoutTail: [],
    stderrTail: [],
    droppedLines: 0,
    ...extra,
  };
}

function rows(values: Array<Record<string, string>>, extra: Partial<SqlResult> = {}): SqlResult {
  const columns = values[0] === undefined ? ['host'] : Object.keys(values[0]);
  return { rows: values, columns, durationMs: 3, timedOut: false, canceled: false, ...extra };
}

describe('judgeProcess', () => {
  it('passes exit 0 and fails any other code by default', () => {
    expect(judgeProcess(block(), exited(0))).toMatchObject({ outcome: 'success' });
    expect(judgeProcess(block(), exited(3))).toEqual({ outcome: 'failure', reason: 'exit 3, expected 0', retryable: true });
  });

  it('compares with exit=N', () => {
    expect(judgeProcess(block({ exit: 3 }), exited(3)).outcome).toBe('success');
    expect(judgeProcess(block({ exit: 3 }), exited(0)).reason).toBe('exit 0, expected 3');
  });

  it('treats a spawn error as error: the check could not run', () => {
    expect(judgeProcess(block(), exited(null, { spawnError: 'command not found: python3' }))).toMatchObject({
      outcome: 'error',
      reason: 'command not found: python3',
    });
  });

  it('treats a shell reporting "command not found" (127) as error, unless 127 is expected', () => {
    expect(judgeProcess(block(), exited(127))).toMatchObject({ outcome: 'error', reason: 'exit 127: command not found' });
    expect(judgeProcess(block({ exit: 127 }), exited(127)).outcome).toBe('success');
    expect(judgeProcess(block({}, 'check', 'python'), exited(127)).outcome).toBe('failure');
  });

  it('reports a timeout as an error with the limit', () => {
    expect(judgeProcess(block(), exited(null, { timedOut: true, signal: 'SIGTERM' }))).toMatchObject({
      outcome: 'error',
      reason: 'timed out after 30s',
    });
  });

  it('maps oslo codes: 0 success, 1 warning, 2 failure, anything else error', () => {
    const oslo = block({ codes: 'oslo' });
    expect(judgeProcess(oslo, exited(0)).outcome).toBe('success');
    expect(judgeProcess(oslo, exited(1)).outcome).toBe('warning');
    expect(judgeProcess(oslo, exited(2)).outcome).toBe('failure');
    expect(judgeProcess(oslo, exited(3)).outcome).toBe('error');
    expect(judgeProcess(oslo, exited(127)).outcome).toBe('error');
  });

  it('passes or fails on what matching stdout against expect= found', () => {
    expect(judgeProcess(block({ expect: '^Result: Success$' }), exited(0, { stdoutMatch: { matched: true } })).outcome).toBe('success');
    const miss = judgeProcess(block({ expect: '^Result: Failure$' }), exited(0, { stdoutMatch: { matched: false } }));
    expect(miss).toMatchObject({ outcome: 'failure', reason: 'exit 0; stdout does not match /^Result: Failure$/' });
  });

  it('is an error, even with severity=warning, when stdout could not be matched', () => {
    const error = 'output exceeded the matching window (1 MiB)';
    const verdict = judgeProcess(block({ expect: 'first line', severity: 'warning' }), exited(0, { stdoutMatch: { error } }));
    expect(verdict).toEqual({ outcome: 'error', reason: `exit 0; ${error}`, retryable: false });
    expect(judgeProcess(block({ expect: 'x' }), exited(0)).outcome).toBe('error');
  });

  it('fails when the exit code is wrong even if stdout matches', () => {
    expect(judgeProcess(block({ expect: 'ok' }), exited(1, { stdoutMatch: { matched: true } })).outcome).toBe('failure');
  });

  it('turns a failure into a warning with severity=warning, but not an error', () => {
    const lenient = block({ severity: 'warning' });
    expect(judgeProcess(lenient, exited(1))).toMatchObject({
      outcome: 'warning',
      reason: 'exit 1, expected 0 (severity=warning)',
      retryable: true,
    });
    expect(judgeProcess(block({ severity: 'warning', codes: 'oslo' }), exited(2)).outcome).toBe('warning');
    expect(judgeProcess(lenient, exited(null, { spawnError: 'command not found: x' })).outcome).toBe('error');
  });

  it('reproduced: a timed-out or killed check with severity=warning was a warning that --accept-warnings passed; it is an error', () => {
    const lenient = block({ severity: 'warning' });
    expect(judgeProcess(lenient, exited(null, { timedOut: true, signal: 'SIGTERM' }))).toMatchObject({
      outcome: 'error',
      reason: 'timed out after 30s',
    });
    expect(judgeProcess(lenient, exited(null, { signal: 'SIGKILL' }))).toMatchObject({ outcome: 'error', reason: 'killed by SIGKILL' });
    expect(judgeSql(lenient, rows([], { timedOut: true, error: 'timed out after 30s' }))).toMatchObject({ outcome: 'error' });
  });

  it('says "again" for the rerun-on-exit code, before any exit check', () => {
    expect(judgeProcess(block({ rerunOnExit: 1 }, 'run'), exited(1))).toMatchObject({ outcome: 'again' });
    expect(judgeProcess(block({ rerunOnExit: 1 }, 'run'), exited(0)).outcome).toBe('success');
    expect(judgeProcess(block({ rerunOnExit: 1 }, 'run'), exited(2)).outcome).toBe('failure');
  });

  it('never turns a cancel into a warning, nor offers to retry it', () => {
    expect(judgeProcess(block({ severity: 'warning' }), exited(null, { canceled: true, signal: 'SIGTERM' }))).toEqual({
      outcome: 'failure',
      reason: 'canceled',
      retryable: false,
    });
  });
});

describe('judgeSql', () => {
  it('expects no rows from a check by default: any row is a failure', () => {
    expect(judgeSql(block({}, 'check', 'sql'), rows([]))).toMatchObject({ outcome: 'success', reason: 'no rows' });
    expect(judgeSql(block({}, 'check', 'sql'), rows([{ host: 'NULL' }, { host: 'NULL' }]))).toMatchObject({
      outcome: 'failure',
      reason: '2 rows returned, expected none',
    });
  });

  it('succeeds for a run block without expect= unless there is an error', () => {
    expect(judgeSql(block({}, 'run', 'sql'), rows([], { columns: [], affectedRows: 4 }))).toMatchObject({
      outcome: 'success',
      reason: '4 rows affected',
    });
    expect(judgeSql(block({}, 'run', 'sql'), rows([], { error: "Table 'nova.x' doesn't exist" })).outcome).toBe('error');
  });

  it('handles nonempty, rows:N and value:X', () => {
    const one = rows([{ count: '0' }]);
    expect(judgeSql(block({ sqlExpect: { kind: 'nonempty' } }, 'check', 'sql'), one).outcome).toBe('success');
    expect(judgeSql(block({ sqlExpect: { kind: 'nonempty' } }, 'check', 'sql'), rows([])).outcome).toBe('failure');
    expect(judgeSql(block({ sqlExpect: { kind: 'rows', count: 1 } }, 'check', 'sql'), one).outcome).toBe('success');
    expect(judgeSql(block({ sqlExpect: { kind: 'rows', count: 2 } }, 'check', 'sql'), one).reason).toBe('1 row returned, expected 2');
    expect(judgeSql(block({ sqlExpect: { kind: 'value', value: '0' } }, 'check', 'sql'), one).outcome).toBe('success');
    expect(judgeSql(block({ sqlExpect: { kind: 'value', value: '1' } }, 'check', 'sql'), one).reason).toBe('value 0, expected 1');
    expect(judgeSql(block({ sqlExpect: { kind: 'value', value: '0' } }, 'check', 'sql'), rows([])).outcome).toBe('failure');
  });

  it('compares value:X with the first column of the first row', () => {
    const result: SqlResult = {
      rows: [
        { a: 'utf8mb4', b: 'latin1' },
        { a: 'x', b: 'y' },
      ],
      columns: ['a', 'b'],
      durationMs: 1,
      timedOut: false,
      canceled: false,
    };
    expect(judgeSql(block({ sqlExpect: { kind: 'value', value: 'utf8mb4' } }, 'check', 'sql'), result).outcome).toBe('success');
    expect(judgeSql(block({ sqlExpect: { kind: 'value', value: 'latin1' } }, 'check', 'sql'), result).outcome).toBe('failure');
  });

  it('reports an unreachable database as error, even with severity=warning', () => {
    const verdict = judgeSql(
      block({ severity: 'warning' }, 'check', 'sql'),
      rows([], { error: 'cannot connect to root@socket /x: connect ENOENT /x' }),
    );
    expect(verdict.outcome).toBe('error');
  });

  it('turns a failing check into a warning with severity=warning', () => {
    expect(judgeSql(block({ severity: 'warning' }, 'check', 'sql'), rows([{ host: 'NULL' }])).outcome).toBe('warning');
  });

  it('reports a timeout as an error and a cancel as a failure that is not retried', () => {
    expect(judgeSql(block({}, 'check', 'sql'), rows([], { timedOut: true, error: 'timed out after 5s' }))).toMatchObject({
      outcome: 'error',
      reason: 'timed out after 5s',
    });
    expect(judgeSql(block({}, 'check', 'sql'), rows([], { canceled: true, error: 'canceled' }))).toMatchObject({ retryable: false });
  });
});

/**
 * Every verdict whole: the outcome, the reason the operator reads under the block, and whether a
 * retry is offered (`retryable`). npm run mutate found each of these parts could change unseen.
 */
describe('the whole verdict, as the operator sees it', () => {
  const verdict = (outcome: Verdict['outcome'], reason: string, retryable: boolean): Verdict => ({ outcome, reason, retryable });

  it.each<[string, JudgedBlock, JudgedProcess, Verdict]>([
    ['exit 0', block(), exited(0), verdict('success', 'exit 0', false)],
    ['exit=3 met', block({ exit: 3 }), exited(3), verdict('success', 'exit 3', false)],
    [
      'a command that could not start',
      block(),
      exited(null, { spawnError: 'command not found: python3' }),
      verdict('error', 'command not found: python3', true),
    ],
    ['a shell that could not execute the command', block(), exited(126), verdict('error', 'exit 126: command not executable', true)],
    ['a shell that did not find the command', block(), exited(127), verdict('error', 'exit 127: command not found', true)],
    ['a cancel', block(), exited(null, { canceled: true }), verdict('failure', 'canceled', false)],
    ['a timeout with a limit', block(), exited(null, { timedOut: true, timeoutMs: 30_000 }), verdict('error', 'timed out after 30s', true)],
    [
      'a timeout without a limit (killed from outside)',
      block(),
      exited(null, { timedOut: true, timeoutMs: 0 }),
      verdict('error', 'timed out', true),
    ],
    ['a kill by a named signal', block(), exited(null, { signal: 'SIGKILL' }), verdict('error', 'killed by SIGKILL', true)],
    ['a kill by an unknown signal', block(), exited(null), verdict('error', 'killed by a signal', true)],
    ['the rerun-on-exit code', block({ rerunOnExit: 1 }), exited(1), verdict('again', 'exit 1: run again', false)],
    ['oslo 0', block({ codes: 'oslo' }), exited(0), verdict('success', 'exit 0: success', false)],
    ['oslo 1', block({ codes: 'oslo' }), exited(1), verdict('warning', 'exit 1: warning', false)],
    ['oslo 2', block({ codes: 'oslo' }), exited(2), verdict('failure', 'exit 2: failure', true)],
    ['oslo 5', block({ codes: 'oslo' }), exited(5), verdict('error', 'exit 5: the check could not run (oslo codes are 0, 1, 2)', true)],
    [
      'stdout matching',
      block({ expect: 'ok' }),
      exited(0, { stdoutMatch: { matched: true } }),
      verdict('success', 'exit 0; stdout matches /ok/', false),
    ],
    [
      'stdout not matching',
      block({ expect: 'ok' }),
      exited(0, { stdoutMatch: { matched: false } }),
      verdict('failure', 'exit 0; stdout does not match /ok/', true),
    ],
    ['stdout never matched', block({ expect: 'ok' }), exited(0), verdict('error', 'exit 0; stdout was not matched', false)],
    [
      'stdout whose matching failed',
      block({ expect: 'ok' }),
      exited(0, { stdoutMatch: { error: 'the pattern took too long' } }),
      verdict('error', 'exit 0; the pattern took too long', false),
    ],
    // An oslo warning is still held to expect=: its stdout decides.
    [
      'an oslo warning whose stdout does not match',
      block({ codes: 'oslo', expect: 'ok' }),
      exited(1, { stdoutMatch: { matched: false } }),
      verdict('failure', 'exit 1: warning; stdout does not match /ok/', true),
    ],
    [
      'an oslo warning whose stdout matches',
      block({ codes: 'oslo', expect: 'ok' }),
      exited(1, { stdoutMatch: { matched: true } }),
      verdict('warning', 'exit 1: warning; stdout matches /ok/', false),
    ],
    // A wrong exit code decides alone: what stdout says is not part of the reason.
    [
      'a wrong exit code whose stdout matches',
      block({ expect: 'ok' }),
      exited(3, { stdoutMatch: { matched: true } }),
      verdict('failure', 'exit 3, expected 0', true),
    ],
  ])('%s', (_case, judged, result, expected) => {
    expect(judgeProcess(judged, result)).toEqual(expected);
  });

  it('asks for stdout to be matched only when the block has expect= and exited the way it should', () => {
    expect(needsStdoutMatch(block({ expect: 'ok' }), exited(0))).toBe(true);
    expect(needsStdoutMatch(block({ expect: 'ok', codes: 'oslo' }), exited(1))).toBe(true);
    expect(needsStdoutMatch(block({ expect: 'ok' }), exited(3))).toBe(false);
    expect(needsStdoutMatch(block({ expect: 'ok' }), exited(null, { timedOut: true }))).toBe(false);
    expect(needsStdoutMatch(block(), exited(0))).toBe(false);
  });

  it.each<[string, JudgedBlock, SqlResult, Verdict]>([
    ['a cancel', block({}, 'check', 'sql'), rows([], { canceled: true }), verdict('failure', 'canceled', false)],
    [
      'a timeout with its message',
      block({}, 'check', 'sql'),
      rows([], { timedOut: true, error: 'timed out after 30s' }),
      verdict('error', 'timed out after 30s', true),
    ],
    ['a timeout without a message', block({}, 'check', 'sql'), rows([], { timedOut: true }), verdict('error', 'timed out', true)],
    [
      'an SQL error',
      block({}, 'run', 'sql'),
      rows([], { error: "Table 'nova.x' doesn't exist" }),
      verdict('error', "Table 'nova.x' doesn't exist", true),
    ],
    ['a run block returning one row', block({}, 'run', 'sql'), rows([{ host: 'a' }]), verdict('success', '1 row returned', false)],
    [
      'a run block returning two rows',
      block({}, 'run', 'sql'),
      rows([{ host: 'a' }, { host: 'b' }]),
      verdict('success', '2 rows returned', false),
    ],
    [
      'a run block changing one row',
      block({}, 'run', 'sql'),
      rows([], { columns: [], affectedRows: 1 }),
      verdict('success', '1 row affected', false),
    ],
    ['a run block changing nothing', block({}, 'run', 'sql'), rows([], { columns: [] }), verdict('success', '0 rows affected', false)],
    ['a check finding rows', block({}, 'check', 'sql'), rows([{ host: 'a' }]), verdict('failure', '1 row returned, expected none', true)],
    [
      'expect=nonempty met',
      block({ sqlExpect: { kind: 'nonempty' } }, 'check', 'sql'),
      rows([{ host: 'a' }, { host: 'b' }]),
      verdict('success', '2 rows returned', false),
    ],
    [
      'expect=nonempty not met',
      block({ sqlExpect: { kind: 'nonempty' } }, 'check', 'sql'),
      rows([]),
      verdict('failure', 'no rows returned, expected at least one', true),
    ],
    [
      'expect=rows:1 met',
      block({ sqlExpect: { kind: 'rows', count: 1 } }, 'check', 'sql'),
      rows([{ host: 'a' }]),
      verdict('success', '1 row returned', false),
    ],
    [
      'expect=value:X met',
      block({ sqlExpect: { kind: 'value', value: 'utf8mb4' } }, 'check', 'sql'),
      rows([{ charset: 'utf8mb4' }]),
      verdict('success', 'value utf8mb4', false),
    ],
    [
      'expect=value:X without rows',
      block({ sqlExpect: { kind: 'value', value: '0' } }, 'check', 'sql'),
      rows([]),
      verdict('failure', 'no rows returned, expected value 0', true),
    ],
    [
      'a failing check with severity=warning',
      block({ severity: 'warning' }, 'check', 'sql'),
      rows([{ host: 'a' }]),
      verdict('warning', '1 row returned, expected none (severity=warning)', true),
    ],
  ])('sql: %s', (_case, judged, result, expected) => {
    expect(judgeSql(judged, result)).toEqual(expected);
  });
});
