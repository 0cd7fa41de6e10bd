/**
 * Checks that cannot tell stay errors, with the real binary: a catastrophically backtracking
 * `expect=` is stopped by the block's time limit and by SIGTERM, and a timed-out check with
 * `severity=warning` is not passed by `--accept-warnings`.
 */
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { lockHolderPid, useWorkspace } from '../support/workspace.js';

const ws = useWorkspace();
const T = 60_000;

/** A one-step runbook whose check prints `count` a's and a `!`, matched against `^(a+)+$`. */
function redos(timeout: string, count = 36): string {
  return [
    '---',
    'id: redos',
    '---',
    '# ReDoS',
    '',
    '## Check {#check}',
    '',
    `\`\`\`sh check name=aaa expect="^(a+)+$" timeout=${timeout}`,
    `printf '${'a'.repeat(count)}!\\n'`,
    '```',
    '',
    '## After {#after}',
    '',
    '```sh',
    'echo ran > after.txt',
    '```',
    '',
  ].join('\n');
}

describe('expect= under the time limit', () => {
  it(
    'reproduced: expect="^(a+)+$" on 36 a\'s hung waymark at 100% CPU past its timeout; now the check is an error within it',
    async () => {
      const w = ws();
      const book = w.write('redos.md', redos('2s'));
      const result = await w.run(book, ['--yes', '--accept-warnings']);
      expect(result.code, result.all).toBe(3);
      expect(result.all).toContain("did not finish within the block's time limit");
      expect(result.all).toContain('(a+)+');
      expect(w.lines('after.txt')).toEqual([]);
      const finished = w.audit('redos').find((r) => r.type === 'block-finished' && r.block === 'aaa');
      expect(finished).toMatchObject({ outcome: 'error' });
    },
    T,
  );

  it(
    'reproduced: SIGTERM was ignored while a pattern backtracked; now it stops waymark at once (exit 130)',
    async () => {
      const w = ws();
      const book = w.write('redos.md', redos('10m', 48));
      const child = w.spawn(['run', book, '--headless']);
      const pid = await lockHolderPid(w);
      // The block itself is done at once; from then on only the match is running.
      const started = (): boolean => {
        try {
          return w.audit('redos').some((r) => r.type === 'block-started');
        } catch {
          return false; // the run has not written its state yet
        }
      };
      expect(await waitFor(started, 20_000)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      process.kill(pid, 'SIGTERM');
      const result = await child;
      // The match of 48 a's would backtrack for longer than any test runs: exit 130 is the signal's doing.
      expect(result.exitCode, String(result.all)).toBe(130);
      expect(w.lines('after.txt')).toEqual([]);
    },
    T,
  );

  it(
    'reproduced: a timed-out check with severity=warning became a warning that --accept-warnings passed; it is an error that blocks',
    async () => {
      const w = ws();
      const book = w.write(
        'slow.md',
        [
          '---',
          'id: slow',
          '---',
          '# Slow',
          '',
          '## Check {#check}',
          '',
          '```sh check name=slow severity=warning timeout=1s',
          'sleep 30',
          '```',
          '',
          '## After {#after}',
          '',
          '```sh',
          'echo ran > after.txt',
          '```',
          '',
        ].join('\n'),
      );
      const result = await w.run(book, ['--yes', '--accept-warnings']);
      expect(result.code, result.all).toBe(3);
      expect(result.all).toContain('timed out after 1s');
      expect(w.lines('after.txt')).toEqual([]);
      expect(w.audit('slow').find((r) => r.type === 'block-finished' && r.block === 'slow')).toMatchObject({ outcome: 'error' });
    },
    T,
  );
});
