/**
 * Issue 14 part 5: `run --headless --rollback STEP` runs that step's rollback blocks, with the TUI's
 * rules: only after a failure of that step, while it holds the run; each block confirmed (`--yes`,
 * recorded as automatic, with the command) or the run waits with exit 4; audited like the TUI's
 * `b`. Reproduced before: headless could not roll back at all (`--rollback` was an unknown option).
 */
import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-rb-');
const T = 60_000;

const RUNBOOK = `---
id: rollback
---
# Rollback

## Prepare {#prepare}

\`\`\`sh name=prepare
echo prepare >> counter.txt
\`\`\`

## Migrate {#migrate}

\`\`\`sh name=migrate
if [ -e broken ]; then echo "ERROR 1062: duplicate entry"; exit 1; fi
echo migrate >> counter.txt
\`\`\`

\`\`\`sh rollback name=restore-dump
echo "restore-dump $TARGET" >> counter.txt
\`\`\`

\`\`\`sh rollback name=restart-services
if [ -e restart-fails ]; then echo "systemctl: unit not found"; exit 3; fi
echo restart-services >> counter.txt
\`\`\`

## Later {#later}

\`\`\`sh name=later
echo later >> counter.txt
\`\`\`

\`\`\`sh rollback name=undo-later
echo undo-later >> counter.txt
\`\`\`

## Final {#final}

\`\`\`sh name=final
if [ -e final-broken ]; then exit 1; fi
\`\`\`
`;

function book(): string {
  return ws().write('rollback.md', RUNBOOK.replace('$TARGET', 'mitaka'));
}

describe('run --headless --rollback STEP', () => {
  it(
    'without --yes waits (4) and shows the commands; with --yes runs every rollback block, confirmed and audited as automatic; the failure still holds (1)',
    async () => {
      const file = book();
      ws().write('broken', '');
      const failed = await ws().run(file);
      expect(failed.code, failed.all).toBe(1);
      expect(failed.stdout).toContain(
        'rollback blocks offered: restore-dump, restart-services (b in the TUI, or --rollback migrate --yes)',
      );

      const unconfirmed = await ws().run(file, ['--rollback', 'migrate']);
      expect(unconfirmed.code, unconfirmed.all).toBe(4);
      expect(unconfirmed.stdout).toContain(
        'waiting: the rollback blocks of step migrate need a confirmation before they run. They will run:',
      );
      expect(unconfirmed.stdout).toContain('   > echo "restore-dump mitaka" >> counter.txt');
      expect(unconfirmed.stdout).toContain('--rollback migrate --yes');
      expect(ws().lines('counter.txt')).toEqual(['prepare']);
      expect(
        ws()
          .audit('rollback')
          .filter((r) => r.type === 'block-confirmed'),
      ).toEqual([]);

      const rolled = await ws().run(file, ['--rollback', 'migrate', '--yes', '--operator', 'carol']);
      expect(rolled.code, rolled.all).toBe(1);
      expect(ws().lines('counter.txt')).toEqual(['prepare', 'restore-dump mitaka', 'restart-services']);
      expect(rolled.stdout).toContain('rollback restore-dump confirmed automatically (--yes)');
      expect(rolled.stdout).toContain('<- ok rollback restore-dump');
      expect(rolled.stdout).toContain(
        'the rollback blocks of step migrate ran (restore-dump, restart-services); the failure still holds the run:',
      );
      expect(rolled.stdout).toContain('failed: block migrate in step migrate');
      // Nothing else ran: not the failed block, not a later step.
      expect(rolled.stdout).not.toContain('-> run migrate');
      const trail = ws().audit('rollback');
      const confirmed = trail.filter((r) => r.type === 'block-confirmed');
      expect(confirmed.map((r) => [r.block, r.operator, r.by, r.automatic, r.command])).toEqual([
        ['restore-dump', 'carol', 'carol', true, 'echo "restore-dump mitaka" >> counter.txt'],
        [
          'restart-services',
          'carol',
          'carol',
          true,
          'if [ -e restart-fails ]; then echo "systemctl: unit not found"; exit 3; fi\necho restart-services >> counter.txt',
        ],
      ]);
      expect(trail.filter((r) => r.type === 'block-finished' && r.role === 'rollback').map((r) => [r.block, r.outcome])).toEqual([
        ['restore-dump', 'success'],
        ['restart-services', 'success'],
      ]);
      const checkpoint = ws().checkpoint('rollback');
      expect(checkpoint.steps[1]?.blocks.find((b) => b.id === 'restore-dump')?.status).toBe('passed');
      expect(checkpoint.steps[1]?.status).toBe('failed');

      // The failure is then fixed and retried as usual.
      rmSync(ws().path('broken'));
      const done = await ws().run(file);
      expect(done.code, done.all).toBe(0);
    },
    T,
  );

  it(
    'a rollback block that fails stops there (1), naming it, its evidence and what did not run',
    async () => {
      const file = book();
      ws().write('broken', '');
      ws().write('restart-fails', '');
      expect((await ws().run(file)).code).toBe(1);
      ws().write('restart-fails', '');
      const rolled = await ws().run(file, ['--rollback', 'migrate', '--yes']);
      expect(rolled.code, rolled.all).toBe(1);
      expect(rolled.stdout).toContain('failed: rollback block restart-services of step migrate: exit 3, expected 0');
      expect(rolled.stdout).toContain('   systemctl: unit not found');
      expect(ws().lines('counter.txt')).toEqual(['prepare', 'restore-dump mitaka']);
    },
    T,
  );

  it.each([
    ['an unknown step', null, ['--rollback', 'nope'], 'rollback.md (steps: prepare, migrate, later, final)'],
    ['a step without rollback blocks', null, ['--rollback', 'prepare'], 'step prepare has no rollback block'],
    ['a step not yet run', 'broken', ['--rollback', 'later', '--yes'], 'step later has not run yet in run'],
    [
      'a step that passed',
      'final-broken',
      ['--rollback', 'migrate', '--yes'],
      'rollback blocks are offered only after a failure of their step, while it holds the run; step migrate is passed',
    ],
  ])(
    'refuses %s with exit 2 and a clear message, running nothing',
    async (_what, fault, flags, message) => {
      const file = book();
      if (fault) {
        ws().write(fault, '');
        expect((await ws().run(file)).code).toBe(1);
      }
      const before = ws().lines('counter.txt');
      const refused = await ws().run(file, flags);
      expect(refused.code, refused.all).toBe(2);
      expect(refused.stderr).toContain(message);
      expect(refused.stderr).not.toMatch(/\n\s+at /);
      expect(ws().lines('counter.txt')).toEqual(before);
    },
    T,
  );

  it(
    'refuses a complete run (exit 2): it has no failure to roll back',
    async () => {
      const file = book();
      expect((await ws().run(file)).code).toBe(0);
      const again = await ws().run(file, ['--rollback', 'migrate', '--yes']);
      expect(again.code, again.all).toBe(2);
      expect(again.stderr).toContain('a complete run has no failure to roll back');
      expect(ws().lines('counter.txt')).toEqual(['prepare', 'migrate', 'later']);
    },
    T,
  );

  it(
    'refuses --rollback with other answer flags, and in the TUI (usage, exit 2)',
    async () => {
      const file = book();
      const mixed = await ws().run(file, ['--rollback', 'migrate', '--override', 'x=a long enough reason']);
      expect(mixed.code).toBe(2);
      expect(mixed.stderr).toContain('--rollback runs the rollback blocks of one step and nothing else: leave out --override');
      const tui = await ws().waymark(['run', file, '--rollback', 'migrate']);
      expect(tui.code).toBe(2);
      expect(tui.stderr).toContain('--rollback only apply with --headless');
    },
    T,
  );
});
