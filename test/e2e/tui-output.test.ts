/**
 * The output pane in a real terminal (issue 12, items 1, 2 and 9b, and "Whole output"): the
 * built binary in tmux at 80x24. Tab-separated rows keep their last characters, stderr lines
 * carry the `!` mark, and pgup and `/` reach the first line of a long log.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { terminalEnv } from '../support/binary.js';
import { useTmuxWorkspace } from '../support/tmux.js';

vi.setConfig({ testTimeout: 120_000 });

const ws = useTmuxWorkspace('wm-tui-output-');

const RUNBOOK = [
  '---',
  'title: Charset check',
  'id: charset',
  '---',
  '## Tables {#tables}',
  '',
  '```sh name=tables',
  'echo "first line of the log"',
  'for i in $(seq 1 300); do echo "row $i"; done',
  "printf 'TABLE_NAME\\tTABLE_COLLATION\\n'",
  "printf 'instances\\tlatin1_swedish_ci\\n'",
  "printf 'count\\t40\\n'",
  'echo "ERROR 1267: illegal mix of collations" >&2',
  'sleep 0.2',
  '```',
  '',
].join('\n');

describe('the output pane in tmux', () => {
  it('reproduced: `latin1_swedish_ci` showed as `latin1_swedish_`, `40` as `4`, stderr looked like stdout; now rows are whole and stderr is marked; / finds the first line', async () => {
    writeFileSync(join(ws.dir, 'charset.md'), RUNBOOK);
    await ws.tmux.startWaymark('out', ['charset.md', '--state-dir', 'state'], {
      cwd: ws.dir,
      columns: 80,
      rows: 24,
      env: terminalEnv({ NO_COLOR: '1' }),
    });
    await ws.tmux.waitFor('out', /enter run next/);
    await ws.tmux.keys('out', ['Enter']);
    let screen = await ws.tmux.waitFor('out', /tables passed/);
    expect(screen).toContain('  instances       latin1_swedish_ci');
    expect(screen).toContain('  count   40');
    expect(screen).toContain('! ERROR 1267: illegal mix of collations');
    expect(screen).toContain('! stderr');

    await ws.tmux.keys('out', ['/']);
    await ws.tmux.type('out', 'first line');
    await ws.tmux.keys('out', ['Enter']);
    screen = await ws.tmux.waitFor('out', /match 1 of 1/);
    expect(screen).toContain(' >first line of the log');
    expect(screen).toMatch(/lines 1–\d+ of 305 \(start/);
    await ws.tmux.keys('out', ['q']);
    expect(await ws.tmux.waitForExit('out')).toBe(0);
  });
});
