/** Verdicts: a block's raw result judged against what the block expects (docs/runbook-format.md#attributes, docs/runbook-format.md#how-a-step-is-gated). Pure functions. */
import type { Block, SqlExpectation } from '../../runbook/model.js';
import { effectiveSqlExpectation } from '../../runbook/sql-expectation.js';
import { describeStop } from './deadline.js';
import type { StdoutMatch } from './match.js';
import type { ProcessResult } from './shell.js';
import type { SqlResult } from './sql.js';

import type { Outcome } from '../run-state.js';

/** The outcome of a verdict is the run state's own (run-state.ts is its one home). */
export type { Outcome };

/** The judgement of one attempt. `again` is a `rerun-on-exit` block asking to be run once more. */
export interface Verdict {
  outcome: Outcome | 'again';
  /** For the operator: why, e.g. `exit 3, expected 0` or `timed out after 30s`. */
  reason: string;
  /** The check did not pass and running it again may change that (not after a cancel). */
  retryable: boolean;
}

/** The parts of a block a verdict depends on. */
export type JudgedBlock = Pick<Block, 'role' | 'executor' | 'attrs'>;

// What shells exit with when the command was not found (127) or could not be executed (126).
const SHELL_CANNOT_RUN: Record<number, string> = { 126: 'command not executable', 127: 'command not found' };

/** A shell or python attempt's result, with what matching its stdout against `expect=` found. */
export type JudgedProcess = ProcessResult & { stdoutMatch?: StdoutMatch };

/** Judge a shell or python attempt. */
export function judgeProcess(block: JudgedBlock, result: JudgedProcess): Verdict {
  const ending = judgeEnding(block, result);
  // A cancel is the operator's doing, not the check's verdict: it is never softened into a warning.
  if (result.canceled && result.spawnError === undefined) return ending;
  if (!stdoutDecides(block, ending)) return withSeverity(block, ending);
  return withSeverity(block, judgeStdout(block.attrs.expect as string, result.stdoutMatch, ending));
}

/**
 * True when the verdict on this attempt waits for its stdout to be matched against `expect=`: the
 * block has one, and it exited the way it should. Otherwise matching is not needed at all.
 */
export function needsStdoutMatch(block: JudgedBlock, result: ProcessResult): boolean {
  return stdoutDecides(block, judgeEnding(block, result));
}

function stdoutDecides(block: JudgedBlock, ending: Verdict): boolean {
  return block.attrs.expect !== undefined && (ending.outcome === 'success' || ending.outcome === 'warning');
}

/**
 * The verdict from how the attempt ended and its exit code alone. A check that timed out, was killed
 * or could not start has not told anyone anything: that is an `error`, which `severity=warning`
 * does not soften.
 */
function judgeEnding(block: JudgedBlock, result: ProcessResult): Verdict {
  if (result.spawnError !== undefined) return { outcome: 'error', reason: result.spawnError, retryable: true };
  if (result.canceled) return { outcome: 'failure', reason: describeStop('cancel', result.timeoutMs), retryable: false };
  if (result.timedOut) return { outcome: 'error', reason: describeStop('timeout', result.timeoutMs), retryable: true };
  if (result.exitCode === null) return { outcome: 'error', reason: `killed by ${result.signal ?? 'a signal'}`, retryable: true };
  const code = result.exitCode;
  if (block.attrs.rerunOnExit !== undefined && code === block.attrs.rerunOnExit) {
    return { outcome: 'again', reason: `exit ${code}: run again`, retryable: false };
  }
  return block.attrs.codes === 'oslo' ? judgeOsloExit(code) : judgeExit(block, code);
}

function judgeOsloExit(code: number): Verdict {
  switch (code) {
    case 0:
      return { outcome: 'success', reason: 'exit 0: success', retryable: false };
    case 1:
      return { outcome: 'warning', reason: 'exit 1: warning', retryable: false };
    case 2:
      return { outcome: 'failure', reason: 'exit 2: failure', retryable: true };
    default:
      return { outcome: 'error', reason: `exit ${code}: the check could not run (oslo codes are 0, 1, 2)`, retryable: true };
  }
}

function judgeExit(block: JudgedBlock, code: number): Verdict {
  const expected = block.attrs.exit ?? 0;
  if (code === expected) return { outcome: 'success', reason: `exit ${code}`, retryable: false };
  const cannotRun = SHELL_CANNOT_RUN[code];
  if (block.executor === 'shell' && cannotRun !== undefined) {
    return { outcome: 'error', reason: `exit ${code}: ${cannotRun}`, retryable: true };
  }
  return { outcome: 'failure', reason: `exit ${code}, expected ${expected}`, retryable: true };
}

function judgeStdout(pattern: string, match: StdoutMatch | undefined, exitVerdict: Verdict): Verdict {
  if (match === undefined || 'error' in match) {
    const why = match === undefined ? 'stdout was not matched' : match.error;
    return { outcome: 'error', reason: `${exitVerdict.reason}; ${why}`, retryable: false };
  }
  if (match.matched) return { ...exitVerdict, reason: `${exitVerdict.reason}; stdout matches /${pattern}/` };
  return { outcome: 'failure', reason: `${exitVerdict.reason}; stdout does not match /${pattern}/`, retryable: true };
}

/** Judge an sql attempt against the block's effective expectation (runbook/sql-expectation.ts). */
export function judgeSql(block: JudgedBlock, result: SqlResult): Verdict {
  if (result.canceled) return { outcome: 'failure', reason: 'canceled', retryable: false };
  if (result.timedOut) return { outcome: 'error', reason: result.error ?? 'timed out', retryable: true };
  if (result.error !== undefined) return { outcome: 'error', reason: result.error, retryable: true };
  const expectation = effectiveSqlExpectation({ executor: 'sql', role: block.role, given: block.attrs.sqlExpect });
  if (expectation === undefined) return { outcome: 'success', reason: describeSqlResult(result), retryable: false };
  return withSeverity(block, judgeRows(expectation, result));
}

function judgeRows(expectation: SqlExpectation, result: SqlResult): Verdict {
  const count = result.rows.length;
  const rows = plural(count, 'row');
  const pass = (reason: string): Verdict => ({ outcome: 'success', reason, retryable: false });
  const fail = (reason: string): Verdict => ({ outcome: 'failure', reason, retryable: true });
  switch (expectation.kind) {
    case 'empty':
      return count === 0 ? pass('no rows') : fail(`${rows} returned, expected none`);
    case 'nonempty':
      return count > 0 ? pass(`${rows} returned`) : fail('no rows returned, expected at least one');
    case 'rows':
      return count === expectation.count ? pass(`${rows} returned`) : fail(`${rows} returned, expected ${expectation.count}`);
    case 'value': {
      const first = result.rows[0];
      const column = result.columns[0];
      if (first === undefined || column === undefined) return fail(`no rows returned, expected value ${expectation.value}`);
      const value = first[column] ?? '';
      return value === expectation.value ? pass(`value ${value}`) : fail(`value ${value}, expected ${expectation.value}`);
    }
  }
}

function describeSqlResult(result: SqlResult): string {
  if (result.columns.length > 0) return `${plural(result.rows.length, 'row')} returned`;
  return `${plural(result.affectedRows ?? 0, 'row')} affected`;
}

/**
 * `severity=warning`: a failing check becomes a warning. An error (the check could not run, timed
 * out, was killed, or its stdout could not be matched) stays an error.
 */
function withSeverity(block: JudgedBlock, verdict: Verdict): Verdict {
  if (block.attrs.severity !== 'warning' || verdict.outcome !== 'failure') return verdict;
  return { ...verdict, outcome: 'warning', reason: `${verdict.reason} (severity=warning)` };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
