/**
 * `notify:` as the session drives it (docs/notify.md), in-process so that a mutation of session.ts
 * is caught here and not only by test/e2e/notify.test.ts (which runs dist/): which run events reach
 * the notifier, with what fields, a wait told once, and the secrets kept out of its environment.
 * The notifier is a real shell command that appends each event to a file beside the runbook.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunSession } from '../../../src/engine/session.js';
import { sessionAudit, useSessionFolder } from '../../support/session.js';

let dir = '';
useSessionFolder('wm-notify-session-', (made) => {
  dir = made;
});

const BOOK = `---
title: Notified upgrade
id: notified
vars:
  API_TOKEN:
    secret: true
  DB_PASSWORD:
    secret: true
    env: NOVA_DB_PASSWORD
  REGION:
    default: regionOne
notify: 'cat >> events.jsonl; echo "token=\${API_TOKEN:-none} db=\${NOVA_DB_PASSWORD:-none} region=\${REGION:-none}" >> notifier-env.txt'
---
# Notified upgrade

## Check {#check}

\`\`\`sh check name=db-healthy
test -f healthy
\`\`\`

## Migrate {#migrate}

\`\`\`sh name=migrate
echo "token $API_TOKEN refused" >&2
exit 7
\`\`\`
`;

const PASSING = `---
title: Quiet upgrade
id: quiet
notify: 'cat >> events.jsonl'
---
# Quiet upgrade

## Migrate {#migrate}

\`\`\`sh name=migrate
echo migrated
\`\`\`

## Clean up {#cleanup}

\`\`\`sh name=cleanup
echo cleaned
\`\`\`
`;

function events(): Record<string, unknown>[] {
  const file = join(dir, 'events.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the session tells the notifier', () => {
  it('of a refused gate and a failed block, with their step, block and masked reason, never giving it the secrets', async () => {
    const file = join(dir, 'notified.md');
    writeFileSync(file, BOOK);
    const session = await RunSession.open({
      runbookFile: file,
      stateDir: join(dir, 'state'),
      env: { API_TOKEN: 's3cr3t-token', NOVA_DB_PASSWORD: 'db-pw-123', REGION: 'regionTwo' },
      operator: 'alice',
    });
    const [check, migrate] = session.runbook.steps;
    await session.runBlock(check!, check!.blocks[0]!);
    writeFileSync(join(dir, 'healthy'), '');
    await session.runBlock(check!, check!.blocks[0]!);
    await session.runBlock(migrate!, migrate!.blocks[0]!);
    await session.close();

    const told = events();
    expect(told.map((e) => [e.event, e.step, e.block])).toEqual([
      ['gate-refused', 'check', 'db-healthy'],
      ['block-failed', 'migrate', 'migrate'],
    ]);
    expect(told[0]).toMatchObject({ runbook: 'Notified upgrade', run: session.state.run, operator: 'alice', reason: 'exit 1, expected 0' });
    expect(told[1]?.reason).toBe('exit 7, expected 0');
    for (const event of told) expect(Date.parse(String(event.at))).not.toBeNaN();
    expect(JSON.stringify(told)).not.toContain('s3cr3t-token');
    // The notifier runs without the runbook's secrets in its environment, under their own names or
    // their env: names; the other variables it keeps.
    expect(readFileSync(join(dir, 'notifier-env.txt'), 'utf8')).toBe('token=none db=none region=regionTwo\n'.repeat(2));
  });

  it('of a run left waiting between blocks, once, and of the run complete; of nothing while blocks pass', async () => {
    const file = join(dir, 'quiet.md');
    writeFileSync(file, PASSING);
    const open = () => RunSession.open({ runbookFile: file, stateDir: join(dir, 'state'), env: {}, operator: 'bob' });
    const first = await open();
    const [migrate, cleanup] = first.runbook.steps;
    await first.runBlock(migrate!, migrate!.blocks[0]!);
    await first.close();
    expect(events().map((e) => [e.event, e.step, e.block, e.reason])).toEqual([['waiting', null, null, null]]);

    const second = await open();
    expect(second.state.run).toBe(first.state.run);
    await second.runBlock(cleanup!, cleanup!.blocks[0]!);
    await second.close();
    expect(events().map((e) => e.event)).toEqual(['waiting', 'run-complete']);
    expect(events()[1]).toMatchObject({
      runbook: 'Quiet upgrade',
      run: first.state.run,
      operator: 'bob',
      step: null,
      block: null,
      reason: null,
    });
  });

  it('of the run complete when skipping its last step completes it, recorded as run-complete in the trail', async () => {
    // Reproduced: only closing a step whose blocks ran completed the run; a skip of the last step
    // left it "running" until close() recorded it as paused with the status complete, and nobody was told.
    const file = join(dir, 'optional-last.md');
    writeFileSync(
      file,
      `---\ntitle: Optional cleanup\nid: optional-last\nnotify: 'cat >> events.jsonl'\n---\n# Optional cleanup\n\n## Migrate {#migrate}\n\n\`\`\`sh name=migrate\necho migrated\n\`\`\`\n\n## Clean up {#cleanup optional}\n\n\`\`\`sh name=cleanup\necho cleaned >> cleaned.txt\n\`\`\`\n`,
    );
    const session = await RunSession.open({ runbookFile: file, stateDir: join(dir, 'state'), env: {}, operator: 'carol' });
    const [migrate] = session.runbook.steps;
    await session.runBlock(migrate!, migrate!.blocks[0]!);
    await session.skipStep('cleanup', 'nothing left behind');
    expect(session.state.status).toBe('complete');
    expect(session.complete).toBe(true);
    expect(session.exitCode()).toBe(0);
    await session.close();

    expect(sessionAudit(session, 'run-complete')).toHaveLength(1);
    expect(sessionAudit(session, 'run-paused')).toEqual([]);
    expect(sessionAudit(session, 'session-closed')).toEqual([expect.objectContaining({ status: 'complete' })]);
    expect(events().map((e) => [e.event, e.step, e.operator])).toEqual([['run-complete', null, 'carol']]);
    expect(existsSync(join(dir, 'cleaned.txt'))).toBe(false);
  });
});
