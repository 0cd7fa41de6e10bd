/**
 * What each transition of a run writes, record by record: the audit trail's exact records (every
 * field an auditor reads, secrets masked wherever they appear), the transition each one names,
 * the checkpoint they go with, and what a face hears in between. The chain fields (seq's hash,
 * prev, key, mac, time) are audit.ts's and are left out here.
 */
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunSession as Session, type RunSession, type SessionEvent } from '../../../src/engine/session.js';
import { loadCheckpointSync } from '../../support/workspace.js';
import { type AuditRecord, blockOf, sessionAudit, useSessionFolder } from '../../support/session.js';
import { waitFor } from '../../support/wait.js';

const { runbook, open, sessions } = useSessionFolder('wm-core-records-');

const SECRET = 'tok-very-secret-123';

/** The trail without its chain fields: what each record says, in order. */
function said(session: RunSession): Record<string, unknown>[] {
  return sessionAudit(session).map((record: AuditRecord) => {
    const { ts, prev, key, hash, mac, seq, ...rest } = record;
    return rest;
  });
}

function heard(session: RunSession): SessionEvent[] {
  const events: SessionEvent[] = [];
  session.subscribe((event) => events.push(event));
  return events;
}

/** A face's view of the events: their types, with the block or step they name, output left out. */
function told(events: SessionEvent[]): string[] {
  return events.flatMap((e) => {
    switch (e.type) {
      case 'output':
        return [];
      case 'step-started':
        return [`step-started ${e.step.id} ${e.index}/${e.total}`];
      case 'block-started':
        return [`block-started ${e.block.id}#${e.execution}`];
      case 'block-finished':
        return [`block-finished ${e.block.id} ${e.state.status}`];
      case 'step-finished':
        return [`step-finished ${e.step.id} ${e.state.status}`];
      case 'state':
        return [`state ${e.state.status}`];
      default:
        return [e.type];
    }
  });
}

const ONE = `---\nid: one\nvars:\n  TOKEN:\n    secret: true\n  NOTE:\n    default: none\n---\n# One block\n\n## Rotate ${SECRET} {#rotate}\n\n\`\`\`sh name=rotate\necho "rotating $NOTE"\n\`\`\`\n`;

describe('a run of one block, record by record', () => {
  it('writes the run, step and block records with every field, numbered transitions, the secret masked in a title and a plain variable', async () => {
    const file = runbook('one.md', ONE);
    const session = await open(file, { varFlags: [`TOKEN=${SECRET}`, `NOTE=rotating ${SECRET} today`] });
    const events = heard(session);
    const run = session.state.run;
    const who = { operator: 'alice', host: hostname(), run };
    expect(await session.answer({ kind: 'run' })).toMatchObject({ id: 'rotate', status: 'passed', tail: ['rotating rotating •••• today'] });
    await session.close();

    expect(said(session)).toEqual([
      {
        type: 'run-started',
        ...who,
        runbook: 'one',
        file,
        title: 'One block',
        profile: null,
        // No --inventory: fixed as none (a resume cannot switch its fleet blocks to another inventory).
        inventory: null,
        vars: { TOKEN: '••••', NOTE: 'rotating •••• today' },
        pid: process.pid,
      },
      { type: 'step-started', ...who, step: 'rotate', title: 'Rotate ••••' },
      {
        type: 'block-started',
        ...who,
        step: 'rotate',
        block: 'rotate',
        role: 'run',
        execution: 1,
        log: 'logs/rotate.1.log',
        transition: 1,
      },
      {
        type: 'block-finished',
        ...who,
        step: 'rotate',
        block: 'rotate',
        role: 'run',
        outcome: 'success',
        exitCode: 0,
        reason: 'exit 0',
        attempts: 1,
        transition: 2,
      },
      { type: 'step-finished', ...who, step: 'rotate', transition: 3 },
      { type: 'run-complete', ...who, transition: 4 },
      { type: 'session-closed', ...who, status: 'complete' },
    ]);
    expect(readFileSync(session.paths.audit, 'utf8')).not.toContain(SECRET);

    // The checkpoint knows the trail's last record (the session's closing one), and which journal line it wrote last.
    const checkpoint = loadCheckpointSync(session.paths.dir);
    expect(checkpoint.auditHead?.seq).toBe(7);
    expect(checkpoint.status).toBe('complete');
    expect(checkpoint.steps[0]?.blocks[0]).toMatchObject({ status: 'passed', executions: 1, log: 'logs/rotate.1.log', exitCode: 0 });
    expect(Number.isInteger(checkpoint.steps[0]?.blocks[0]?.durationMs)).toBe(true);

    // What a face hears: each transition's new state, after the event it goes with.
    expect(told(events)).toEqual([
      'step-started rotate 0/1',
      'state running',
      'block-started rotate#1',
      'state running',
      'block-finished rotate passed',
      'state running',
      'step-finished rotate passed',
      'state complete',
    ]);
  });

  it('a block that fails: its outcome, exit code and reason in the trail; the session closes the run failed, and a resume says so', async () => {
    const file = runbook(
      'fail.md',
      `---\nid: fail\nvars:\n  TOKEN:\n    secret: true\n    default: ${SECRET}\n---\n# F\n\n## Break {#break}\n\n\`\`\`sh name=break\necho "no luck with $TOKEN" >&2\nexit 4\n\`\`\`\n`,
    );
    const session = await open(file);
    const run = session.state.run;
    const who = { operator: 'alice', host: hostname(), run };
    expect(await session.answer({ kind: 'run' })).toMatchObject({ status: 'failed', exitCode: 4, tail: ['no luck with ••••'] });
    await session.close();
    expect(said(session).slice(1)).toEqual([
      { type: 'step-started', ...who, step: 'break', title: 'Break' },
      { type: 'block-started', ...who, step: 'break', block: 'break', role: 'run', execution: 1, log: 'logs/break.1.log', transition: 1 },
      {
        type: 'block-finished',
        ...who,
        step: 'break',
        block: 'break',
        role: 'run',
        outcome: 'failure',
        exitCode: 4,
        reason: 'exit 4, expected 0',
        attempts: 1,
        transition: 2,
      },
      { type: 'run-paused', ...who, status: 'failed', transition: 3 },
      { type: 'session-closed', ...who, status: 'failed' },
    ]);
    expect(loadCheckpointSync(session.paths.dir)).toMatchObject({ status: 'failed', auditHead: { seq: 6 } });

    const resumed = await open(file, { operator: 'bob' });
    expect(resumed.resumed).toBe(true);
    expect(resumed.state.status).toBe('running');
    expect(said(resumed).at(-1)).toEqual({ type: 'run-resumed', operator: 'bob', host: hostname(), run, profile: null, pid: process.pid });
    expect(resumed.next()).toMatchObject({ kind: 'failed', block: { id: 'break' } });
  });
});

describe('decisions as they are recorded', () => {
  const BOOK = `---\nid: decide\nvars:\n  TOKEN:\n    secret: true\n    default: ${SECRET}\n---\n# D\n\n## Prose {#prose}\n\nLook at the dashboard.\n\n## Gate {#gate}\n\n\`\`\`sh check override=allowed name=probe\nexit 1\n\`\`\`\n\n\`\`\`sh confirm name=apply\necho "apply $TOKEN"\n\`\`\`\n`;

  it('a confirmation without automatic carries none; an override reason has the secret masked, in the state and the trail', async () => {
    const session = await open(runbook('decide.md', BOOK));
    const run = session.state.run;
    const who = { operator: 'alice', host: hostname(), run };
    await session.confirmStep('prose');
    expect(Object.keys(session.state.steps[0]?.confirmed ?? {}).sort()).toEqual(['at', 'by']);
    expect(said(session).filter((r) => r.type === 'step-confirmed')).toEqual([
      { type: 'step-confirmed', ...who, step: 'prose', automatic: false, transition: 1 },
    ]);

    await session.answer({ kind: 'run' });
    await session.answer({ kind: 'rerun' });
    await session.override('probe', `  the probe logs in with ${SECRET}, which is rotated  `);
    expect(session.state.steps[1]?.blocks[0]?.override).toEqual({
      by: 'alice',
      at: expect.any(String),
      reason: 'the probe logs in with ••••, which is rotated',
    });
    expect(said(session).filter((r) => r.type === 'check-overridden')).toEqual([
      {
        type: 'check-overridden',
        ...who,
        step: 'gate',
        block: 'probe',
        reason: 'the probe logs in with ••••, which is rotated',
        transition: expect.any(Number),
      },
    ]);

    // The command a confirmation shows names the variable; the record says who confirmed it, not automatically.
    expect(session.describeBlock(session.runbook.steps[1]!.blocks[1]!)).toBe('echo "apply $TOKEN"');
    expect(session.decisions().command).toBe('echo "apply $TOKEN"');
    expect(session.mask(`key ${SECRET}.`)).toBe('key ••••.');
    await session.answer({ kind: 'confirm-run' });
    expect(said(session).filter((r) => r.type === 'block-confirmed')).toEqual([
      {
        type: 'block-confirmed',
        ...who,
        step: 'gate',
        block: 'apply',
        by: 'alice',
        automatic: false,
        command: 'echo "apply $TOKEN"',
        program: 'bash -e -o pipefail -c <code>',
      },
    ]);
    const apply = session.state.steps[1]?.blocks[1];
    expect(apply?.status).toBe('passed');
    expect(apply?.tail).toEqual(['apply ••••']);
    const checkpoint = readFileSync(session.paths.checkpoint, 'utf8');
    expect(checkpoint).not.toContain(SECRET);
    expect(readFileSync(session.paths.audit, 'utf8')).not.toContain(SECRET);
  });
});

describe('a shell opened from the run', () => {
  it('is recorded with when it opened, for how long (whole ms) and where; refused once the session is closed or the run is complete', async () => {
    const file = runbook('shell.md', `---\nid: shell\n---\n# S\n\n## One {#one}\n\n\`\`\`sh name=one\ntrue\n\`\`\`\n`);
    const session = await open(file);
    const run = session.state.run;
    await session.recordShell(new Date('2026-12-06T10:00:00.000Z'), 1234.6);
    expect(said(session).at(-1)).toEqual({
      type: 'shell-opened',
      operator: 'alice',
      host: hostname(),
      run,
      startedAt: '2026-12-06T10:00:00.000Z',
      durationMs: 1235,
      cwd: join(file, '..'),
    });
    await session.answer({ kind: 'run' });
    await session.close();
    await expect(session.recordShell(new Date(), 10)).rejects.toMatchObject({ message: 'this session is closed', exitCode: 2 });

    // The run is complete: opened again, the session holds it and writes nothing, a shell's record neither.
    const finished = await open(file);
    expect(finished.finished).toBe(true);
    const trail = readFileSync(finished.paths.audit, 'utf8');
    await expect(finished.recordShell(new Date(), 10)).rejects.toMatchObject({ message: finished.finishedNotice(), exitCode: 2 });
    expect(readFileSync(finished.paths.audit, 'utf8')).toBe(trail);
  });
});

describe('a secret capture lost between sessions', () => {
  it('records capture-lost with its message and sets the block back to pending with its hash, before anything runs', async () => {
    const file = runbook(
      'cap.md',
      `---\nid: cap\nvars:\n  TOKEN:\n    secret: true\n    default: ${SECRET}\n---\n# C\n\n## Make {#make}\n\n\`\`\`sh name=make capture=KEY\necho "key-material-$TOKEN"\n\`\`\`\n\n## Use {#use}\n\n\`\`\`sh name=use\ntest -n "$KEY"\n\`\`\`\n`,
    );
    const first = await open(file);
    expect(await first.answer({ kind: 'run' })).toMatchObject({ status: 'passed' });
    const hash = first.state.steps[0]?.blocks[0]?.hash;
    await first.close();
    const resumed = await open(file);
    const message =
      'secret capture KEY of block make is not kept between sessions (a secret never reaches disk in clear): block make runs again to capture it';
    expect(resumed.notices).toContain(message);
    const lost = said(resumed).filter((r) => r.type === 'capture-lost');
    expect(lost).toEqual([
      {
        type: 'capture-lost',
        operator: 'alice',
        host: hostname(),
        run: resumed.state.run,
        step: 'make',
        block: 'make',
        name: 'KEY',
        message,
        transition: expect.any(Number),
      },
    ]);
    expect(resumed.state.steps[0]?.blocks[0]).toMatchObject({ status: 'pending', hash });
    expect(resumed.next()).toMatchObject({ kind: 'run', block: { id: 'make' } });
    expect(readFileSync(join(resumed.paths.dir, 'audit.jsonl'), 'utf8')).not.toContain(SECRET);
  });
});

describe('a lock left by a session that died', () => {
  const BOOK = `---\nid: locked\n---\n# L\n\n## One {#one}\n\n\`\`\`sh name=one\necho one >> ran.txt\n\`\`\`\n\n## Two {#two}\n\n\`\`\`sh name=two\necho two >> ran.txt\n\`\`\`\n`;
  const lockFile = (dir: string) => join(dir, 'state', 'locked', 'lock.json');

  it('is taken over, told, and recorded: before the resume record on a resume, after the start record in a new run', async () => {
    const file = runbook('locked.md', BOOK);
    const first = await open(file);
    await first.answer({ kind: 'run' });
    await first.close();
    const folder = join(file, '..');
    writeFileSync(lockFile(folder), 'not a lock');

    const resumed = await open(file);
    const records = said(resumed);
    const taken = records.filter((r) => r.type === 'lock-taken-over');
    expect(taken).toHaveLength(1);
    const notice = taken[0]?.notice;
    expect(notice).toEqual(expect.any(String));
    expect(resumed.notices).toContain(notice);
    expect(taken[0]).toEqual({ type: 'lock-taken-over', operator: 'alice', host: hostname(), run: resumed.state.run, notice });
    expect(records.slice(-2).map((r) => r.type)).toEqual(['lock-taken-over', 'run-resumed']);
    await resumed.close();

    writeFileSync(lockFile(folder), 'not a lock');
    const fresh = await open(file, { newRun: true });
    expect(fresh.state.run).not.toBe(first.state.run);
    expect(said(fresh).map((r) => r.type)).toEqual(['run-started', 'lock-taken-over']);
    expect(fresh.notices).toContain(said(fresh)[1]?.notice);
  });
});

describe('what a resume writes before anything runs', () => {
  it('the checkpoint says running again and knows the resume record; the execution confirmed keeps who confirmed it', async () => {
    const file = runbook(
      'resume.md',
      `---\nid: resume\n---\n# R\n\n## One {#one}\n\n\`\`\`sh confirm name=one\nexit 1\n\`\`\`\n\n\`\`\`sh name=two\ntrue\n\`\`\`\n`,
    );
    const first = await open(file);
    await first.answer({ kind: 'confirm-run', automatic: true });
    expect(first.state.steps[0]?.blocks[0]?.history?.at(-1)?.confirmed).toEqual({ by: 'alice', at: expect.any(String), automatic: true });
    await first.close();
    expect(loadCheckpointSync(first.paths.dir).status).toBe('failed');

    const resumed = await open(file);
    const onDisk = loadCheckpointSync(resumed.paths.dir);
    expect(onDisk.status).toBe('running');
    expect(onDisk.auditHead?.seq).toBe(sessionAudit(resumed).at(-1)?.seq);
    expect(sessionAudit(resumed).at(-1)?.type).toBe('run-resumed');
  });

  it('a block that was running when its session died is found interrupted: told, recorded, and waits for a decision', async () => {
    const file = runbook(
      'died.md',
      `---\nid: died\n---\n# D\n\n## Work {#work}\n\n\`\`\`sh name=long\necho $$ > long.pid\nsleep 30\n\`\`\`\n`,
    );
    const first = await open(file);
    const { step, block } = blockOf(first, 'long');
    const running = first.runBlock(step, block);
    const folder = join(file, '..');
    await waitFor(() => existsSync(join(folder, 'long.pid')), { timeout: 10_000, what: 'the block writing its pid file' });
    // The run's folder as a session that died here would have left it: the block started, nothing after.
    const died = join(folder, 'died-copy');
    cpSync(first.paths.dir, died, { recursive: true });
    first.cancel();
    await running;
    await first.close();
    rmSync(first.paths.dir, { recursive: true });
    cpSync(died, first.paths.dir, { recursive: true });

    const resumed = await open(file);
    const found = said(resumed).filter((r) => r.type === 'interrupted-found');
    expect(found).toEqual([
      {
        type: 'interrupted-found',
        operator: 'alice',
        host: hostname(),
        run: first.state.run,
        kind: 'interrupted',
        step: 'work',
        block: 'long',
        message: expect.stringContaining('long'),
      },
    ]);
    expect(resumed.notices).toContain(found[0]?.message);
    expect(said(resumed).filter((r) => r.type === 'drift')).toEqual([]);
    expect(resumed.state.steps[0]?.blocks[0]?.status).toBe('interrupted');
    expect(resumed.next()).toMatchObject({ kind: 'interrupted', block: { id: 'long' } });
    expect(loadCheckpointSync(resumed.paths.dir).steps[0]?.blocks[0]?.status).toBe('interrupted');
  });

  it('a run that current.json names but that was abandoned is not resumed: a new run starts, and the old one is left as it was', async () => {
    const file = runbook('gone.md', `---\nid: gone\n---\n# G\n\n## One {#one}\n\n\`\`\`sh name=one\necho one >> ran.txt\n\`\`\`\n`);
    const first = await open(file);
    await first.close();
    const second = await open(file, { newRun: true });
    await second.close();
    const current = join(file, '..', 'state', 'gone', 'current.json');
    writeFileSync(current, JSON.stringify({ runId: first.state.run }));
    const trail = readFileSync(first.paths.audit, 'utf8');

    const third = await open(file);
    expect(third.resumed).toBe(false);
    expect(third.state.run).not.toBe(first.state.run);
    expect(third.state.run).not.toBe(second.state.run);
    expect(said(third).map((r) => r.type)).toEqual(['run-started']);
    expect(readFileSync(first.paths.audit, 'utf8')).toBe(trail);
    expect(loadCheckpointSync(first.paths.dir).status).toBe('abandoned');
  });
});

describe('a long run keeps its checkpoint snapshot fresh', () => {
  it('after 200 transitions the snapshot is rewritten while the session is open, so a resume does not replay them all', async () => {
    const session = await open(
      runbook('many.md', `---\nid: many\n---\n# M\n\n## List {#list}\n\n- [ ] the first thing\n- [ ] the second thing\n`),
    );
    const item = session.runbook.steps[0]!.checklist[0]!.id;
    const snapshotSeq = () => (JSON.parse(readFileSync(session.paths.checkpoint, 'utf8')) as { journalSeq?: number }).journalSeq ?? 0;
    for (let i = 0; i < 99; i += 1) {
      await session.tick('list', item);
      await session.tick('list', item, { ticked: false });
    }
    expect(snapshotSeq()).toBe(0);
    await session.tick('list', item);
    await session.tick('list', item, { ticked: false });
    expect(snapshotSeq()).toBe(200);
    expect(loadCheckpointSync(session.paths.dir).steps[0]?.ticked).toEqual({});
  });
});

describe('the baseline a new run starts with', () => {
  it("is recorded with the rehearsal's figures as lists, as they were given", async () => {
    const file = runbook('base.md', `---\nid: base\n---\n# B\n\n## One {#one}\n\n\`\`\`sh name=one\necho one\n\`\`\`\n`);
    const rehearsal = await open(file);
    await rehearsal.answer({ kind: 'run' });
    await rehearsal.close();
    const session = await Session.open({
      runbookFile: file,
      stateDir: join(file, '..', 'state'),
      env: {},
      operator: 'alice',
      newRun: true,
      baseline: rehearsal.state.run,
    });
    sessions.push(session);
    const chosen = said(session).filter((r) => r.type === 'baseline-chosen');
    expect(chosen).toHaveLength(1);
    expect(chosen[0]).toMatchObject({ rehearsal: rehearsal.state.run, from: 'run', blocks: 1, warnings: [] });
    const kept = chosen[0]?.baseline as { run: string; blocks: unknown[] };
    expect(Array.isArray(kept.blocks)).toBe(true);
    expect(kept.blocks).toHaveLength(1);
    expect(kept.blocks).toEqual(session.state.baseline?.blocks);
  });
});
