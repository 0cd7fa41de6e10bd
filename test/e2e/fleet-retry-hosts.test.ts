/**
 * `--retry-hosts` on a fleet block that stopped over its budget after its canary. Reproduced on the
 * old code: the canary cmp-1 was unreachable, so the block stopped after batch 1/3 with cmp-2 and
 * cmp-3 pending; once cmp-1 answered, `--retry-hosts` ran cmp-1 alone and the block PASSED with
 * "3 hosts ok", the run went on and completed, and cmp-2 and cmp-3 were never upgraded. Now the
 * block waits, paused before batch 2/3, and `--yes` runs the rest. Real ansible-playbook: a host
 * whose SSH port refuses, then the same host as a local one.
 */
import { expect, it } from 'vitest';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-fleet-retry-');

const LOCAL = 'ansible_connection=local ansible_python_interpreter=/usr/bin/python3';
// Nothing listens on port 1 of 127.0.0.250: a real SSH connection that is refused.
const REFUSED =
  "ansible_host=127.0.0.250 ansible_port=1 ansible_user=root ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5'";

it('after retrying the unreachable canary alone, waits for the batches that never ran instead of passing', async () => {
  const w = ws();
  const inventory = (canary: string): string => ['[computes]', `cmp-1 ${canary}`, `cmp-2 ${LOCAL}`, `cmp-3 ${LOCAL}`, ''].join('\n');
  w.write('inventory.ini', inventory(REFUSED));
  const book = w.write(
    'upgrade.md',
    [
      '---',
      'inventory: inventory.ini',
      '---',
      '# Upgrade',
      '',
      '## Computes {#computes}',
      '',
      '```sh name=upgrade hosts=computes batch=1',
      `echo "$WAYMARK_HOST" >> ${w.path('ran.log')}`,
      '```',
      '',
      '## After {#after}',
      '',
      '```sh name=after',
      `echo after >> ${w.path('ran.log')}`,
      '```',
      '',
    ].join('\n'),
  );

  const stopped = await w.run(book, ['--yes']);
  expect(stopped.code, stopped.all).toBe(1);
  expect(stopped.stdout).toContain('stopped after batch 1/3: cmp-1 (unreachable)');
  expect(w.lines('ran.log')).toEqual([]);

  // The canary answers again.
  w.write('inventory.ini', inventory(LOCAL));
  const retried = await w.run(book, ['--retry-hosts']);
  expect(retried.code, retried.all).toBe(4);
  expect(retried.stdout).toContain(
    'waiting: fleet block upgrade paused between batches (batch 1/3 ended: 1 ok); batch 2/3 waits for a confirmation',
  );
  expect(retried.stdout).not.toContain('3 hosts ok');
  // The earlier failure is not shown as the reason it waits.
  expect(retried.stdout).toMatch(/^<- paused run upgrade in [\d.]+m?s$/m);
  expect(w.lines('ran.log')).toEqual(['cmp-1']);
  const status = await w.status(book);
  expect(status.steps.find((s) => s.id === 'computes')?.status).not.toBe('passed');

  const rest = await w.run(book, ['--yes']);
  expect(rest.code, rest.all).toBe(0);
  expect(rest.stdout).toContain('3 hosts ok');
  expect(w.lines('ran.log')).toEqual(['cmp-1', 'cmp-2', 'cmp-3', 'after']);
}, 120_000);
