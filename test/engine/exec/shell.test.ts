import { existsSync } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { createMasker } from '../../../src/engine/exec/mask.js';
import { runProcess } from '../../../src/engine/exec/shell.js';
import { collectLines, recordingLog } from './output-capture.js';
import { isRunning } from '../../support/processes.js';
import { removeScratchDirs, scratchDir } from '../../support/workspace.js';

afterAll(removeScratchDirs);

const bash = (script: string): string[] => ['bash', '-c', script];

describe('runProcess', () => {
  it('streams stdout and stderr lines to the subscriber and the log, and reports the exit code', async () => {
    const output = collectLines();
    const { logged, log } = recordingLog({ tagged: true });
    const result = await runProcess({
      command: bash('echo out; echo err >&2; exit 3'),
      cwd: process.cwd(),
      timeoutMs: 10_000,
      onOutput: output.onOutput,
      log,
    });
    expect(result.exitCode).toBe(3);
    expect(result.timedOut).toBe(false);
    expect(result.canceled).toBe(false);
    expect(result.spawnError).toBeUndefined();
    expect(output.lines).toContainEqual(['stdout', 'out']);
    expect(output.lines).toContainEqual(['stderr', 'err']);
    expect(logged.sort()).toEqual(['stderr:err', 'stdout:out']);
    expect(result.stdoutTail).toEqual(['out']);
    expect(result.stderrTail).toEqual(['err']);
  });

  it('masks a secret the command prints before anyone sees it', async () => {
    const output = collectLines();
    const { logged, log } = recordingLog();
    const result = await runProcess({
      command: bash('echo "password is $DB_PASSWORD"; echo "$DB_PASSWORD" >&2'),
      cwd: process.cwd(),
      env: { DB_PASSWORD: 's3cr3t-pw' },
      timeoutMs: 10_000,
      masker: createMasker(['s3cr3t-pw']),
      onOutput: output.onOutput,
      log,
    });
    expect(result.exitCode).toBe(0);
    const everything = JSON.stringify({ lines: output.lines, logged, result });
    expect(everything).not.toContain('s3cr3t-pw');
    expect(result.stdoutTail).toEqual(['password is ••••']);
    expect(result.stderrTail).toEqual(['••••']);
  });

  it('reproduced: masks a secret across the 1 MiB mark of a long line (it reached the log and the tail in two clear halves)', async () => {
    const secret = randomBytes(40).toString('hex');
    const output = collectLines();
    const { logged, log } = recordingLog();
    // The line is longer than 1 MiB before its newline comes, and the secret spans the 1 MiB mark.
    const result = await runProcess({
      command: bash('head -c $((1048576 - 30)) /dev/zero | tr "\\0" x; printf %s "$PW"; sleep 0.3; echo " after"'),
      cwd: process.cwd(),
      env: { PW: secret },
      timeoutMs: 10_000,
      masker: createMasker([secret]),
      onOutput: output.onOutput,
      log,
    });
    expect(result.exitCode).toBe(0);
    for (const seen of [logged.join('\n'), output.lines.map(([, line]) => line).join('\n'), result.stdoutTail.join('\n')]) {
      expect(seen.endsWith('xx•••• after'), seen.slice(-120)).toBe(true);
      expect(seen).not.toContain(secret.slice(0, 8));
      expect(seen).not.toContain(secret.slice(-8));
    }
  });

  it('passes variables as environment only: a value holding $(...) is never executed', async () => {
    const marker = path.join(scratchDir(), `x-${randomBytes(6).toString('hex')}`);
    const evil = `$(touch ${marker})\`touch ${marker}\`; touch ${marker}`;
    const result = await runProcess({
      command: bash('echo "$EVIL"; echo $EVIL'),
      cwd: process.cwd(),
      env: { EVIL: evil },
      timeoutMs: 10_000,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stdoutTail[0]).toBe(evil);
    expect(existsSync(marker)).toBe(false);
  });

  it('on timeout kills the whole process group, a backgrounded sleep included', async () => {
    const result = await runProcess({
      command: bash('sleep 100 & echo "bg $!"; echo "main $$"; sleep 100'),
      cwd: process.cwd(),
      timeoutMs: 500,
      killGraceMs: 2000,
    });
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).toBeNull();
    expect(result.signal).toBe('SIGTERM');
    const pids = result.stdoutTail.map((line) => Number(line.split(' ')[1]));
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(isRunning(pid), `pid ${pid} survived`).toBe(false);
  });

  it('sends SIGKILL after the grace period to processes that ignore SIGTERM', async () => {
    const result = await runProcess({
      // Ignored signals are inherited: the background sleep ignores SIGTERM too.
      command: bash('trap \'\' TERM; sleep 100 & echo "bg $!"; while true; do sleep 0.05; done'),
      cwd: process.cwd(),
      timeoutMs: 300,
      killGraceMs: 700,
    });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
    expect(result.durationMs).toBeGreaterThanOrEqual(900);
    const bgPid = Number(result.stdoutTail[0]?.split(' ')[1]);
    expect(bgPid).toBeGreaterThan(0);
    expect(isRunning(bgPid)).toBe(false);
  });

  it('cancels through the AbortSignal, killing the group', async () => {
    const controller = new AbortController();
    let bgPid = 0;
    const result = await runProcess({
      command: bash('sleep 100 & echo "$!"; sleep 100'),
      cwd: process.cwd(),
      timeoutMs: 60_000,
      signal: controller.signal,
      killGraceMs: 2000,
      onOutput: (_stream, text) => {
        bgPid = Number(String(text).trim());
        controller.abort();
      },
    });
    expect(result.canceled).toBe(true);
    expect(result.timedOut).toBe(false);
    expect(bgPid).toBeGreaterThan(0);
    expect(isRunning(bgPid)).toBe(false);
  });

  it('does not start at all when already canceled', async () => {
    const marker = path.join(scratchDir(), 'ran');
    const result = await runProcess({
      command: bash(`touch ${marker}`),
      cwd: process.cwd(),
      timeoutMs: 10_000,
      signal: AbortSignal.abort(),
    });
    expect(result.canceled).toBe(true);
    expect(existsSync(marker)).toBe(false);
  });

  it('ends what the block left running in the background when the block itself finishes', async () => {
    // Waiting for the background sleep would hold this test past its time limit, far short of 100 s.
    const result = await runProcess({ command: bash('sleep 100 & echo "$!"'), cwd: process.cwd(), timeoutMs: 60_000, killGraceMs: 2000 });
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, canceled: false });
    expect(isRunning(Number(result.stdoutTail[0]))).toBe(false);
  });

  it('keeps only the tail of 200,000 lines in memory while the log receives every line', async () => {
    const { logged, log } = recordingLog();
    const result = await runProcess({
      command: ['seq', '1', '200000'],
      cwd: process.cwd(),
      timeoutMs: 60_000,
      tailLines: 100,
      log,
    });
    expect(result.exitCode).toBe(0);
    expect(logged).toHaveLength(200_000);
    expect(logged.at(-1)).toBe('200000');
    expect(result.stdoutTail).toHaveLength(100);
    expect(result.stdoutTail.at(-1)).toBe('200000');
    expect(result.stdoutTail[0]).toBe('199901');
    expect(result.droppedLines).toBe(199_900);
  });

  it('reports a missing working directory as a spawn error, without throwing', async () => {
    const missing = path.join(scratchDir(), 'does-not-exist');
    const result = await runProcess({ command: bash('true'), cwd: missing, timeoutMs: 10_000 });
    expect(result.spawnError).toBe(`working directory does not exist: ${missing}`);
    expect(result.exitCode).toBeNull();
  });

  it('reports an interpreter that cannot be found as a spawn error', async () => {
    const result = await runProcess({ command: ['waymark-no-such-interpreter', '-c', 'x'], cwd: process.cwd(), timeoutMs: 10_000 });
    expect(result.spawnError).toBe('command not found: waymark-no-such-interpreter');
  });

  it('gives the command no stdin, so a read does not hang', async () => {
    const result = await runProcess({ command: ['cat'], cwd: process.cwd(), timeoutMs: 5000 });
    expect(result.exitCode).toBe(0);
    expect(result.timedOut).toBe(false);
  });

  it('runs in the given working directory', async () => {
    const dir = scratchDir();
    const result = await runProcess({ command: bash('pwd -P'), cwd: dir, timeoutMs: 10_000 });
    expect(result.stdoutTail).toEqual([(await import('node:fs')).realpathSync(dir)]);
  });
});
