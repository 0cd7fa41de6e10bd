/**
 * Issue 13, headless: `status --json` gives a fleet block's hosts as `[{host, status, rc}]`. The run
 * is written as a session writes it (the checkpoint's snapshot and journal, the current-run
 * pointer; fleet-fixtures.ts), with no block run: a run that died mid-batch, read back by `waymark status`.
 */
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { statusCommand, type StatusJson } from '../../src/cli/status.js';
import { ExitCode } from '../../src/state/exit-code.js';
import { TWELVE, checkpointFleetRun } from '../engine/fleet-fixtures.js';
import { useTempDir } from '../state/temp-dir.js';

const tempDir = useTempDir();

/** The runbook on disk, and its run after the twelve-host events, checkpointed as a session does. */
async function deadRun(): Promise<{ file: string; stateDir: string }> {
  const file = join(tempDir(), 'computes.md');
  const stateDir = join(tempDir(), 'state');
  await checkpointFleetRun(file, stateDir);
  return { file, stateDir };
}

async function status(...args: string[]): Promise<{ code: number; text: string }> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const code = await statusCommand(args, out);
  return { code, text };
}

describe('status of a fleet block', () => {
  it('--json lists every host of the fleet block with its status and rc; hosts in flight when waymark died are interrupted', async () => {
    const { file, stateDir } = await deadRun();
    const { code, text } = await status(file, '--json', '--state-dir', stateDir);
    expect(code).toBe(ExitCode.Complete);
    const json = JSON.parse(text) as StatusJson;
    const [upgrade] = json.steps[0]!.blocks;
    expect(upgrade?.status).toBe('interrupted');
    expect(upgrade?.hosts).toEqual([
      { host: 'cmp-01', status: 'ok', rc: 0 },
      { host: 'cmp-02', status: 'ok', rc: 0 },
      { host: 'cmp-03', status: 'failed', rc: 1 },
      { host: 'cmp-04', status: 'unreachable', rc: null },
      { host: 'cmp-05', status: 'interrupted', rc: null },
      { host: 'cmp-06', status: 'interrupted', rc: null },
      { host: 'cmp-07', status: 'interrupted', rc: null },
      ...TWELVE.slice(7).map((host) => ({ host, status: 'pending', rc: null })),
    ]);
    // A block that is not a fleet block has no hosts at all.
    expect(json.steps[1]!.blocks[0]).not.toHaveProperty('hosts');
  });

  it('the text form counts the hosts under the block', async () => {
    const { file, stateDir } = await deadRun();
    const { text } = await status(file, '--state-dir', stateDir);
    expect(text).toMatch(/interrupted +run upgrade\n +hosts: 2 ok, 1 failed, 1 unreachable, 3 interrupted, 5 pending\n/);
  });
});
