/**
 * The checkpoint's journal keeps every transition of a run (issue 10, items 6 and 11): compaction
 * rewrites the snapshot but never empties the journal, and a reader refuses a journal that lost
 * transitions the snapshot relies on, instead of silently showing less.
 */
import { readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPACT_EVERY, RunCheckpoint, journalPathOf, readCheckpoint } from '../../../src/engine/checkpoint.js';
import { reduce, type RunEvent, type RunState } from '../../../src/engine/run-state.js';
import { StateError } from '../../../src/state/atomic.js';
import { Journal, readJournal } from '../../../src/state/journal.js';
import { useTempDir } from '../../state/temp-dir.js';

const tempDir = useTempDir();
const AT = '2026-12-04T02:00:00.000Z';

function runState(steps: number): RunState {
  return {
    version: 1,
    runbook: 'r',
    runbookFile: 'r.md',
    title: 'R',
    run: 'run-1',
    operator: 'op',
    host: 'h',
    profile: null,
    startedAt: AT,
    updatedAt: AT,
    status: 'running',
    vars: {},
    steps: Array.from({ length: steps }, (_, i) => ({
      id: `s${i}`,
      title: `S${i}`,
      hash: 'h',
      status: 'pending' as const,
      ticked: {},
      blocks: [{ id: `b${i}`, role: 'run', hash: 'h', status: 'pending' as const, exitCode: null, attempts: 0, executions: 0 }],
    })),
  };
}

/** Pass `count` steps, three transitions each; returns the final state. */
async function passSteps(checkpoint: RunCheckpoint, state: RunState, count: number): Promise<RunState> {
  for (let i = 0; i < count; i += 1) {
    const events: RunEvent[] = [
      { type: 'block-started', step: `s${i}`, block: `b${i}`, hash: 'h', log: 'l', at: AT },
      { type: 'block-finished', step: `s${i}`, block: `b${i}`, outcome: 'success', exitCode: 0, attempts: 1, durationMs: 1, at: AT },
      { type: 'step-finished', step: `s${i}`, at: AT },
    ];
    for (const event of events) {
      state = reduce(state, event);
      await checkpoint.commit(event, state);
      await checkpoint.compactIfDue(state);
    }
  }
  return state;
}

describe('the checkpoint journal', () => {
  it(`reproduced: compaction every ${COMPACT_EVERY} transitions emptied the journal; now it keeps every transition from the first`, async () => {
    const path = join(tempDir(), 'checkpoint.json');
    const checkpoint = await RunCheckpoint.create(path, runState(150));
    await passSteps(checkpoint, runState(150), 150);
    await checkpoint.close();

    const { entries } = await readJournal<RunEvent>(journalPathOf(path));
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 450 }, (_, i) => i + 1));
    const snapshot = JSON.parse(readFileSync(path, 'utf8')) as RunState;
    expect(snapshot.journalSeq).toBe(400);
    expect((await readCheckpoint(path))?.steps.every((s) => s.status === 'passed')).toBe(true);
  });

  it('a journal cut shorter than the snapshot recorded is refused when read, naming it', async () => {
    const path = join(tempDir(), 'checkpoint.json');
    const checkpoint = await RunCheckpoint.create(path, runState(100));
    await passSteps(checkpoint, runState(100), 100);
    await checkpoint.close();
    truncateSync(journalPathOf(path), 0);

    const error = await readCheckpoint(path).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).message).toContain(`state file ${journalPathOf(path)} is shorter`);
  });

  it('a journal that skips a transition is refused, with the repair advice', async () => {
    const path = join(tempDir(), 'checkpoint.json');
    const checkpoint = await RunCheckpoint.create(path, runState(3));
    await passSteps(checkpoint, runState(3), 3);
    await checkpoint.close();
    const lines = readFileSync(journalPathOf(path), 'utf8').split('\n');
    writeFileSync(journalPathOf(path), [...lines.slice(0, 4), ...lines.slice(5)].join('\n'));

    await expect(readCheckpoint(path, 'r.md')).rejects.toThrow(
      /skips from transition 4 to 6: transitions are missing; .*waymark repair r\.md/,
    );
  });

  it('a new run never starts on an existing checkpoint or journal', async () => {
    const path = join(tempDir(), 'checkpoint.json');
    writeFileSync(journalPathOf(path), '');
    await expect(RunCheckpoint.create(path, runState(1))).rejects.toThrow(`state file ${journalPathOf(path)} already exists`);
    expect(readFileSync(journalPathOf(path), 'utf8')).toBe('');
  });

  it('a torn last line (a crash mid-append) is cut off when the journal is opened again, with its bytes kept beside it', async () => {
    const path = join(tempDir(), 'checkpoint.journal');
    const whole = `${JSON.stringify({ seq: 1, event: { type: 'step-started', step: 's0', at: AT } })}\n`;
    writeFileSync(path, `${whole}{"seq":2,"event":{"ty`);
    const journal = await Journal.open(path);
    await journal.close();
    expect(readFileSync(path, 'utf8')).toBe(whole);
    expect(readFileSync(`${path}.torn-${Buffer.byteLength(whole)}`, 'utf8')).toBe('{"seq":2,"event":{"ty');
  });
});
