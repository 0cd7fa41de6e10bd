/**
 * A session opened on a runbook whose last run is complete holds that run to show it, runs
 * nothing and writes nothing to it. Reproduced: RunSession.open started a new run, and headless
 * re-executed every block of the runbook, migrations included.
 */
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunSession } from '../../../src/engine/session.js';
import { useSessionFolder } from '../../support/session.js';

let dir = '';
useSessionFolder('wm-finished-', (made) => {
  dir = made;
});

const BOOK = `---
id: migrate
---
# Migrate

## Migrate {#migrate}

\`\`\`sh name=migrate
echo migrate >> counter.txt
\`\`\`
`;

const open = (file: string, newRun = false) =>
  RunSession.open({ runbookFile: file, stateDir: join(dir, 'state'), env: {}, operator: 'alice', newRun });

/** Every file of a run folder, by name, with its content. */
function filesOf(folder: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(folder, { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => [e.name, readFileSync(join(folder, e.name), 'utf8')]),
  );
}

describe('a complete run, opened again', () => {
  it('is held finished: nothing runs, nothing is written, the lock is taken and released; newRun starts another', async () => {
    const file = join(dir, 'migrate.md');
    writeFileSync(file, BOOK);
    const first = await open(file);
    const step = first.runbook.steps[0]!;
    await first.runBlock(step, step.blocks[0]!);
    await first.close();
    const runId = first.state.run;
    const before = filesOf(first.paths.dir);

    const again = await open(file);
    expect(again.finished).toBe(true);
    expect(again.state.run).toBe(runId);
    expect(again.next()).toEqual({ kind: 'complete' });
    expect(again.finishedNotice()).toMatch(
      new RegExp(
        `^run ${runId} of \\S+migrate\\.md is complete \\(finished \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\); nothing was run\\. evidence: waymark evidence \\S+migrate\\.md --out FILE\\.tar\\.gz\\. --new-run starts another run$`,
      ),
    );
    expect(existsSync(join(dir, 'state', 'migrate', 'lock.json'))).toBe(true);
    await expect(again.runBlock(step, step.blocks[0]!)).rejects.toThrow(/not next in the run: the run is complete/);
    await again.close();
    expect(existsSync(join(dir, 'state', 'migrate', 'lock.json'))).toBe(false);
    expect(filesOf(first.paths.dir)).toEqual(before);
    expect(readFileSync(join(dir, 'counter.txt'), 'utf8')).toBe('migrate\n');

    const fresh = await open(file, true);
    expect(fresh.finished).toBe(false);
    expect(fresh.state.run).not.toBe(runId);
    expect(fresh.next()).toMatchObject({ kind: 'run', block: { id: 'migrate' } });
    await fresh.close();
  });
});
