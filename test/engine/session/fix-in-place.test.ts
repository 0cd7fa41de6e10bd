/**
 * Fixing a refused check in place (issue 12, "move freely"): before, the operator at a refused
 * check had to quit and relaunch with `--only fix-charset` to run the step that fixes it. The
 * answer `run-fix` makes the session work on that step now; once it is done the check holds the
 * run again until it is re-run. Also the shell escape's record and environment.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunSession } from '../../../src/engine/session.js';
import { OperatorError } from '../../../src/engine/errors.js';
import { sessionAudit as audit, useSessionFolder } from '../../support/session.js';

let dir = '';
const { sessions } = useSessionFolder('wm-fix-', (made) => {
  dir = made;
});

const GATE = `---
id: fix-gate
vars:
  TARGET:
    default: mitaka
  DB_PASSWORD:
    secret: true
    env: WM_DB_PASSWORD
    default: s3cr3t-value
---
# Fix a gate in place

## Tables are in utf8 {#charset}

\`\`\`sh check name=charset-check
test -e converted
\`\`\`

\`\`\`sh name=migrate
echo migrate >> counter.txt
\`\`\`

## Convert the tables {#convert-charset optional tags=fix-charset fixes=charset}

\`\`\`sh name=convert
touch converted
echo convert >> counter.txt
\`\`\`

## Wipe {#wipe}

\`\`\`sh name=wipe
echo wipe >> counter.txt
\`\`\`
`;

async function open(): Promise<RunSession> {
  const file = join(dir, 'gate.md');
  writeFileSync(file, GATE);
  const session = await RunSession.open({ runbookFile: file, stateDir: join(dir, 'state'), env: {}, killGraceMs: 200, operator: 'alice' });
  sessions.push(session);
  return session;
}

function counter(): string[] {
  const file = join(dir, 'counter.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

describe('run-fix', () => {
  it('works on the fix step, then the check holds the run until it is re-run, and the run goes on', async () => {
    const session = await open();
    await session.answer({ kind: 'run' });
    expect(session.next()).toMatchObject({ kind: 'refused', block: { id: 'charset-check' } });
    expect(session.decisions().fixes.map((s) => s.id)).toEqual(['convert-charset']);

    await session.answer({ kind: 'run-fix', step: 'convert-charset' });
    expect(session.next()).toMatchObject({ kind: 'run', step: { id: 'convert-charset' }, block: { id: 'convert' } });
    expect(session.fixingInPlace).toEqual(['convert-charset']);
    // Recorded: who chose to work on which fix, at which check. No transition: the checkpoint is unchanged.
    expect(audit(session).find((r) => r.type === 'fix-in-place')).toMatchObject({
      step: 'convert-charset',
      gate: 'charset',
      check: 'charset-check',
      operator: 'alice',
    });

    await session.answer({ kind: 'run' });
    expect(counter()).toEqual(['convert']);
    expect(session.state.steps[1]?.status).toBe('passed');
    // The fix is done: the check holds the run again (nothing past it ran), and is not offered to fix again.
    expect(session.next()).toMatchObject({ kind: 'refused', block: { id: 'charset-check' } });
    expect(session.decisions().choices.map((c) => c.kind)).not.toContain('run-fix');
    await expect(session.answer({ kind: 'run' })).rejects.toThrow(OperatorError);

    await session.answer({ kind: 'rerun' });
    expect(session.next()).toMatchObject({ kind: 'run', block: { id: 'migrate' } });
    await session.answer({ kind: 'run' });
    // The fix step is done: the run goes from the gate's step to wipe, not to convert again.
    expect(session.next()).toMatchObject({ kind: 'run', block: { id: 'wipe' } });
    expect(counter()).toEqual(['convert', 'migrate']);
  });

  it('is refused for a step that does not fix the check, and nothing changes', async () => {
    const session = await open();
    await session.answer({ kind: 'run' });
    await expect(session.answer({ kind: 'run-fix', step: 'wipe' })).rejects.toThrow(
      'step wipe does not fix check charset-check (the steps that do: convert-charset)',
    );
    expect(session.fixingInPlace).toEqual([]);
    expect(session.next()).toMatchObject({ kind: 'refused' });
    expect(audit(session).some((r) => r.type === 'fix-in-place')).toBe(false);
  });
});

describe('the shell escape', () => {
  it('opens in the runbook folder with the non-secret variables, and no secret under any name', async () => {
    const session = await open();
    const { cwd, env } = session.shellSetting({ PATH: '/usr/bin', WM_DB_PASSWORD: 'from-the-env', DB_PASSWORD: 'x' });
    expect(cwd).toBe(dir);
    expect(env).toMatchObject({ PATH: '/usr/bin', TARGET: 'mitaka' });
    expect(env.DB_PASSWORD).toBeUndefined();
    expect(env.WM_DB_PASSWORD).toBeUndefined();
    expect(JSON.stringify(env)).not.toContain('s3cr3t-value');
  });

  it('recordShell writes shell-opened with when and how long to the audit trail', async () => {
    const session = await open();
    const startedAt = new Date('2026-12-05T08:00:00.000Z');
    await session.recordShell(startedAt, 12_345.6);
    expect(audit(session).find((r) => r.type === 'shell-opened')).toMatchObject({
      startedAt: '2026-12-05T08:00:00.000Z',
      durationMs: 12_346,
      cwd: dir,
      operator: 'alice',
    });
  });
});
