/**
 * The rarer answers an operator gives a run, in-process over real files and real processes:
 * skip, tick and untick, confirm a step, confirm a block's command, retry, roll back, accept a
 * warning, override a named check. Each one is checked for what the operator would notice: the
 * run's state, the record in the audit trail, and the events a face shows. Also what a block
 * leaves behind when it ends (its output's tail, a capture a later block uses, a secret capture
 * masked and captured again after a resume) and how a new run treats the one left unfinished.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunSession, SessionEvent } from '../../../src/engine/session.js';
import { waitFor } from '../../support/wait.js';
import { blockOf as find, sessionAudit as audit, useSessionFolder } from '../../support/session.js';

let dir = '';
const { runbook, open } = useSessionFolder('wm-answers-', (made) => {
  dir = made;
});

function lines(name: string): string[] {
  const file = join(dir, name);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

function events(session: RunSession): SessionEvent[] {
  const heard: SessionEvent[] = [];
  session.subscribe((event) => heard.push(event));
  return heard;
}

describe('skip, tick and confirm a step', () => {
  const BOOK = `---\nid: steps\n---\n# S\n\n## Optional {#opt optional}\n\n\`\`\`sh name=never\necho never >> ran.txt\n\`\`\`\n\n## Checklist {#list}\n\n- [ ] The snapshot was taken\n- [ ] The testbed was restored\n\n## Prose {#prose}\n\nLook at the dashboard.\n\n## Last {#last}\n\n\`\`\`sh name=last\necho last >> ran.txt\n\`\`\`\n`;

  it('skips an optional step with its reason trimmed and recorded, ticks and unticks a checklist, confirms a prose step', async () => {
    const session = await open(runbook('steps.md', BOOK));
    const heard = events(session);

    await expect(session.skipStep('list', 'not this one')).rejects.toThrow(/step list is not the current step/);
    await session.skipStep('opt', '  the service is already stopped  ');
    expect(session.state.steps[0]).toMatchObject({
      id: 'opt',
      status: 'skipped',
      skipped: { by: 'alice', reason: 'the service is already stopped' },
    });
    expect(audit(session, 'step-skipped')).toEqual([
      expect.objectContaining({ step: 'opt', reason: 'the service is already stopped', operator: 'alice' }),
    ]);
    expect(
      heard.filter((e) => e.type === 'step-finished').map((e) => (e.type === 'step-finished' ? `${e.step.id}:${e.state.status}` : '')),
    ).toEqual(['opt:skipped']);
    expect(lines('ran.txt')).toEqual([]);

    // The checklist: the step waits for every item; an item can be unticked again before the last.
    expect(session.next()).toMatchObject({ kind: 'checklist', step: { id: 'list' } });
    const items = session.runbook.steps[1]!.checklist;
    await session.tick('list', items[0]!.id);
    expect(session.state.steps[1]?.ticked[items[0]!.id]).toMatchObject({ by: 'alice' });
    await session.tick('list', items[0]!.id, { ticked: false });
    expect(session.state.steps[1]?.ticked).toEqual({});
    expect(session.next()).toMatchObject({ kind: 'checklist', step: { id: 'list' } });
    await session.tick('list', items[0]!.id, { automatic: true });
    await session.tick('list', items[1]!.id);
    expect(audit(session, 'item-ticked').map((r) => [r.item, r.text, r.automatic])).toEqual([
      [items[0]!.id, 'The snapshot was taken', false],
      [items[0]!.id, 'The snapshot was taken', true],
      [items[1]!.id, 'The testbed was restored', false],
    ]);
    expect(audit(session, 'item-unticked')).toEqual([
      expect.objectContaining({ step: 'list', item: items[0]!.id, text: 'The snapshot was taken' }),
    ]);
    expect(session.state.steps[1]?.status).toBe('passed');

    // A step of prose only needs the operator's word.
    expect(session.next()).toMatchObject({ kind: 'confirm-step', step: { id: 'prose' } });
    await session.confirmStep('prose', { automatic: true });
    expect(session.state.steps[2]).toMatchObject({ status: 'passed', confirmed: { by: 'alice', automatic: true } });
    expect(audit(session, 'step-confirmed')).toEqual([expect.objectContaining({ step: 'prose', automatic: true })]);
    expect(session.next()).toMatchObject({ kind: 'run', block: { id: 'last' } });

    // Each step is closed as its work is done, a step without blocks too; the last one completes the run.
    expect(await session.answer({ kind: 'run' })).toMatchObject({ id: 'last', status: 'passed' });
    expect(audit(session, 'step-started').map((r) => r.step)).toEqual(['list', 'prose', 'last']);
    expect(audit(session, 'step-finished').map((r) => r.step)).toEqual(['list', 'prose', 'last']);
    expect(
      heard.filter((e) => e.type === 'step-finished').map((e) => (e.type === 'step-finished' ? `${e.step.id}:${e.state.status}` : '')),
    ).toEqual(['opt:skipped', 'list:passed', 'prose:passed', 'last:passed']);
    expect(audit(session, 'run-complete')).toHaveLength(1);
    expect(session.state.status).toBe('complete');
    expect(session.state.steps[2]?.finishedAt).toEqual(expect.any(String));
  });

  it('refuses to skip a step that is not optional, and nothing is recorded', async () => {
    const session = await open(runbook('steps.md', BOOK));
    await session.skipStep('opt', 'not needed on the testbed');
    await session.tick('list', session.runbook.steps[1]!.checklist[0]!.id);
    await session.tick('list', session.runbook.steps[1]!.checklist[1]!.id);
    await session.confirmStep('prose');
    expect(audit(session, 'step-confirmed')).toEqual([expect.objectContaining({ step: 'prose', automatic: false })]);
    await expect(session.skipStep('last', 'not needed on the testbed')).rejects.toThrow(/skip/);
    expect(session.state.steps[3]?.status).toBe('pending');
    expect(audit(session, 'step-skipped')).toHaveLength(1);
  });
});

describe('a block that needs confirming, a failure retried, a rollback', () => {
  const BOOK = `---\nid: blocks\n---\n# B\n\n## Change {#change}\n\n\`\`\`sh confirm name=apply\necho apply >> ran.txt\n\`\`\`\n\n\`\`\`sh name=flaky\necho try >> ran.txt\n[ -e fixed ]\n\`\`\`\n\n\`\`\`sh rollback name=undo\necho undo >> ran.txt\n\`\`\`\n\n## After {#after}\n\n\`\`\`sh name=after\necho after >> ran.txt\n\`\`\`\n`;

  it('runs a confirm block only with the confirmation, recorded with the command it showed; retries a failed block; rolls back', async () => {
    const session = await open(runbook('blocks.md', BOOK));
    const heard = events(session);
    await expect(session.answer({ kind: 'run' })).rejects.toThrow();
    expect(lines('ran.txt')).toEqual([]);
    expect(await session.answer({ kind: 'confirm-run', automatic: true })).toMatchObject({ id: 'apply', status: 'passed' });
    expect(audit(session, 'block-confirmed')).toEqual([
      expect.objectContaining({
        step: 'change',
        block: 'apply',
        by: 'alice',
        automatic: true,
        command: expect.stringContaining('echo apply >> ran.txt'),
      }),
    ]);

    expect(await session.answer({ kind: 'run' })).toMatchObject({ id: 'flaky', status: 'failed' });
    expect(session.next()).toMatchObject({ kind: 'failed', block: { id: 'flaky' } });
    expect(session.decisions().choices.map((c) => c.kind)).toEqual(expect.arrayContaining(['retry', 'rollback']));
    // The retry is a second execution of the same block: its own log, its own started record.
    writeFileSync(join(dir, 'fixed'), '');
    expect(await session.answer({ kind: 'retry' })).toMatchObject({ id: 'flaky', status: 'passed', executions: 2 });
    expect(
      audit(session, 'block-started')
        .filter((r) => r.block === 'flaky')
        .map((r) => r.execution),
    ).toEqual([1, 2]);
    // A local block runs where the runbook runs: no host selection is recorded for it.
    for (const started of audit(session, 'block-started')) expect(started).not.toHaveProperty('hosts');
    expect(audit(session, 'block-confirmed').map((r) => r.block)).toEqual(['apply']);
    expect(lines('ran.txt')).toEqual(['apply', 'try', 'try']);
    expect(
      heard.filter((e) => e.type === 'block-started').map((e) => (e.type === 'block-started' ? `${e.block.id}#${e.execution}` : '')),
    ).toEqual(['apply#1', 'flaky#1', 'flaky#2']);
    expect(session.next()).toMatchObject({ kind: 'run', block: { id: 'after' } });
  });

  it("a retry confirmed by the operator counts as confirmed; a rollback runs with the operator's confirmation", async () => {
    const session = await open(runbook('blocks.md', BOOK));
    await session.answer({ kind: 'confirm-run' });
    expect(audit(session, 'block-confirmed')).toEqual([expect.objectContaining({ block: 'apply', automatic: false })]);
    await session.answer({ kind: 'run' });
    await session.answer({ kind: 'retry', confirmed: true, automatic: true });
    expect(audit(session, 'block-confirmed').map((r) => `${String(r.block)}:${String(r.automatic)}`)).toEqual([
      'apply:false',
      'flaky:true',
    ]);
    expect(session.next()).toMatchObject({ kind: 'failed', block: { id: 'flaky' } });

    expect(await session.answer({ kind: 'rollback', block: 'undo', confirmed: true })).toMatchObject({ id: 'undo', status: 'passed' });
    expect(audit(session, 'block-confirmed').at(-1)).toMatchObject({ block: 'undo', by: 'alice', automatic: false });
    expect(audit(session, 'block-started').at(-1)).toMatchObject({ block: 'undo', role: 'rollback', execution: 1 });
    expect(lines('ran.txt')).toEqual(['apply', 'try', 'try', 'undo']);
  });
});

describe('a warning accepted, a named check overridden', () => {
  it('accepts an oslo-style warning with the reason as given, recorded as automatic or not', async () => {
    const file = runbook(
      'warn.md',
      `---\nid: warn\n---\n# W\n\n## Check {#check}\n\n\`\`\`sh check codes=oslo name=status\necho "upgrade check: warning"\nexit 1\n\`\`\`\n\n\`\`\`sh name=go\necho go >> ran.txt\n\`\`\`\n`,
    );
    const session = await open(file);
    expect(await session.answer({ kind: 'run' })).toMatchObject({ id: 'status', status: 'warning' });
    expect(session.next()).toMatchObject({ kind: 'acknowledge', block: { id: 'status' } });
    await expect(session.answer({ kind: 'run' })).rejects.toThrow();
    await session.acknowledge('check', 'status', { reason: 'known: one cell still on the old version', automatic: false });
    expect(session.state.steps[0]?.blocks[0]).toMatchObject({
      status: 'acknowledged',
      acknowledged: { by: 'alice', reason: 'known: one cell still on the old version' },
    });
    expect(audit(session, 'warning-acknowledged')).toEqual([
      expect.objectContaining({ step: 'check', block: 'status', reason: 'known: one cell still on the old version', automatic: false }),
    ]);
    expect(audit(session, 'warning-acknowledged')[0]).not.toHaveProperty('deviation');
    expect(session.next()).toMatchObject({ kind: 'run', block: { id: 'go' } });
    await session.close();

    // Another run, accepted by a policy without a reason: recorded as automatic, the reason null.
    const again = await open(file, { newRun: true });
    await again.answer({ kind: 'run' });
    await again.answer({ kind: 'acknowledge', automatic: true });
    expect(audit(again, 'warning-acknowledged')).toEqual([expect.objectContaining({ block: 'status', reason: null, automatic: true })]);
  });

  it('overrides the named check of a gate that refused twice, with the reason trimmed; the other check still holds', async () => {
    const file = runbook(
      'gate.md',
      `---\nid: gate\n---\n# G\n\n## Gate {#gate}\n\n\`\`\`sh check override=allowed name=first\nexit 1\n\`\`\`\n\n\`\`\`sh check override=allowed name=second\nexit 1\n\`\`\`\n\n\`\`\`sh name=after\necho after >> ran.txt\n\`\`\`\n`,
    );
    const session = await open(file);
    await session.answer({ kind: 'run' });
    expect(session.next()).toMatchObject({ kind: 'run', block: { id: 'second' } });
    await session.answer({ kind: 'run' });
    expect(session.next()).toMatchObject({ kind: 'refused', block: { id: 'first' } });
    // One re-run tries both checks again.
    await session.answer({ kind: 'rerun' });
    expect(session.state.steps[0]?.blocks.map((b) => `${b.status}/${b.executions}`)).toEqual(['refused/2', 'refused/2', 'pending/0']);
    await expect(session.answer({ kind: 'override', reason: 'why', block: 'after' })).rejects.toThrow();
    await session.answer({ kind: 'override', reason: '  second is a known false alarm  ', block: 'second' });
    expect(session.state.steps[0]?.blocks[1]).toMatchObject({
      id: 'second',
      status: 'overridden',
      override: { by: 'alice', reason: 'second is a known false alarm' },
    });
    expect(session.state.steps[0]?.blocks[0]?.status).toBe('refused');
    expect(audit(session, 'check-overridden')).toEqual([
      expect.objectContaining({ step: 'gate', block: 'second', reason: 'second is a known false alarm' }),
    ]);
    expect(session.next()).toMatchObject({ kind: 'refused', block: { id: 'first' } });
    expect(lines('ran.txt')).toEqual([]);
  });
});

describe('what a block leaves when it ends', () => {
  it('keeps the last 15 lines of stdout and 5 of stderr, the exit code, the attempts, the reason masked', async () => {
    const file = runbook(
      'tail.md',
      `---\nid: tail\nvars:\n  TOKEN:\n    secret: true\n    default: tok-very-secret-123\n---\n# T\n\n## Noisy {#noisy}\n\n\`\`\`sh name=noisy\nfor i in $(seq 1 20); do echo "out $i"; done\nfor i in $(seq 1 8); do echo "err $i" >&2; done\necho "bad token $TOKEN" >&2\nexit 3\n\`\`\`\n`,
    );
    const session = await open(file);
    const state = await session.answer({ kind: 'run' });
    expect(state).toMatchObject({ status: 'failed', exitCode: 3, attempts: 1 });
    const finished = audit(session, 'block-finished');
    expect(finished).toEqual([
      expect.objectContaining({ step: 'noisy', block: 'noisy', role: 'run', outcome: 'failure', exitCode: 3, attempts: 1 }),
    ]);
    expect(JSON.stringify(finished)).not.toContain('tok-very-secret-123');
    const tail = state?.tail ?? [];
    expect(tail.slice(0, 15)).toEqual(Array.from({ length: 15 }, (_, i) => `out ${i + 6}`));
    expect(tail.slice(15)).toEqual(['err 5', 'err 6', 'err 7', 'err 8', expect.stringMatching(/^bad token (?!tok-very)/)]);
    expect(readFileSync(session.paths.checkpoint, 'utf8')).not.toContain('tok-very-secret-123');
    expect(state?.reason).toMatch(/3/);
    expect(finished[0]?.reason).toBe(state?.reason);
  });

  it('a capture reaches the next block; a secret one is masked from then on, and a resumed run captures it again', async () => {
    const file = runbook(
      'capture.md',
      `---\nid: capture\nvars:\n  TOKEN:\n    secret: true\n    default: tok-very-secret-123\n---\n# C\n\n## Make {#make}\n\n\`\`\`sh name=count capture=COUNT\necho 3\n\`\`\`\n\n\`\`\`sh name=derive capture=DERIVED\necho "derived-$TOKEN-x"\n\`\`\`\n\n\`\`\`sh name=broken capture=NEVER\n[ -e fixed ] || exit 1\necho never\n\`\`\`\n\n## Use {#use}\n\n\`\`\`sh name=use\necho "count=$COUNT" >> used.txt\necho "derived=$DERIVED" >> used.txt\necho "again $DERIVED"\necho "count=$COUNT"\n\`\`\`\n`,
    );
    const session = await open(file);
    const heard = events(session);
    await session.answer({ kind: 'run' });
    await session.answer({ kind: 'run' });
    const captured = heard.flatMap((e) => (e.type === 'block-finished' && e.captured ? [`${e.captured.name}=${e.captured.shown}`] : []));
    expect(captured[0]).toBe('COUNT=3');
    expect(captured[1]).toMatch(/^DERIVED=/);
    expect(captured[1]).not.toContain('tok-very-secret-123');
    expect(audit(session, 'block-finished').map((r) => r.capture)).toEqual([
      { name: 'COUNT', value: '3', secret: false },
      expect.objectContaining({ name: 'DERIVED', secret: true }),
    ]);
    expect(session.shownValues()).toMatchObject({ COUNT: '3' });
    // A capturing block that failed captured nothing: nothing is recorded, shown or kept for it.
    expect(await session.answer({ kind: 'run' })).toMatchObject({ id: 'broken', status: 'failed' });
    expect(audit(session, 'block-finished').at(-1)).not.toHaveProperty('capture');
    expect(heard.at(-1)).toMatchObject({ type: 'block-finished', block: { id: 'broken' } });
    expect(heard.at(-1)).not.toHaveProperty('captured');
    expect(session.shownValues()).not.toHaveProperty('NEVER');
    writeFileSync(join(dir, 'fixed'), '');
    await session.close();

    // Resumed: COUNT is kept, DERIVED was never on disk, so its block runs again before `use`.
    const resumed = await open(file);
    expect(resumed.notices).toContain(
      'secret capture DERIVED of block derive is not kept between sessions (a secret never reaches disk in clear): block derive runs again to capture it',
    );
    expect(audit(resumed, 'capture-lost')).toEqual([expect.objectContaining({ step: 'make', block: 'derive', name: 'DERIVED' })]);
    expect(resumed.next()).toMatchObject({ kind: 'run', block: { id: 'derive' } });
    await resumed.answer({ kind: 'run' });
    expect(await resumed.answer({ kind: 'retry' })).toMatchObject({ id: 'broken', status: 'passed' });
    const output: string[] = [];
    resumed.subscribe((event) => {
      if (event.type === 'output') output.push(event.chunk.toString());
    });
    expect(await resumed.answer({ kind: 'run' })).toMatchObject({ id: 'use', status: 'passed' });
    expect(lines('used.txt')).toEqual(['count=3', 'derived=derived-tok-very-secret-123-x']);
    // The run's own mask covers the secret captured value too, not only the secret variable in it.
    const tail = resumed.state.steps[1]?.blocks[0]?.tail ?? [];
    expect(tail.join('\n')).not.toContain('derived-tok-very-secret-123-x');
    expect(tail).toContain('again ••••');
    // Only the secret capture is masked: a plain one stays readable.
    expect(tail).toContain('count=3');
    expect(readFileSync(resumed.paths.audit, 'utf8')).not.toContain('tok-very-secret-123');
  });
});

describe('a new run and the run left unfinished', () => {
  const BOOK = `---\nid: again\n---\n# A\n\n## One {#one}\n\n\`\`\`sh name=one\necho one >> ran.txt\n\`\`\`\n\n## Two {#two}\n\n\`\`\`sh name=two\necho two >> ran.txt\n\`\`\`\n`;

  it('--new-run archives the unfinished run and starts from the first step; without it the run resumes', async () => {
    const file = runbook('again.md', BOOK);
    const first = await open(file);
    await first.answer({ kind: 'run' });
    const firstId = first.state.run;
    await first.close();

    const resumed = await open(file);
    expect(resumed.resumed).toBe(true);
    expect(resumed.state.run).toBe(firstId);
    expect(resumed.next()).toMatchObject({ kind: 'run', block: { id: 'two' } });
    expect(audit(resumed, 'run-resumed')).toHaveLength(1);
    await resumed.close();

    const fresh = await open(file, { newRun: true });
    expect(fresh.resumed).toBe(false);
    expect(fresh.state.run).not.toBe(firstId);
    expect(fresh.notices).toContain(`run ${firstId} (unfinished) was archived; starting a new run`);
    expect(fresh.next()).toMatchObject({ kind: 'run', block: { id: 'one' } });
    expect(audit(fresh, 'run-started')).toEqual([expect.objectContaining({ runbook: 'again', title: 'A', profile: null })]);
  });
});

describe('a block cancelled, then marked done or its check overridden', () => {
  const BOOK = `---\nid: cancel\n---\n# C\n\n## Work {#work}\n\n\`\`\`sh name=long\necho $$ > long.pid\nsleep 30\n\`\`\`\n\n## Gate {#gate}\n\n\`\`\`sh check override=allowed name=slow-check\necho $$ > check.pid\nsleep 30\n\`\`\`\n\n\`\`\`sh name=last\necho last >> ran.txt\n\`\`\`\n`;

  async function cancelled(session: RunSession, id: string, pid: string): Promise<void> {
    const { step, block } = find(session, id);
    const running = session.runBlock(step, block);
    await waitFor(() => existsSync(join(dir, pid)), { timeout: 5000, what: 'the block writing its pid file' });
    expect(session.cancel()).toBe(true);
    expect((await running).status).toBe('interrupted');
  }

  it('says the block was cancelled, leaves the run interrupted on close, and records the trimmed reasons of mark-done and override', async () => {
    const file = runbook('cancel.md', BOOK);
    const session = await open(file);
    await cancelled(session, 'long', 'long.pid');
    expect(audit(session, 'block-interrupted')).toEqual([
      expect.objectContaining({ step: 'work', block: 'long', reason: 'cancelled by the operator or a signal' }),
    ]);
    expect(session.decisions().choices.map((c) => c.kind)).toEqual(expect.arrayContaining(['rerun', 'mark-done']));
    await session.close();
    expect(audit(session, 'session-closed').at(-1)).toMatchObject({ status: 'interrupted' });

    const again = await open(file, { operator: 'bob' });
    await again.answer({ kind: 'mark-done', reason: '  finished by hand in another terminal  ' });
    expect(again.state.steps[0]?.blocks[0]).toMatchObject({
      status: 'passed',
      markedDone: { by: 'bob', reason: 'finished by hand in another terminal' },
    });
    expect(audit(again, 'interrupted-marked-done')).toEqual([
      expect.objectContaining({ step: 'work', block: 'long', reason: 'finished by hand in another terminal' }),
    ]);

    await cancelled(again, 'slow-check', 'check.pid');
    expect(again.decisions().choices.map((c) => c.kind)).not.toContain('mark-done');
    await again.answer({ kind: 'override', reason: '  checked the cluster by hand  ' });
    expect(again.state.steps[1]?.blocks[0]).toMatchObject({
      status: 'overridden',
      override: { by: 'bob', reason: 'checked the cluster by hand' },
    });
    expect(audit(again, 'check-overridden')).toEqual([
      expect.objectContaining({ step: 'gate', block: 'slow-check', reason: 'checked the cluster by hand' }),
    ]);
    expect(again.next()).toMatchObject({ kind: 'run', block: { id: 'last' } });
  });
});

describe('what a face hears while blocks run', () => {
  const BOOK = `---\nid: hear\nvars:\n  TOKEN:\n    secret: true\n    default: tok-very-secret-123\n---\n# H\n\n## First step {#first}\n\n\`\`\`sh check retries=2 delay=100ms name=settle\necho try >> tries.txt\necho "out $(wc -l < tries.txt)"\n[ "$(wc -l < tries.txt)" -ge 3 ] || { echo "not yet $TOKEN" >&2; exit 1; }\n\`\`\`\n\n\`\`\`sh name=more\necho more\n\`\`\`\n\n## Second step {#second}\n\n\`\`\`sh name=second\necho second\n\`\`\`\n`;

  it("each step's start with its place, each retry of a check with its masked reason, the output; each attempt marked in the one log", async () => {
    const session = await open(runbook('hear.md', BOOK));
    const heard = events(session);
    expect(await session.answer({ kind: 'run' })).toMatchObject({ id: 'settle', status: 'passed', attempts: 3, executions: 1 });
    await session.answer({ kind: 'run' });
    await session.answer({ kind: 'run' });
    const started = heard.flatMap((e) => (e.type === 'step-started' ? [`${e.step.id} ${e.index + 1}/${e.total}`] : []));
    expect(started).toEqual(['first 1/2', 'second 2/2']);
    expect(audit(session, 'step-started').map((r) => [r.step, r.title])).toEqual([
      ['first', 'First step'],
      ['second', 'Second step'],
    ]);
    const attempts = heard.flatMap((e) => (e.type === 'attempt' ? [e] : []));
    expect(attempts.map((e) => `${e.block.id} ${e.attempt}/${e.of} in ${e.nextInMs}ms`)).toEqual([
      'settle 2/3 in 100ms',
      'settle 3/3 in 100ms',
    ]);
    for (const attempt of attempts) {
      expect(attempt.step.id).toBe('first');
      expect(attempt.reason).not.toBe('');
      expect(attempt.reason).not.toContain('tok-very-secret-123');
    }
    const output = heard.flatMap((e) => (e.type === 'output' ? [`${e.block.id}:${e.stream}:${e.chunk.toString()}`] : [])).join('');
    expect(output).toContain('settle:stdout:out 1');
    expect(output).toContain('more:stdout:more');
    const log = readFileSync(join(session.paths.dir, session.state.steps[0]!.blocks[0]!.log!), 'utf8');
    expect(log).toContain('--- waymark: attempt 2 ---');
    expect(log).toContain('--- waymark: attempt 3 ---');
    expect(log).not.toContain('--- waymark: attempt 1 ---');
    expect(log).toContain('out 1');
    expect(log).toContain('out 3');
    expect(log).not.toContain('tok-very-secret-123');
  });

  it('no output events when the face asked for none, the blocks still run', async () => {
    const session = await open(runbook('hear.md', BOOK), { streamOutput: false });
    const heard = events(session);
    writeFileSync(join(dir, 'tries.txt'), 'a\nb\n');
    expect(await session.answer({ kind: 'run' })).toMatchObject({ id: 'settle', status: 'passed', attempts: 1 });
    expect(await session.answer({ kind: 'run' })).toMatchObject({ id: 'more', status: 'passed', tail: ['more'] });
    expect(heard.filter((e) => e.type === 'output')).toEqual([]);
    expect(heard.filter((e) => e.type === 'attempt')).toEqual([]);
    expect(audit(session, 'block-finished').map((r) => r.reason)).toEqual(['exit 0', 'exit 0']);
  });
});

describe("answers given through the session's own methods", () => {
  const BOOK = `---\nid: methods\n---\n# M\n\n## Gate {#gate}\n\n\`\`\`sh check after-failure=stop name=first\n[ -e first-ok ]\n\`\`\`\n\n\`\`\`sh check confirm name=second\necho second >> ran.txt\n[ -e second-ok ]\n\`\`\`\n\n\`\`\`sh name=work\necho work >> ran.txt\n\`\`\`\n\n\`\`\`sh rollback name=undo\necho undo >> ran.txt\n\`\`\`\n\n## Next {#next}\n\n\`\`\`sh name=next\necho next >> ran.txt\n\`\`\`\n`;

  it('refuses a block, step or check that is not the one the run is on, naming what the run waits for', async () => {
    const session = await open(runbook('methods.md', BOOK));
    const next = find(session, 'next');
    await expect(session.runBlock(next.step, next.block)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/^block next is not next in the run: .*first/),
    });
    await expect(session.tick('next', 'x')).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/^step next is not the current step: .*first/),
    });
    await expect(session.acknowledge('gate', 'work')).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/^cannot do that to work now: .*first/),
    });
    await expect(session.override('work', 'a reason long enough')).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/^check work is not a failed check holding the run \(.*first.*\)$/),
    });
    expect(audit(session, 'block-started')).toEqual([]);
    await session.close();
    await expect(session.tick('gate', 'x')).rejects.toThrow('this session is closed');
    await expect(session.answer({ kind: 'run' })).rejects.toThrow('this session is closed');
  });

  it('a re-run of the gate stops at a check that says after-failure=stop; a confirm check runs only with the confirmation, on a re-run too; a rollback is not offered while nothing failed', async () => {
    const session = await open(runbook('methods.md', BOOK));
    const first = find(session, 'first');
    expect(await session.runBlock(first.step, first.block)).toMatchObject({ id: 'first', status: 'refused' });
    // first refused and says stop: second does not run on the re-run either.
    expect(await session.answer({ kind: 'rerun', confirmed: true })).toMatchObject({ id: 'first', status: 'refused', executions: 2 });
    expect(lines('ran.txt')).toEqual([]);
    writeFileSync(join(dir, 'first-ok'), '');
    expect(await session.answer({ kind: 'rerun' })).toMatchObject({ id: 'first', status: 'passed' });
    // second is a confirm check: it runs with the operator's confirmation, and a re-run of it needs one again.
    const second = find(session, 'second');
    await expect(session.runBlock(second.step, second.block)).rejects.toThrow();
    expect(await session.runBlock(second.step, second.block, { by: 'alice', at: new Date().toISOString() })).toMatchObject({
      id: 'second',
      status: 'refused',
    });
    writeFileSync(join(dir, 'second-ok'), '');
    expect(await session.answer({ kind: 'rerun', confirmed: true, automatic: true })).toMatchObject({ id: 'second', status: 'passed' });
    expect(audit(session, 'block-confirmed').map((r) => `${String(r.block)}:${String(r.automatic)}`)).toEqual([
      'second:false',
      'second:true',
    ]);
    const work = find(session, 'work');
    expect(await session.runBlock(work.step, work.block)).toMatchObject({ id: 'work', status: 'passed' });
    const undo = find(session, 'undo');
    await expect(session.runBlock(undo.step, undo.block)).rejects.toThrow(/not next/);
    expect(lines('ran.txt')).toEqual(['second', 'second', 'work']);
  });
});

describe('runBlock, override and markDone as a face calls them', () => {
  const BOOK = `---\nid: faces\n---\n# F\n\n## Change {#change}\n\n\`\`\`sh check override=allowed name=ready\n[ -e ready ]\n\`\`\`\n\n\`\`\`sh name=apply\necho apply >> ran.txt\n[ -e fixed ]\n\`\`\`\n\n\`\`\`sh rollback name=undo\necho undo >> ran.txt\n\`\`\`\n`;

  it("a refused check re-run, then overridden by name; a failed block retried, then rolled back with the operator's confirmation", async () => {
    const session = await open(runbook('faces.md', BOOK));
    const ready = find(session, 'ready');
    expect(await session.runBlock(ready.step, ready.block)).toMatchObject({ status: 'refused', executions: 1 });
    expect(await session.runBlock(ready.step, ready.block)).toMatchObject({ status: 'refused', executions: 2 });
    await session.override('ready', '  the probe is known to be wrong here  ');
    expect(session.state.steps[0]?.blocks[0]).toMatchObject({
      status: 'overridden',
      override: { reason: 'the probe is known to be wrong here' },
    });

    const apply = find(session, 'apply');
    expect(await session.runBlock(apply.step, apply.block)).toMatchObject({ status: 'failed', executions: 1 });
    expect(await session.runBlock(apply.step, apply.block, { by: 'alice', at: new Date().toISOString(), automatic: true })).toMatchObject({
      status: 'failed',
      executions: 2,
    });
    expect(audit(session, 'block-confirmed')).toEqual([expect.objectContaining({ block: 'apply', automatic: true })]);
    const undo = find(session, 'undo');
    expect(await session.runBlock(undo.step, undo.block, { by: 'alice', at: new Date().toISOString() })).toMatchObject({
      id: 'undo',
      status: 'passed',
    });
    expect(audit(session, 'block-confirmed').at(-1)).toMatchObject({ block: 'undo', automatic: false });
    expect(lines('ran.txt')).toEqual(['apply', 'apply', 'undo']);
  });
});
