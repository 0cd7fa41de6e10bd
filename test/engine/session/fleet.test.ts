/**
 * A fleet block (`hosts=`, docs/fleet.md) run by the session over the real ansible-playbook (local
 * hosts, and one address nothing listens on), in-process so that a mutation of session.ts is caught
 * here and not only by the TUI and e2e tests: each host's result in the checkpoint, the batches in
 * order, the failure budget, and the run's notifier told of each batch.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunSession } from '../../../src/engine/session.js';
import { useSessionFolder } from '../../support/session.js';

let dir = '';
useSessionFolder('wm-fleet-session-', (made) => {
  dir = made;
});

function fleetBook(info: string): string {
  writeFileSync(
    join(dir, 'inventory.ini'),
    [
      '[computes]',
      'cmp-1 ansible_connection=local',
      'cmp-2 ansible_connection=local',
      'cmp-3 ansible_connection=local',
      // Nothing listens there: Ansible reports it unreachable at once.
      'cmp-9 ansible_host=127.0.0.254 ansible_port=1 ansible_ssh_common_args="-o ConnectTimeout=2"',
      '',
    ].join('\n'),
  );
  const file = join(dir, 'fleet.md');
  writeFileSync(
    file,
    [
      '---',
      'inventory: inventory.ini',
      "notify: 'cat >> events.jsonl'",
      'vars:',
      `  OUT: ${join(dir, 'ran.txt')}`,
      '---',
      '# Fleet',
      '',
      '## Computes {#computes}',
      '',
      `\`\`\`sh ${info}`,
      'echo "$WAYMARK_HOST" >> "$OUT"',
      '```',
      '',
    ].join('\n'),
  );
  return file;
}

const lines = (name: string): string[] =>
  existsSync(join(dir, name))
    ? readFileSync(join(dir, name), 'utf8')
        .split('\n')
        .filter((l) => l !== '')
    : [];

describe('a fleet block run by the session', () => {
  it('records each host, runs the canary first, and keeps an unreachable host within the budget', async () => {
    const file = fleetBook('name=upgrade hosts=computes batch=1,3 max-fail=1');
    const session = await RunSession.open({ runbookFile: file, stateDir: join(dir, 'state'), env: {}, operator: 'alice' });
    // What a face shows as each host's result arrives.
    const shown: string[] = [];
    session.subscribe((event) => {
      if (event.type === 'host-finished') shown.push(`${event.host.host}:${event.host.status}`);
    });
    const step = session.runbook.steps[0]!;
    const block = await session.runBlock(step, step.blocks[0]!);
    await session.close();
    // The canary alone first, then the rest; the unreachable host never ran the script.
    expect(lines('ran.txt')[0]).toBe('cmp-1');
    expect([...lines('ran.txt')].sort()).toEqual(['cmp-1', 'cmp-2', 'cmp-3']);
    expect(block.hosts?.map((h) => [h.host, h.batch, h.status, h.rc, h.execution])).toEqual([
      ['cmp-1', 1, 'ok', 0, 1],
      ['cmp-2', 2, 'ok', 0, 1],
      ['cmp-3', 2, 'ok', 0, 1],
      ['cmp-9', 2, 'unreachable', null, 1],
    ]);
    expect(block.hosts?.find((h) => h.host === 'cmp-9')?.reason).toContain('127.0.0.254');
    for (const host of block.hosts ?? [])
      expect(Date.parse(String(host.finishedAt))).toBeGreaterThanOrEqual(Date.parse(String(host.startedAt)));
    // Within the budget: a warning naming the host, its rows one per host, the unreachable one first.
    expect(block).toMatchObject({
      status: 'warning',
      outcome: 'warning',
      exitCode: null,
      rowCount: 4,
      columns: ['host', 'outcome', 'rc', 'output'],
    });
    expect(block.reason).toBe('1 of 4 hosts failed or were unreachable, within the failure budget of 1: cmp-9 (unreachable)');
    expect(block.rows?.map((r) => r.slice(0, 3))).toEqual([
      ['cmp-9', 'unreachable', ''],
      ['cmp-1', 'ok', '0'],
      ['cmp-2', 'ok', '0'],
      ['cmp-3', 'ok', '0'],
    ]);
    expect(block.tail?.[0]).toMatch(/^cmp-9: unreachable \(/);
    const told = lines('events.jsonl').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(told.filter((e) => e.event === 'batch-finished').map((e) => [e.step, e.block, e.reason])).toEqual([
      ['computes', 'upgrade', 'batch 1/2 of upgrade: 1 ok, 0 failed or unreachable'],
      ['computes', 'upgrade', 'batch 2/2 of upgrade: 2 ok, 1 failed or unreachable'],
    ]);
    expect([...shown].sort()).toEqual(['cmp-1:ok', 'cmp-2:ok', 'cmp-3:ok', 'cmp-9:unreachable']);
    expect(shown[0]).toBe('cmp-1:ok');
    // The trail records the block's end with its outcome and reason.
    const records = readFileSync(session.paths.audit, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const ended = records.filter((r) => r.type === 'block-finished');
    expect(ended).toEqual([
      expect.objectContaining({
        step: 'computes',
        block: 'upgrade',
        role: 'run',
        outcome: 'warning',
        exitCode: null,
        attempts: 1,
        reason: block.reason,
      }),
    ]);
  }, 90_000);
});
