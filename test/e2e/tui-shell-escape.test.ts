/**
 * The shell escape with the built binary in a real terminal (issue 12): `!` hands the terminal to
 * $SHELL in the runbook's folder with the run's non-secret variables, the TUI comes back when it
 * exits, and the audit trail records that a shell was opened and for how long. $SHELL here is a
 * script that writes where it ran and its environment to a file and exits.
 */
import { chmodSync, mkdirSync, readFileSync, readdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { terminalEnv } from '../support/binary.js';
import { useTmuxWorkspace } from '../support/tmux.js';

vi.setConfig({ testTimeout: 120_000 });

const ws = useTmuxWorkspace('wm-tui-shell-');

const RUNBOOK = `---
title: Shell escape
id: shell-escape
vars:
  TARGET: mitaka
  DB_TOKEN:
    secret: true
    default: s3cr3t-t0ken-value
---
# Shell escape

## Look around {#look}

\`\`\`sh name=look
echo look >> counter.txt
\`\`\`
`;

describe('! opens a shell', () => {
  it('in the runbook folder, with the non-secret variables, and the audit records it', async () => {
    mkdirSync(join(ws.dir, 'books'));
    writeFileSync(join(ws.dir, 'books', 'shell.md'), RUNBOOK);
    const shell = join(ws.dir, 'fake-shell.sh');
    const report = join(ws.dir, 'shell-report.txt');
    writeFileSync(shell, `#!/bin/sh\n{ echo "cwd=$(pwd)"; env; } > '${report}'\nsleep 1\n`);
    chmodSync(shell, 0o755);

    await ws.tmux.startWaymark('sh', ['books/shell.md', '--state-dir', 'state', '--operator', 'e2e'], {
      cwd: ws.dir,
      env: terminalEnv({ SHELL: shell }),
    });
    await ws.tmux.waitFor('sh', /\? help/);
    await ws.tmux.keys('sh', ['!']);
    const screen = await ws.tmux.waitFor('sh', /back from the shell \(\d+ s, recorded in the audit trail\)/);
    // The TUI is back, whole: the step and its keys.
    expect(screen).toContain('Look around (look)');
    expect(screen).toMatch(/enter run next/);

    const written = readFileSync(report, 'utf8').split('\n');
    expect(written).toContain(`cwd=${realpathSync(join(ws.dir, 'books'))}`);
    expect(written).toContain('TARGET=mitaka');
    expect(written.some((line) => line.startsWith('DB_TOKEN='))).toBe(false);
    expect(written.join('\n')).not.toContain('s3cr3t-t0ken-value');

    // Keys work again after the shell: enter runs the block.
    await ws.tmux.keys('sh', ['Enter']);
    await ws.tmux.waitFor('sh', /complete: q to quit/);
    expect(readFileSync(join(ws.dir, 'books', 'counter.txt'), 'utf8')).toBe('look\n');
    await ws.tmux.keys('sh', ['q']);
    expect(await ws.tmux.waitForExit('sh')).toBe(0);

    const runs = join(ws.dir, 'state', 'shell-escape', 'runs');
    const [run] = readdirSync(runs);
    const records = readFileSync(join(runs, run as string, 'audit.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; durationMs?: number; operator?: string });
    const opened = records.find((r) => r.type === 'shell-opened');
    expect(opened).toMatchObject({ operator: 'e2e' });
    // The script sleeps a second: the duration is the shell's, not zero.
    expect(opened?.durationMs).toBeGreaterThanOrEqual(900);
    const verify = await ws.waymark(['audit', 'books/shell.md', '--verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  });
});
