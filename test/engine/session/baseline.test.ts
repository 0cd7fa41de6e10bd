/**
 * `--baseline` as the session applies it (docs/baseline.md), in-process so that a mutation of
 * session.ts is caught here and not only by test/e2e/baseline.test.ts (which runs dist/): the
 * rehearsal chosen at the start is told and kept, a block far slower than in the rehearsal ends with
 * a warning that says so, and a resume keeps the baseline.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../../src/engine/errors.js';
import { RunSession } from '../../../src/engine/session.js';
import { sessionAudit, useSessionFolder } from '../../support/session.js';

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

  it('refuses a resume with another baseline, or with one where the run had none; the same one is accepted', async () => {
    const file = join(dir, 'migration.md');
    writeFileSync(file, BOOK);
    const stateDir = join(dir, 'state');
    const open = (options: { baseline?: string; newRun?: boolean } = {}) =>
      RunSession.open({ runbookFile: file, stateDir, env: {}, operator: 'alice', ...options });
    const rehearsals: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const rehearsal = await open({ newRun: true });
      for (const step of rehearsal.runbook.steps) await rehearsal.runBlock(step, step.blocks[0]!);
      await rehearsal.close();
      rehearsals.push(rehearsal.state.run);
    }
    const [one, two] = rehearsals as [string, string];

    const plain = await open({ newRun: true });
    const migrate = plain.runbook.steps[0]!;
    await plain.runBlock(migrate, migrate.blocks[0]!);
    await plain.close();
    await expect(open({ baseline: one })).rejects.toMatchObject({
      exitCode: ExitCode.BadInput,
      message: `run ${plain.state.run} was started with no baseline, and a run's baseline is fixed at its start: resume without --baseline to keep none, or start a new run with --new-run --baseline ${one}`,
    });

    const judged = await open({ newRun: true, baseline: one });
    await judged.close();
    expect(sessionAudit(judged, 'baseline-chosen')).toEqual([
      expect.objectContaining({ rehearsal: one, from: 'run', source: one, blocks: 2, warnings: [] }),
    ]);
    await expect(open({ baseline: two })).rejects.toMatchObject({
      exitCode: ExitCode.BadInput,
      message: `run ${judged.state.run} was started with rehearsal run ${one}, and a run's baseline is fixed at its start: resume without --baseline to keep it, or start a new run with --new-run --baseline ${two}`,
    });
    // Refused before anything was written: the run resumes as it was, with the baseline given again too.
    const same = await open({ baseline: one });
    expect(same.state.run).toBe(judged.state.run);
    expect(same.state.baseline?.run).toBe(one);
    await same.close();
  }, 30_000);
});
