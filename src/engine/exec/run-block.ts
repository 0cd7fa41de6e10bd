/** Executing one block: attempts, `retries`/`delay` and `rerun-on-exit` loops, logs per attempt, one final verdict. */
import path from 'node:path';
import type { ConnectionTarget } from '../../runbook/connection.js';
import type { Block } from '../../runbook/model.js';
import { judgeProcess, judgeSql, needsStdoutMatch, type JudgedProcess, type Outcome, type Verdict } from './expect.js';
import { blockCommand } from './interpreter.js';
import type { Masker } from './mask.js';
import { MATCH_GRACE_MS, patternError, StdoutMatcher } from './match.js';
import { notStartedResult, runProcess, type LogSink, type OutputListener } from './shell.js';
import type { SqlResult } from './sql.js';
import { sqlResultLines } from './sql-values.js';
import { CAPTURE_MAX_BYTES, captureSql, captureStdout, type Captured } from '../capture.js';

/** Everything a block needs from the run around it. */
export interface BlockContext {
  /** The runbook's resolved variables: environment for shell/python, bound `:NAME` parameters for sql. */
  vars: Record<string, string>;
  /** Masks secret values in every line, row and message before anyone sees it. */
  masker: Masker;
  /** The runbook's folder; a block's `cwd=` is resolved against it. */
  cwd: string;
  /** The runbook's `shell:` for sh/bash/shell blocks. */
  shell: string;
  /** Time limit for blocks without `timeout=`. */
  timeoutMs: number;
  /** The connection for `connection=NAME` (or the only one when no name is given). */
  resolveConnection(name?: string): ConnectionTarget | { error: string };
  /** Aborting cancels the running attempt (whole process group, or the SQL statement) and any wait. */
  signal?: AbortSignal;
  /** Output as it arrives, masked. */
  onOutput?: OutputListener;
  /** A log for one attempt (1-based); it receives every line of that attempt. */
  openLog?(attempt: number): LogSink;
  /** Called after each attempt with its verdict and what happens next. */
  onAttempt?(report: AttemptReport): void;
  /** Between SIGTERM and SIGKILL (default 5 s). */
  killGraceMs?: number;
}

/** The raw result of one attempt, by kind of block. */
export type BlockResult = ({ kind: 'process' } & JudgedProcess) | ({ kind: 'sql' } & SqlResult & { captured?: Captured });

/** One finished attempt, as reported to `onAttempt`. */
export interface AttemptReport {
  /** 1-based. */
  attempt: number;
  /** The most attempts this block may take. */
  maxAttempts: number;
  verdict: Verdict;
  result: BlockResult;
  /** `retry`: it failed and has retries left; `again`: it asked to run again (`rerun-on-exit`). */
  next: 'retry' | 'again' | 'done';
  /** The wait before the next attempt. */
  delayMs: number;
}

/** The final word on a block after all its attempts. */
export interface BlockExecution {
  outcome: Outcome;
  reason: string;
  /** The last attempt's result. */
  result: BlockResult;
  attempts: number;
  /** The operator canceled it: the orchestrator records it as interrupted, whatever `outcome` says. */
  canceled: boolean;
  timedOut: boolean;
  /** All attempts and waits. */
  durationMs: number;
  /** What the block's `capture=` took from its last attempt, when it succeeded or warned (engine/capture.ts). */
  captured?: { value: string; secret: boolean };
}

/** How often a block runs at most, and the wait between runs. */
export interface AttemptPolicy {
  maxAttempts: number;
  delayMs: number;
}

/** `rerun-on-exit` loops are bounded by `retries`, 50 when not given. */
export const DEFAULT_RERUN_BOUND = 50;
/** Wait between retries when `retries=` has no `delay=` (as Ansible's `until`/`retries` does). */
export const DEFAULT_RETRY_DELAY_MS = 5000;

/**
 * `rerun-on-exit=N`: up to `retries` (default 50) more runs while it exits N, no wait unless `delay=`.
 * `retries=N` on a check or verify: up to N more runs while it fails. A `run` block is never retried
 * automatically: it may not be safe to run twice.
 */
export function attemptPolicy(block: Pick<Block, 'role' | 'attrs'>): AttemptPolicy {
  const { rerunOnExit, retries, delayMs } = block.attrs;
  if (rerunOnExit !== undefined) return { maxAttempts: 1 + (retries ?? DEFAULT_RERUN_BOUND), delayMs: delayMs ?? 0 };
  if ((block.role === 'check' || block.role === 'verify') && retries !== undefined) {
    return { maxAttempts: 1 + retries, delayMs: delayMs ?? DEFAULT_RETRY_DELAY_MS };
  }
  return { maxAttempts: 1, delayMs: 0 };
}

/** Run a block to its final verdict. Never throws for anything the runbook, the system or the database causes. */
export async function executeBlock(block: Block, ctx: BlockContext): Promise<BlockExecution> {
  const started = performance.now();
  const policy = attemptPolicy(block);
  const finish = (attempts: number, verdict: { outcome: Outcome; reason: string }, result: BlockResult): BlockExecution => {
    const execution: BlockExecution = {
      outcome: verdict.outcome,
      reason: verdict.reason,
      result,
      attempts,
      canceled: result.canceled,
      timedOut: result.timedOut,
      durationMs: performance.now() - started,
    };
    const capture = block.attrs.capture;
    if (capture === undefined || result.canceled || (verdict.outcome !== 'success' && verdict.outcome !== 'warning')) return execution;
    const captured: Captured =
      result.kind === 'sql'
        ? (result.captured ?? { error: `capture=${capture.name}: the query gave no result` })
        : captureStdout(capture, result.stdout, ctx.masker, result.masked ?? false);
    // A block whose result cannot be captured has not done what the runbook needs of it.
    if ('error' in captured) return { ...execution, outcome: 'failure', reason: ctx.masker.mask(captured.error) };
    return { ...execution, captured };
  };

  for (let attempt = 1; ; attempt += 1) {
    const log = ctx.openLog?.(attempt);
    let result: BlockResult;
    try {
      result = await runAttempt(block, ctx, log);
    } finally {
      await log?.close?.();
    }
    const verdict = result.kind === 'sql' ? judgeSql(block, result) : judgeProcess(block, result);
    const next = nextStep(block, verdict, attempt < policy.maxAttempts && !result.canceled);
    ctx.onAttempt?.({ attempt, maxAttempts: policy.maxAttempts, verdict, result, next, delayMs: next === 'done' ? 0 : policy.delayMs });

    if (next === 'done') {
      if (verdict.outcome !== 'again') return finish(attempt, { outcome: verdict.outcome, reason: verdict.reason }, result);
      return finish(
        attempt,
        { outcome: 'failure', reason: `${verdict.reason}, but ${attempt} runs is the limit (retries=${policy.maxAttempts - 1})` },
        result,
      );
    }
    if (!(await pause(policy.delayMs, ctx.signal))) {
      return finish(attempt, { outcome: 'failure', reason: 'canceled' }, { ...result, canceled: true });
    }
  }
}

function nextStep(block: Block, verdict: Verdict, attemptsLeft: boolean): AttemptReport['next'] {
  if (!attemptsLeft) return 'done';
  if (verdict.outcome === 'again') return 'again';
  // In a rerun-on-exit loop `retries` bounds the loop; a real failure is not retried.
  if (block.attrs.rerunOnExit !== undefined) return 'done';
  return verdict.retryable && verdict.outcome !== 'success' ? 'retry' : 'done';
}

async function runAttempt(block: Block, ctx: BlockContext, log: LogSink | undefined): Promise<BlockResult> {
  const timeoutMs = block.attrs.timeoutMs ?? ctx.timeoutMs;
  if (block.executor === null) return { ...notStartedResult(`a \`${block.lang || 'plain'}\` block is display only`), kind: 'process' };
  if (block.executor === 'sql') return { ...(await runSqlAttempt(block, ctx, log, timeoutMs)), kind: 'sql' };
  const command = blockCommand(block.executor, ctx.shell, block.code);
  const pattern = block.attrs.expect;
  const invalid = pattern === undefined ? undefined : patternError(pattern);
  // stdout goes to the matcher as it arrives, so that matching keeps pace with the block.
  const matcher = pattern === undefined || invalid !== undefined ? undefined : new StdoutMatcher(pattern);
  const options: Parameters<typeof runProcess>[0] = {
    command,
    cwd: path.resolve(ctx.cwd, block.attrs.cwd ?? '.'),
    env: ctx.vars,
    timeoutMs,
    masker: ctx.masker,
  };
  if (ctx.signal !== undefined) options.signal = ctx.signal;
  const onOutput = ctx.onOutput;
  if (matcher !== undefined) {
    options.onOutput = (stream, chunk) => {
      if (stream === 'stdout') matcher.push(chunk);
      onOutput?.(stream, chunk);
    };
  } else if (onOutput !== undefined) options.onOutput = onOutput;
  if (log !== undefined) options.log = log;
  if (ctx.killGraceMs !== undefined) options.killGraceMs = ctx.killGraceMs;
  // Room for the blanks a trimmed capture loses; past it the capture is refused as too long.
  if (block.attrs.capture !== undefined) options.keepStdoutBytes = CAPTURE_MAX_BYTES + 4096;
  let result: JudgedProcess;
  try {
    result = await runProcess(options);
  } catch (error) {
    matcher?.abandon();
    throw error;
  }
  if (result.spawnError !== undefined) result.spawnError = ctx.masker.mask(result.spawnError);
  if (invalid !== undefined) result.stdoutMatch = { error: invalid };
  if (matcher === undefined) return { ...result, kind: 'process' };
  if (!needsStdoutMatch(block, result)) {
    matcher.abandon();
    return { ...result, kind: 'process' };
  }
  // Matching runs under what is left of the block's time limit (a little more when none is left).
  const limitMs = timeoutMs > 0 ? Math.max(MATCH_GRACE_MS, timeoutMs - result.durationMs) : 0;
  const settled = await matcher.result(limitMs, ctx.signal);
  if ('canceled' in settled) return { ...result, canceled: true, kind: 'process' };
  return { ...result, stdoutMatch: settled.match, kind: 'process' };
}

async function runSqlAttempt(
  block: Block,
  ctx: BlockContext,
  log: LogSink | undefined,
  timeoutMs: number,
): Promise<SqlResult & { captured?: Captured }> {
  const target = ctx.resolveConnection(block.attrs.connection);
  let raw: SqlResult;
  if ('error' in target) raw = { rows: [], columns: [], durationMs: 0, timedOut: false, canceled: false, error: target.error };
  else {
    // The database driver loads with the first sql block: shell-only runs never pay for it.
    const { runSql } = await import('./sql.js');
    raw = await runSql({
      target,
      code: block.code,
      vars: ctx.vars,
      timeoutMs,
      ...(ctx.signal !== undefined ? { signal: ctx.signal } : {}),
    });
  }
  const result = maskSqlResult(raw, ctx.masker);
  const lines = sqlResultLines(result);
  for (const line of lines) log?.write(line, 'stdout');
  if (lines.length > 0) ctx.onOutput?.('stdout', Buffer.from(`${lines.join('\n')}\n`));
  // Taken from the result before masking: a secret capture holds the real value, for later blocks only.
  return block.attrs.capture === undefined ? result : { ...result, captured: captureSql(block.attrs.capture, raw, ctx.masker) };
}

// Rows end up in the checkpoint and the report; a secret stored in a table must not.
function maskSqlResult(result: SqlResult, masker: Masker): SqlResult {
  if (masker.empty) return result;
  const columns = result.columns.map((column) => masker.mask(column));
  const rows = result.rows.map((row) => {
    const masked: Record<string, string> = {};
    result.columns.forEach((column, i) => (masked[columns[i] as string] = masker.mask(row[column] ?? '')));
    return masked;
  });
  const masked: SqlResult = { ...result, columns, rows };
  if (result.error !== undefined) masked.error = masker.mask(result.error);
  return masked;
}

/** Wait, unless the signal aborts first; false when it did. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
