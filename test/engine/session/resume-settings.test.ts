/**
 * How a session starts over a run already on disk, in-process: a resume keeps the run's own
 * settings and refuses other ones (a --var, a secret's value) before it writes anything; a run
 * whose current.json went missing is not silently started over; --new-run archives the old run;
 * and the status a session leaves the run in when it closes says where the run waits.
 */
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunSession } from '../../../src/engine/session.js';
import { loadCheckpointSync } from '../../support/workspace.js';
import { sessionAudit as audit, useSessionFolder } from '../../support/session.js';
import type { VarDecl } from '../../../src/runbook/model.js';

let dir = '';
const { sessions, runbook, open } = useSessionFolder('wm-resume-', (made) => {
  dir = made;
});

const SETTINGS = `---\nid: settings\nvars:\n  TARGET:\n    required: true\n  DB_PASSWORD:\n    secret: true\n    env: WM_TEST_DB_PASSWORD\n---\n# S\n\n## One {#one}\n\n\`\`\`sh name=one\necho "one $TARGET" >> ran.txt\n\`\`\`\n\n## Two {#two}\n\n\`\`\`sh name=two\necho "two $TARGET" >> ran.txt\n\`\`\`\n`;

describe('a resume keeps the settings the run started with', () => {
  it('refuses another --var or another secret, naming it, and writes nothing; without them the run goes on with its own', async () => {
    const file = runbook('settings.md', SETTINGS);
    const env = { WM_TEST_DB_PASSWORD: 'testbed-db-pass' };
    const first = await open(file, { varFlags: ['TARGET=testbed'], env });
    await first.answer({ kind: 'run' });
    const run = first.state.run;
    await first.close();
    const trail = readFileSync(first.paths.audit, 'utf8');

    const otherVar = open(file, { varFlags: ['TARGET=production'], env });
    await expect(otherVar).rejects.toThrow(`run ${run} was started with other settings, and a run's settings are fixed at its start:`);
    await expect(otherVar).rejects.toThrow(/TARGET/);
    await expect(otherVar).rejects.toThrow("resume without them to go on with the run's own settings, or start a new run with --new-run");
    await expect(otherVar).rejects.toMatchObject({ exitCode: 2 });

    const otherSecret = open(file, { env: { WM_TEST_DB_PASSWORD: 'production-db-pass' } });
    await expect(otherSecret).rejects.toThrow(
      [
        `run ${run} was started with other settings, and a run's settings are fixed at its start:`,
        '  secret DB_PASSWORD: its value is not the one the run started with',
        'resume with the secrets the run started with, or start a new run with --new-run',
      ].join('\n'),
    );
    await expect(otherSecret).rejects.toMatchObject({ exitCode: 2 });
    expect(readFileSync(first.paths.audit, 'utf8')).toBe(trail);

    const resumed = await open(file, { env });
    expect(resumed.state.run).toBe(run);
    expect(await resumed.answer({ kind: 'run' })).toMatchObject({ id: 'two', status: 'passed' });
    expect(readFileSync(join(dir, 'ran.txt'), 'utf8')).toBe('one testbed\ntwo testbed\n');
  });
});

describe('settings a run starts with', () => {
  const PROFILES = `---\nid: profiles\nvars:\n  TARGET:\n    required: true\n  DB_PASSWORD:\n    secret: true\nprofiles:\n  testbed:\n    TARGET: testbed\n---\n# P\n\n## One {#one}\n\n\`\`\`sh name=one\necho "one $TARGET" >> ran.txt\n\`\`\`\n\n## Two {#two}\n\n\`\`\`sh name=two\necho "two $TARGET $DB_PASSWORD" >> ran.txt\n\`\`\`\n`;

  it('a profile chosen at the start is kept by the resume; a secret nobody gave is asked for; a required variable missing is refused, naming it', async () => {
    const file = runbook('profiles.md', PROFILES);
    const missing = open(file, { varFlags: ['DB_PASSWORD=pw-given-1'] });
    await expect(missing).rejects.toThrow(/TARGET/);
    await expect(missing).rejects.toMatchObject({ exitCode: 2 });

    const asked: string[][] = [];
    const askSecrets = async (secrets: VarDecl[]): Promise<Record<string, string>> => {
      const list = secrets.map((secret) => secret.name);
      asked.push(list);
      return Object.fromEntries(list.map((name) => [name, 'typed-pass-1']));
    };
    const first = await RunSession.open({
      runbookFile: file,
      stateDir: join(dir, 'state'),
      env: {},
      operator: 'alice',
      profile: 'testbed',
      askSecrets,
    });
    sessions.push(first);
    expect(asked).toEqual([['DB_PASSWORD']]);
    expect(first.state.profile).toBe('testbed');
    await first.answer({ kind: 'run' });
    await first.close();

    const resumed = await RunSession.open({ runbookFile: file, stateDir: join(dir, 'state'), env: {}, operator: 'alice', askSecrets });
    sessions.push(resumed);
    expect(resumed.state.run).toBe(first.state.run);
    expect(audit(resumed, 'run-resumed')).toEqual([expect.objectContaining({ profile: 'testbed' })]);
    await resumed.answer({ kind: 'run' });
    expect(readFileSync(join(dir, 'ran.txt'), 'utf8')).toBe('one testbed\ntwo testbed typed-pass-1\n');
  });

  it('a run started without a profile resumes without one', async () => {
    const file = runbook('profiles.md', PROFILES);
    const first = await open(file, { varFlags: ['TARGET=plain', 'DB_PASSWORD=pw-given-1'] });
    expect(first.state.profile).toBeNull();
    await first.answer({ kind: 'run' });
    await first.close();
    const resumed = await open(file, { varFlags: ['DB_PASSWORD=pw-given-1'] });
    expect(resumed.state.profile).toBeNull();
    await resumed.answer({ kind: 'run' });
    expect(readFileSync(join(dir, 'ran.txt'), 'utf8')).toBe('one plain\ntwo plain pw-given-1\n');
  });

  it('a block changed between sessions is told and recorded as drift when the run resumes', async () => {
    const file = runbook(
      'left.md',
      `---\nid: drift\n---\n# D\n\n## One {#one}\n\n\`\`\`sh name=one\necho one >> ran.txt\n\`\`\`\n\n## Two {#two}\n\n\`\`\`sh name=two\necho two >> ran.txt\n\`\`\`\n`,
    );
    const first = await open(file);
    await first.answer({ kind: 'run' });
    await first.close();
    writeFileSync(file, readFileSync(file, 'utf8').replace('echo one >> ran.txt', 'echo ONE >> ran.txt'));
    const resumed = await open(file);
    const drift = audit(resumed, 'drift');
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatchObject({ block: 'one' });
    expect(resumed.notices).toContain(drift[0]?.message);
    expect(audit(resumed, 'interrupted-found')).toEqual([]);
  });
});

describe('a run that did not end', () => {
  const BOOK = `---\nid: left\n---\n# L\n\n## One {#one}\n\n\`\`\`sh name=one\necho one >> ran.txt\n\`\`\`\n\n## Two {#two}\n\n\`\`\`sh name=two\necho two >> ran.txt\n\`\`\`\n`;

  it('is not started over when current.json is missing: the error says how to restore it or to add --new-run', async () => {
    const file = runbook('left.md', BOOK);
    const first = await open(file);
    await first.answer({ kind: 'run' });
    const run = first.state.run;
    await first.close();
    const current = join(dir, 'state', 'left', 'current.json');
    expect(JSON.parse(readFileSync(current, 'utf8'))).toMatchObject({ runId: run });
    unlinkSync(current);

    const refused = open(file);
    await expect(refused).rejects.toThrow(
      `run ${run} of ${file} did not end, but ${current} does not name it (it is missing); nothing was run. To resume it, restore that file: echo '{"runId":"${run}"}' > ${current}; to leave it unfinished and start a new run, add --new-run`,
    );
    await expect(refused).rejects.toMatchObject({ exitCode: 2 });
    expect(readFileSync(join(dir, 'ran.txt'), 'utf8')).toBe('one\n');

    const fresh = await open(file, { newRun: true });
    expect(fresh.state.run).not.toBe(run);
    expect(fresh.next()).toMatchObject({ kind: 'run', block: { id: 'one' } });
  });

  it('--new-run after a complete run starts another and leaves the complete one as it was; --new-run does not hold a changed secret against the old run', async () => {
    const file = runbook('settings.md', SETTINGS);
    const first = await open(file, { varFlags: ['TARGET=testbed'], env: { WM_TEST_DB_PASSWORD: 'first-db-pass' } });
    await first.answer({ kind: 'run' });
    await first.answer({ kind: 'run' });
    expect(first.state.status).toBe('complete');
    await first.close();
    const trail = readFileSync(first.paths.audit, 'utf8');
    const second = await open(file, { varFlags: ['TARGET=testbed'], env: { WM_TEST_DB_PASSWORD: 'other-db-pass' }, newRun: true });
    expect(second.state.run).not.toBe(first.state.run);
    expect(second.notices.filter((n) => n.includes('archived'))).toEqual([]);
    expect(readFileSync(first.paths.audit, 'utf8')).toBe(trail);
    expect((loadCheckpointSync(first.paths.dir) as { status: string }).status).toBe('complete');
    await second.answer({ kind: 'run' });
    await second.close();

    // Unfinished, with another secret: --new-run archives it instead of refusing.
    const third = await open(file, { varFlags: ['TARGET=testbed'], env: { WM_TEST_DB_PASSWORD: 'third-db-pass' }, newRun: true });
    expect(third.notices).toContain(`run ${second.state.run} (unfinished) was archived; starting a new run`);
    expect(third.next()).toMatchObject({ kind: 'run', block: { id: 'one' } });
  });

  it('--new-run leaves the old run abandoned, its trail saying why', async () => {
    const file = runbook('left.md', BOOK);
    const first = await open(file);
    await first.answer({ kind: 'run' });
    await first.close();
    const fresh = await open(file, { newRun: true });
    expect(fresh.state.run).not.toBe(first.state.run);
    expect((loadCheckpointSync(first.paths.dir) as { status: string }).status).toBe('abandoned');
    expect(audit(first, 'run-abandoned')).toEqual([expect.objectContaining({ reason: 'a new run was started with --new-run' })]);
    expect(audit(fresh, 'run-abandoned')).toEqual([]);
  });
});

describe('the status a closed session leaves the run in', () => {
  async function closedAt(text: string, answers: Parameters<RunSession['answer']>[0][]): Promise<string> {
    const file = runbook(`book-${sessions.length}.md`, text);
    const session = await open(file, { newRun: true });
    for (const answer of answers) await session.answer(answer);
    await session.close();
    const closed = audit(session, 'session-closed').at(-1);
    expect((loadCheckpointSync(session.paths.dir) as { status: string }).status).toBe(closed?.status);
    // The status changes only when the run was not already there (a complete run stays complete).
    const paused = audit(session, 'run-paused');
    expect(paused).toEqual(closed?.status === 'complete' ? [] : [expect.objectContaining({ status: closed?.status })]);
    return String(closed?.status);
  }
  const sh = (attrs: string, body: string) => `\`\`\`sh ${attrs}\n${body}\n\`\`\`\n`;

  it('failed, refused, waiting for an answer, waiting to go on, complete', async () => {
    expect(await closedAt(`---\nid: f\n---\n# F\n\n## A {#a}\n\n${sh('name=a', 'exit 1')}`, [{ kind: 'run' }])).toBe('failed');
    expect(
      await closedAt(`---\nid: r\n---\n# R\n\n## A {#a}\n\n${sh('check name=a', 'exit 1')}\n${sh('name=b', 'true')}`, [{ kind: 'run' }]),
    ).toBe('refused');
    expect(await closedAt(`---\nid: w\n---\n# W\n\n## A {#a}\n\n${sh('check codes=oslo name=a', 'exit 1')}`, [{ kind: 'run' }])).toBe(
      'waiting',
    );
    expect(await closedAt(`---\nid: c\n---\n# C\n\n## A {#a}\n\n- [ ] done by hand\n`, [])).toBe('waiting');
    expect(await closedAt(`---\nid: p\n---\n# P\n\n## A {#a}\n\nRead this.\n`, [])).toBe('waiting');
    expect(
      await closedAt(`---\nid: g\n---\n# G\n\n## A {#a}\n\n${sh('name=a', 'true')}\n## B {#b}\n\n${sh('name=b', 'true')}`, [
        { kind: 'run' },
      ]),
    ).toBe('waiting');
    expect(await closedAt(`---\nid: d\n---\n# D\n\n## A {#a}\n\n${sh('name=a', 'true')}`, [{ kind: 'run' }])).toBe('complete');
  });
});
