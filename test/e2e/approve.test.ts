/**
 * `approve=N` (docs/approve.md): a block waits for approval by operators other than the one
 * running it, given from another process with `waymark approve`. Two processes, two operators:
 * the headless run (alice) and the approvals (bob, carol), on one state directory.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waymark } from '../support/binary.js';
import { waitFor } from '../support/wait.js';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-apv-');
const T = 60_000;

function book(approve: string, contract = 'echo contracted >> contract.txt'): string {
  return `---
title: Contract migration
id: contract
---
# Contract migration

## Expand {#expand}

\`\`\`sh name=expand
echo expanded >> expand.txt
\`\`\`

## Contract {#contract}

\`\`\`sh name=drop-columns ${approve}
${contract}
\`\`\`
`;
}

describe('approve=', () => {
  it(
    'waits (exit 4) for another operator: the runner cannot approve, another can, the approval is audited and the re-run runs the block',
    async () => {
      const file = ws().write('contract.md', book('approve=1'));
      const first = await ws().run(file, ['--operator', 'alice']);
      expect(first.code, first.all).toBe(4);
      expect(first.all).toContain('block drop-columns is waiting for approval by someone other than alice');
      expect(first.all).toContain(`waymark approve ${file} --block drop-columns --operator NAME`);
      expect(ws().lines('expand.txt')).toEqual(['expanded']);
      expect(ws().lines('contract.txt')).toEqual([]);

      // Anyone looking at the run sees what it waits for, and how to give it.
      const status = await ws().waymark(['status', file]);
      expect(status.stdout).toContain(
        `waiting: block drop-columns is waiting for approval by someone other than alice: waymark approve ${file} --block drop-columns --operator NAME`,
      );

      // The runner approving their own block is refused, and nothing is written.
      const own = await ws().waymark(['approve', file, '--block', 'drop-columns', '--operator', 'alice']);
      expect(own.code, own.all).toBe(2);
      expect(own.all).toContain('operator alice runs this run');
      expect(own.all).not.toContain('    at ');
      const still = await ws().run(file, ['--operator', 'alice']);
      expect(still.code, still.all).toBe(4);
      expect(ws().lines('contract.txt')).toEqual([]);

      // An unknown block is named back.
      const unknown = await ws().waymark(['approve', file, '--block', 'drop-colums', '--operator', 'bob']);
      expect(unknown.code, unknown.all).toBe(2);
      expect(unknown.all).toContain('there is no block drop-colums');
      expect(unknown.all).toContain('blocks with approve=: drop-columns');

      const approved = await ws().waymark(['approve', file, '--block', 'drop-columns', '--operator', 'bob']);
      expect(approved.code, approved.all).toBe(0);
      expect(approved.all).toMatch(/approved block drop-columns \(step contract\) of run \S+, content hash [0-9a-f]{16}, by bob at /);
      expect(approved.all).toContain('> echo contracted >> contract.txt');
      const hash = /content hash ([0-9a-f]{16})/.exec(approved.all)?.[1];

      const second = await ws().run(file, ['--operator', 'alice']);
      expect(second.code, second.all).toBe(0);
      expect(second.all).toContain('block drop-columns approved by bob');
      expect(ws().lines('contract.txt')).toEqual(['contracted']);
      const record = ws()
        .audit('contract')
        .find((r) => r.type === 'block-approved');
      expect(record).toMatchObject({
        block: 'drop-columns',
        step: 'contract',
        approver: 'bob',
        contentHash: hash,
        operator: 'alice',
        runner: 'alice',
      });
      expect(Date.parse(String(record?.approvedAt))).not.toBeNaN();
      // The report's decisions name the approver and the content approved.
      const report = await ws().waymark(['report', file]);
      expect(report.stdout).toContain(`| contract | drop-columns | approved: content ${hash ?? ''} | bob |`);
      const verify = await ws().waymark(['audit', file, '--verify']);
      expect(verify.code, verify.all).toBe(0);
    },
    T,
  );

  it(
    'a change to the block after its approval voids it: the run waits again, for the new content',
    async () => {
      const file = ws().write('contract.md', book('approve=1'));
      expect((await ws().run(file, ['--operator', 'alice'])).code).toBe(4);
      const approved = await ws().waymark(['approve', file, '--block', 'drop-columns', '--operator', 'bob']);
      expect(approved.code, approved.all).toBe(0);
      // Someone edits the block between the approval and the run.
      writeFileSync(file, book('approve=1', 'echo contracted and dropped >> contract.txt'));
      const changed = await ws().run(file, ['--operator', 'alice']);
      expect(changed.code, changed.all).toBe(4);
      expect(changed.all).toContain('block drop-columns is waiting for approval by someone other than alice');
      expect(ws().lines('contract.txt')).toEqual([]);
      // The approval was still recorded (who approved what), for the content it named.
      const recorded = ws()
        .audit('contract')
        .filter((r) => r.type === 'block-approved');
      expect(recorded.map((r) => r.approver)).toEqual(['bob']);
      const again = await ws().waymark(['approve', file, '--block', 'drop-columns', '--operator', 'bob']);
      expect(again.code, again.all).toBe(0);
      const hashes = [approved.all, again.all].map((text) => /content hash ([0-9a-f]{16})/.exec(text)?.[1]);
      expect(hashes[0]).not.toBe(hashes[1]);
      const ran = await ws().run(file, ['--operator', 'alice']);
      expect(ran.code, ran.all).toBe(0);
      expect(ws().lines('contract.txt')).toEqual(['contracted and dropped']);
    },
    T,
  );

  it(
    'reproduced: bob approved `echo "dropping $TARGET"` before TARGET was captured, it captured prod_db, and the approval still ran it; now a captured value is part of the content, and approve shows the values',
    async () => {
      const file = ws().write(
        'capture.md',
        [
          '---',
          'title: Approve a captured value',
          'id: apcap',
          '---',
          '## Pick {#pick}',
          '',
          '- [ ] ready to pick the target',
          '',
          '```sh name=pick capture=TARGET',
          'cat target.txt',
          '```',
          '',
          '## Drop {#drop}',
          '',
          '```sh name=drop approve=1',
          'echo "dropping $TARGET" >> out.txt',
          '```',
          '',
        ].join('\n'),
      );
      ws().write('target.txt', 'staging_db\n');
      // The run waits at the checklist, before anything is captured; bob approves the drop then.
      expect((await ws().run(file, ['--operator', 'alice'])).code).toBe(4);
      const early = await ws().waymark(['approve', file, '--block', 'drop', '--operator', 'bob']);
      expect(early.code, early.all).toBe(0);
      ws().write('target.txt', 'prod_db\n');
      const captured = await ws().run(file, ['--operator', 'alice', '--yes']);
      expect(captured.all).toContain('captured TARGET=prod_db');
      expect(captured.code, captured.all).toBe(4);
      expect(captured.all).toContain('block drop is waiting for approval by someone other than alice');
      expect(ws().lines('out.txt')).toEqual([]);
      // Approving now names the value it runs with.
      const late = await ws().waymark(['approve', file, '--block', 'drop', '--operator', 'bob']);
      expect(late.code, late.all).toBe(0);
      expect(late.stdout).toContain('with the values captured so far: TARGET=prod_db');
      const ran = await ws().run(file, ['--operator', 'alice', '--yes']);
      expect(ran.code, ran.all).toBe(0);
      expect(ws().lines('out.txt')).toEqual(['dropping prod_db']);
    },
    T,
  );

  it(
    'approve=2 needs two distinct approvers: the same one twice is one approval',
    async () => {
      const file = ws().write('contract.md', book('approve=2'));
      expect((await ws().run(file, ['--operator', 'alice'])).code).toBe(4);
      for (let i = 0; i < 2; i += 1) {
        const bob = await ws().waymark(['approve', file, '--block', 'drop-columns', '--operator', 'bob']);
        expect(bob.code, bob.all).toBe(0);
        expect(bob.all).toContain('1 of 2 needed (bob)');
      }
      const one = await ws().run(file, ['--operator', 'alice']);
      expect(one.code, one.all).toBe(4);
      expect(one.all).toContain('waiting for 2 approvals (1 given: bob) by someone other than alice');
      expect(ws().lines('contract.txt')).toEqual([]);
      const carol = await ws().waymark(['approve', file, '--block', 'drop-columns', '--operator', 'carol']);
      expect(carol.code, carol.all).toBe(0);
      expect(carol.all).toContain('2 of 2 needed (bob, carol)');
      const ran = await ws().run(file, ['--operator', 'alice']);
      expect(ran.code, ran.all).toBe(0);
      expect(ws().lines('contract.txt')).toEqual(['contracted']);
      expect(
        ws()
          .audit('contract')
          .filter((r) => r.type === 'block-approved')
          .map((r) => r.approver)
          .sort(),
      ).toEqual(['bob', 'carol']);
    },
    T,
  );

  it(
    'an approval given while the run works on earlier blocks is taken in when the run reaches the block: no stop',
    async () => {
      const file = ws().write(
        'contract.md',
        book('approve=1').replace('echo expanded >> expand.txt', 'while [ ! -f go ]; do sleep 0.1; done\necho expanded >> expand.txt'),
      );
      const running = ws().spawn(['run', file, '--headless', '--operator', 'alice']);
      expect(await waitFor(() => existsSync(join(ws().state, 'contract', 'current.json')), 15_000)).toBe(true);
      // The live run's operator is refused too; bob approves while the expand still runs.
      const own = await ws().waymark(['approve', file, '--block', 'drop-columns', '--operator', 'alice']);
      expect(own.code, own.all).toBe(2);
      const approved = await ws().waymark(['approve', file, '--block', 'drop-columns', '--operator', 'bob']);
      expect(approved.code, approved.all).toBe(0);
      expect(approved.all).toContain('the live run takes it in within a second');
      writeFileSync(ws().path('go'), '');
      const ended = await running;
      expect(ended.exitCode, String(ended.all)).toBe(0);
      expect(String(ended.all)).not.toContain('is waiting for approval');
      expect(ws().lines('contract.txt')).toEqual(['contracted']);
      expect(
        ws()
          .audit('contract')
          .filter((r) => r.type === 'block-approved')
          .map((r) => r.approver),
      ).toEqual(['bob']);
    },
    T,
  );

  it(
    "tells the runbook's notifier once that the run waits for an approval, naming the block",
    async () => {
      const file = ws().write(
        'contract.md',
        book('approve=1').replace('id: contract\n', "id: contract\nnotify: 'cat >> events.jsonl; echo >> events.jsonl'\n"),
      );
      const first = await ws().run(file, ['--operator', 'alice']);
      expect(first.code, first.all).toBe(4);
      const events = ws()
        .lines('events.jsonl')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const waiting = events.filter((e) => e.event === 'waiting');
      expect(waiting).toHaveLength(1);
      expect(waiting[0]).toMatchObject({
        step: 'contract',
        block: 'drop-columns',
        operator: 'alice',
        reason: 'block drop-columns is waiting for approval by someone other than alice',
      });
    },
    T,
  );

  it(
    'a bad approve= value is refused by lint with the file and line',
    async () => {
      const file = ws().write('contract.md', book('approve=many'));
      const lint = await waymark(['lint', file], { cwd: ws().dir });
      expect(lint.code, lint.all).toBe(2);
      expect(lint.all).toMatch(/contract\.md:\d+/);
      expect(lint.all).toContain('bad approve value "many"');
      const check = ws().write(
        'check.md',
        book('approve=1').replace('id: contract', 'id: check-approve').replace('name=drop-columns', 'check name=drop-columns'),
      );
      const onCheck = await waymark(['lint', check], { cwd: ws().dir });
      expect(onCheck.code, onCheck.all).toBe(2);
      expect(onCheck.all).toContain('approve= is only for run and verify blocks, not check');
    },
    T,
  );
});
