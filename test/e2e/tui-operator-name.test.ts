/**
 * The TUI face of `run` names the operator as headless and preflight do
 * (docs/running.md#the-operators-name): with WAYMARK_OPERATOR set in the terminal, the header
 * reads that name and the run's audit trail records it. The same binary, in a real terminal.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { terminalEnv } from '../support/binary.js';
import { useTmuxWorkspace } from '../support/tmux.js';

vi.setConfig({ testTimeout: 60_000 });

const ws = useTmuxWorkspace('wm-tui-operator-');

const BOOK = [
  '---',
  'title: Operator name',
  'id: operator-name',
  '---',
  '# Operator name',
  '',
  '## Note {#note}',
  '',
  '```sh name=note',
  'echo noted >> noted.txt',
  '```',
  '',
].join('\n');

describe('the TUI names the operator from WAYMARK_OPERATOR', () => {
  it('shows it in the header and records it in the audit trail', async () => {
    writeFileSync(join(ws.dir, 'book.md'), BOOK);
    const s = 'operator';
    await ws.tmux.startWaymark(s, ['book.md', '--state-dir', 'state'], {
      cwd: ws.dir,
      env: terminalEnv({ WAYMARK_OPERATOR: 'night-shift-7' }),
    });
    await ws.tmux.waitFor(s, /operator night-shift-7/);
    await ws.tmux.keys(s, ['Enter']);
    await ws.tmux.waitFor(s, /note passed/);
    await ws.tmux.keys(s, ['q']);
    await ws.tmux.waitForExit(s);
    expect(ws.lines('noted.txt')).toEqual(['noted']);
    const runs = join(ws.dir, 'state', 'operator-name', 'runs');
    const [run] = readdirSync(runs);
    const trail = readFileSync(join(runs, run as string, 'audit.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean);
    expect([...new Set(trail.map((line) => (JSON.parse(line) as { operator: string }).operator))]).toEqual(['night-shift-7']);
  });
});
