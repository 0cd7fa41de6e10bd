/**
 * A current.json that went back in time (restored from a backup) names an ended run while a later
 * run never ended. Reproduced by the gates attack pass: naming an abandoned run, the next
 * `waymark run` silently started a third run and ran step one again (the unfinished run's work
 * forgotten); naming a complete run, it said "complete; nothing was run" and exited 0 while the
 * later run still waited at its confirmation. Both are now refused (exit 2) with the line that
 * restores the file, as a missing current.json already was.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-curback-');
const T = 60_000;

const RUNBOOK = `---
id: cur
---
# Current

## One {#one}

\`\`\`sh name=one
echo one >> log.txt
\`\`\`

## Two {#two}

\`\`\`sh name=two confirm
echo two >> log.txt
\`\`\`
`;

describe('current.json naming an ended run while a later one never ended', () => {
  for (const ended of ['abandoned', 'complete'] as const) {
    it(
      `(${ended}) is refused with exit 2, runs nothing, and names the later run and the line that restores current.json`,
      async () => {
        const w = ws();
        const file = w.write('cur.md', RUNBOOK);
        expect((await w.run(file, ended === 'complete' ? ['--yes'] : [])).code).toBe(ended === 'complete' ? 0 : 4);
        const first = w.currentRun('cur');
        const backup = w.path('current.backup');
        copyFileSync(join(w.bookDir('cur'), 'current.json'), backup);
        expect((await w.run(file, ['--new-run'])).code).toBe(4);
        const later = w.currentRun('cur');
        const logBefore = readFileSync(w.path('log.txt'), 'utf8');

        copyFileSync(backup, join(w.bookDir('cur'), 'current.json'));
        const again = await w.run(file, ['--yes']);
        expect(again.code, again.all).toBe(2);
        expect(again.stderr).toContain(
          `names run ${first}, which is ${ended}, but the later run ${later} of ${file} did not end; nothing was run`,
        );
        expect(again.stderr).toContain(`echo '{"runId":"${later}"}' >`);
        expect(readFileSync(w.path('log.txt'), 'utf8')).toBe(logBefore);
        expect(w.currentRun('cur')).toBe(first);

        // --new-run still leaves it unfinished and starts another, as the message says.
        const fresh = await w.run(file, ['--new-run', '--yes']);
        expect(fresh.code, fresh.all).toBe(0);
      },
      T,
    );
  }
});
