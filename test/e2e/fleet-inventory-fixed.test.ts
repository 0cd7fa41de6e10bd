/**
 * A run's `--inventory` is fixed at its start, as its profile is. A fleet block's hosts are known by
 * name only: reproduced on the old code, a run paused after its canary on the testbed's inventory
 * (cmp-1 done) and resumed with `--inventory prod.ini` ran only prod's cmp-2 and passed with
 * "2 hosts ok", though prod's cmp-1 never ran; and a resume without `--inventory` silently switched
 * to the runbook's own inventory. `waymark repair` keeps it as well. Real ansible-playbook, local hosts.
 */
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-fleet-inventory-');

const local = (hosts: string[], group: string): string =>
  [
    `[computes]`,
    ...hosts.map((host) => `${host} ansible_connection=local ansible_python_interpreter=/usr/bin/python3 where=${group}`),
    '',
  ].join('\n');

it('refuses a resume with another --inventory, keeps the run’s own without one, and accepts the same file named again', async () => {
  const w = ws();
  w.write('testbed.ini', local(['cmp-1', 'cmp-2'], 'testbed'));
  // The runbook's own inventory: one host more, so the test can tell which inventory a resume used.
  w.write('prod.ini', local(['cmp-1', 'cmp-2', 'cmp-3'], 'prod'));
  const book = w.write(
    'upgrade.md',
    [
      '---',
      'inventory: prod.ini',
      '---',
      '# Upgrade',
      '',
      '## Computes {#computes}',
      '',
      '```sh name=upgrade hosts=computes batch=1 pause=confirm',
      `echo "$WAYMARK_HOST" >> ${w.path('ran.log')}`,
      '```',
      '',
    ].join('\n'),
  );

  const canary = await w.run(book, ['--inventory', 'testbed.ini']);
  expect(canary.code, canary.all).toBe(4);
  expect(w.lines('ran.log')).toEqual(['cmp-1']);

  const other = await w.run(book, ['--yes', '--inventory', 'prod.ini']);
  expect(other.code, other.all).toBe(2);
  expect(other.stderr).toContain(`--inventory ${w.path('prod.ini')}: the run was started with --inventory ${w.path('testbed.ini')}`);
  expect(other.stderr).toContain("resume without --inventory to go on with the run's own inventory, or start a new run with --new-run");
  expect(w.lines('ran.log')).toEqual(['cmp-1']);

  // A checkpoint rebuilt by `waymark repair` (from the journal and the trail) keeps it too.
  unlinkSync(join(w.runDir('upgrade'), 'checkpoint.json'));
  const repair = await w.waymark(['repair', book]);
  expect(repair.code, repair.all).toBe(0);
  const again = await w.run(book, ['--yes', '--inventory', 'prod.ini']);
  expect(again.code, again.all).toBe(2);
  expect(again.stderr).toContain(`the run was started with --inventory ${w.path('testbed.ini')}`);

  // The same file, named again (here by its absolute path): accepted (still waiting at the pause).
  const same = await w.run(book, ['--inventory', w.path('testbed.ini')]);
  expect(same.code, same.all).toBe(4);
  expect(same.stderr).not.toContain('other settings');

  // Without --inventory: the run's own (testbed.ini, two hosts), not the front matter's three.
  const rest = await w.run(book, ['--yes']);
  expect(rest.code, rest.all).toBe(0);
  expect(rest.stdout).toContain('2 hosts ok');
  expect(w.lines('ran.log')).toEqual(['cmp-1', 'cmp-2']);
  expect(w.audit('upgrade').find((r) => r.type === 'run-started')).toMatchObject({ inventory: w.path('testbed.ini') });
}, 120_000);

it('refuses an --inventory on a run started with the runbook’s own, unless it names that same file', async () => {
  const w = ws();
  w.write('prod.ini', local(['cmp-1', 'cmp-2'], 'prod'));
  w.write('testbed.ini', local(['cmp-1', 'cmp-2'], 'testbed'));
  const book = w.write(
    'upgrade.md',
    [
      '---',
      'inventory: prod.ini',
      '---',
      '# Upgrade',
      '',
      '## Computes {#computes}',
      '',
      '```sh name=upgrade hosts=computes batch=1 pause=confirm',
      `echo "$WAYMARK_HOST" >> ${w.path('ran.log')}`,
      '```',
      '',
    ].join('\n'),
  );
  expect((await w.run(book)).code).toBe(4);
  const other = await w.run(book, ['--yes', '--inventory', 'testbed.ini']);
  expect(other.code, other.all).toBe(2);
  expect(other.stderr).toContain(
    `--inventory ${w.path('testbed.ini')}: the run was started without --inventory, so its fleet blocks use the runbook's own inventory (${w.path('prod.ini')})`,
  );
  expect(w.lines('ran.log')).toEqual(['cmp-1']);
  const same = await w.run(book, ['--yes', '--inventory', 'prod.ini']);
  expect(same.code, same.all).toBe(0);
  expect(w.lines('ran.log')).toEqual(['cmp-1', 'cmp-2']);
}, 120_000);
