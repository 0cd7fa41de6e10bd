/**
 * Stages on the composed control-plane example: the control plane first (--only controlplane),
 * the computes later (--only dataplane), in one run and one checkpoint. Unpinning RPC
 * (needs=controlplane,dataplane) is refused, exit 3, until both stages are complete.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPOSED, useScratch } from '../support/workspace.js';

const scratch = useScratch('wm-stages-');
const T = 60_000;
const ID = 'composed-control-plane-upgrade';
const DATAPLANE = ['nova-upgrade-compute'];
const FINALIZE = ['unpin-rpc', 'record-release'];

interface AuditRecord {
  type: string;
  block?: string;
}

describe.concurrent('stages', () => {
  it(
    'controlplane, then dataplane, continue one checkpoint; unpin RPC is refused until both stages are complete',
    async () => {
      const s = scratch();
      const sandbox = join(s.state, 'sandbox');
      const vars = ['--var', `SANDBOX=${sandbox}`];

      // Stage 1: the control plane. The computes and the final steps stay pending and visible.
      const control = await s.run(COMPOSED, [...vars, '--only', 'controlplane']);
      expect(control.code, control.all).toBe(0);
      expect(control.stdout).toContain('3 step(s) not selected remain for a later run');
      let status = await s.status(COMPOSED);
      const run = status.run;
      expect(status.status).not.toBe('complete');
      const pending = status.steps.filter((st) => st.status === 'pending').map((st) => st.id);
      expect(pending).toEqual([...DATAPLANE, ...FINALIZE]);
      expect(status.steps.filter((st) => !pending.includes(st.id)).every((st) => st.status === 'passed')).toBe(true);
      expect(readFileSync(join(sandbox, 'nova/api'), 'utf8')).toBe('running queens\n');
      const statusText = await s.waymark(['status', COMPOSED]);
      for (const id of [...DATAPLANE, ...FINALIZE]) expect(statusText.stdout).toMatch(new RegExp(`pending +${id}: `));

      // Unpinning now would leave the computes unable to talk to the control plane: refused, exit 3.
      for (const selection of [
        ['--only', 'finalize'],
        ['--skip-tag', 'dataplane'],
      ]) {
        const early = await s.run(COMPOSED, [...vars, ...selection]);
        expect(early.code, early.all).toBe(3);
        expect(early.stdout).toContain('refused: step unpin-rpc (Unpin the RPC versions) needs stage dataplane complete first');
        expect(early.stdout).toContain(`still to do: ${DATAPLANE.join(', ')}`);
        expect(early.stdout).toContain('--only dataplane');
        expect(early.stdout).not.toContain('-> run unpin-rpc');
      }
      expect(readFileSync(join(sandbox, 'nova/rpc-pin'), 'utf8'), 'RPC still pinned').toBe('upgrade_levels=newton\n');
      status = await s.status(COMPOSED);
      expect(status.run).toBe(run);
      expect(status.status).toBe('refused');
      expect(status.steps.find((st) => st.id === 'unpin-rpc')?.status).toBe('pending');

      // Stage 2: the computes, in the same run; the control-plane blocks do not run again.
      const data = await s.run(COMPOSED, [...vars, '--only', 'dataplane']);
      expect(data.code, data.all).toBe(0);
      expect(data.stdout).toContain(`run ${run}`);
      expect(data.stdout.match(/^-> /gm)).toHaveLength(2);
      // The compute role in batches through Ansible (inventory.ini: four local hosts): 1, then 50 %.
      expect(data.stdout).toContain('-> run upgrade-computes (shell on hosts=computes)');
      expect(data.stdout).toContain('-> verify computes-upgraded (shell on hosts=computes)');
      expect(data.stdout).toMatch(/^ +cmp-1 +ok +rc=0 +batch 1\b/m);
      expect(data.stdout).toMatch(/^ +cmp-3 +ok +rc=0 +batch 2\b/m);
      expect(data.stdout).toMatch(/^ +cmp-4 +ok +rc=0 +batch 3\b/m);
      for (const host of ['cmp-1', 'cmp-2', 'cmp-3', 'cmp-4'])
        expect(readFileSync(join(sandbox, `nova/compute-${host}`), 'utf8')).toBe('running queens\n');
      expect((await s.status(COMPOSED)).steps.filter((st) => st.status === 'pending').map((st) => st.id)).toEqual(FINALIZE);

      // Both stages complete: unpin is allowed, and the run completes.
      const finish = await s.run(COMPOSED, [...vars, '--only', 'finalize']);
      expect(finish.code, finish.all).toBe(0);
      expect(finish.stdout).toContain(`run ${run} complete`);
      status = await s.status(COMPOSED);
      expect(status.run).toBe(run);
      expect(status.status).toBe('complete');
      expect(readFileSync(join(sandbox, 'nova/rpc-pin'), 'utf8')).toBe('upgrade_levels=auto\n');
      expect(s.runs(ID)).toEqual([run]);

      // One checkpoint, one audit trail: every block started exactly once across the four sessions.
      const audit = readFileSync(join(s.state, ID, 'runs', run as string, 'audit.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as AuditRecord);
      const started = audit.filter((r) => r.type === 'block-started').map((r) => r.block);
      expect(new Set(started).size).toBe(started.length);
      expect(started).toHaveLength(status.steps.flatMap((st) => st.blocks).length);
      expect(audit.filter((r) => r.type === 'run-started')).toHaveLength(1);
      const verify = await s.waymark(['audit', COMPOSED, '--verify']);
      expect(verify.code, verify.all).toBe(0);
    },
    T,
  );

  it(
    'needs= refuses in a run that selects every step too, while a step of the needed stage is not done',
    async () => {
      const s = scratch();
      // The unpin step comes before the last compute step here, so a plain run reaches it first.
      const book = s.write(
        'early.md',
        '---\nid: early\n---\n## Controllers {#ctl tags=controlplane}\n\n```sh\necho ctl >> log.txt\n```\n\n## Unpin {#unpin needs=dataplane}\n\n```sh\necho unpin >> log.txt\n```\n\n## Computes {#cmp tags=dataplane}\n\n```sh\necho cmp >> log.txt\n```\n',
      );
      const plain = await s.run(book, [], s.dir);
      expect(plain.code, plain.all).toBe(3);
      expect(plain.stdout).toContain('still to do: cmp');
      expect(s.lines(s.path('log.txt'))).toEqual(['ctl']);
      const computes = await s.run(book, ['--only', 'dataplane'], s.dir);
      expect(computes.code, computes.all).toBe(0);
      const rest = await s.run(book, [], s.dir);
      expect(rest.code, rest.all).toBe(0);
      expect(s.lines(s.path('log.txt'))).toEqual(['ctl', 'cmp', 'unpin']);
    },
    T,
  );
});
