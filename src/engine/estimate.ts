/**
 * Time left, estimated from earlier runs of the same runbook: for each step not yet done, the
 * median of its durations in earlier runs (matched by the step's content hash, so an edited
 * step does not borrow the old one's time).
 */
import type { Runbook } from '../runbook/model.js';
import { readCheckpoint } from './checkpoint.js';
import { runPaths } from '../state/layout.js';
import { StateLinkError } from '../state/atomic.js';
import { listRunIds, locateRunbookState } from './state-folder.js';
import type { RunState } from './run-state.js';
import { isStepDone } from './run-state.js';
import { baselineDurations } from './baseline.js';

/** How many earlier runs to learn from; older ones say little about today. */
const RUNS_CONSULTED = 20;

/**
 * Step durations for a run's ETA: its rehearsal's when it was started with a baseline (the run
 * it rehearsed is the better guess), else the medians of earlier runs here.
 */
export async function durationsFor(stateDir: string, runbook: Runbook, state: RunState): Promise<Map<string, number>> {
  if (state.baseline) return baselineDurations(state.baseline, runbook);
  return stepDurations(stateDir, runbook, state.run);
}

/** Median duration per step hash over earlier runs. */
export async function stepDurations(stateDir: string, runbook: Runbook, exceptRun: string): Promise<Map<string, number>> {
  const book = await locateRunbookState(stateDir, runbook);
  const ids = (await listRunIds(book)).filter((id) => id !== exceptRun).slice(-RUNS_CONSULTED);
  const samples = new Map<string, number[]>();
  for (const id of ids) {
    let state: RunState | null;
    try {
      state = await readCheckpoint(runPaths(book, id).checkpoint);
    } catch (error) {
      // A link planted in the state directory is refused wherever it is met, not read around.
      if (error instanceof StateLinkError) throw error;
      // An unreadable old run only means one sample fewer for an estimate; the run itself is unaffected.
      continue;
    }
    for (const step of state?.steps ?? []) {
      if ((step.status === 'passed' || step.status === 'overridden') && step.durationMs !== undefined) {
        samples.set(step.hash, [...(samples.get(step.hash) ?? []), step.durationMs]);
      }
    }
  }
  const medians = new Map<string, number>();
  for (const [hash, values] of samples) {
    const sorted = values.sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    medians.set(hash, sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2);
  }
  return medians;
}

/** Milliseconds left for the steps not done, or null when no earlier run knows any of them. */
export function timeLeft(state: RunState, durations: Map<string, number>): number | null {
  let total = 0;
  let known = false;
  for (const step of state.steps) {
    if (isStepDone(step)) continue;
    const median = durations.get(step.hash);
    if (median !== undefined) {
      total += median;
      known = true;
    }
  }
  return known ? total : null;
}
