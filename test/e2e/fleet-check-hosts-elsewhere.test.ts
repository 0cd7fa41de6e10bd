/**
 * `--check-hosts` when a fleet check of the step targets none of the interrupted hosts.
 * Reproduced on the old code: a step with a fleet check on the computes (it passed) and a restart
 * of the controllers, killed while ctl-2 was in flight; the computes broke meanwhile.
 * `--check-hosts` ran the check on no host at all (its hosts are not the interrupted ones), yet
 * printed `<- ok check computes-ok: 1 hosts ok` as a new execution, from the computes' earlier
 * results, and left the restart to be re-run. Now the check runs on its own hosts, says so, and
 * refuses the step on what it finds. Real ansible-playbook, local hosts.
 */
import { existsSync, rmSync } from 'node:fs';
import { expect, it } from 'vitest';
import { ansiblePlaybookRunning } from '../support/fleet.js';
import { waitFor } from '../support/wait.js';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-fleet-checkhosts-');

const LOCAL = 'ansible_connection=local ansible_python_interpreter=/usr/bin/python3';

it('a check that targets none of the interrupted hosts is not counted by its earlier pass', async () => {
  const w = ws();
  w.write('inventory.ini', ['[controllers]', `ctl-1 ${LOCAL}`, `ctl-2 ${LOCAL}`, '[computes]', `cmp-1 ${LOCAL}`, ''].join('\n'));
  const book = w.write(
    'restart.md',
    [
      '---',
      'inventory: inventory.ini',
      '---',
      '# Restart',
      '',
      '## Controllers {#controllers}',
      '',
      '```sh check name=computes-ok hosts=computes',
      `echo "$WAYMARK_HOST" >> ${w.path('checked.log')}`,
      `test ! -e ${w.path('computes-broken')}`,
      '```',
      '',
      '```sh name=restart hosts=controllers batch=1',
      `echo "$WAYMARK_HOST" >> ${w.path('ran.log')}`,
      // ctl-2 hangs the first time, until the test kills waymark.
      `[ "$WAYMARK_HOST" = ctl-2 ] && [ ! -e ${w.path('in-flight')} ] && { touch ${w.path('in-flight')}; sleep 30; }`,
      'true',
      '```',
      '',
    ].join('\n'),
  );
  const run = w.spawn(['run', book, '--headless']);
  expect(await waitFor(() => existsSync(w.path('in-flight')), 60_000, 50)).toBe(true);
  run.kill('SIGKILL');
  await run.catch(() => undefined);
  expect(await waitFor(() => !ansiblePlaybookRunning(w.dir), 15_000, 100)).toBe(true);
  expect(w.lines('checked.log')).toEqual(['cmp-1']);

  // The computes broke meanwhile: a check run now would fail.
  w.write('computes-broken', '');
  const checked = await w.run(book, ['--check-hosts']);
  expect(checked.code, checked.all).toBe(3);
  expect(checked.stdout).not.toMatch(/<- ok check computes-ok/);
  expect(checked.stdout).toContain(
    'refused: check computes-ok in step controllers (Controllers) failed: hosts=computes targets none of the interrupted hosts (ctl-2): checked on all 1 of its own hosts instead: 1 of 1 hosts failed or were unreachable: cmp-1 (exit 1, expected 0)',
  );
  expect(w.lines('checked.log')).toEqual(['cmp-1', 'cmp-1']);
  const started = w
    .audit('restart')
    .filter((r) => r.type === 'hosts-started')
    .map((r) => [r.block, r.targets]);
  expect(started.at(-1)).toEqual(['computes-ok', ['cmp-1']]);
  // The restart was not run again by any of this.
  expect(w.lines('ran.log')).toEqual(['ctl-1', 'ctl-2']);

  // Fixed: the refused check is re-run first and passes; the interrupted host still waits for a decision.
  rmSync(w.path('computes-broken'));
  const waiting = await w.run(book);
  expect(waiting.code, waiting.all).toBe(4);
  expect(waiting.stdout).toContain('waiting: block restart was interrupted and needs a decision');
  expect(w.lines('checked.log')).toEqual(['cmp-1', 'cmp-1', 'cmp-1']);

  // Checked again, it passes where it ran, and says where that was.
  const passed = await w.run(book, ['--check-hosts']);
  expect(passed.code, passed.all).toBe(4);
  expect(passed.stdout).toMatch(
    /<- ok check computes-ok in [\d.]+m?s: hosts=computes targets none of the interrupted hosts \(ctl-2\): checked on all 1 of its own hosts instead: 1 hosts ok/,
  );
  expect(w.lines('checked.log')).toEqual(['cmp-1', 'cmp-1', 'cmp-1', 'cmp-1']);

  const rerun = await w.run(book, ['--rerun-interrupted']);
  expect(rerun.code, rerun.all).toBe(0);
  expect(w.lines('ran.log')).toEqual(['ctl-1', 'ctl-2', 'ctl-2']);
}, 120_000);
