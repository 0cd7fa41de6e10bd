/** Checks that a checkpoint read from disk is one this version of waymark can resume from. */

const STEP_STATUSES = new Set(['pending', 'running', 'passed', 'failed', 'refused', 'skipped', 'overridden', 'waiting', 'interrupted']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What is wrong with a parsed checkpoint, or null when it can be used. */
export function validateRunState(data: unknown): string | null {
  if (!isRecord(data)) return 'it is not a JSON object';
  if (data.version !== 1) return `it has version ${JSON.stringify(data.version)}, this waymark reads version 1`;
  for (const key of ['runbook', 'run', 'operator', 'startedAt', 'status'] as const) {
    if (typeof data[key] !== 'string') return `it has no "${key}"`;
  }
  if (!Array.isArray(data.steps)) return 'it has no "steps" list';
  // Every runbook has a step (lint refuses one without): an empty list would restart the run from step 1.
  if (data.steps.length === 0) return 'its "steps" list is empty';
  for (const key of ['journalSeq', 'journalBytes'] as const) {
    if (data[key] !== undefined && !Number.isSafeInteger(data[key])) return `its "${key}" is not a whole number`;
  }
  if (data.captures !== undefined) {
    if (!isRecord(data.captures)) return 'its "captures" is not an object';
    for (const [name, captured] of Object.entries(data.captures)) {
      const ok =
        isRecord(captured) &&
        typeof captured.step === 'string' &&
        typeof captured.block === 'string' &&
        typeof captured.secret === 'boolean';
      if (!ok || (captured.value !== undefined && typeof captured.value !== 'string')) return `its capture ${name} is malformed`;
    }
  }
  for (const [i, step] of data.steps.entries()) {
    if (!isRecord(step) || typeof step.id !== 'string' || !Array.isArray(step.blocks) || !isRecord(step.ticked)) {
      return `step ${i + 1} is malformed`;
    }
    if (typeof step.status !== 'string' || !STEP_STATUSES.has(step.status)) return `step ${step.id} has an unknown status`;
    for (const block of step.blocks) {
      if (!isRecord(block) || typeof block.id !== 'string' || typeof block.status !== 'string' || typeof block.executions !== 'number') {
        return `a block of step ${step.id} is malformed`;
      }
      if (block.hosts !== undefined) {
        const hostsOk =
          Array.isArray(block.hosts) &&
          block.hosts.every(
            (h) => isRecord(h) && typeof h.host === 'string' && typeof h.status === 'string' && typeof h.batch === 'number',
          );
        if (!hostsOk) return `the hosts of block ${block.id} in step ${step.id} are malformed`;
      }
    }
  }
  return null;
}
