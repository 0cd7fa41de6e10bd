/**
 * The run session in-process, over real files and real processes: the rules of a run are
 * enforced by the session whichever face asks (a TUI bug cannot get past a failed gate), every
 * transition is on disk before the block it announces starts, and decisions are recorded.
 */
import { readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunSession } from '../../../src/engine/session.js';
import { reduce } from '../../../src/engine/run-state.js';
import { loadCheckpointSync } from '../../support/workspace.js';
import { blockOf as find, sessionAudit as audit, useSessionFolder } from '../../support/session.js';
import { waitFor } from '../../support/wait.js';

let dir = '';
const { runbook, open } = useSessionFolder('wm-session-', (made) => {
  dir = made;
});

function counter(): string[] {
  const file = join(dir, 'counter.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

const GATED = `---
id: gated
vars:
  TOKEN:
    secret: true
    default: tok-very-secret-123
---
# Gated

## Gate {#gate}

\`\`\`sh check name=strict-gate
[ ! -e fail-strict ]
\`\`\`

\`\`\`sh check override=allowed name=soft-gate
[ ! -e fail-soft ]
\`\`\`

\`\`\`sh name=after-gate
echo after-gate >> counter.txt
\`\`\`

\`\`\`sh rollback name=undo-gate
echo undo-gate >> counter.txt
\`\`\`

## Later {#later}

\`\`\`sh confirm name=later-block
echo "later $TOKEN" >> counter.txt
\`\`\`
`;

describe('the session enforces the run rules, whichever face asks', () => {
  it('refuses to start any later block while a check has failed, and rollbacks only after a failure', async () => {
    writeFileSync(join(dir, 'fail-strict'), '');
    const session = await open(runbook('gated.md', GATED));
    const gate = find(session, 'strict-gate');
    const after = find(session, 'after-gate');
    const undo = find(session, 'undo-gate');
    const later = find(session, 'later-block');

    // Before anything failed, a rollback is not offered, and blocks run only in order.
    await expect(session.runBlock(undo.step, undo.block)).rejects.toMatchObject({ exitCode: 2 });
    await expect(session.runBlock(after.step, after.block)).rejects.toThrow(/not next/);

    expect((await session.runBlock(gate.step, gate.block)).status).toBe('refused');
    // Every check of the gate runs before it decides (issue 14): soft-gate next, whatever strict-gate found.
    expect(session.next()).toMatchObject({ kind: 'run', block: { id: 'soft-gate' } });
    await expect(session.runBlock(after.step, after.block)).rejects.toThrow(/not next/);
    const soft = find(session, 'soft-gate');
    expect((await session.runBlock(soft.step, soft.block)).status).toBe('passed');
    expect(session.next()).toMatchObject({ kind: 'refused', block: { id: 'strict-gate' } });
    await expect(session.runBlock(after.step, after.block)).rejects.toThrow(/not next/);
    await expect(session.runBlock(later.step, later.block, { by: 'alice', at: new Date().toISOString() })).rejects.toThrow(/not next/);
    expect(session.state.steps[0]?.status).not.toBe('passed');
    await expect(session.override('strict-gate', 'the on-call DBA says it is fine')).rejects.toMatchObject({ exitCode: 3 });
    expect(counter()).toEqual([]);

    // The rollback is offered once the gate failed, and runs only once its command was confirmed;
    // re-running the check after the fix lets the run go on.
    await expect(session.runBlock(undo.step, undo.block)).rejects.toMatchObject({ exitCode: 4 });
    await session.runBlock(undo.step, undo.block, { by: 'alice', at: new Date().toISOString() });
    expect(counter()).toEqual(['undo-gate']);
    rmSync(join(dir, 'fail-strict'));
    expect((await session.runBlock(gate.step, gate.block)).status).toBe('passed');
    expect(session.next()).toMatchObject({ kind: 'run', block: { id: 'after-gate' } });
  });

  it('runs a rollback only as part of the failed step that offers it, never when asked for under another step', async () => {
    // Reproduced (issue 16 §7): with the same-step rule dropped from the rollback guard in
    // session.ts runBlock, asking for undo-gate under step `later` ran the gate's rollback.
    writeFileSync(join(dir, 'fail-strict'), '');
    const session = await open(runbook('gated.md', GATED));
    for (const id of ['strict-gate', 'soft-gate']) await session.runBlock(find(session, id).step, find(session, id).block);
    expect(session.decisions().rollbacks.map((b) => b.id)).toEqual(['undo-gate']);
    const undo = find(session, 'undo-gate');
    const later = find(session, 'later-block');
    const yes = { by: 'alice', at: new Date().toISOString() };
    await expect(session.runBlock(later.step, undo.block, yes)).rejects.toThrow(/undo-gate is not next in the run/);
    expect(counter()).toEqual([]);
    expect(audit(session).filter((r) => r.block === 'undo-gate')).toEqual([]);
    // Under its own step, confirmed, it runs.
    await session.runBlock(undo.step, undo.block, yes);
    expect(counter()).toEqual(['undo-gate']);
  });

  it("runs a step's checks before its other blocks even when they are written after them, and a refusing check keeps those from running", async () => {
    // Reproduced (issue 16 §7): with plan.ts nextAction taking the step's blocks in document order
    // (its run blocks before its gate), `change` ran before the check that should have refused it.
    const file = runbook(
      'checks-first.md',
      `---\nid: checks-first\n---\n# C\n\n## Change {#change}\n\n\`\`\`sh name=change\necho change >> counter.txt\n\`\`\`\n\n\`\`\`sh verify name=verify-change\necho verify >> counter.txt\n\`\`\`\n\n\`\`\`sh check name=ready\necho ready >> counter.txt\n[ ! -e not-ready ]\n\`\`\`\n`,
    );
    writeFileSync(join(dir, 'not-ready'), '');
    const session = await open(file);
    expect(session.next()).toMatchObject({ kind: 'run', block: { id: 'ready' } });
    const change = find(session, 'change');
    await expect(session.runBlock(change.step, change.block)).rejects.toThrow(/not next/);
    const ready = find(session, 'ready');
    expect((await session.runBlock(ready.step, ready.block)).status).toBe('refused');
    expect(session.next()).toMatchObject({ kind: 'refused', block: { id: 'ready' } });
    expect(counter()).toEqual(['ready']);
    rmSync(join(dir, 'not-ready'));
    expect((await session.runBlock(ready.step, ready.block)).status).toBe('passed');
    for (const id of ['change', 'verify-change']) {
      expect(session.next()).toMatchObject({ kind: 'run', block: { id } });
      await session.runBlock(find(session, id).step, find(session, id).block);
    }
    expect(counter()).toEqual(['ready', 'ready', 'change', 'verify']);
    expect(
      audit(session)
        .filter((r) => r.type === 'block-started')
        .map((r) => r.block),
    ).toEqual(['ready', 'ready', 'change', 'verify-change']);
  });

  it('overrides one check by name, only where allowed, only with a real reason, and records who and why', async () => {
    writeFileSync(join(dir, 'fail-soft'), '');
    const session = await open(runbook('gated.md', GATED));
    await session.runBlock(find(session, 'strict-gate').step, find(session, 'strict-gate').block);
    const soft = find(session, 'soft-gate');
    expect((await session.runBlock(soft.step, soft.block)).status).toBe('refused');
    await expect(session.override('strict-gate', 'a reason long enough')).rejects.toThrow(/not a failed check holding the run/);
    await expect(session.override('soft-gate', 'ok')).rejects.toThrow(/reason/);
    await session.override('soft-gate', 'disk checked by hand, TOKEN tok-very-secret-123 noted');
    const blockState = session.state.steps[0]?.blocks.find((b) => b.id === 'soft-gate');
    expect(blockState).toMatchObject({ status: 'overridden', override: { by: 'alice', reason: 'disk checked by hand, TOKEN •••• noted' } });
    expect(audit(session).filter((r) => r.type === 'check-overridden')).toEqual([
      expect.objectContaining({ block: 'soft-gate', operator: 'alice', reason: 'disk checked by hand, TOKEN •••• noted' }),
    ]);
    expect(readFileSync(session.paths.audit, 'utf8')).not.toContain('tok-very-secret-123');
    expect(session.next()).toMatchObject({ kind: 'run', block: { id: 'after-gate' } });
  });

  it('a confirm block does not run without a confirmation; the audit shows the command with variables by name', async () => {
    const session = await open(runbook('gated.md', GATED));
    for (const id of ['strict-gate', 'soft-gate', 'after-gate']) await session.runBlock(find(session, id).step, find(session, id).block);
    const later = find(session, 'later-block');
    await expect(session.runBlock(later.step, later.block)).rejects.toMatchObject({ exitCode: 4 });
    expect(counter()).toEqual(['after-gate']);
    await session.runBlock(later.step, later.block, { by: 'alice', at: new Date().toISOString() });
    expect(counter()).toEqual(['after-gate', 'later tok-very-secret-123']);
    const confirmed = audit(session).find((r) => r.type === 'block-confirmed');
    expect(confirmed).toMatchObject({ block: 'later-block', by: 'alice', command: 'echo "later $TOKEN" >> counter.txt' });
  });

  it('a second session on the same runbook and state dir is refused while the first is open (exit 5)', async () => {
    const file = runbook('gated.md', GATED);
    await open(file);
    await expect(open(file)).rejects.toMatchObject({ exitCode: 5 });
  });
});

describe('write-ahead: every transition is on disk before the block it announces runs', () => {
  it('when a block starts, the checkpoint already says running and the audit trail says started', async () => {
    const file = runbook('wal.md', `---\nid: wal\n---\n# W\n\n## One {#one}\n\n\`\`\`sh name=one\necho one >> counter.txt\n\`\`\`\n`);
    const session = await open(file);
    const seen: string[] = [];
    session.subscribe((event) => {
      if (event.type !== 'block-started') return;
      const checkpoint = loadCheckpointSync(session.paths.dir) as {
        steps: { blocks: { id: string; status: string; executions: number }[] }[];
      };
      const onDisk = checkpoint.steps[0]?.blocks[0];
      const last = audit(session).at(-1);
      seen.push(`${onDisk?.status}/${onDisk?.executions} ${last?.type}:${String(last?.block)}`);
    });
    const { step, block } = find(session, 'one');
    await session.runBlock(step, block);
    expect(seen).toEqual(['running/1 block-started:one']);
    const onDisk = loadCheckpointSync(session.paths.dir) as { steps: { blocks: { status: string }[] }[] };
    expect(onDisk.steps[0]?.blocks[0]?.status).toBe('passed');
  });
});

describe('cancel and interrupted blocks', () => {
  const LONG = `---\nid: long\n---\n# L\n\n## Long {#long}\n\n\`\`\`sh name=long\necho $$ > long.pid\nsleep 30\necho long >> counter.txt\n\`\`\`\n\n## Next {#next}\n\n\`\`\`sh name=next\necho next >> counter.txt\n\`\`\`\n`;

  it('cancel stops the running block, records it interrupted, and it is never re-run silently', async () => {
    const file = runbook('long.md', LONG);
    const session = await open(file);
    const { step, block } = find(session, 'long');
    const running = session.runBlock(step, block);
    await waitFor(() => existsSync(join(dir, 'long.pid')), { timeout: 5000, what: 'the block writing its pid file' });
    expect(session.busy).toBe(true);
    await expect(session.runBlock(step, block)).rejects.toThrow(/another block is running/);
    expect(session.cancel()).toBe(true);
    expect((await running).status).toBe('interrupted');
    expect(session.busy).toBe(false);
    expect(session.next()).toMatchObject({ kind: 'interrupted', block: { id: 'long' } });
    const next = find(session, 'next');
    await expect(session.runBlock(next.step, next.block)).rejects.toThrow(/not next/);
    await session.close();

    // A new session finds it interrupted; marking it done needs a reason, and is recorded.
    const again = await open(file, { operator: 'bob' });
    expect(again.next()).toMatchObject({ kind: 'interrupted', block: { id: 'long' } });
    await expect(again.markDone('long', 'long', 'done')).rejects.toThrow(/reason/);
    await again.markDone('long', 'long', 'finished it by hand in another terminal');
    expect(again.state.steps[0]?.blocks[0]).toMatchObject({
      status: 'passed',
      markedDone: { by: 'bob', reason: 'finished it by hand in another terminal' },
    });
    expect(audit(again).filter((r) => r.type === 'interrupted-marked-done')).toEqual([
      expect.objectContaining({ block: 'long', operator: 'bob' }),
    ]);
    expect(again.next()).toMatchObject({ kind: 'run', block: { id: 'next' } });
    expect(counter()).toEqual([]);
  });

  const SLOW_CHECKS = `---\nid: slow-checks\n---\n# S\n\n## Gate {#gate}\n\n\`\`\`sh check name=strict\necho $$ > strict.pid\nsleep 30; exit 1\n\`\`\`\n\n\`\`\`sh check override=allowed name=soft\necho $$ > soft.pid\nsleep 30; exit 1\n\`\`\`\n\n\`\`\`sh name=after\necho after >> counter.txt\n\`\`\`\n`;

  /** Start the check, wait for its process, cancel it: it is left interrupted. */
  async function cancelCheck(session: RunSession, id: string): Promise<void> {
    const { step, block } = find(session, id);
    const running = session.runBlock(step, block);
    await waitFor(() => existsSync(join(dir, `${id}.pid`)), { timeout: 5000, what: 'the block writing its pid file' });
    expect(session.cancel()).toBe(true);
    expect((await running).status).toBe('interrupted');
  }

  it('reproduced: a cancelled check without override=allowed was marked done and the run went on; it may only be re-run', async () => {
    const file = runbook('slow.md', SLOW_CHECKS);
    const session = await open(file);
    await cancelCheck(session, 'strict');
    expect(session.next()).toMatchObject({ kind: 'interrupted', block: { id: 'strict' } });
    await expect(session.markDone('gate', 'strict', 'it would have passed, trust me')).rejects.toMatchObject({
      exitCode: 3,
      message: expect.stringMatching(/cannot be marked done/),
    });
    await expect(session.override('strict', 'it would have passed, trust me')).rejects.toMatchObject({ exitCode: 3 });
    await session.close();

    // Not in a later session either, and the reducer ignores the transition whoever sends it.
    const again = await open(file, { operator: 'bob' });
    await expect(again.markDone('gate', 'strict', 'it would have passed, trust me')).rejects.toMatchObject({ exitCode: 3 });
    const forced = reduce(again.state, {
      type: 'interrupted-marked-done',
      step: 'gate',
      block: 'strict',
      decision: { by: 'bob', at: new Date().toISOString(), reason: 'forged' },
    });
    expect(forced.steps[0]?.blocks.find((b) => b.id === 'strict')?.status).toBe('interrupted');
    expect(again.state.steps[0]?.blocks.find((b) => b.id === 'strict')?.status).toBe('interrupted');
    expect(again.next()).toMatchObject({ kind: 'interrupted', block: { id: 'strict' } });
    const after = find(again, 'after');
    await expect(again.runBlock(after.step, after.block)).rejects.toThrow(/not next/);
    expect(audit(again).filter((r) => r.type === 'interrupted-marked-done')).toEqual([]);
    expect(counter()).toEqual([]);
  });

  it('an interrupted check with override=allowed can be overridden by name with a reason, and its step ends overridden', async () => {
    const file = runbook(
      'slow.md',
      SLOW_CHECKS.replace('sleep 30; exit 1\n```\n\n```sh check override', 'exit 0\n```\n\n```sh check override'),
    );
    const session = await open(file);
    const strict = find(session, 'strict');
    expect((await session.runBlock(strict.step, strict.block)).status).toBe('passed');
    await cancelCheck(session, 'soft');
    await expect(session.markDone('gate', 'soft', 'it would have passed, trust me')).rejects.toMatchObject({ exitCode: 3 });
    await expect(session.override('soft', 'short')).rejects.toThrow(/reason/);
    await session.override('soft', 'DBA checked the disk by hand');
    expect(session.state.steps[0]?.blocks.find((b) => b.id === 'soft')).toMatchObject({
      status: 'overridden',
      override: { by: 'alice', reason: 'DBA checked the disk by hand' },
    });
    const after = find(session, 'after');
    await session.runBlock(after.step, after.block);
    expect(session.state.steps[0]?.status).toBe('overridden');
    expect(counter()).toEqual(['after']);
  });

  const TWO = `---\nid: two\n---\n# T\n\n## Two {#two}\n\n\`\`\`sh name=one\necho one >> counter.txt\n\`\`\`\n\n\`\`\`sh name=two\necho two >> counter.txt\n\`\`\`\n`;

  it('after stop(), no block starts: stopped while its start is written, a block never runs; later ones are refused', async () => {
    const session = await open(runbook('two.md', TWO));
    const { step, block } = find(session, 'one');
    // Stopped before its start reached the checkpoint: nothing records it as started.
    const starting = session.runBlock(step, block);
    session.stop();
    expect((await starting).status).toBe('pending');
    expect(audit(session).filter((r) => r.type === 'block-started')).toEqual([]);
    await expect(session.runBlock(step, block)).rejects.toMatchObject({
      exitCode: 130,
      message: expect.stringMatching(/the run is stopping/),
    });
    expect(counter()).toEqual([]);
  });

  it('a stop that arrives once the start is on disk leaves the block interrupted, its command never run', async () => {
    const session = await open(runbook('two.md', TWO));
    session.subscribe((event) => {
      if (event.type === 'block-started') session.stop();
    });
    const { step, block } = find(session, 'one');
    expect((await session.runBlock(step, block)).status).toBe('interrupted');
    expect(audit(session).filter((r) => r.type === 'block-interrupted')).toEqual([
      expect.objectContaining({ block: 'one', reason: 'stopped before its command started' }),
    ]);
    expect(counter()).toEqual([]);
  });
});

describe('closing while a face is still writing', () => {
  // Reproduced on main under load: the TUI closed the session (test cleanup, or q) while the
  // controller was still closing the finished step; the step-finished record then hit a closed
  // audit trail ("file closed", an unhandled rejection) and was lost.
  it('writes the transition in flight before closing, and refuses later ones cleanly', async () => {
    // Ticking the last checklist item closes the step (the session settles it itself).
    const file = runbook('two.md', '# Two\n\n## One\n\n```sh\ntrue\n```\n\n- [ ] looked at it\n\n## Two\n\n```sh\ntrue\n```\n');
    const session = await open(file);
    const { step, block } = find(session, 'one-1');
    await session.runBlock(step, block);
    const item = step.checklist[0]?.id as string;
    const finishing = session.tick(step.id, item);
    await session.close();
    await finishing;
    await expect(session.tick(step.id, item)).rejects.toThrow(/closed/);
    const types = audit(session).map((r) => r.type);
    expect(types.indexOf('step-finished')).toBeGreaterThan(-1);
    expect(types.indexOf('step-finished')).toBeLessThan(types.indexOf('session-closed'));
    expect(loadCheckpointSync(session.paths.dir).steps[0]?.status).toBe('passed');
  });

  it('stops a running block and records it as interrupted before closing', async () => {
    const file = runbook('slow.md', '# Slow\n\n## Wait\n\n```sh\nsleep 30\n```\n');
    const session = await open(file);
    const { step, block } = find(session, 'wait-1');
    const running = session.runBlock(step, block);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await session.close();
    expect((await running).status).toBe('interrupted');
    expect(audit(session).map((r) => r.type)).toContain('block-interrupted');
  });
});

describe('a retrying block (issue 12, item 9a)', () => {
  it('reproduced: a face heard nothing between attempts; now each retry is an `attempt` event with its number, the limit, the wait and why', async () => {
    const file = runbook(
      'retry.md',
      '# Retry\n\n## Wait {#wait}\n\n```sh verify name=up retries=3 delay=50ms\necho try >> counter.txt\n[ "$(wc -l < counter.txt)" -ge 3 ] || { echo refused >&2; exit 1; }\n```\n',
    );
    const session = await open(file);
    const attempts: unknown[] = [];
    session.subscribe((event) => {
      if (event.type === 'attempt')
        attempts.push({ block: event.block.id, attempt: event.attempt, of: event.of, nextInMs: event.nextInMs, reason: event.reason });
    });
    const result = await session.answer({ kind: 'run' });
    expect(result?.status).toBe('passed');
    expect(attempts).toEqual([
      { block: 'up', attempt: 2, of: 4, nextInMs: 50, reason: expect.stringContaining('exit') },
      { block: 'up', attempt: 3, of: 4, nextInMs: 50, reason: expect.stringContaining('exit') },
    ]);
  });
});

describe('what a block captured, in the event that says it finished (issue 16 §5)', () => {
  it('names the value this execution captured, a secret one masked, and nothing for a block that captured nothing', async () => {
    const file = runbook(
      'capture.md',
      `---\nid: capture\nvars:\n  TOKEN:\n    secret: true\n    default: tok-very-secret-123\n---\n# C\n\n## Make {#make}\n\n\`\`\`sh name=count capture=COUNT\necho 3\n\`\`\`\n\n\`\`\`sh name=leak capture=LEAKED\necho "$TOKEN"\n\`\`\`\n\n\`\`\`sh name=plain\necho plain\n\`\`\`\n\n\`\`\`sh name=broken capture=NEVER\nexit 1\n\`\`\`\n`,
    );
    const session = await open(file);
    const heard: Record<string, unknown> = {};
    session.subscribe((event) => {
      if (event.type === 'block-finished') heard[event.block.id] = event.captured ?? null;
    });
    for (const id of ['count', 'leak', 'plain', 'broken']) {
      const { step, block } = find(session, id);
      await session.runBlock(step, block);
    }
    expect(heard).toEqual({ count: { name: 'COUNT', shown: '3' }, leak: { name: 'LEAKED', shown: '••••' }, plain: null, broken: null });
  });
});
