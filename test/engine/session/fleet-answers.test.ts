/**
 * A fleet block (docs/fleet.md) between and after its batches, as the session runs it over the
 * real ansible-playbook (local hosts): a `pause=confirm` block waiting for each next batch, a block
 * cancelled mid-batch with its hosts in flight interrupted, then `check-hosts` on those hosts and
 * `retry-hosts` on unreachable ones; a fleet block with no inventory; secrets kept out of Ansible's
 * own output; and a fleet block's hosts judged against a `--baseline` rehearsal. In-process, so
 * that a mutation of session.ts's fleet code is caught here and not only by test/e2e.
 */
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunSession } from '../../../src/engine/session.js';
import { blockOf, sessionAudit, useSessionFolder } from '../../support/session.js';
import { waitFor } from '../../support/wait.js';

const folder = useSessionFolder('wm-fleet-answers-');
const { runbook, open } = folder;

const LOCAL = ['cmp-1 ansible_connection=local', 'cmp-2 ansible_connection=local', 'cmp-3 ansible_connection=local'];
// Nothing listens there: Ansible reports it unreachable at once.
const UNREACHABLE = 'cmp-9 ansible_host=127.0.0.254 ansible_port=1 ansible_ssh_common_args="-o ConnectTimeout=2"';

function inventory(hosts: string[] = LOCAL): void {
  writeFileSync(join(folder.dir, 'inventory.ini'), ['[computes]', ...hosts, ''].join('\n'));
}

/** A one-step runbook over inventory.ini (unless `front` says otherwise); `$DIR` is the test's folder, `vars` more variables. */
function fleetBook(blocks: string, front: string[] = ['inventory: inventory.ini'], vars: string[] = []): string {
  return runbook(
    'fleet.md',
    [
      '---',
      'id: fleet',
      ...front,
      'vars:',
      `  DIR: ${folder.dir}`,
      ...vars,
      '---',
      '# Fleet',
      '',
      '## Computes {#computes}',
      '',
      blocks,
      '',
    ].join('\n'),
  );
}

const lines = (name: string): string[] =>
  existsSync(join(folder.dir, name))
    ? readFileSync(join(folder.dir, name), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];

const told = (): Record<string, unknown>[] => lines('events.jsonl').map((l) => JSON.parse(l) as Record<string, unknown>);

const hostsOf = (session: RunSession, id: string): [string, string][] =>
  (session.state.steps.flatMap((s) => s.blocks).find((b) => b.id === id)?.hosts ?? []).map((h) => [h.host, h.status]);

describe('a pause=confirm fleet block', () => {
  it('pauses after each batch with batches left, tells the wait once per pause, and runs the next batch once confirmed', async () => {
    inventory();
    const file = fleetBook(
      ['```sh name=upgrade hosts=computes batch=1 pause=confirm', 'echo "$WAYMARK_HOST" >> "$DIR/ran.txt"', '```'].join('\n'),
      ['inventory: inventory.ini', "notify: 'cat >> events.jsonl'"],
    );
    const session = await open(file);
    const { step, block } = blockOf(session, 'upgrade');
    const first = await session.runBlock(step, block);
    // The canary alone, then the block waits: paused, not finished.
    expect(first.status).toBe('paused');
    expect(lines('ran.txt')).toEqual(['cmp-1']);
    expect(hostsOf(session, 'upgrade')).toEqual([
      ['cmp-1', 'ok'],
      ['cmp-2', 'pending'],
      ['cmp-3', 'pending'],
    ]);
    expect(sessionAudit(session, 'block-paused')).toEqual([expect.objectContaining({ step: 'computes', block: 'upgrade' })]);
    expect(sessionAudit(session, 'block-finished')).toEqual([]);
    const paused = session.decisions();
    expect(paused.summary).toBe('fleet block upgrade paused between batches (batch 1/3 ended: 1 ok); batch 2/3 waits for a confirmation');
    expect(paused.choices.map((c) => c.kind)).toContain('confirm-run');

    // Confirmed: the second batch runs (the block starts again), and pauses again before the third.
    expect(await session.answer({ kind: 'confirm-run' })).toMatchObject({ status: 'paused' });
    expect(lines('ran.txt')).toEqual(['cmp-1', 'cmp-2']);
    expect(sessionAudit(session, 'block-confirmed')).toEqual([expect.objectContaining({ block: 'upgrade', by: 'alice' })]);
    expect(sessionAudit(session, 'block-paused')).toHaveLength(2);
    // Quitting at the pause: the run waits, and the wait was already told.
    await session.close();
    expect(sessionAudit(session, 'run-paused').at(-1)).toMatchObject({ status: 'waiting' });

    const again = await open(file);
    expect(await again.answer({ kind: 'confirm-run' })).toMatchObject({ status: 'passed' });
    expect(lines('ran.txt')).toEqual(['cmp-1', 'cmp-2', 'cmp-3']);
    await again.close();
    // One wait per pause (a block ran between them); the run's own wait at quitting is not told again.
    const events = told();
    expect(events.filter((e) => e.event === 'waiting').map((e) => [e.step, e.block])).toEqual([
      ['computes', 'upgrade'],
      ['computes', 'upgrade'],
    ]);
    expect(events.map((e) => e.event)).toEqual([
      'batch-finished',
      'waiting',
      'batch-finished',
      'waiting',
      'batch-finished',
      'run-complete',
    ]);
  }, 90_000);
});

describe('a fleet block cancelled mid-batch', () => {
  const BLOCKS = [
    '```sh check name=ready hosts=computes',
    'echo "$WAYMARK_HOST" >> "$DIR/checked.txt"',
    '[ ! -e "$DIR/broken-$WAYMARK_HOST" ]',
    '```',
    '',
    '```sh check name=ready-again hosts=computes',
    'echo "$WAYMARK_HOST" >> "$DIR/checked-again.txt"',
    '```',
    '',
    '```sh name=upgrade hosts=computes batch=1,2',
    'if [ "$WAYMARK_HOST" != cmp-1 ] && [ ! -e "$DIR/quick" ]; then echo $$ > "$DIR/$WAYMARK_HOST.pid"; sleep 60; fi',
    'echo "$WAYMARK_HOST" >> "$DIR/ran.txt"',
    '```',
  ].join('\n');

  it('interrupts the hosts in flight, runs the step checks on them alone, and re-runs only them', async () => {
    inventory();
    const file = fleetBook(BLOCKS);
    const session = await open(file);
    for (const id of ['ready', 'ready-again']) {
      const { step, block } = blockOf(session, id);
      expect(await session.runBlock(step, block)).toMatchObject({ status: 'passed' });
    }
    expect(lines('checked.txt').sort()).toEqual(['cmp-1', 'cmp-2', 'cmp-3']);

    const { step, block } = blockOf(session, 'upgrade');
    const running = session.runBlock(step, block);
    await waitFor(() => existsSync(join(folder.dir, 'cmp-2.pid')) && existsSync(join(folder.dir, 'cmp-3.pid')), {
      timeout: 60_000,
      what: 'the second batch sleeping on cmp-2 and cmp-3',
    });
    expect(session.cancel()).toBe(true);
    expect(await running).toMatchObject({ status: 'interrupted' });
    expect(hostsOf(session, 'upgrade')).toEqual([
      ['cmp-1', 'ok'],
      ['cmp-2', 'interrupted'],
      ['cmp-3', 'interrupted'],
    ]);
    expect(lines('ran.txt')).toEqual(['cmp-1']);
    expect(sessionAudit(session, 'block-interrupted')).toEqual([
      expect.objectContaining({
        step: 'computes',
        block: 'upgrade',
        reason: 'cancelled by the operator or a signal; the hosts in flight are interrupted',
      }),
    ]);
    expect(sessionAudit(session, 'block-finished').map((r) => r.block)).toEqual(['ready', 'ready-again']);
    expect(session.decisions().choices.map((c) => c.kind)).toContain('check-hosts');

    // The checks on the two interrupted hosts alone, each check in turn; both pass, and the block
    // still waits for the operator's decision.
    const checked = await session.answer({ kind: 'check-hosts' });
    expect(checked).toMatchObject({ id: 'ready-again', status: 'passed' });
    expect(sessionAudit(session, 'hosts-checked')).toEqual([
      expect.objectContaining({ step: 'computes', block: 'upgrade', targets: ['cmp-2', 'cmp-3'] }),
    ]);
    expect(lines('checked.txt').slice(3).sort()).toEqual(['cmp-2', 'cmp-3']);
    expect(lines('checked-again.txt').slice(3).sort()).toEqual(['cmp-2', 'cmp-3']);
    expect(
      sessionAudit(session, 'block-started')
        .filter((r) => r.hosts !== undefined)
        .map((r) => [r.block, r.hosts]),
    ).toEqual([
      ['ready', ['cmp-2', 'cmp-3']],
      ['ready-again', ['cmp-2', 'cmp-3']],
    ]);
    expect(session.next()).toMatchObject({ kind: 'interrupted', block: { id: 'upgrade' } });

    // A check that now fails on one of them refuses the step, and the checks after it do not run.
    writeFileSync(join(folder.dir, 'broken-cmp-3'), '');
    const refused = await session.answer({ kind: 'check-hosts' });
    expect(refused).toMatchObject({ id: 'ready', status: 'refused' });
    expect(sessionAudit(session, 'hosts-checked')).toHaveLength(2);
    expect(lines('checked.txt').slice(5).sort()).toEqual(['cmp-2', 'cmp-3']);
    expect(lines('checked-again.txt')).toHaveLength(5);
    expect(session.next()).toMatchObject({ kind: 'refused', block: { id: 'ready' } });

    // Fixed: the gate passes again, and the block runs the interrupted hosts alone.
    rmSync(join(folder.dir, 'broken-cmp-3'));
    writeFileSync(join(folder.dir, 'quick'), '');
    expect(await session.answer({ kind: 'rerun' })).toMatchObject({ status: 'passed' });
    expect(await session.answer({ kind: 'rerun' })).toMatchObject({ id: 'upgrade', status: 'passed' });
    expect(lines('ran.txt')[0]).toBe('cmp-1');
    expect(lines('ran.txt').slice(1).sort()).toEqual(['cmp-2', 'cmp-3']);
  }, 180_000);
});

describe('a fleet block with an unreachable host', () => {
  it('retries the unreachable host alone, with the confirmation the block asks for', async () => {
    inventory([...LOCAL, UNREACHABLE]);
    const file = fleetBook(
      ['```sh name=upgrade hosts=computes max-fail=1 confirm', 'echo "$WAYMARK_HOST" >> "$DIR/ran.txt"', '```'].join('\n'),
    );
    const session = await open(file);
    expect(await session.answer({ kind: 'confirm-run' })).toMatchObject({ status: 'warning' });
    expect(hostsOf(session, 'upgrade')).toContainEqual(['cmp-9', 'unreachable']);
    expect(session.decisions().choices.map((c) => c.kind)).toContain('retry-hosts');
    // The host can be reached now.
    inventory([...LOCAL, 'cmp-9 ansible_connection=local']);
    const retried = await session.answer({ kind: 'retry-hosts', confirmed: true });
    expect(retried).toMatchObject({ status: 'passed', reason: '4 hosts ok' });
    expect(lines('ran.txt').slice(0, 3).sort()).toEqual(['cmp-1', 'cmp-2', 'cmp-3']);
    expect(lines('ran.txt').slice(3)).toEqual(['cmp-9']);
    expect(sessionAudit(session, 'block-started').map((r) => r.hosts)).toEqual([undefined, 'unreachable']);
    expect(sessionAudit(session, 'block-confirmed').map((r) => r.block)).toEqual(['upgrade', 'upgrade']);
    expect(sessionAudit(session, 'block-finished').map((r) => [r.outcome, r.attempts, r.exitCode])).toEqual([
      ['warning', 1, null],
      ['success', 1, null],
    ]);
  }, 90_000);
});

describe('a fleet block with no inventory', () => {
  it('fails without running a host, and says where an inventory is named', async () => {
    const file = fleetBook(['```sh name=upgrade hosts=computes', 'echo "$WAYMARK_HOST" >> "$DIR/ran.txt"', '```'].join('\n'), []);
    const session = await open(file);
    const { step, block } = blockOf(session, 'upgrade');
    const ended = await session.runBlock(step, block);
    const why = `no inventory for fleet blocks: give --inventory FILE, or name one with inventory: in the front matter of ${file}`;
    expect(ended).toMatchObject({ status: 'failed', outcome: 'error', reason: why, exitCode: null });
    // No hosts, so no host table.
    expect(ended.columns).toBeUndefined();
    expect(ended.rows).toBeUndefined();
    expect(ended.rowCount).toBeUndefined();
    expect(Number.isInteger(ended.durationMs)).toBe(true);
    expect(lines('ran.txt')).toEqual([]);
    expect(sessionAudit(session, 'block-finished')).toEqual([
      expect.objectContaining({ step: 'computes', block: 'upgrade', role: 'run', outcome: 'error', reason: why, attempts: 1 }),
    ]);
  }, 30_000);
});

describe('a fleet block and secrets', () => {
  const SECRET = 'fleet-Secret-value-93';

  /** Run the runbook's steps with what an operator may have configured: Ansible's log file and a callback writing each result to disk; what they wrote. */
  async function ansibleWrote(file: string): Promise<{ session: RunSession; written: string }> {
    const saved = { ...process.env };
    process.env.ANSIBLE_LOG_PATH = join(folder.dir, 'ansible', 'ansible.log');
    process.env.ANSIBLE_CALLBACKS_ENABLED = 'community.general.log_plays';
    process.env.ANSIBLE_LOG_FOLDER = join(folder.dir, 'ansible', 'plays');
    let session: RunSession;
    try {
      session = await open(file);
      for (const step of session.runbook.steps)
        for (const block of step.blocks) expect(await session.runBlock(step, block)).toMatchObject({ status: 'passed' });
    } finally {
      process.env = saved;
    }
    const root = join(folder.dir, 'ansible');
    const written = readdirSync(root, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'utf8'))
      .join('\n');
    return { session, written };
  }

  it("keeps a secret out of Ansible's output and masks it in the host records", async () => {
    inventory(LOCAL.slice(0, 1));
    const file = fleetBook(
      ['```sh name=upgrade hosts=computes', 'echo "token=$TOKEN"', '```'].join('\n'),
      ['inventory: inventory.ini'],
      ['  TOKEN:', '    secret: true', `    default: ${SECRET}`],
    );
    const { session, written } = await ansibleWrote(file);
    expect(written).not.toBe('');
    expect(written).not.toContain(SECRET);
    const host = session.state.steps[0]?.blocks[0]?.hosts?.[0];
    expect(host?.tail).toEqual(['token=••••']);
    await session.close();
    expect(readFileSync(session.paths.checkpoint, 'utf8')).not.toContain(SECRET);
    expect(readFileSync(session.paths.audit, 'utf8')).not.toContain(SECRET);
  }, 60_000);

  it('leaves the output to Ansible when the run has no secret, a capture that is not secret included', async () => {
    inventory(LOCAL.slice(0, 1));
    const file = fleetBook(
      [
        '```sh name=count capture=COUNT',
        'echo 41-plain',
        '```',
        '',
        '```sh name=upgrade hosts=computes',
        'echo "count=$COUNT"',
        '```',
      ].join('\n'),
    );
    const { session, written } = await ansibleWrote(file);
    // Without no_log, Ansible's own log and callbacks have the host's output: the check above can fail.
    expect(written).toContain('count=41-plain');
    expect(session.state.steps[0]?.blocks[1]?.hosts?.[0]?.tail).toEqual(['count=41-plain']);
  }, 60_000);
});

describe('a fleet block under --baseline', () => {
  it('warns when a host takes far longer than in the rehearsal, naming it, with the deviation in the trail', async () => {
    inventory(LOCAL.slice(0, 2));
    // The rehearsal's slow host is cmp-1, the run's cmp-2: the block takes as long in both, and only
    // cmp-2's own time departs from the rehearsal.
    const file = fleetBook(
      [
        '```sh name=upgrade hosts=computes deviation=2x',
        'if [ -e "$DIR/slow-$WAYMARK_HOST" ]; then sleep 6; fi',
        'echo "$WAYMARK_HOST" >> "$DIR/ran.txt"',
        '```',
      ].join('\n'),
    );
    writeFileSync(join(folder.dir, 'slow-cmp-1'), '');
    const rehearsal = await open(file);
    const { step, block } = blockOf(rehearsal, 'upgrade');
    expect(await rehearsal.runBlock(step, block)).toMatchObject({ status: 'passed' });
    await rehearsal.close();
    expect(rehearsal.state.status).toBe('complete');

    rmSync(join(folder.dir, 'slow-cmp-1'));
    writeFileSync(join(folder.dir, 'slow-cmp-2'), '');
    const run = await RunSession.open({
      runbookFile: file,
      stateDir: join(folder.dir, 'state'),
      env: {},
      operator: 'alice',
      newRun: true,
      baseline: rehearsal.state.run,
    });
    folder.sessions.push(run);
    expect(run.notices).toContain(`baseline: rehearsal run ${rehearsal.state.run} (from this state directory): 1 blocks with figures`);
    const slow = await run.runBlock(step, block);
    expect(slow.status).toBe('warning');
    expect(slow.reason).toMatch(/^departs from the rehearsal: host cmp-2 took \S+ where the rehearsal took \S+ \(deviation=2×\)$/);
    expect(slow.deviation).toMatchObject({ on: 'duration', host: 'cmp-2' });
    expect(sessionAudit(run, 'block-finished')).toEqual([
      expect.objectContaining({
        block: 'upgrade',
        outcome: 'warning',
        reason: slow.reason,
        deviation: expect.objectContaining({ host: 'cmp-2' }),
      }),
    ]);
    expect(run.next()).toMatchObject({ kind: 'acknowledge', block: { id: 'upgrade' } });
  }, 90_000);
});
