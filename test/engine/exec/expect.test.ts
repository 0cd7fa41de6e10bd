import { describe, expect, it } from 'vitest';
import { judgeProcess, judgeSql, type JudgedBlock } from '../../../src/engine/exec/expect.js';
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
    expect(judgeProcess(lenient, exited(1))).toMatchObject({ outcome: 'warning', reason: 'exit 1, expected 0 (severity=warning)', retryable: true });
    expect(judgeProcess(block({ severity: 'warning', codes: 'oslo' }), exited(2)).outcome).toBe('warning');
    expect(judgeProcess(lenient, exited(null, { spawnError: 'command not found: x' })).outcome).toBe('error');
  });

  it('reproduced: a timed-out or killed check with severity=warning was a warning that --accept-warnings passed; it is an error', () => {
    const lenient = block({ severity: 'warning' });
    expect(judgeProcess(lenient, exited(null, { timedOut: true, signal: 'SIGTERM' }))).toMatchObject({ outcome: 'error', reason: 'timed out after 30s' });
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
    const result: SqlResult = { rows: [{ a: 'utf8mb4', b: 'latin1' }, { a: 'x', b: 'y' }], columns: ['a', 'b'], durationMs: 1, timedOut: false, canceled: false };
    expect(judgeSql(block({ sqlExpect: { kind: 'value', value: 'utf8mb4' } }, 'check', 'sql'), result).outcome).toBe('success');
    expect(judgeSql(block({ sqlExpect: { kind: 'value', value: 'latin1' } }, 'check', 'sql'), result).outcome).toBe('failure');
  });

  it('reports an unreachable database as error, even with severity=warning', () => {
    const verdict = judgeSql(block({ severity: 'warning' }, 'check', 'sql'), rows([], { error: 'cannot connect to root@socket /x: connect ENOENT /x' }));
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
