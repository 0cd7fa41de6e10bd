/**
 * Issue 10, item 11: `status` while a run writes. Reproduced: a reader saw 120 passed steps, then
 * 66 (2 in about 4,000 reads). A compaction rewrote the snapshot and emptied the journal between
 * the reader's read of the snapshot and its read of the journal, so it replayed an empty journal
 * on the older snapshot. Readers must never see an older state than one they already saw.
 *
 * A writer process (the engine's RunCheckpoint from the build under test) moves 400 steps to
 * passed in 4,400 transitions, with a snapshot every 200 (22 compactions), while this process reads the checkpoint the way
 * status and report do, as often as it can.
 */
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '../../src/engine/checkpoint.js';
import { BIN, ROOT } from '../support/binary.js';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-race-');
const STEPS = 400;

describe('reading a checkpoint while a run writes it', () => {
  it('reproduced: a reader saw 120 passed steps, then 66; the passed count a reader sees never goes down', async () => {
    const path = join(ws().dir, 'checkpoint.json');
    const writer = execa(
      process.execPath,
      [join(ROOT, 'test/e2e/helpers/checkpoint-writer.mjs'), dirname(dirname(BIN)), path, String(STEPS)],
      { reject: false, all: true },
    );
    let done = false;
    void writer.finally(() => {
      done = true;
    });

    let reads = 0;
    let seen = 0;
    const counts = new Set<number>();
    const drops: string[] = [];
    while (!done) {
      const state = await readCheckpoint(path);
      if (state === null) continue;
      reads += 1;
      const passed = state.steps.filter((s) => s.status === 'passed').length;
      if (passed < seen) drops.push(`read ${reads}: ${seen} passed, then ${passed}`);
      counts.add(passed);
      seen = Math.max(seen, passed);
    }
    const result = await writer;
    expect(result.exitCode, result.all).toBe(0);
    expect(drops).toEqual([]);
    // The reads spanned the run: hundreds of reads (thousands on a quiet machine) at many points of it.
    expect(reads).toBeGreaterThan(300);
    expect(counts.size).toBeGreaterThan(100);
    expect(seen).toBe(STEPS);
  }, 180_000);
});
