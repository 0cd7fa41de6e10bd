/**
 * A stop signal between blocks (issue 10, item 12). Reproduced: SIGTERM arriving while the next
 * block's start was being written still started that block (about 1 in 12 trials). After a stop
 * signal, no block starts: a block whose start was already on disk is recorded interrupted
 * without its command running.
 *
 * Each trial runs a runbook of many fast blocks (each appends its id to ran.txt) and sends SIGTERM
 * the moment a block is reported finished, plus 0-3 ms, so the signal lands among the writes that
 * start the next block. waymark prints `SIGTERM received` in the signal handler itself, so the
 * blocks announced (`-> run ID`) before that line are the only ones that may have run.
 */
import { describe, expect, it } from 'vitest';
import { useWorkspace, type CheckpointJson } from '../support/workspace.js';

const ws = useWorkspace();
const TRIALS = 20;

/** Runbook `id` of 2 steps of 40 blocks: most boundaries are inside a step, where the next block starts at once. */
function manyBlocks(id: string): string {
  const steps = Array.from({ length: 2 }, (_, s) => {
    const blocks = Array.from({ length: 40 }, (_, b) => `\`\`\`sh name=b${s}-${b}\necho b${s}-${b} >> ${id}.ran\n\`\`\`\n`);
    return `## Step ${s} {#s${s}}\n\n${blocks.join('\n')}`;
  });
  return `---\nid: ${id}\n---\n# Many fast blocks\n\n${steps.join('\n')}`;
}

/** One run of its own runbook id, stopped by SIGTERM once `after` blocks finished, plus `delayMs`. */
async function trial(
  id: string,
  after: number,
  delayMs: number,
): Promise<{ code: number | undefined; stdout: string; ran: string[]; checkpoint: CheckpointJson }> {
  const w = ws();
  const child = w.spawn(['run', w.write(`${id}.md`, manyBlocks(id)), '--headless']);
  let stdout = '';
  let sent = false;
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (!sent && (stdout.match(/^<- ok /gm) ?? []).length >= after) {
      sent = true;
      setTimeout(() => child.kill('SIGTERM'), delayMs);
    }
  });
  const result = await child;
  return { code: result.exitCode, stdout, ran: w.lines(`${id}.ran`), checkpoint: w.checkpoint(id) };
}

describe('a stop signal between blocks', () => {
  it(`reproduced: SIGTERM between blocks still started the next block; over ${TRIALS} trials no block starts after the signal`, async () => {
    const late: string[] = [];
    for (let i = 0; i < TRIALS; i++) {
      const after = 2 + ((i * 7) % 30);
      const delayMs = i % 4;
      const { code, stdout, ran, checkpoint } = await trial(`many-${i}`, after, delayMs);
      const lines = stdout.split('\n');
      const signalLine = lines.findIndex((l) => l.includes('SIGTERM received'));
      expect(signalLine, stdout).toBeGreaterThan(-1);
      expect(code, stdout).toBe(130);
      const announced = (upTo: number) => lines.slice(0, upTo).flatMap((l) => /^-> run (\S+)/.exec(l)?.[1] ?? []);
      const before = new Set(announced(signalLine));
      const announcedAfter = lines.slice(signalLine).flatMap((l) => /^-> run (\S+)/.exec(l)?.[1] ?? []);
      // A block whose command ran after the signal is a block started after it.
      for (const id of ran) if (!before.has(id)) late.push(`trial ${i}: ${id} ran after the signal`);
      // A block announced after the signal had its start on disk already: it must not have passed.
      const states = new Map(checkpoint.steps.flatMap((s) => s.blocks.map((b) => [b.id, b.status] as const)));
      for (const id of announcedAfter)
        if (states.get(id) !== 'interrupted') late.push(`trial ${i}: ${id} announced after the signal ended ${states.get(id)}`);
      expect(announcedAfter.length, stdout).toBeLessThanOrEqual(1);
    }
    expect(late).toEqual([]);
  }, 240_000);
});
