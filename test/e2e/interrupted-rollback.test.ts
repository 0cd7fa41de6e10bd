/**
 * A rollback block cut short holds the run, headless as in the TUI (the rule is the engine's,
 * src/engine/plan.ts). Reproduced by the gates attack pass with the binary: the migration failed,
 * `--rollback migrate --yes` was killed in the middle of its rollback, and the next
 * `waymark run --headless` printed "will not be re-run without your decision", then retried the
 * migration over the half-done rollback and ran the later step: exit 0, counter.txt
 * `migrate, undo-start, migrate, after`.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useWorkspace, lockHolderPid } from '../support/workspace.js';
import { groupMembers, writtenPid } from '../support/processes.js';
import { waitFor } from '../support/wait.js';

const ws = useWorkspace('wm-rbcut-');
const T = 60_000;

const RUNBOOK = `---
id: rbcut
---
# Rollback cut short

## Migrate {#migrate}

\`\`\`sh name=migrate
echo migrate >> counter.txt
test -f fixed
\`\`\`

\`\`\`sh rollback name=undo
echo undo-start >> counter.txt
echo $$ > undo.pid
sleep 30
echo undo-end >> counter.txt
\`\`\`

## After {#after}

\`\`\`sh name=after
echo after >> counter.txt
\`\`\`
`;

describe('a rollback block cut short', () => {
  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(
      `by ${signal} holds the run: the failure is not retried, and --rerun-interrupted does not pass it; --rollback STEP --yes re-runs it and stops`,
      async () => {
        const w = ws();
        const book = w.write('rbcut.md', RUNBOOK);
        expect((await w.run(book)).code).toBe(1);

        const rolling = w.spawn(['run', book, '--headless', '--rollback', 'migrate', '--yes']);
        expect(await waitFor(() => writtenPid(w.path('undo.pid')) !== undefined, 20_000)).toBe(true);
        process.kill(await lockHolderPid(w), signal);
        await rolling;
        const shell = writtenPid(w.path('undo.pid')) as number;
        if (signal === 'SIGKILL') process.kill(-shell, 'SIGKILL'); // the orphaned rollback: waymark could not end it
        expect(await waitFor(() => groupMembers(shell).length === 0, 10_000)).toBe(true);
        w.write('fixed', '');

        const next = await w.run(book);
        expect(next.code, next.all).toBe(4);
        expect(next.stdout).toContain('waiting: rollback block undo was interrupted and holds the run: what it undid is not known');
        expect(next.stdout).toContain('--rollback migrate --yes (it stops after it), or decide in the TUI (r re-runs it, m marks it done)');
        const again = await w.run(book, ['--rerun-interrupted', '--yes']);
        expect(again.code, again.all).toBe(4);
        expect(readFileSync(w.path('counter.txt'), 'utf8')).toBe('migrate\nundo-start\n');
        expect((await w.status(book)).steps[0]?.blocks.find((b) => b.id === 'undo')?.status).toBe('interrupted');

        // The rollback again, to its end: the failure it rolled back still holds the run (1).
        w.write('rbcut.md', RUNBOOK.replace('sleep 30', 'true'));
        const rolled = await w.run(book, ['--rollback', 'migrate', '--yes']);
        expect(rolled.code, rolled.all).toBe(1);
        expect(readFileSync(w.path('counter.txt'), 'utf8')).toBe('migrate\nundo-start\nundo-start\nundo-end\n');
        const done = await w.run(book);
        expect(done.code, done.all).toBe(0);
        expect(readFileSync(w.path('counter.txt'), 'utf8')).toBe('migrate\nundo-start\nundo-start\nundo-end\nmigrate\nafter\n');
      },
      T,
    );
  }
});
