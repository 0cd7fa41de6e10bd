import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createMasker } from '../../../src/engine/exec/mask.js';
import type { OutputStream } from '../../../src/engine/exec/output.js';
import { executeBlock, type AttemptReport, type BlockContext } from '../../../src/engine/exec/run-block.js';
import type { Block, BlockAttributes, Executor, Role } from '../../../src/runbook/model.js';
import { collectLines, recordingLog } from './output-capture.js';
import { isRunning } from '../../support/processes.js';
import { removeScratchDirs, scratchDir } from '../../support/workspace.js';

afterAll(removeScratchDirs);

function block(code: string, attrs: Partial<BlockAttributes> = {}, role: Role = 'run', executor: Executor | null = 'shell'): Block {
  return {
    id: 'step-1',
    explicitId: false,
    line: 1,
    info: 'sh',
    lang: executor === 'python' ? 'python' : executor === 'sql' ? 'sql' : executor === null ? 'text' : 'sh',
    executor,
    role,
    code,
    attrs: { confirm: false, ...attrs },
    runme: {},
    unclosed: false,
  };
}

interface Recorded {
  ctx: BlockContext;
  lines: Array<[OutputStream, string]>;
  logs: Map<number, string[]>;
  closed: number[];
  attempts: AttemptReport[];
}

function context(overrides: Partial<BlockContext> = {}): Recorded {
  const collected = collectLines();
  const logs = new Map<number, string[]>();
  const closed: number[] = [];
  const attempts: AttemptReport[] = [];
  const ctx: BlockContext = {
    vars: {},
    masker: createMasker([]),
    cwd: scratchDir(),
    shell: 'bash',
    timeoutMs: 20_000,
    resolveConnection: () => ({ error: 'no connection in this test' }),
    onOutput: collected.onOutput,
    openLog: (attempt) => {
      const { logged, log } = recordingLog({ onClose: () => void closed.push(attempt) });
      logs.set(attempt, logged);
      return log;
    },
    onAttempt: (report) => attempts.push(report),
    killGraceMs: 1000,
    ...overrides,
  };
  return {
    ctx,
    lines: collected.lines,
    logs,
    closed,
    attempts,
  };
}

describe('executeBlock', () => {
  it('runs a shell block and passes on exit 0', async () => {
    const { ctx, lines } = context();
    const execution = await executeBlock(block('echo hello'), ctx);
    expect(execution).toMatchObject({ outcome: 'success', attempts: 1, canceled: false, timedOut: false });
    expect(lines).toEqual([['stdout', 'hello']]);
  });

  it('stops a bash block at its first failing command (-e -o pipefail)', async () => {
    const { ctx, lines } = context();
    const execution = await executeBlock(block('false | true\necho after'), ctx);
    expect(execution.outcome).toBe('failure');
    expect(lines).toEqual([]);
  });

  it('gives variables to the script as environment only, never as code', async () => {
    const marker = path.join(scratchDir(), 'pwned');
    const { ctx, lines } = context({ vars: { TARGET: `$(touch ${marker})` } });
    const execution = await executeBlock(block('echo "target=$TARGET"'), ctx);
    expect(execution.outcome).toBe('success');
    expect(lines).toEqual([['stdout', `target=$(touch ${marker})`]]);
    expect(existsSync(marker)).toBe(false);
  });

  it('masks secrets in the live output, the log and the result', async () => {
    const { ctx, lines, logs } = context({ vars: { DB_PASSWORD: 'pa55-word' }, masker: createMasker(['pa55-word']) });
    const execution = await executeBlock(block('echo "connecting with $DB_PASSWORD"'), ctx);
    expect(lines).toEqual([['stdout', 'connecting with ••••']]);
    expect(logs.get(1)).toEqual(['connecting with ••••']);
    expect(JSON.stringify(execution)).not.toContain('pa55-word');
  });

  it('runs a python block with python3, variables in os.environ', async () => {
    const { ctx, lines } = context({ vars: { TARGET: 'mitaka' } });
    const execution = await executeBlock(block('import os\nprint("target", os.environ["TARGET"])', {}, 'run', 'python'), ctx);
    expect(execution.outcome).toBe('success');
    expect(lines).toEqual([['stdout', 'target mitaka']]);
  });

  it('resolves cwd= against the runbook folder', async () => {
    const { ctx, lines } = context();
    mkdirSync(path.join(ctx.cwd, 'sub'));
    await executeBlock(block('basename "$PWD"', { cwd: 'sub' }), ctx);
    expect(lines).toEqual([['stdout', 'sub']]);
  });

  it('matches expect= against stdout', async () => {
    const { ctx } = context();
    const pass = await executeBlock(
      block('echo "Upgrade Check Results"; echo "Result: Success"', { expect: '^Result: Success$' }, 'check'),
      ctx,
    );
    expect(pass.outcome).toBe('success');
    const fail = await executeBlock(block('echo "Result: Failure"', { expect: '^Result: Success$' }, 'check'), ctx);
    expect(fail.outcome).toBe('failure');
  });

  it('reproduced: a line printed before the last 1 MiB of stdout was not seen by expect=; a line pattern now sees the whole output', async () => {
    // About 2 MB of output after the line that matters (not collected line by line here).
    const { ctx } = context({ onOutput: undefined });
    const execution = await executeBlock(block('echo "Result: Success"; seq 1 300000', { expect: '^Result: Success$' }, 'check'), ctx);
    expect(execution).toMatchObject({ outcome: 'success', reason: 'exit 0; stdout matches /^Result: Success$/' });
  });

  it('reproduced: a "no ERROR anywhere" pattern passed when the ERROR came before the last 1 MiB; beyond the window it is an error', async () => {
    const { ctx } = context({ onOutput: undefined });
    const noError = String.raw`(?<![\s\S])(?![\s\S]*ERROR)`;
    const code = `echo ERROR; head -c 2000000 /dev/zero | tr '\\0' x | fold -w 100; echo`;
    const execution = await executeBlock(block(code, { expect: noError, severity: 'warning' }, 'check'), ctx);
    expect(execution.outcome).toBe('error');
    expect(execution.reason).toContain('output exceeded the matching window (1 MiB)');
    // Within the window the same pattern still works, both ways.
    expect((await executeBlock(block('echo fine; echo ERROR', { expect: noError }, 'check'), ctx)).outcome).toBe('failure');
    expect((await executeBlock(block('echo fine; echo done', { expect: noError }, 'check'), ctx)).outcome).toBe('success');
  });

  it('reproduced: expect="^(a+)+$" on 36 a\'s hung waymark at 100% CPU; it is now an error when the time limit runs out', async () => {
    const { ctx } = context();
    const execution = await executeBlock(block(`printf '${'a'.repeat(36)}!\\n'`, { expect: '^(a+)+$', timeoutMs: 1500 }, 'check'), ctx);
    expect(execution.outcome).toBe('error');
    expect(execution.reason).toContain("did not finish within the block's time limit");
    expect(execution.reason).toContain('(a+)+');
    // The next block's matching is not held up by the one that was stopped.
    expect((await executeBlock(block('echo ok', { expect: '^ok$' }, 'check'), ctx)).outcome).toBe('success');
  });

  it('stops a slow match when the block is canceled, and reports the block canceled', async () => {
    const controller = new AbortController();
    const { ctx } = context({ signal: controller.signal });
    setTimeout(() => controller.abort(), 500);
    const execution = await executeBlock(block(`printf '${'a'.repeat(40)}!\\n'`, { expect: '^(a+)+$', timeoutMs: 600_000 }, 'check'), ctx);
    // Canceled, not timed out: the 10-minute limit never came into it.
    expect(execution).toMatchObject({ outcome: 'failure', reason: 'canceled', canceled: true, timedOut: false });
  });

  it('reports an invalid expect= pattern as an error', async () => {
    const { ctx } = context();
    const execution = await executeBlock(block('echo x', { expect: '(' }, 'check'), ctx);
    expect(execution.outcome).toBe('error');
    expect(execution.reason).toContain('expect= is not a valid regular expression');
  });

  it('applies oslo codes and severity=warning to a real command', async () => {
    const { ctx } = context();
    expect((await executeBlock(block('exit 1', { codes: 'oslo' }, 'check'), ctx)).outcome).toBe('warning');
    expect((await executeBlock(block('exit 2', { codes: 'oslo' }, 'check'), ctx)).outcome).toBe('failure');
    expect((await executeBlock(block('exit 2', { codes: 'oslo', severity: 'warning' }, 'check'), ctx)).outcome).toBe('warning');
    expect((await executeBlock(block('exit 3', { codes: 'oslo' }, 'check'), ctx)).outcome).toBe('error');
    expect((await executeBlock(block('exit 4', { exit: 4 }, 'check'), ctx)).outcome).toBe('success');
  });

  it('reports a missing command as error', async () => {
    const { ctx } = context();
    const execution = await executeBlock(block('waymark-no-such-command --version', {}, 'check'), ctx);
    expect(execution).toMatchObject({ outcome: 'error', reason: 'exit 127: command not found' });
  });

  it('times out, kills the group and says after how long', async () => {
    const { ctx } = context();
    const execution = await executeBlock(block('sleep 100 & echo $!; sleep 100', { timeoutMs: 300 }, 'check'), ctx);
    expect(execution).toMatchObject({ outcome: 'error', reason: 'timed out after 300ms', timedOut: true });
    const result = execution.result;
    if (result.kind !== 'process') throw new Error('expected a process result');
    expect(isRunning(Number(result.stdoutTail[0]))).toBe(false);
  });

  it('retries a failing check with a delay until it passes, one log per attempt', async () => {
    const { ctx, logs, closed, attempts } = context();
    const counter = path.join(ctx.cwd, 'count');
    const script = `n=$(( $(cat ${counter} 2>/dev/null || echo 0) + 1 )); echo $n > ${counter}; echo "attempt $n"; [ $n -ge 3 ]`;
    const started = Date.now();
    const execution = await executeBlock(block(script, { retries: 5, delayMs: 150 }, 'check'), ctx);
    expect(execution).toMatchObject({ outcome: 'success', attempts: 3 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(readFileSync(counter, 'utf8').trim()).toBe('3');
    expect([...logs.entries()]).toEqual([
      [1, ['attempt 1']],
      [2, ['attempt 2']],
      [3, ['attempt 3']],
    ]);
    expect(closed).toEqual([1, 2, 3]);
    expect(attempts.map((report) => [report.attempt, report.verdict.outcome, report.next, report.delayMs])).toEqual([
      [1, 'failure', 'retry', 150],
      [2, 'failure', 'retry', 150],
      [3, 'success', 'done', 0],
    ]);
  });

  it('gives up after retries and reports the last failure', async () => {
    const { ctx } = context();
    const execution = await executeBlock(block('exit 1', { retries: 2, delayMs: 10 }, 'verify'), ctx);
    expect(execution).toMatchObject({ outcome: 'failure', attempts: 3, reason: 'exit 1, expected 0' });
  });

  it('never retries a run block automatically', async () => {
    const { ctx } = context();
    const execution = await executeBlock(block('exit 1', { retries: 3, delayMs: 10 }, 'run'), ctx);
    expect(execution).toMatchObject({ outcome: 'failure', attempts: 1 });
  });

  it('stops waiting between retries when canceled', async () => {
    const controller = new AbortController();
    const { ctx } = context({ signal: controller.signal });
    setTimeout(() => controller.abort(), 300);
    const execution = await executeBlock(block('exit 1', { retries: 3, delayMs: 60_000 }, 'check'), ctx);
    // One attempt, then the cancel during the first 60 s wait: no second attempt ever started.
    expect(execution).toMatchObject({ outcome: 'failure', reason: 'canceled', canceled: true, attempts: 1 });
  });

  it('cancels a running block, killing its process group', async () => {
    const controller = new AbortController();
    let bgPid = 0;
    const { ctx } = context({
      signal: controller.signal,
      onOutput: (_stream, text) => {
        bgPid = Number(String(text).trim());
        controller.abort();
      },
    });
    const execution = await executeBlock(block('sleep 100 & echo $!; sleep 100', { retries: 3 }, 'check'), ctx);
    expect(execution).toMatchObject({ canceled: true, attempts: 1, outcome: 'failure' });
    expect(bgPid).toBeGreaterThan(0);
    expect(isRunning(bgPid)).toBe(false);
  });

  it('loops on rerun-on-exit until the block is done', async () => {
    const { ctx, attempts } = context();
    const counter = path.join(ctx.cwd, 'migrations');
    const script = `n=$(( $(cat ${counter} 2>/dev/null || echo 0) + 1 )); echo $n > ${counter}; echo "batch $n"; if [ $n -lt 3 ]; then exit 1; fi`;
    const execution = await executeBlock(block(script, { rerunOnExit: 1 }), ctx);
    expect(execution).toMatchObject({ outcome: 'success', attempts: 3 });
    expect(attempts.map((report) => report.next)).toEqual(['again', 'again', 'done']);
    expect(attempts[0]?.maxAttempts).toBe(51);
  });

  it('bounds the rerun-on-exit loop by retries', async () => {
    const { ctx } = context();
    const execution = await executeBlock(block('exit 1', { rerunOnExit: 1, retries: 2 }), ctx);
    expect(execution.outcome).toBe('failure');
    expect(execution.attempts).toBe(3);
    expect(execution.reason).toContain('3 runs is the limit');
  });

  it('does not retry a real failure inside a rerun-on-exit loop', async () => {
    const { ctx } = context();
    const execution = await executeBlock(block('exit 2', { rerunOnExit: 1, retries: 5 }), ctx);
    expect(execution).toMatchObject({ outcome: 'failure', attempts: 1 });
  });

  it('refuses a display-only block as error', async () => {
    const { ctx } = context();
    const execution = await executeBlock(block('just text', {}, 'run', null), ctx);
    expect(execution).toMatchObject({ outcome: 'error', reason: 'a `text` block is display only' });
  });

  it('reports an sql block whose connection cannot be resolved as error', async () => {
    const { ctx, lines } = context();
    const execution = await executeBlock(block('SELECT 1', {}, 'check', 'sql'), ctx);
    expect(execution).toMatchObject({ outcome: 'error', reason: 'no connection in this test' });
    expect(lines).toEqual([['stdout', 'ERROR: no connection in this test']]);
  });
});
