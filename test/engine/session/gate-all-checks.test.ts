/**
 * Issue 14 part 4: a gate shows every problem at once. Reproduced before: the session stopped at
 * the first refused check, so the operator fixed latin1, re-ran, and only then met the NULL hosts.
 * Now every check of the step runs, the step is refused if any refuses, a re-run re-runs every
 * check that has not passed (never one that passed), overrides name one check each, and a check
 * with after-failure=stop keeps the old behaviour.
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunSession } from '../../../src/engine/session.js';
import { useSessionFolder } from '../../support/session.js';

let dir = '';
const { sessions } = useSessionFolder('wm-gate-', (made) => {
  dir = made;
});

async function open(text: string): Promise<RunSession> {
  const file = join(dir, 'gate.md');
  writeFileSync(file, text);
  const session = await RunSession.open({ runbookFile: file, stateDir: join(dir, 'state'), env: {}, operator: 'alice', varFlags: [] });
  sessions.push(session);
  return session;
}

/** Which checks ran, in order: each appends its name when it runs. */
function ran(): string[] {
  const file = join(dir, 'ran.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

function audit(session: RunSession): { type: string; block?: string }[] {
  return readFileSync(session.paths.audit, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string });
}

/** A check named NAME that fails (or warns) while the file NAME exists. */
function check(name: string, extra = ''): string {
  return `\`\`\`sh check name=${name}${extra ? ` ${extra}` : ''}\necho ${name} >> ran.txt\nif [ -e ${name} ]; then echo "${name} found a problem"; exit 1; fi\n\`\`\`\n`;
}

function gateBook(...checks: string[]): string {
  return `---\nid: gate\n---\n# Gate\n\n## Pre-checks {#pre}\n\n${checks.join('\n')}\n\`\`\`sh name=work\necho work >> ran.txt\n\`\`\`\n`;
}

const FOUR = gateBook(check('ok'), check('latin1'), check('null-hosts', 'override=allowed'), check('deprecated', 'severity=warning'));

async function runUntilHeld(session: RunSession): Promise<void> {
  while (session.next().kind === 'run') await session.answer({ kind: 'run' });
}

describe('a gate runs every check and shows every problem', () => {
  it('runs all checks after one refused; the step is refused and the decisions list each failure and warning', async () => {
    for (const name of ['latin1', 'null-hosts', 'deprecated']) writeFileSync(join(dir, name), '');
    const session = await open(FOUR);
    await runUntilHeld(session);
    expect(ran()).toEqual(['ok', 'latin1', 'null-hosts', 'deprecated']);
    const d = session.decisions();
    expect(d.action).toMatchObject({ kind: 'refused', block: { id: 'latin1' } });
    expect(d.summary).toBe('checks latin1, null-hosts failed and hold the run');
    expect(d.gate.map((c) => [c.block.id, c.state.status, c.reason, c.overridable])).toEqual([
      ['latin1', 'refused', 'exit 1, expected 0', false],
      ['null-hosts', 'refused', 'exit 1, expected 0', true],
      ['deprecated', 'warning', 'exit 1, expected 0 (severity=warning)', false],
    ]);
    expect(d.gate[0]?.state.tail).toEqual(['latin1 found a problem']);
    expect(session.state.steps[0]?.status).toBe('refused');
    expect(session.exitCode()).toBe(3);
  });

  it('a re-run re-runs every check that has not passed, never one that passed', async () => {
    for (const name of ['latin1', 'null-hosts', 'deprecated']) writeFileSync(join(dir, name), '');
    const session = await open(FOUR);
    await runUntilHeld(session);
    rmSync(join(dir, 'latin1'));
    rmSync(join(dir, 'null-hosts'));
    await session.answer({ kind: 'rerun' });
    expect(ran()).toEqual(['ok', 'latin1', 'null-hosts', 'deprecated', 'latin1', 'null-hosts', 'deprecated']);
    // The warning is what is left: it is acknowledged, and the step goes on.
    expect(session.decisions()).toMatchObject({ action: { kind: 'acknowledge', block: { id: 'deprecated' } } });
    await session.answer({ kind: 'acknowledge' });
    await session.answer({ kind: 'run' });
    expect(session.state.steps[0]?.status).toBe('passed');
  });

  it('overrides one check at a time, by name, only one that allows it; the others still refuse', async () => {
    for (const name of ['latin1', 'null-hosts']) writeFileSync(join(dir, name), '');
    const session = await open(FOUR);
    await runUntilHeld(session);
    await expect(session.answer({ kind: 'override', block: 'latin1', reason: 'the DBA says it is fine' })).rejects.toMatchObject({
      exitCode: 3,
      message: 'check latin1 does not allow an override: the runbook must say override=allowed on it (the checks that do: null-hosts)',
    });
    await expect(session.answer({ kind: 'override', block: 'work', reason: 'the DBA says it is fine' })).rejects.toMatchObject({
      exitCode: 2,
    });
    await session.override('null-hosts', 'hosts reprovisioned after the window');
    expect(
      audit(session)
        .filter((r) => r.type === 'check-overridden')
        .map((r) => r.block),
    ).toEqual(['null-hosts']);
    const d = session.decisions();
    expect(d.action).toMatchObject({ kind: 'refused', block: { id: 'latin1' } });
    expect(d.gate.map((c) => c.block.id)).toEqual(['latin1']);
    expect(d.choices.map((c) => c.kind)).not.toContain('override');
    // The re-run leaves the overridden check alone.
    rmSync(join(dir, 'latin1'));
    await session.answer({ kind: 'rerun' });
    expect(ran().slice(4)).toEqual(['latin1']);
    await session.answer({ kind: 'run' });
    expect(session.state.steps[0]?.status).toBe('overridden');
  });

  it('after-failure=stop: a refused check keeps the later ones from running, until it passes', async () => {
    writeFileSync(join(dir, 'schemas'), '');
    writeFileSync(join(dir, 'latin1'), '');
    const session = await open(gateBook(check('schemas', 'after-failure=stop'), check('latin1')));
    await runUntilHeld(session);
    expect(ran()).toEqual(['schemas']);
    expect(session.decisions()).toMatchObject({
      action: { kind: 'refused', block: { id: 'schemas' } },
      gate: [{ block: { id: 'schemas' } }],
    });
    rmSync(join(dir, 'schemas'));
    await session.answer({ kind: 'rerun' });
    await runUntilHeld(session);
    expect(ran()).toEqual(['schemas', 'schemas', 'latin1']);
    expect(session.decisions()).toMatchObject({ action: { kind: 'refused', block: { id: 'latin1' } } });
  });

  it('a resumed run in the middle of a gate runs the checks not yet run, and never one that passed', async () => {
    writeFileSync(join(dir, 'latin1'), '');
    const first = await open(FOUR);
    await first.answer({ kind: 'run' });
    await first.answer({ kind: 'run' });
    expect(ran()).toEqual(['ok', 'latin1']);
    await first.close();
    const second = await open(FOUR);
    expect(second.next()).toMatchObject({ kind: 'run', block: { id: 'null-hosts' } });
    await runUntilHeld(second);
    expect(ran()).toEqual(['ok', 'latin1', 'null-hosts', 'deprecated']);
    expect(second.decisions()).toMatchObject({ action: { kind: 'refused', block: { id: 'latin1' } } });
    rmSync(join(dir, 'latin1'));
    await second.answer({ kind: 'rerun' });
    expect(ran().slice(4)).toEqual(['latin1']);
    expect(second.state.steps[0]?.blocks.find((b) => b.id === 'ok')?.executions).toBe(1);
  });
});
