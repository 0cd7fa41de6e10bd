/**
 * Issue 13, TUI: the host grid of a fleet block in a real terminal — the built binary in tmux at
 * 80x24, its block run by the real ansible-playbook over twelve real sshd hosts. The operator sees
 * the counts, the budget, the failed host named, and its output once selected.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it, vi } from 'vitest';
import { describeWithFleet } from '../support/fleet.js';
import { terminalEnv } from '../support/binary.js';
import { useTmuxWorkspace } from '../support/tmux.js';

vi.setConfig({ testTimeout: 180_000 });

const ws = useTmuxWorkspace('wm-tui-fleet-');

describeWithFleet(
  'the host grid in tmux at 80x24',
  (fleet) => {
    it('shows every host of the batch, the counts and the budget, names the failed host, and tab shows its output', async () => {
      writeFileSync(
        join(ws.dir, 'computes.md'),
        [
          '---',
          `inventory: ${fleet().inventory}`,
          'id: computes',
          '---',
          '## Computes {#computes}',
          '',
          '```sh name=upgrade hosts=computes max-fail=2',
          'echo "updating nova-compute on $WAYMARK_HOST"',
          '[ "$WAYMARK_HOST" = cmp-7 ] && { echo "E: nova-compute conflicts with python3-nova" >&2; exit 100; }',
          'true',
          '```',
          '',
        ].join('\n'),
      );
      await ws.tmux.startWaymark('grid', ['computes.md', '--state-dir', 'state'], {
        cwd: ws.dir,
        columns: 80,
        rows: 24,
        env: terminalEnv({ NO_COLOR: '1' }),
      });
      await ws.tmux.waitFor('grid', /enter run next/);
      await ws.tmux.keys('grid', ['Enter']);
      // While the batch runs, twelve hosts fit named at 80 columns.
      let screen = await ws.tmux.waitFor('grid', /[✓✗▶·] cmp-12\b/, 120_000);
      for (let i = 1; i <= 12; i++) expect(screen).toMatch(new RegExp(`[✓✗▶·] cmp-${i}\\b`));
      // Once it ends with a warning, the warning's host table takes the room, and the grid shows one
      // glyph per host. (This screen used to be read at the first frame with the counts, which on a fast
      // machine is already the warning's and on a loaded one is not: the test passed or failed with the load.)
      screen = await ws.tmux.waitFor('grid', /w accept warning/, 120_000);
      expect(screen).toMatch(/✓ 11 ok +✗ 1 failed/);
      expect(screen).toContain('budget: 1 of 2 left');
      expect(screen).toMatch(/cmp-7 \(exit 100, expected 0\)/);
      expect(screen).toMatch(/cmp-7 +│ failed +│ 100/);
      for (const line of screen.split('\n')) expect([...line].length).toBeLessThanOrEqual(80);

      await ws.tmux.keys('grid', ['Tab']);
      screen = await ws.tmux.waitFor('grid', /› cmp-7 ✗ failed · rc=100/);
      expect(screen).toContain('E: nova-compute conflicts with python3-nova');
      await ws.tmux.keys('grid', ['q']);
      expect(await ws.tmux.waitForExit('grid')).toBe(4);
    });
  },
  { hosts: 13, groups: { controllers: 1, computes: 12 } },
);
