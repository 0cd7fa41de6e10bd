/**
 * The run as a face drives it, in-process over real files and processes: the run status each
 * kind of next action means, a block's output as it streams, a cancel and a stop (what they
 * return, what they leave in the trail, what is refused after them), and the shell an operator
 * opens from the run (where, and with which variables: never a secret).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { RunSession as Session } from '../../../src/engine/session.js';
import type { VarDecl } from '../../../src/runbook/model.js';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type RunSession, type SessionEvent, runStatusFor } from '../../../src/engine/session.js';
import type { NextAction } from '../../../src/engine/plan.js';
import { blockOf, sessionAudit, useSessionFolder } from '../../support/session.js';
import { waitFor } from '../../support/wait.js';

let dir = '';
const { runbook, open, sessions } = useSessionFolder('wm-core-run-', (made) => {
  dir = made;
});

const SECRET = 'tok-very-secret-123';

function heard(session: RunSession): SessionEvent[] {
  const events: SessionEvent[] = [];
  session.subscribe((event) => events.push(event));
  return events;
}

describe('the run status each next action means', () => {
  it('complete, refused (a refused check or a blocked stage), failed, interrupted, waiting for the operator, running', () => {
    const status = (kind: NextAction['kind']) => runStatusFor({ kind } as NextAction);
    expect(status('complete')).toBe('complete');
    expect(status('refused')).toBe('refused');
    expect(status('blocked')).toBe('refused');
    expect(status('failed')).toBe('failed');
    expect(status('interrupted')).toBe('interrupted');
    expect(status('acknowledge')).toBe('waiting');
    expect(status('checklist')).toBe('waiting');
    expect(status('confirm-step')).toBe('waiting');
    expect(status('approval')).toBe('waiting');
    expect(status('run')).toBe('running');
    expect(status('finish-step')).toBe('running');
  });
});

const LONG = `---\nid: long\nvars:\n  TOKEN:\n    secret: true\n    default: ${SECRET}\n---\n# L\n\n## Work {#work}\n\n\`\`\`sh name=long\necho "started with $TOKEN"\necho $$ > long.pid\n[ -e done ] || sleep 30\n\`\`\`\n\n\`\`\`sh name=after\necho after >> ran.txt\n\`\`\`\n`;

describe('a block in flight', () => {
  it('streams its output masked as it comes, is busy until it ends; a cancel interrupts it, and nothing is running to cancel after', async () => {
    const session = await open(runbook('long.md', LONG));
    const events = heard(session);
    const { step, block } = blockOf(session, 'long');
    expect(session.busy).toBe(false);
    expect(session.cancel()).toBe(false);
    expect(session.executedHere(block)).toBe(false);
    const running = session.runBlock(step, block);
    await waitFor(() => existsSync(join(dir, 'long.pid')), { timeout: 10_000, what: 'the block writing its pid file' });
    expect(session.busy).toBe(true);
    expect(session.executedHere(block)).toBe(true);
    // While it runs, the only answer is to stop: another block is refused.
    expect(session.decisions().choices.map((c) => c.kind)).toEqual(['stop']);
    await expect(session.answer({ kind: 'run' })).rejects.toMatchObject({ exitCode: 2 });
    const output = () => events.flatMap((e) => (e.type === 'output' ? [`${e.block.id}:${e.stream}:${e.chunk.toString()}`] : [])).join('');
    await waitFor(() => output() !== '', { timeout: 10_000, what: 'the block streaming its first line' });
    expect(output()).toBe('long:stdout:started with ••••\n');
    expect(session.cancel()).toBe(true);
    expect(await running).toMatchObject({ id: 'long', status: 'interrupted' });
    await session.idle;
    expect(session.busy).toBe(false);
    expect(session.cancel()).toBe(false);
    expect(session.stopped).toBe(false);
    expect(sessionAudit(session, 'block-interrupted')).toEqual([
      expect.objectContaining({ step: 'work', block: 'long', reason: 'cancelled by the operator or a signal' }),
    ]);
    expect(events.filter((e) => e.type === 'block-finished').map((e) => (e.type === 'block-finished' ? e.state.status : ''))).toEqual([
      'interrupted',
    ]);
    // Not stopped: the interrupted block may be run again.
    expect(session.next()).toMatchObject({ kind: 'interrupted', block: { id: 'long' } });
    expect(session.decisions().choices.map((c) => c.kind)).toContain('rerun');
    // Run again as a face calls it: a second execution of the same block.
    writeFileSync(join(dir, 'done'), '');
    expect(await session.runBlock(step, block)).toMatchObject({ id: 'long', status: 'passed', executions: 2 });
  });

  it('the answer stop cancels the running block and refuses every later answer with exit 130, naming it; nothing more runs', async () => {
    const session = await open(runbook('long.md', LONG));
    const { step, block } = blockOf(session, 'long');
    const running = session.runBlock(step, block);
    await waitFor(() => existsSync(join(dir, 'long.pid')), { timeout: 10_000, what: 'the block writing its pid file' });
    expect(await session.answer({ kind: 'stop' })).toBeNull();
    expect(session.stopped).toBe(true);
    expect(await running).toMatchObject({ status: 'interrupted' });
    await expect(session.answer({ kind: 'rerun' })).rejects.toMatchObject({
      message: 'nothing more starts: the run is stopping (rerun was not done)',
      exitCode: 130,
    });
    await expect(session.runBlock(step, block)).rejects.toMatchObject({ exitCode: 130 });
    expect(sessionAudit(session, 'block-started')).toHaveLength(1);
    expect(existsSync(join(dir, 'ran.txt'))).toBe(false);
    await session.close();
    expect(sessionAudit(session, 'session-closed')).toEqual([expect.objectContaining({ status: 'interrupted' })]);
  });

  it('stop between blocks: no block starts, and the session closes the run waiting', async () => {
    const session = await open(
      runbook(
        'two.md',
        `---\nid: two\n---\n# T\n\n## One {#one}\n\n\`\`\`sh name=one\necho one >> ran.txt\n\`\`\`\n\n\`\`\`sh name=two\necho two >> ran.txt\n\`\`\`\n`,
      ),
    );
    await session.answer({ kind: 'run' });
    session.stop();
    expect(session.stopped).toBe(true);
    await expect(session.answer({ kind: 'run' })).rejects.toMatchObject({ exitCode: 130 });
    expect(readFileSync(join(dir, 'ran.txt'), 'utf8')).toBe('one\n');
    await session.close();
    expect(sessionAudit(session, 'run-paused')).toEqual([expect.objectContaining({ status: 'waiting' })]);
    expect(sessionAudit(session, 'session-closed')).toEqual([expect.objectContaining({ status: 'waiting' })]);
  });
});

describe('the shell an operator opens from the run', () => {
  const BOOK = `---\nid: shell\nvars:\n  TOKEN:\n    secret: true\n    env: WM_TEST_TOKEN\n  TARGET:\n    default: testbed\n  REGION:\n    env: WM_TEST_REGION\n    default: north\n---\n# S\n\n## Count {#count}\n\n\`\`\`sh name=count capture=COUNT\necho 3\n\`\`\`\n\n\`\`\`sh name=derive capture=DERIVED\necho "derived-$TOKEN"\n\`\`\`\n\n## Last {#last}\n\n\`\`\`sh name=last\ntrue\n\`\`\`\n`;

  it("opens in the runbook's folder with the run's plain variables and captures, and no secret under its name or its environment variable", async () => {
    const env = { WM_TEST_TOKEN: SECRET };
    const file = runbook('shell.md', BOOK);
    const session = await open(file, { env });
    const base = {
      PATH: '/usr/bin:/bin',
      HOME: '/home/alice',
      TOKEN: 'left from before',
      WM_TEST_TOKEN: SECRET,
      TARGET: 'from the face',
      WM_TEST_REGION: 'south',
    };
    // A plain variable's environment source stays; the variable itself is the run's value.
    expect(session.shellSetting(base)).toEqual({
      cwd: dir,
      env: { PATH: '/usr/bin:/bin', HOME: '/home/alice', TARGET: 'testbed', WM_TEST_REGION: 'south', REGION: 'north' },
    });
    // The face's own environment is not changed.
    expect(base.TOKEN).toBe('left from before');

    await session.answer({ kind: 'run' });
    await session.answer({ kind: 'run' });
    expect(session.shownValues()).toEqual({
      TOKEN: '••••',
      TARGET: 'testbed',
      REGION: 'north',
      COUNT: '3',
      DERIVED: expect.not.stringContaining(SECRET),
    });
    expect(session.shellSetting({})).toEqual({ cwd: dir, env: { TARGET: 'testbed', REGION: 'north', COUNT: '3' } });
  });
});

describe('what a block runs with', () => {
  it("a foreach step's value, a captured value and the run's variables; the runbook's timeout ends a block that runs past it", async () => {
    const file = runbook(
      'with.md',
      `---\nid: with\ntimeout: 1s\nvars:\n  RELEASE:\n    default: run-wide\n  SITE:\n    default: lab\n---\n# W\n\n## Make {#make}\n\n\`\`\`sh name=make capture=BUILD\necho build-7\n\`\`\`\n\n## Deploy {#deploy foreach=RELEASE:ocata,pike}\n\n\`\`\`sh name=deploy\necho "$RELEASE $SITE $BUILD" >> ran.txt\n\`\`\`\n\n## Hang {#hang}\n\n\`\`\`sh name=hang\nsleep 30\n\`\`\`\n`,
    );
    const session = await open(file);
    for (let i = 0; i < 3; i += 1) expect(await session.answer({ kind: 'run' })).toMatchObject({ status: 'passed' });
    expect(readFileSync(join(dir, 'ran.txt'), 'utf8')).toBe('ocata lab build-7\npike lab build-7\n');
    const hung = await session.answer({ kind: 'run' });
    expect(hung).toMatchObject({ id: 'hang', status: 'failed' });
    expect(hung?.reason).toMatch(/timed out|timeout/);
  });
});

describe('secrets asked for at the start', () => {
  it('the prompt asks only for the secrets nothing gave, and not at all when every one was given', async () => {
    const file = runbook(
      'ask.md',
      `---\nid: ask\nvars:\n  DB_PASSWORD:\n    secret: true\n    env: WM_TEST_DB_PASSWORD\n  API_TOKEN:\n    secret: true\n---\n# A\n\n## One {#one}\n\n\`\`\`sh name=one\necho "$DB_PASSWORD $API_TOKEN" >> ran.txt\n\`\`\`\n`,
    );
    const asked: string[][] = [];
    const askSecrets = async (secrets: VarDecl[]): Promise<Record<string, string>> => {
      asked.push(secrets.map((s) => s.name));
      return Object.fromEntries(secrets.map((s) => [s.name, `typed-${s.name}`]));
    };
    const opened = async (env: NodeJS.ProcessEnv, newRun: boolean) => {
      const session = await Session.open({ runbookFile: file, stateDir: join(dir, 'state'), env, operator: 'alice', askSecrets, newRun });
      sessions.push(session);
      return session;
    };
    const first = await opened({ WM_TEST_DB_PASSWORD: 'from-env' }, false);
    expect(asked).toEqual([['API_TOKEN']]);
    await first.answer({ kind: 'run' });
    expect(readFileSync(join(dir, 'ran.txt'), 'utf8')).toBe('from-env typed-API_TOKEN\n');
    await first.close();

    const second = await opened({ WM_TEST_DB_PASSWORD: 'from-env', API_TOKEN: 'env-token' }, true);
    expect(asked).toEqual([['API_TOKEN']]);
    expect(second.vars.values).toMatchObject({ DB_PASSWORD: 'from-env', API_TOKEN: 'env-token' });
  });
});
