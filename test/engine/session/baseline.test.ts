/**
 * `--baseline` as the session applies it (docs/baseline.md), in-process so that a mutation of
 * session.ts is caught here and not only by test/e2e/baseline.test.ts (which runs dist/): the
 * rehearsal chosen at the start is told and kept, a block far slower than in the rehearsal ends with
 * a warning that says so, and a resume keeps the baseline.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunSession } from '../../../src/engine/session.js';
import { useSessionFolder } from '../../support/session.js';

let dir = '';
useSessionFolder('wm-baseline-session-', (made) => {
  dir = made;
});

// Quick in the rehearsal; 3 s longer once the file `slow` exists: past the 2 s floor, and past twice the
// rehearsal however slow a loaded machine makes it (deviation=2x; 10x failed when the rehearsal took > 250 ms).
const BOOK = `---
title: Migration
id: migration
---
# Migration

## Migrate {#migrate}

\`\`\`sh name=migrate deviation=2x
if [ -f slow ]; then sleep 3; fi
echo migrated
\`\`\`

## Verify {#verify}

\`\`\`sh name=verify
echo verified
\`\`\`
`;

describe('a run with a baseline', () => {
  it('tells and keeps the rehearsal it compares with, and warns for a block far slower than in it', async () => {
    const file = join(dir, 'migration.md');
    writeFileSync(file, BOOK);
    const stateDir = join(dir, 'state');
    const rehearsal = await RunSession.open({ runbookFile: file, stateDir, env: {}, operator: 'alice' });
    for (const step of rehearsal.runbook.steps) await rehearsal.runBlock(step, step.blocks[0]!);
    await rehearsal.close();
    expect(rehearsal.state.status).toBe('complete');
    expect(rehearsal.state.baseline).toBeUndefined();

    writeFileSync(join(dir, 'slow'), '');
    const run = await RunSession.open({
      runbookFile: file,
      stateDir,
      env: {},
      operator: 'alice',
      newRun: true,
      baseline: rehearsal.state.run,
    });
    expect(run.notices).toContain(`baseline: rehearsal run ${rehearsal.state.run} (from this state directory): 2 blocks with figures`);
    expect(run.state.baseline?.run).toBe(rehearsal.state.run);
    const migrate = run.runbook.steps[0]!;
    const slow = await run.runBlock(migrate, migrate.blocks[0]!);
    expect(slow.status).toBe('warning');
    expect(slow.reason).toMatch(/^departs from the rehearsal: took \S+ where the rehearsal took \S+ \(deviation=2×\)$/);
    expect(slow.deviation).toMatchObject({ on: 'duration' });
    expect(run.next()).toMatchObject({ kind: 'acknowledge', block: { id: 'migrate' } });
    await run.close();

    // Resumed without --baseline: the run keeps the one it started with, and says so again.
    const resumed = await RunSession.open({ runbookFile: file, stateDir, env: {}, operator: 'alice' });
    expect(resumed.state.run).toBe(run.state.run);
    expect(resumed.state.baseline?.run).toBe(rehearsal.state.run);
    expect(resumed.notices).toContain(`baseline: rehearsal run ${rehearsal.state.run} (from this state directory): 2 blocks with figures`);
    // A block as quick as in the rehearsal passes.
    await resumed.acknowledge('migrate', 'migrate', { reason: 'slow disk, known' });
    const verify = resumed.runbook.steps[1]!;
    expect(await resumed.runBlock(verify, verify.blocks[0]!)).toMatchObject({ status: 'passed' });
    await resumed.close();
  }, 30_000);
});
