/**
 * A fleet check (`hosts=` on a check) in a preflight: its hosts go through the run's own fleet
 * path (fleet-run.ts: the inventory, the rolling plan, Ansible, each host judged by the block's
 * expectations), so a preflight refuses exactly what the gate would. The hosts' records live in a
 * scratch state in memory, reduced by the run's own transitions and never written as a
 * checkpoint; each transition goes to the preflight's audit trail instead.
 */
import type { Block, Runbook, Step } from '../runbook/model.js';
import { runFleet, type FleetResult } from './fleet-run.js';
import type { Masker } from './exec/mask.js';
import { initialRunState } from './reconcile.js';
import { reduce, type BlockState, type HostState, type RunState } from './run-state.js';

/** What a fleet check needs from the preflight around it. */
export interface PreflightFleetOptions {
  runbook: Runbook;
  step: Step;
  block: Block;
  /** The preflight's id: the scratch state's run. */
  id: string;
  operator: string;
  profile: string | null;
  inventory: string | { error: string };
  vars: Record<string, string>;
  secretNames: string[];
  masker: Masker;
  cwd: string;
  signal: AbortSignal;
  /** A record for the preflight's audit trail. */
  audit(type: string, payload: Record<string, unknown>): Promise<void>;
  /** A line for the check's log (masked). */
  log(line: string): void;
  /** One host has a result (masked), as it arrives. */
  onHost?(host: HostState): void;
}

/** How a fleet check ended in a preflight, with its hosts as they ended. */
export interface PreflightFleetResult {
  result: Exclude<FleetResult, { kind: 'paused' }>;
  hosts: HostState[];
}

/** Run one fleet check on every host it names, through Ansible, without touching any run's checkpoint. */
export async function preflightFleetCheck(options: PreflightFleetOptions): Promise<PreflightFleetResult> {
  const { runbook, step, block } = options;
  let state: RunState = initialRunState(runbook, {
    id: options.id,
    operator: options.operator,
    host: '',
    profile: options.profile,
    vars: {},
    at: new Date().toISOString(),
  });
  const blockState = (): BlockState => state.steps.find((s) => s.id === step.id)?.blocks.find((b) => b.id === block.id) as BlockState;
  let execution = 0;
  for (;;) {
    execution += 1;
    const result = await runFleet({
      stepId: step.id,
      block,
      execution,
      state: blockState,
      inventory: options.inventory,
      vars: { ...options.vars, ...step.vars },
      secretNames: options.secretNames,
      masker: options.masker,
      shell: runbook.shell,
      timeoutMs: runbook.timeoutMs,
      cwd: options.cwd,
      signal: options.signal,
      dispatch: async (event, [type, payload]) => {
        state = reduce(state, event);
        await options.audit(type, { preflight: options.id, ...payload });
        if (event.type !== 'host-finished') return;
        const host = blockState().hosts?.find((h) => h.host === event.host);
        if (host) options.onHost?.(host);
      },
      log: options.log,
    });
    // `pause=confirm` waits for an operator between batches in a run; a preflight has nobody to
    // ask and changes nothing, so it goes on with the next batch.
    if (result.kind !== 'paused') return { result, hosts: blockState().hosts ?? [] };
  }
}
