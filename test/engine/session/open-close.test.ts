/**
 * How a session opens and closes, in-process so that a mutation of session.ts is caught here and
 * not only by the e2e tests that spawn dist/: a face's flags checked before anything is written, the
 * lock released by an open that fails and taken over from a dead run (told and audited), what a face
 * reads while a block runs (busy, idle, the events it subscribed to), the exit code for where the run
 * stands, and the status close() leaves: twice safe, a running block interrupted, a selection done
 * while other steps are not.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/engine/errors.js';
import { RunSession, type SessionEvent } from '../../../src/engine/session.js';
import { blockOf, sessionAudit, useSessionFolder } from '../../support/session.js';
import { waitFor } from '../../support/wait.js';

let dir = '';
const folder = useSessionFolder('wm-open-close-', (made) => {
  dir = made;
});
const { runbook, open } = folder;

const BOOK = `---
title: Two steps
id: two-steps
---
# Two steps

## First {#first}

\`\`\`sh name=first
echo first >> ran.txt
\`\`\`

## Second {#second}

\`\`\`sh name=second
echo second >> ran.txt
\`\`\`
`;

const lockFile = () => join(dir, 'state', 'two-steps', 'lock.json');

/** A lock left by a waymark on this host whose process is gone (no pid that high can be alive). */
function deadLock(runId: string): void {
  writeFileSync(
    lockFile(),
    `${JSON.stringify({ pid: 2 ** 30, user: 'dave', host: hostname(), operator: 'dave', runId, startedAt: '2026-12-06T01:02:03.000Z' })}\n`,
  );
}

describe('opening a session', () => {
  it("checks the face's flags against the runbook before anything on disk changes", async () => {
    const file = runbook('two-steps.md', BOOK);
    const seen: string[] = [];
    const opening = RunSession.open({
      runbookFile: file,
      stateDir: join(dir, 'state'),
      env: {},
      operator: 'alice',
      validate: (book) => {
        seen.push(book.title);
        throw new Error('--only names no step of this runbook: third');
      },
    });
    await expect(opening).rejects.toThrow('--only names no step of this runbook: third');
    expect(seen).toEqual(['Two steps']);
    expect(existsSync(join(dir, 'state'))).toBe(false);
  });

  it('releases the lock when the run cannot start, so the next invocation is not locked out', async () => {
    const file = runbook('two-steps.md', BOOK.replace('id: two-steps\n', 'id: two-steps\nvars:\n  TARGET:\n    required: true\n'));
    const refused = open(file);
    await expect(refused).rejects.toMatchObject({ exitCode: ExitCode.BadInput, message: expect.stringMatching(/TARGET/) });
    expect(existsSync(lockFile())).toBe(false);
    const session = await open(file, { varFlags: ['TARGET=db1'] });
    expect(session.vars.values.TARGET).toBe('db1');
  });

  it('takes over the lock of a run whose process is gone: told first, audited after the run starts', async () => {
    const file = runbook('two-steps.md', BOOK.replace('id: two-steps\n', 'id: two-steps\nvars:\n  TOKEN:\n    secret: true\n'));
    const first = await open(file, { varFlags: ['TOKEN=t0ken-value'] });
    // A secret on the command line is warned about, after the other notices.
    expect(first.notices).toEqual([expect.stringMatching(/^secret TOKEN was given on the command line/)]);
    const { step, block } = blockOf(first, 'first');
    await first.runBlock(step, block);
    await first.close();

    // The run's process died (kill -9) with the lock held: the next session takes it over and goes on with the run.
    deadLock(first.state.run);
    const second = await open(file, { varFlags: ['TOKEN=t0ken-value'] });
    expect(second.state.run).toBe(first.state.run);
    expect(second.notices[0]).toMatch(/lock/);
    expect(second.notices[0]).toContain(String(2 ** 30));
    expect(second.notices.at(-1)).toMatch(/^secret TOKEN was given on the command line/);
    const records = sessionAudit(second).map((r) => r.type);
    const resumedAt = records.lastIndexOf('run-resumed');
    expect(records[resumedAt - 1]).toBe('lock-taken-over');
    expect(sessionAudit(second, 'lock-taken-over')).toEqual([expect.objectContaining({ notice: second.notices[0] })]);
    await second.close();

    // A new run that finds a dead run's lock: the takeover is recorded after run-started.
    deadLock('new');
    const third = await open(file, { newRun: true, varFlags: ['TOKEN=t0ken-value'] });
    expect(third.state.run).not.toBe(first.state.run);
    expect(
      sessionAudit(third)
        .map((r) => r.type)
        .slice(0, 2),
    ).toEqual(['run-started', 'lock-taken-over']);
    expect(third.notices).toContainEqual(expect.stringMatching(/lock/));
  });
});

describe('what a face reads from an open session', () => {
  const WAITING = `---\nid: gated\nvars:\n  TOKEN:\n    secret: true\n---\n# Gated\n\n## Wait {#wait}\n\n\`\`\`sh name=wait\ntouch started\nwhile [ ! -f go ]; do sleep 0.05; done\necho "sent hunter2-token"\n\`\`\`\n\n## After {#after}\n\n\`\`\`sh name=after\nexit 3\n\`\`\`\n`;

  it('is busy while a block runs, idle once its answer settled, hears events until it unsubscribes', async () => {
    const session = await open(runbook('gated.md', WAITING), { env: { TOKEN: 'hunter2-token' } });
    const { step, block } = blockOf(session, 'wait');
    const after = blockOf(session, 'after');
    expect(session.busy).toBe(false);
    await expect(session.idle).resolves.toBeUndefined();
    // The command as confirmations show it: a secret's value in it is masked.
    expect(session.describeBlock(block)).toBe('touch started\nwhile [ ! -f go ]; do sleep 0.05; done\necho "sent ••••"');
    expect(session.executedHere(block)).toBe(false);

    const heard: string[] = [];
    const unsubscribe = session.subscribe((event: SessionEvent) => heard.push(event.type));
    const running = session.runBlock(step, block);
    let settled = false;
    void session.idle.then(() => {
      settled = true;
    });
    await waitFor(() => existsSync(join(dir, 'started')), { timeout: 10_000, what: 'the block started' });
    expect(session.busy).toBe(true);
    expect(session.executedHere(block)).toBe(true);
    expect(settled).toBe(false);
    writeFileSync(join(dir, 'go'), '');
    await session.idle;
    expect(settled).toBe(true);
    expect(session.busy).toBe(false);
    expect(await running).toMatchObject({ status: 'passed' });
    expect(heard).toContain('block-finished');
    expect(session.executedHere(after.block)).toBe(false);

    // An answer that is refused: idle still settles, without the error (its caller hears it).
    unsubscribe();
    const count = heard.length;
    await expect(session.answer({ kind: 'skip', reason: 'not optional' })).rejects.toThrow(/skip/);
    await expect(session.idle).resolves.toBeUndefined();
    expect(await session.runBlock(after.step, after.block)).toMatchObject({ status: 'failed' });
    expect(heard).toHaveLength(count);
  });

  it('gives the exit code for where the run stands, 130 after a signal whatever it stands at', async () => {
    const session = await open(runbook('gated.md', WAITING.replace('exit 3', 'echo after')));
    expect(session.exitCode()).toBe(ExitCode.Waiting);
    expect(session.exitCode({ signalled: true })).toBe(ExitCode.Signal);
    writeFileSync(join(dir, 'go'), '');
    for (const id of ['wait', 'after']) {
      const { step, block } = blockOf(session, id);
      await session.runBlock(step, block);
    }
    expect(session.complete).toBe(true);
    expect(session.exitCode()).toBe(ExitCode.Complete);
    expect(session.exitCode({ signalled: true })).toBe(ExitCode.Signal);
    expect(session.exitCode({ signalled: false })).toBe(ExitCode.Complete);
  });

  it('holds a complete run as recorded even after the runbook grew a step: complete, and told when it finished', async () => {
    const file = runbook('two-steps.md', BOOK);
    const first = await open(file);
    for (const id of ['first', 'second']) {
      const { step, block } = blockOf(first, id);
      await first.runBlock(step, block);
    }
    await first.close();
    const finishedAt = first.state.finishedAt as string;
    expect(finishedAt).toEqual(expect.any(String));

    runbook('two-steps.md', `${BOOK}\n## Third {#third}\n\n\`\`\`sh name=third\necho third >> ran.txt\n\`\`\`\n`);
    const again = await open(file);
    expect(again.finished).toBe(true);
    expect(again.complete).toBe(true);
    expect(again.next()).toEqual({ kind: 'complete' });
    expect(again.exitCode()).toBe(ExitCode.Complete);
    expect(again.finishedHeadline()).toBe(
      `run ${first.state.run} of ${file} is complete (finished ${finishedAt.replace('T', ' ').slice(0, 19)} UTC); nothing was run`,
    );
    expect(await again.refreshApprovals()).toBe(0);
  });
});

describe('closing a session', () => {
  it('is safe twice: one session-closed record, the lock released, the run waiting between its steps', async () => {
    const session = await open(runbook('two-steps.md', BOOK));
    const { step, block } = blockOf(session, 'first');
    await session.runBlock(step, block);
    expect(existsSync(lockFile())).toBe(true);
    await session.close();
    await session.close();
    expect(existsSync(lockFile())).toBe(false);
    expect(session.state.status).toBe('waiting');
    expect(sessionAudit(session, 'run-paused')).toEqual([expect.objectContaining({ status: 'waiting' })]);
    expect(sessionAudit(session, 'session-closed')).toEqual([expect.objectContaining({ status: 'waiting' })]);
    const second = blockOf(session, 'second');
    await expect(session.runBlock(second.step, second.block)).rejects.toThrow(/closed/);
  });

  it('stops a block still running and leaves the run interrupted', async () => {
    const session = await open(
      runbook('slow.md', `---\nid: slow\n---\n# Slow\n\n## Slow {#slow}\n\n\`\`\`sh name=slow\ntouch started\nsleep 30\n\`\`\`\n`),
    );
    const { step, block } = blockOf(session, 'slow');
    const running = session.runBlock(step, block);
    await waitFor(() => existsSync(join(dir, 'started')), { timeout: 10_000, what: 'the block started' });
    await session.close();
    expect(await running).toMatchObject({ status: 'interrupted' });
    expect(session.state.status).toBe('interrupted');
    expect(sessionAudit(session, 'session-closed')).toEqual([expect.objectContaining({ status: 'interrupted' })]);
  });

  it('records the status a face gives, over where the run stands', async () => {
    const session = await open(runbook('two-steps.md', BOOK));
    await session.close('interrupted');
    expect(session.state.status).toBe('interrupted');
    expect(sessionAudit(session, 'run-paused')).toEqual([expect.objectContaining({ status: 'interrupted' })]);
  });

  it('with --only, leaves the run waiting once the selected steps are done: the others are not', async () => {
    const file = runbook('two-steps.md', BOOK);
    const session = await RunSession.open({
      runbookFile: file,
      stateDir: join(dir, 'state'),
      env: {},
      operator: 'alice',
      selected: (step) => step.id === 'first',
    });
    folder.sessions.push(session);
    const { step, block } = blockOf(session, 'first');
    await session.runBlock(step, block);
    expect(session.next()).toEqual({ kind: 'complete' });
    expect(session.complete).toBe(false);
    expect(session.state.steps.map((s) => s.status)).toEqual(['passed', 'pending']);
    expect(session.exitCode()).toBe(ExitCode.Complete);
    await session.close();
    expect(session.state.status).toBe('waiting');
    expect(sessionAudit(session, 'run-complete')).toEqual([]);
    expect(sessionAudit(session, 'session-closed')).toEqual([expect.objectContaining({ status: 'waiting' })]);
    expect(readFileSync(join(dir, 'ran.txt'), 'utf8')).toBe('first\n');
  });
});
