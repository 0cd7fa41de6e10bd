/**
 * `approve=` as the session takes approvals in (docs/approve.md), in-process so that a mutation of
 * session.ts is caught here and not only by test/e2e/approve.test.ts (which runs dist/): another
 * operator's `waymark approve` (its command function, on the same state directory) reaches the run,
 * once, recorded, shown, and the wait is told to the notifier once.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { approveCommand } from '../../../src/cli/approve.js';
import { RunSession } from '../../../src/engine/session.js';
import { sessionAudit, useSessionFolder } from '../../support/session.js';

let dir = '';
useSessionFolder('wm-approve-session-', (made) => {
  dir = made;
});

const BOOK = `---
title: Contract migration
id: contract
notify: 'cat >> events.jsonl'
---
# Contract migration

## Expand {#expand}

\`\`\`sh name=expand
echo expanded >> expand.txt
\`\`\`

## Contract {#contract}

\`\`\`sh name=drop-columns approve=2
echo contracted >> contract.txt
\`\`\`
`;

async function approve(file: string, operator: string): Promise<void> {
  const out = new Writable({ write: (_chunk, _encoding, done) => done() });
  expect(await approveCommand([file, '--block', 'drop-columns', '--operator', operator, '--state-dir', join(dir, 'state')], out)).toBe(0);
}

function told(): { event: string; step: string | null; block: string | null; reason: string | null }[] {
  const file = join(dir, 'events.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l));
}

describe('approvals taken in by a live session', () => {
  it('records each approval once, shows it, tells the wait once, and runs the block when enough came', async () => {
    const file = join(dir, 'contract.md');
    writeFileSync(file, BOOK);
    const session = await RunSession.open({ runbookFile: file, stateDir: join(dir, 'state'), env: {}, operator: 'alice' });
    const [expand] = session.runbook.steps;
    await session.runBlock(expand!, expand!.blocks[0]!);
    expect(session.next()).toMatchObject({ kind: 'approval', block: { id: 'drop-columns' } });

    expect(await session.refreshApprovals()).toBe(0);
    expect(await session.refreshApprovals()).toBe(0);
    await approve(file, 'bob');
    expect(await session.refreshApprovals()).toBe(1);
    // The same approval read again is not taken twice.
    expect(await session.refreshApprovals()).toBe(0);
    const approvals = () => session.state.steps.find((s) => s.id === 'contract')?.blocks[0]?.approvals ?? [];
    expect(approvals().map((a) => a.by)).toEqual(['bob']);
    expect(session.notices.filter((n) => n.startsWith('block drop-columns approved by bob at '))).toHaveLength(1);
    expect(session.next()).toMatchObject({ kind: 'approval' });

    await approve(file, 'carol');
    expect(await session.refreshApprovals()).toBe(1);
    expect(approvals().map((a) => a.by)).toEqual(['bob', 'carol']);
    expect(session.next()).toMatchObject({ kind: 'run', block: { id: 'drop-columns' } });
    const audit = readFileSync(session.paths.audit, 'utf8');
    expect(audit.match(/"block-approved"/g)).toHaveLength(2);
    await session.close();

    // Waiting for approval: told once before bob's approval, once again after it (a new wait), with
    // the waiting line; then the session closed with the block ready to run: the run waits for its operator.
    const waits = told().filter((e) => e.event === 'waiting');
    expect(waits.map((e) => [e.step, e.block])).toEqual([
      ['contract', 'drop-columns'],
      ['contract', 'drop-columns'],
      [null, null],
    ]);
    expect(waits[0]?.reason).toMatch(/^block drop-columns is waiting for 2 approvals/);
    expect(waits[1]?.reason).toMatch(/^block drop-columns is waiting for/);
    expect(waits[1]?.reason).toContain('bob');
  });

  it('tells a new approval wait on a later step after the operator skipped the step whose approval it was waiting for', async () => {
    // Reproduced: the session remembered only that it had told "a" wait, so the wait for the next
    // step's approval, reached by a skip (no block ran in between), was never told.
    const file = join(dir, 'two-approvals.md');
    writeFileSync(
      file,
      `---\ntitle: Two approvals\nid: two\nnotify: 'cat >> events.jsonl'\n---\n# Two approvals\n\n## Purge {#purge optional}\n\n\`\`\`sh name=purge approve=1\necho purged >> ran.txt\n\`\`\`\n\n## Drop {#drop}\n\n\`\`\`sh name=drop approve=1\necho dropped >> ran.txt\n\`\`\`\n`,
    );
    const session = await RunSession.open({ runbookFile: file, stateDir: join(dir, 'state'), env: {}, operator: 'alice' });
    expect(await session.refreshApprovals()).toBe(0);
    await session.skipStep('purge', 'nothing to purge');
    expect(session.next()).toMatchObject({ kind: 'approval', block: { id: 'drop' } });
    // The TUI asks again every second: still the one wait.
    expect(await session.refreshApprovals()).toBe(0);
    await session.close();

    expect(told().map((e) => [e.event, e.step, e.block])).toEqual([
      ['waiting', 'purge', 'purge'],
      ['waiting', 'drop', 'drop'],
    ]);
    expect(told()[1]?.reason).toMatch(/^block drop is waiting for approval by someone other than alice/);
  });

  it('counts an approval given before the run reached the block as soon as it does; a stray file is told once', async () => {
    const file = join(dir, 'contract.md');
    writeFileSync(file, BOOK.replace('approve=2', 'approve=1'));
    const session = await RunSession.open({ runbookFile: file, stateDir: join(dir, 'state'), env: {}, operator: 'alice' });
    await approve(file, 'bob');
    writeFileSync(join(session.paths.dir, 'approvals', 'stray.json'), '{"not":"an approval"}\n');
    const [expand] = session.runbook.steps;
    // Running the block before it reaches the approve= block: the approval is taken in at once.
    await session.runBlock(expand!, expand!.blocks[0]!);
    expect(session.next()).toMatchObject({ kind: 'run', block: { id: 'drop-columns' } });
    expect(sessionAudit(session, 'block-approved')).toEqual([
      expect.objectContaining({
        step: 'contract',
        block: 'drop-columns',
        approver: 'bob',
        contentHash: expect.stringMatching(/^[0-9a-f]{16}$/),
        approvedAt: expect.any(String),
        needed: 1,
        runner: 'alice',
      }),
    ]);
    expect(await session.refreshApprovals()).toBe(0);
    const stray = session.notices.filter((n) => n.endsWith('is not an approval written by waymark approve; it counts for nothing'));
    expect(stray).toEqual([
      `${join(session.paths.dir, 'approvals', 'stray.json')} is not an approval written by waymark approve; it counts for nothing`,
    ]);
    await session.close();
    // A closed session takes nothing in any more.
    await approve(file, 'carol');
    expect(await session.refreshApprovals()).toBe(0);
    expect(told().map((e) => e.event)).toEqual(['waiting']);
  });
});
