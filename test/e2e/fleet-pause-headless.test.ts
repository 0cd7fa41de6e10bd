/**
 * Headless at a `pause=confirm` fleet block: without --yes it stops with exit 4 and lists what the
 * last batch did, one inert line per host (a host name from the inventory cannot drive the terminal);
 * --yes goes on batch by batch. Real ansible-playbook, local hosts.
 */
import { expect, it } from 'vitest';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-fleet-pause-');

it('waits after the first batch naming its hosts, then --yes runs the rest', async () => {
  const w = ws();
  w.write('inventory.ini', ['[computes]', 'cmp-1 ansible_connection=local', 'cmp-2 ansible_connection=local', ''].join('\n'));
  const book = w.write(
    'pause.md',
    [
      '---',
      'inventory: inventory.ini',
      '---',
      '# Pause',
      '',
      '## Computes {#computes}',
      '',
      '```sh name=upgrade hosts=computes batch=1 pause=confirm',
      'echo "up on $WAYMARK_HOST"',
      '```',
      '',
    ].join('\n'),
  );
  const paused = await w.run(book);
  expect(paused.code, paused.all).toBe(4);
  expect(paused.stdout).toContain(
    'waiting: fleet block upgrade paused between batches (batch 1/2 ended: 1 ok); batch 2/2 waits for a confirmation',
  );
  expect(paused.stdout).toMatch(/^ {3}cmp-1 {2}ok +rc=0 +batch 1/m);
  expect(paused.stdout).toContain('confirm the next batch in the TUI, or re-run with --yes');
  const rest = await w.run(book, ['--yes']);
  expect(rest.code, rest.all).toBe(0);
  expect(rest.stdout).toMatch(/cmp-2 +ok +rc=0 +batch 2/);
  expect(rest.stdout).not.toMatch(/cmp-1 +ok/);
}, 120_000);
