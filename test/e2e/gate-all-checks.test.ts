/**
 * Issue 14 part 4, through the real binary: a gate with two failing checks shows both, headless
 * and in the TUI (tmux, 100x30), and the reports and `status --json` list both. Reproduced before:
 * the run stopped at the first failing check, so the second (the NULL hosts) was never run, shown
 * or reported until the first was fixed — a rehearsal cycle lost per problem.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { useTmuxWorkspace } from '../support/tmux.js';

vi.setConfig({ testTimeout: 120_000 });

const ws = useTmuxWorkspace('wm-gates-');

const RUNBOOK = `---
id: two-gates
---
# Two problems at once

## Pre-checks {#pre}

\`\`\`sh check name=latin1 override=allowed
if [ -e latin1 ]; then echo "nova.instances is latin1"; exit 1; fi
\`\`\`

Convert the listed tables first.

\`\`\`sh check name=null-hosts
if [ -e null-hosts ]; then echo "compute_nodes id 5 has no host"; exit 1; fi
\`\`\`

Give every hypervisor record its host.

\`\`\`sh check name=rpc-pin severity=warning
if [ -e rpc-pin ]; then echo "upgrade_levels still pinned"; exit 1; fi
\`\`\`

## Migrate {#migrate}

\`\`\`sh name=migrate
echo migrated >> counter.txt
\`\`\`
`;

function plant(...faults: string[]): void {
  writeFileSync(join(ws.dir, 'two-gates.md'), RUNBOOK);
  for (const fault of faults) writeFileSync(join(ws.dir, fault), '');
}

interface StatusJson {
  status: string;
  steps: { id: string; status: string; blocks: { id: string; status: string; reason?: string }[] }[];
}

describe('a gate with two failing checks', () => {
  it('headless: exit 3, both failures and the warning shown with their evidence; the reports and status --json list both', async () => {
    plant('latin1', 'null-hosts', 'rpc-pin');
    const run = await ws.waymark(['run', 'two-gates.md', '--headless']);
    expect(run.code, run.stdout + run.stderr).toBe(3);
    expect(run.stdout).toContain(
      'refused: check latin1 in step pre (Pre-checks) failed: exit 1, expected 0 (the step has 2 more: listed below)',
    );
    expect(run.stdout).toContain('   nova.instances is latin1');
    expect(run.stdout).toContain('   the runbook says: Convert the listed tables first.');
    expect(run.stdout).toContain('also REFUSED check null-hosts: exit 1, expected 0');
    expect(run.stdout).toContain('   compute_nodes id 5 has no host');
    expect(run.stdout).toContain('   the runbook says: Give every hypervisor record its host.');
    expect(run.stdout).toContain('also WARN check rpc-pin: exit 1, expected 0 (severity=warning)');
    expect(run.stdout).toContain('--override latin1="REASON"');
    expect(ws.lines('counter.txt')).toEqual([]);

    const status = JSON.parse((await ws.waymark(['status', 'two-gates.md', '--json'])).stdout) as StatusJson;
    expect(status.status).toBe('refused');
    expect(status.steps[0]?.blocks.map((b) => [b.id, b.status])).toEqual([
      ['latin1', 'refused'],
      ['null-hosts', 'refused'],
      ['rpc-pin', 'warning'],
    ]);

    const markdown = (await ws.waymark(['report', 'two-gates.md'])).stdout;
    expect(markdown).toContain('### latin1 (refused)');
    expect(markdown).toContain('### null-hosts (refused)');
    expect(markdown).toContain('### rpc-pin (warning)');
    const junit = (await ws.waymark(['report', 'two-gates.md', '--format', 'junit'])).stdout;
    expect(junit).toMatch(/<testsuite name="pre" tests="3" failures="2"/);
    expect(junit).toMatch(/name="check latin1"[^\n]*>\n\s*<failure message="exit 1, expected 0">nova.instances is latin1</);
    expect(junit).toMatch(/name="check null-hosts"[^\n]*>\n\s*<failure message="exit 1, expected 0">compute_nodes id 5 has no host</);
  });

  it('headless: one round of fixes clears both; the re-run re-runs the failed checks only', async () => {
    plant('latin1', 'null-hosts');
    expect((await ws.waymark(['run', 'two-gates.md', '--headless'])).code).toBe(3);
    rmSync(join(ws.dir, 'latin1'));
    rmSync(join(ws.dir, 'null-hosts'));
    const fixed = await ws.waymark(['run', 'two-gates.md', '--headless']);
    expect(fixed.code, fixed.stdout).toBe(0);
    expect(fixed.stdout.match(/^-> check (\S+)/gm)).toEqual(['-> check latin1', '-> check null-hosts']);
    expect(ws.lines('counter.txt')).toEqual(['migrated']);
  });

  it('the TUI lists every failing check with its evidence, and o overrides one of them by name', async () => {
    plant('latin1', 'null-hosts');
    await ws.tmux.startWaymark('gate', ['two-gates.md', '--state-dir', 'state', '--operator', 'e2e'], {
      cwd: ws.dir,
      columns: 100,
      rows: 30,
    });
    await ws.tmux.waitFor('gate', /enter run next/);
    // Each check runs on its own enter, whatever the one before found.
    await ws.tmux.keys('gate', ['Enter']);
    await ws.tmux.waitFor('gate', /latin1 refused/);
    await ws.tmux.keys('gate', ['Enter']);
    await ws.tmux.waitFor('gate', /null-hosts refused/);
    await ws.tmux.keys('gate', ['Enter']);
    const screen = await ws.tmux.waitFor('gate', /also: check failed null-hosts/);
    expect(screen).toMatch(/rpc-pin passed/);
    expect(screen).toContain('GATE: check failed latin1: exit 1, expected 0');
    expect(screen).toContain('nova.instances is latin1');
    expect(screen).toContain('→ Convert the listed tables first.');
    expect(screen).toContain('compute_nodes id 5 has no host');
    expect(screen).toContain('→ Give every hypervisor record its host.');
    await ws.tmux.keys('gate', ['o']);
    await ws.tmux.waitFor('gate', /override latin1/);
    await ws.tmux.type('gate', 'converted by hand on the replica');
    await ws.tmux.keys('gate', ['Enter']);
    const after = await ws.tmux.waitFor('gate', /GATE: check failed null-hosts/);
    expect(after).not.toContain('GATE: check failed latin1');
    await ws.tmux.keys('gate', ['q']);
    expect(await ws.tmux.waitForExit('gate')).toBe(3);
    const status = JSON.parse((await ws.waymark(['status', 'two-gates.md', '--json'])).stdout) as StatusJson;
    expect(status.steps[0]?.blocks.map((b) => [b.id, b.status])).toEqual([
      ['latin1', 'overridden'],
      ['null-hosts', 'refused'],
      ['rpc-pin', 'passed'],
    ]);
  });
});
