/**
 * Issue 13, TUI: a `pause=confirm` fleet block waits between batches, and the confirmation says what
 * the last batch did before the operator types yes; x runs the unreachable hosts alone. Over a real
 * RunSession and the real ansible-playbook (local hosts, and one address nothing listens on).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY, flat, useScreens } from './harness.js';

const ui = useScreens();
const T = 90_000;

function fleetBook(block: string): string {
  const dir = ui.dir();
  writeFileSync(
    join(dir, 'inventory.ini'),
    [
      '[computes]',
      'cmp-1 ansible_connection=local',
      'cmp-2 ansible_connection=local',
      'cmp-3 ansible_connection=local',
      // Nothing listens there: Ansible reports it unreachable at once.
      'cmp-9 ansible_host=127.0.0.254 ansible_port=1 ansible_ssh_common_args="-o ConnectTimeout=2"',
      '',
    ].join('\n'),
  );
  const file = join(dir, 'fleet.md');
  // The script runs in the host's login folder: it writes where the test reads by absolute path.
  const lines = [
    '---',
    'inventory: inventory.ini',
    'vars:',
    `  OUT: ${join(dir, 'ran.txt')}`,
    '---',
    '# Fleet',
    '',
    '## Computes {#computes}',
    '',
    block,
    'echo "$WAYMARK_HOST" >> "$OUT"',
    '```',
    '',
  ];
  writeFileSync(file, lines.join('\n'));
  return file;
}

describe('fleet blocks in the TUI', () => {
  it(
    'pauses after each batch; the confirmation names the batch that ran and its result, and the next batch runs only after yes',
    async () => {
      const screen = await ui.open(fleetBook('```sh name=upgrade hosts=computes:!cmp-9 batch=1 pause=confirm'), { columns: 80, rows: 24 });
      screen.press(KEY.enter);
      await screen.until((f) => expect(flat(f)).toMatch(/RUN upgrade paused .* batch 2\/3 next/), 60_000);
      expect(screen.lines('ran.txt')).toEqual(['cmp-1']);
      screen.press(KEY.enter);
      await screen.until((f) =>
        expect(flat(f)).toContain('fleet block upgrade paused between batches (batch 1/3 ended: 1 ok); batch 2/3 waits for a confirmation'),
      );
      expect(flat(screen.live())).toContain('upgrade (shell on each host of hosts=computes:!cmp-9) will run exactly:');
      // Not yet confirmed: nothing more ran.
      expect(screen.lines('ran.txt')).toEqual(['cmp-1']);
      for (const ch of 'yes') screen.press(ch);
      screen.press(KEY.enter);
      await screen.until(() => expect(screen.lines('ran.txt')).toEqual(['cmp-1', 'cmp-2']), 60_000);
    },
    T,
  );

  it(
    'x runs the unreachable hosts alone; the hosts that passed do not run again',
    async () => {
      const screen = await ui.open(fleetBook('```sh name=upgrade hosts=computes max-fail=1'), { columns: 80, rows: 24 });
      screen.press(KEY.enter);
      await screen.until((f) => expect(flat(f)).toMatch(/1 of 4 hosts failed or were unreachable, within the failure budget of 1/), 60_000);
      expect([...screen.lines('ran.txt')].sort()).toEqual(['cmp-1', 'cmp-2', 'cmp-3']);
      screen.press('x');
      await screen.until(() => {
        const started = screen.session.state.steps[0]?.blocks[0]?.executions;
        expect(started).toBe(2);
        expect(screen.session.busy).toBe(false);
      }, 60_000);
      // The local hosts passed: only cmp-9 was tried again (and is still unreachable).
      expect([...screen.lines('ran.txt')].sort()).toEqual(['cmp-1', 'cmp-2', 'cmp-3']);
      const hosts = screen.session.state.steps[0]?.blocks[0]?.hosts ?? [];
      expect(hosts.find((h) => h.host === 'cmp-9')).toMatchObject({ status: 'unreachable', execution: 2 });
      expect(hosts.find((h) => h.host === 'cmp-1')).toMatchObject({ status: 'ok', execution: 1 });
    },
    T,
  );
});
