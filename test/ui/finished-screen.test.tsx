/**
 * The summary of a complete run on an 80x24 terminal names the evidence command, whole, and
 * keeps its prompt on screen, however many steps the run had and however long the runbook's path.
 * Reproduced: naming the evidence command in the wrapped notice pushed "n new run · q quit" (and
 * the typed-yes question) off a 24-row screen.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { render } from 'ink-testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunSession } from '../../src/engine/session.js';
import { FinishedScreen } from '../../src/ui/components/FinishedScreen.js';
import { plain } from './harness.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wm-finished-screen-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A runbook of `steps` steps, each one block that passes, run to completion; then opened again (finished). */
async function finishedRun(folder: string, steps: number): Promise<RunSession> {
  mkdirSync(folder, { recursive: true });
  const file = join(folder, 'nova-upgrade-of-the-compute-fleet.md');
  const body = Array.from({ length: steps }, (_, i) =>
    [`## Step ${i + 1} {#step-${i + 1}}`, '', `\`\`\`sh name=s${i + 1}`, 'true', '```', ''].join('\n'),
  );
  writeFileSync(file, ['---', 'id: fleet-upgrade', '---', '# Upgrade the fleet', '', ...body].join('\n'));
  const open = () => RunSession.open({ runbookFile: file, stateDir: join(dir, 'state'), env: {}, operator: 'alice' });
  const first = await open();
  for (const step of first.runbook.steps) for (const block of step.blocks) await first.runBlock(step, block);
  await first.close();
  return open();
}

function renderAt(session: RunSession, columns: number, rows: number, onNewRun: () => void = () => undefined) {
  const rendered = render(
    <FinishedScreen
      state={session.state}
      notice={session.finishedHeadline()}
      evidence={session.evidenceNotice()}
      onNewRun={onNewRun}
      onQuit={() => undefined}
    />,
  );
  const stdout = rendered.stdout as unknown as NodeJS.EventEmitter;
  Object.defineProperty(stdout, 'columns', { configurable: true, get: () => columns });
  Object.defineProperty(stdout, 'rows', { configurable: true, get: () => rows });
  stdout.emit('resize');
  return rendered;
}

describe('the summary of a complete run at 80x24', () => {
  it('names the whole evidence command and keeps the prompt, and the typed-yes question, within 24 rows', async () => {
    const session = await finishedRun(join(dir, 'change-tickets', 'CHG-2026-12-05-nova-compute-rolling-upgrade', 'runbooks'), 30);
    try {
      expect(session.finished).toBe(true);
      const rendered = renderAt(session, 80, 24);
      try {
        await vi.waitFor(() => expect(plain(rendered.lastFrame())).toContain('n new run · q quit'));
        let frame = plain(rendered.lastFrame()).replace(/\n$/, '');
        expect(frame.split('\n').length).toBeLessThanOrEqual(24);
        // The command is whole (wrapped if the path is long, never cut), ready to paste. Its path is
        // relative when that is shorter (evidence-hint.ts): absolute from a checkout under /work, but
        // `../wm-…` from one under /tmp, beside the test's folder, where this once expected the absolute.
        const command = session.evidenceNotice();
        expect(command).toMatch(/^evidence: waymark evidence \S*\/nova-upgrade-of-the-compute-fleet\.md --out FILE\.tar\.gz$/);
        expect(frame.replace(/\n/g, '')).toContain(command);
        expect(frame).toContain('more steps (waymark status shows them all)');
        await vi.waitFor(() => expect(rendered.stdin.listenerCount('readable')).toBeGreaterThan(0));
        rendered.stdin.write('n');
        await vi.waitFor(() => expect(plain(rendered.lastFrame())).toContain('Type yes and enter'));
        frame = plain(rendered.lastFrame()).replace(/\n$/, '');
        expect(frame.split('\n').length).toBeLessThanOrEqual(24);
      } finally {
        rendered.unmount();
      }
    } finally {
      await session.close();
    }
  });

  it('judges keys typed faster than the screen redraws by what was typed: "no" and enter start nothing, "yes" and enter start a new run', async () => {
    const session = await finishedRun(join(dir, 'book'), 2);
    let newRuns = 0;
    try {
      const rendered = renderAt(session, 80, 24, () => (newRuns += 1));
      try {
        await vi.waitFor(() => expect(rendered.stdin.listenerCount('readable')).toBeGreaterThan(0));
        // Each key its own read, with no redraw in between.
        for (const key of ['n', 'n', 'o', '\r']) rendered.stdin.write(key);
        await vi.waitFor(() => expect(plain(rendered.lastFrame())).toContain('no new run started: type yes to start one'));
        expect(newRuns).toBe(0);
        for (const key of ['n', 'y', 'e', 's', '\r']) rendered.stdin.write(key);
        await vi.waitFor(() => expect(newRuns).toBe(1));
      } finally {
        rendered.unmount();
      }
    } finally {
      await session.close();
    }
  });
});
