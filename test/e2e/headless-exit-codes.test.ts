/**
 * `waymark run --headless`: the exit code of each way a run can stop (docs/running.md#exit-codes), and the flags that
 * answer the operator's decisions (`--yes`, `--accept-warnings`, `--override`, `--skip`).
 */
import { describe, expect, it } from 'vitest';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace();
const T = 60_000;

describe('headless exit codes', () => {
  it(
    'exits 0 when the runbook completes, having run every block once in order',
    async () => {
      const book = ws().fixture('complete.md');
      const result = await ws().run(book);
      expect(result.code, result.all).toBe(0);
      expect(ws().lines('counter.txt')).toEqual(['first: hello', 'second']);
      expect(result.stdout).toMatch(/run \S+ complete/);
      expect((await ws().status(book)).status).toBe('complete');
    },
    T,
  );

  it(
    'exits 1 when a run block fails, shows why, offers the rollback, and goes no further',
    async () => {
      const book = ws().fixture('failing.md');
      ws().write('disk-full', '');
      const result = await ws().run(book);
      expect(result.code, result.all).toBe(1);
      expect(result.stdout).toContain('failed: block migrate');
      expect(result.stdout).toContain('exit 7, expected 0');
      expect(result.stdout).toContain('ERROR 28: no space left on device');
      expect(result.stdout).toContain('restore-dump');
      // The rollback is offered, never run by itself.
      expect(ws().lines('counter.txt')).toEqual(['before']);
      const status = await ws().status(book);
      expect(status.status).toBe('failed');
      expect(status.steps.find((s) => s.id === 'migrate')?.blocks[0]).toMatchObject({ id: 'migrate', status: 'failed', exitCode: 7 });
    },
    T,
  );

  it(
    'exits 2 for a runbook with lint errors, naming file and line, and runs nothing',
    async () => {
      const book = ws().fixture('lint-error.md');
      const result = await ws().run(book);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('lint-error.md:13');
      expect(result.stderr).toContain('timout');
      expect(ws().lines('counter.txt')).toEqual([]);
    },
    T,
  );

  it(
    'exits 2 for an unreadable runbook or an unknown flag',
    async () => {
      const missing = await ws().run(ws().path('no-such-runbook.md'));
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('no-such-runbook.md');
      const book = ws().fixture('complete.md');
      const badFlag = await ws().run(book, ['--no-such-flag']);
      expect(badFlag.code).toBe(2);
      expect(ws().lines('counter.txt')).toEqual([]);
    },
    T,
  );

  it(
    'exits 2 when a required variable has no value, naming it and how to set it',
    async () => {
      const book = ws().fixture('variables.md');
      const result = await ws().run(book);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('API_TOKEN');
      expect(result.stderr).toContain('WM_TEST_API_TOKEN');
      expect(ws().lines('counter.txt')).toEqual([]);

      const fromEnv = await ws().run(book, [], { WM_TEST_API_TOKEN: 'tok-123' });
      expect(fromEnv.code, fromEnv.all).toBe(0);
      expect(ws().lines('counter.txt')).toEqual(['work mitaka']);
    },
    T,
  );

  it.each([
    ['an undeclared variable', ['--var', 'TARGETT=kilo'], /TARGETT/],
    ['a --var without =', ['--var', 'TARGET'], /must be NAME=VALUE/],
    ['a value outside the choices', ['--var', 'TARGET=zed'], /not one of: kilo, liberty, mitaka/],
  ])(
    'exits 2 for a bad --var (%s) and runs nothing',
    async (_what, flags, message) => {
      const book = ws().fixture('variables.md');
      const result = await ws().run(book, flags, { WM_TEST_API_TOKEN: 'tok-123' });
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(message);
      expect(ws().lines('counter.txt')).toEqual([]);
    },
    T,
  );

  it(
    'exits 3 when a check fails: names the check, shows its output, and starts no later block',
    async () => {
      const book = ws().fixture('gates.md');
      ws().write('stale-rpc', '');
      const result = await ws().run(book);
      expect(result.code, result.all).toBe(3);
      expect(result.stdout).toContain('refused: check rpc-version');
      expect(result.stdout).toContain('nova-conductor on cmp-3 still reports RPC 4.0');
      expect(result.stdout).toContain('cannot be overridden');
      expect(ws().lines('counter.txt')).toEqual([]);
      const status = await ws().status(book);
      expect(status.status).toBe('refused');
      expect(status.steps[0]).toMatchObject({ id: 'rpc', status: 'refused' });
      expect(status.steps.slice(1).every((s) => s.status === 'pending')).toBe(true);

      // Running again without fixing it re-runs the check and refuses again.
      const again = await ws().run(book);
      expect(again.code).toBe(3);
      expect(ws().lines('counter.txt')).toEqual([]);
    },
    T,
  );

  it(
    'exits 3 when a check cannot run (database unreachable), saying it could not run',
    async () => {
      const book = ws().fixture('unreachable.md');
      const result = await ws().run(book);
      expect(result.code, result.all).toBe(3);
      expect(result.stdout).toContain('refused: check null-compute-host');
      expect(result.stdout).toContain('could not run');
      expect(result.stdout).toContain('/nonexistent/waymark-test/mysqld.sock');
      expect(result.stderr).not.toMatch(/internal error|\n\s+at /);
      expect(ws().lines('counter.txt')).toEqual([]);
    },
    T,
  );

  it(
    'exits 3 for a codes=oslo check that exits 2 (failure)',
    async () => {
      const book = ws().fixture('gates.md');
      ws().write('oslo-code', '2\n');
      const result = await ws().run(book, ['--accept-warnings']);
      expect(result.code, result.all).toBe(3);
      expect(result.stdout).toContain('refused: check nova-status');
      expect(ws().lines('counter.txt')).toEqual([]);
    },
    T,
  );

  it(
    'exits 4 at a checklist without --yes; --yes ticks it, recorded as automatic in the audit and the report',
    async () => {
      const book = ws().fixture('checklist.md');
      const first = await ws().run(book);
      expect(first.code, first.all).toBe(4);
      expect(first.stdout).toContain('The API error rate is back to normal');
      expect((await ws().status(book)).status).toBe('waiting');

      const second = await ws().run(book, ['--yes']);
      expect(second.code, second.all).toBe(0);
      const ticks = ws()
        .audit('checklist')
        .filter((r) => r.type === 'item-ticked');
      expect(ticks).toHaveLength(2);
      for (const tick of ticks) expect(tick.automatic).toBe(true);
      const report = await ws().waymark(['report', book, '--format', 'md']);
      expect(report.code).toBe(0);
      // The text the operator ticked, not the item id (issue 12).
      expect(report.stdout).toContain('ticked: The API error rate is back to normal (automatic)');
      const json = JSON.parse((await ws().waymark(['report', book, '--format', 'json'])).stdout) as {
        decisions: { kind: string; decision: { automatic?: boolean } }[];
      };
      expect(json.decisions.filter((d) => d.kind.startsWith('ticked')).map((d) => d.decision.automatic)).toEqual([true, true]);
    },
    T,
  );

  it(
    'exits 4 before a confirm block and at a step that needs a confirmation; --yes confirms both, recorded as automatic',
    async () => {
      const book = ws().fixture('confirm.md');
      const first = await ws().run(book);
      expect(first.code, first.all).toBe(4);
      expect(first.stdout).toContain('block drop-old-tables needs confirmation');
      // The command is shown as it will run, variables by name.
      expect(first.stdout).toContain('> echo "drop for $TARGET" >> counter.txt');
      expect(ws().lines('counter.txt')).toEqual([]);

      const second = await ws().run(book, ['--yes']);
      expect(second.code, second.all).toBe(0);
      expect(ws().lines('counter.txt')).toEqual(['drop for mitaka']);
      const records = ws().audit('confirm');
      expect(records.filter((r) => r.type === 'block-confirmed')).toEqual([
        expect.objectContaining({ block: 'drop-old-tables', automatic: true }),
      ]);
      expect(records.filter((r) => r.type === 'step-confirmed')).toEqual([expect.objectContaining({ step: 'announce', automatic: true })]);
    },
    T,
  );

  it(
    'exits 4 at a step with nothing to run until it is confirmed',
    async () => {
      const book = ws().write(
        'announce.md',
        '---\nid: announce\n---\n# Announce\n\n## Work {#work}\n\n```sh name=work\necho work >> counter.txt\n```\n\n## Tell the team {#announce}\n\nPost in the operations channel.\n',
      );
      const first = await ws().run(book);
      expect(first.code, first.all).toBe(4);
      expect(first.stdout).toContain('step announce (Tell the team) needs a confirmation');
      expect((await ws().status(book)).steps.map((s) => s.status)).toEqual(['passed', 'pending']);
      expect((await ws().run(book, ['--yes'])).code).toBe(0);
      expect(ws().lines('counter.txt')).toEqual(['work']);
    },
    T,
  );

  it(
    'a codes=oslo exit-1 check is a warning: exit 4 without --accept-warnings, acknowledged (and audited) with it',
    async () => {
      const book = ws().fixture('gates.md');
      ws().write('oslo-code', '1\n');
      const first = await ws().run(book);
      expect(first.code, first.all).toBe(4);
      expect(first.stdout).toContain('nova-status ended with a warning');
      expect(ws().lines('counter.txt')).toEqual([]);

      const second = await ws().run(book, ['--accept-warnings']);
      expect(second.code, second.all).toBe(0);
      expect(ws().lines('counter.txt')).toEqual(['upgrade']);
      const acks = ws()
        .audit('gates')
        .filter((r) => r.type === 'warning-acknowledged');
      expect(acks).toEqual([expect.objectContaining({ block: 'nova-status', automatic: true })]);
      const status = await ws().status(book);
      expect(status.steps.find((s) => s.id === 'upgrade-check')?.blocks[0]).toMatchObject({
        id: 'nova-status',
        status: 'acknowledged',
        exitCode: 1,
      });
    },
    T,
  );

  it(
    'a failing severity=warning check exits 4 without --accept-warnings',
    async () => {
      const book = ws().fixture('gates.md');
      ws().write('ntp-drift', '');
      const result = await ws().run(book);
      expect(result.code, result.all).toBe(4);
      expect(result.stdout).toContain('ntp-sync ended with a warning');
      expect(ws().lines('counter.txt')).toEqual([]);
      expect((await ws().run(book, ['--accept-warnings'])).code).toBe(0);
      expect(ws().lines('counter.txt')).toEqual(['upgrade']);
    },
    T,
  );
});

describe('--override CHECK=REASON', () => {
  const REASON = 'rehearsal VM: the disk is checked by hand before the window';

  it(
    'overrides a failed override=allowed check; the reason is in the audit and the report',
    async () => {
      const book = ws().fixture('gates.md');
      ws().write('low-space', '');
      const refused = await ws().run(book);
      expect(refused.code).toBe(3);
      expect(refused.stdout).toContain('--override free-space=');

      const result = await ws().run(book, ['--operator', 'alice', '--override', `free-space=${REASON}`]);
      expect(result.code, result.all).toBe(0);
      expect(result.stdout).toContain(`OVERRIDDEN by alice: ${REASON}`);
      expect(ws().lines('counter.txt')).toEqual(['upgrade']);

      const overrides = ws()
        .audit('gates')
        .filter((r) => r.type === 'check-overridden');
      expect(overrides).toEqual([expect.objectContaining({ block: 'free-space', reason: REASON, operator: 'alice' })]);
      const md = await ws().waymark(['report', book]);
      expect(md.stdout).toContain(REASON);
      expect(md.stdout).toMatch(/free-space \| overridden \| alice/);
      const json = JSON.parse((await ws().waymark(['report', book, '--format', 'json'])).stdout) as {
        decisions: { block?: string; kind: string; decision: { by: string; reason?: string } }[];
      };
      expect(json.decisions).toContainEqual(
        expect.objectContaining({
          block: 'free-space',
          kind: 'overridden',
          decision: expect.objectContaining({ by: 'alice', reason: REASON }),
        }),
      );
      const status = await ws().status(book);
      expect(status.steps.find((s) => s.id === 'free-space')).toMatchObject({ status: 'overridden' });
    },
    T,
  );

  it(
    'a secret typed into the reason is masked on screen as in the audit',
    async () => {
      const secret = 'pw-7f3a9c1e55';
      const book = ws().write(
        'secret-reason.md',
        `---\nid: secret-reason\nvars:\n  DB_PASSWORD:\n    secret: true\n    required: true\n---\n# S\n\n## Gate {#gate}\n\n\`\`\`sh check override=allowed name=space\nexit 1\n\`\`\`\n`,
      );
      const result = await ws().run(book, [
        '--var',
        `DB_PASSWORD=${secret}`,
        '--override',
        `space=checked by hand after logging in with ${secret}`,
      ]);
      expect(result.code, result.all).toBe(0);
      expect(result.stdout).toContain('OVERRIDDEN by');
      expect(result.stdout).toContain('after logging in with ••••');
      expect(result.all).not.toContain(secret);
      expect(JSON.stringify(ws().audit('secret-reason'))).not.toContain(secret);
    },
    T,
  );

  it(
    'refuses an override of a check without override=allowed with exit 2 before any block runs',
    async () => {
      const book = ws().fixture('gates.md');
      ws().write('stale-rpc', '');
      const result = await ws().run(book, ['--override', `rpc-version=${REASON}`]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('rpc-version');
      expect(result.stderr).toContain('override=allowed');
      expect(result.stdout).not.toMatch(/^-> /m);
      expect(ws().lines('counter.txt')).toEqual([]);
      const status = await ws().status(book);
      expect(status.steps.flatMap((s) => s.blocks).every((b) => b.status === 'pending')).toBe(true);
    },
    T,
  );

  it(
    'refuses an override naming no check with exit 2',
    async () => {
      const book = ws().fixture('gates.md');
      const result = await ws().run(book, ['--override', `upgrade=${REASON}`]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('no check named upgrade');
      expect(ws().lines('counter.txt')).toEqual([]);
    },
    T,
  );

  it(
    'does not accept "ok" as a reason',
    async () => {
      const book = ws().fixture('gates.md');
      ws().write('low-space', '');
      const result = await ws().run(book, ['--override', 'free-space=ok']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/reason/);
      expect(ws().lines('counter.txt')).toEqual([]);
      expect(
        ws()
          .audit('gates')
          .some((r) => r.type === 'check-overridden'),
      ).toBe(false);
    },
    T,
  );
});

describe('--skip STEP=REASON', () => {
  it(
    'skips an optional step with the reason recorded; its blocks never run',
    async () => {
      const book = ws().fixture('optional.md');
      const reason = 'no deleted instances on this testbed';
      const result = await ws().run(book, ['--skip', `purge=${reason}`]);
      expect(result.code, result.all).toBe(0);
      expect(ws().lines('counter.txt')).toEqual(['stop-compute', 'start-compute']);
      expect(
        ws()
          .audit('optional')
          .filter((r) => r.type === 'step-skipped'),
      ).toEqual([expect.objectContaining({ step: 'purge', reason })]);
      const status = await ws().status(book);
      expect(status.steps.map((s) => s.status)).toEqual(['passed', 'skipped', 'passed']);
      expect((await ws().waymark(['report', book])).stdout).toContain(reason);
    },
    T,
  );

  it(
    'refuses to skip a step that is not optional (exit 2, nothing runs)',
    async () => {
      const book = ws().fixture('optional.md');
      const result = await ws().run(book, ['--skip', 'stop-compute=we do not need it today']);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('not optional');
      expect(ws().lines('counter.txt')).toEqual([]);
    },
    T,
  );
});

describe('--output', () => {
  it(
    'prints every line of each block under its own header, a last line without a newline included',
    async () => {
      const book = ws().write(
        'output.md',
        [
          '# Output',
          '',
          '## Print',
          '',
          '```sh',
          `printf 'one\\ntwo\\n'; printf 'err\\n' >&2; printf 'last'`,
          '```',
          '',
          '```sh',
          'echo next',
          '```',
          '',
        ].join('\n'),
      );
      const result = await ws().run(book, ['--output']);
      expect(result.code, result.all).toBe(0);
      const printed = result.stdout.split('\n');
      const first = printed.findIndex((line) => line.startsWith('-> run print-1'));
      const second = printed.findIndex((line) => line.startsWith('-> run print-2'));
      const between = printed.slice(first + 1, second);
      expect(between.filter((line) => line.startsWith('   | '))).toEqual(['   | one', '   | two', '   | err', '   | last']);
      // The unfinished line is printed before its block's result line, not carried into the next block.
      expect(between.at(-1)).toMatch(/^<- ok run print-1/);
      expect(printed.slice(second + 1)).toContain('   | next');
    },
    T,
  );
});
