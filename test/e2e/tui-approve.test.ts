/**
 * `approve=` in the TUI (docs/approve.md), the built binary in a real 80x24 terminal: the run
 * shows who it waits for, and the approval, given from a second process as another operator,
 * arrives on the screen with no key pressed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { useTmuxWorkspace } from '../support/tmux.js';

vi.setConfig({ testTimeout: 120_000 });

const ws = useTmuxWorkspace('wm-tui-apv-');

const BOOK = `---
title: Contract migration
id: contract
---
# Contract migration

## Expand {#expand}

\`\`\`sh name=expand
echo expanded >> expand.txt
\`\`\`

## Contract {#contract}

\`\`\`sh name=drop-columns approve=1
echo contracted >> contract.txt
\`\`\`
`;

describe('approve= in the TUI', () => {
  it('shows "waiting for approval by someone other than alice", then takes in bob\'s approval from another process without a key press', async () => {
    writeFileSync(join(ws.dir, 'contract.md'), BOOK);
    await ws.tmux.startWaymark('run', ['contract.md', '--state-dir', 'state', '--operator', 'alice'], { cwd: ws.dir });
    await ws.tmux.waitFor('run', /enter run next/);
    await ws.tmux.keys('run', ['Enter']);
    let screen = await ws.tmux.waitFor('run', /waiting for approval by someone other than alice/);
    expect(screen).toContain('APPROVAL drop-columns');
    expect(ws.lines('expand.txt')).toEqual(['expanded']);
    // Enter does not run it: only another operator's approval moves the run on.
    await ws.tmux.keys('run', ['Enter']);
    screen = await ws.tmux.waitFor('run', /waiting for approval by someone other than alice/);
    expect(ws.lines('contract.txt')).toEqual([]);

    // The runner cannot approve from the other terminal either: the live run's operator is refused.
    const own = await ws.waymark(['approve', 'contract.md', '--block', 'drop-columns', '--operator', 'alice']);
    expect(own.code, own.stdout + own.stderr).toBe(2);
    const approved = await ws.waymark(['approve', 'contract.md', '--block', 'drop-columns', '--operator', 'bob']);
    expect(approved.code, approved.stdout + approved.stderr).toBe(0);
    expect(approved.stdout).toContain('the live run takes it in within a second');

    // No key pressed: the screen changes by itself.
    screen = await ws.tmux.waitFor('run', /approval of drop-columns received; it may run now/);
    expect(screen).not.toContain('waiting for approval by someone other than alice');
    await ws.tmux.keys('run', ['Enter']);
    await ws.tmux.waitFor('run', /complete: q to quit/);
    expect(ws.lines('contract.txt')).toEqual(['contracted']);
    await ws.tmux.keys('run', ['q']);
    expect(await ws.tmux.waitForExit('run')).toBe(0);
    const audit = await ws.waymark(['audit', 'contract.md', '--verify']);
    expect(audit.code, audit.stdout + audit.stderr).toBe(0);
  });
});
