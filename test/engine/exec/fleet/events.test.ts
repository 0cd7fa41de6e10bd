import { describe, expect, it } from 'vitest';
import { BatchEvents, parseDetail, type HostResult } from '../../../../src/engine/exec/fleet/events.js';
import { createMasker, MASK } from '../../../../src/engine/exec/mask.js';

const CENSORED = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

function collect(secrets: string[] = []): { events: BatchEvents; results: HostResult[]; started: string[]; log: string[] } {
  const results: HostResult[] = [];
  const started: string[] = [];
  const log: string[] = [];
  const events = new BatchEvents(
    { onHostStart: (host) => started.push(host), onHostResult: (result) => results.push(result), log: (line) => log.push(line) },
    createMasker(secrets),
  );
  return { events, results, started, log };
}

describe('BatchEvents', () => {
  it('takes rc and output from the action, status and duration from the callback, when no_log censored the callback', () => {
    const { events, results, started } = collect(['topsecret']);
    events.line('{"event": "start", "host": "h1"}');
    events.detail({ host: 'h1', rc: 3, stdout: 'said topsecret\n', stdoutDropped: 0, stderr: '', msg: 'non-zero return code 3' });
    events.line(`{"event": "failed", "host": "h1", "durationMs": 812.5, "censored": "${CENSORED}"}`);
    expect(started).toEqual(['h1']);
    expect(results).toEqual([
      {
        host: 'h1',
        status: 'failed',
        rc: 3,
        stdout: `said ${MASK}\n`,
        stdoutDropped: 0,
        stderr: '',
        msg: 'non-zero return code 3',
        durationMs: 812.5,
      },
    ]);
  });

  it('uses the callback own fields when there is no action result (unreachable before the action ran)', () => {
    const { events, results } = collect();
    events.line('{"event": "unreachable", "host": "h2", "durationMs": 10, "msg": "Failed to connect to the host via ssh"}');
    expect(results).toEqual([
      {
        host: 'h2',
        status: 'unreachable',
        rc: null,
        stdout: '',
        stdoutDropped: 0,
        stderr: '',
        msg: 'Failed to connect to the host via ssh',
        durationMs: 10,
      },
    ]);
  });

  it('never shows the no_log notice as the message', () => {
    const { events, results } = collect();
    events.line(`{"event": "unreachable", "host": "h3", "censored": "${CENSORED}", "msg": "${CENSORED}"}`);
    expect(results[0]?.msg).toBeUndefined();
  });

  it('masks secrets that the callback JSON escaped (non-ASCII), in output and in the log', () => {
    const { events, results, log } = collect(['pässwört']);
    events.line('{"event": "ok", "host": "h1", "rc": 0, "stdout": "p\\u00e4ssw\\u00f6rt\\n", "durationMs": 1}');
    expect(results[0]?.stdout).toBe(`${MASK}\n`);
    expect(log.join('\n')).not.toContain('pässwört');
  });

  it('logs lines that are not its events as Ansible own, and reports each host once', () => {
    const { events, results, log } = collect();
    events.line('[DEPRECATION WARNING]: something');
    events.line('{"event": "ok", "host": "h1", "rc": 0}');
    events.line('{"event": "ok", "host": "h1", "rc": 0}');
    events.missing('h1', 'no result');
    events.missing('h9', 'no result');
    expect(results.map((result) => [result.host, result.status])).toEqual([
      ['h1', 'ok'],
      ['h9', 'failed'],
    ]);
    expect(log).toContain('ansible: [DEPRECATION WARNING]: something');
  });

  it('has heard nothing until a host starts', () => {
    const { events } = collect();
    expect(events.heard).toBe(false);
    events.line('{"event": "start", "host": "h1"}');
    expect(events.heard).toBe(true);
  });
});

describe('parseDetail', () => {
  it('reads the action line, and refuses what is not one', () => {
    expect(parseDetail('{"host": "h1", "rc": 0, "stdout": "x", "stderr": "", "msg": ""}')).toEqual({
      host: 'h1',
      rc: 0,
      stdout: 'x',
      stdoutDropped: 0,
      stderr: '',
      msg: '',
    });
    // How much of stdout the host kept back (it sends only the end): expect= must know.
    expect(parseDetail('{"host": "h1", "rc": 0, "stdout": "x", "stdout_dropped": 70000, "stderr": "", "msg": ""}')?.stdoutDropped).toBe(
      70000,
    );
    expect(parseDetail('{"rc": 0}')).toBeUndefined();
    expect(parseDetail('not json')).toBeUndefined();
  });
});
