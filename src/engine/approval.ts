/**
 * The rule of `approve=N` blocks: such a block runs only once N operators other than the one
 * running it approved its exact resolved content. Pure: plan.ts asks it, the session imports the
 * approvals `waymark approve` wrote (state/approvals.ts) as transitions.
 */
import { createHash } from 'node:crypto';
import type { Block, Step } from '../runbook/model.js';
import { canonicalJson } from '../state/audit.js';
import { blockHash } from './reconcile.js';
import { DEFAULT_SHELL } from '../runbook/model.js';
import type { Approval, BlockState, RunState } from './run-state.js';

/**
 * The block's resolved content hash, the one an approval names: the block's own hash (its info
 * string and code, reconcile.ts) with the values it runs with — the run's recorded variables, the
 * step's own (foreach) values, the keyed digests of its secrets, never a secret itself, and the
 * values blocks captured so far (`capture=`, docs/capture.md; a secret one by its digest). A change
 * to any of them is another content, which the approval does not cover: a capture block that ran
 * again (drift, a retry) and captured another table voids an approval of `DROP TABLE $TABLE`.
 * A shell block's hash also names the runbook's `shell:` when it is not the default: an approval
 * given under `shell: bash` does not cover the same code run through `shell: ./wrapper`.
 */
export function approvalHash(
  block: Block,
  step: Step,
  state: Pick<RunState, 'vars' | 'secretDigests' | 'captures'>,
  shell = DEFAULT_SHELL,
): string {
  const captures = Object.entries(state.captures ?? {});
  const resolved = canonicalJson({
    // The runbook's shell: (front matter), the program the block's code runs through. Only when it
    // is not the default: approvals under bash keep the hash they had.
    ...(block.executor === 'shell' && shell !== DEFAULT_SHELL ? { shell } : {}),
    vars: state.vars,
    step: step.vars,
    secrets: state.secretDigests ?? {},
    // Only when there are some: approvals of runbooks without captures keep the hash they had.
    ...(captures.length > 0
      ? {
          captures: Object.fromEntries(
            captures.map(([name, c]) => [name, c.secret ? { digest: c.digest ?? '' } : { value: c.value ?? '' }]),
          ),
        }
      : {}),
  });
  return createHash('sha256').update(blockHash(block)).update('\0').update(resolved).digest('hex').slice(0, 16);
}

/** Where an `approve=` block stands: how many approvals it needs, and the ones that count now. */
export interface ApprovalStanding {
  needed: number;
  hash: string;
  /** Approvals of this exact content by operators other than the runner, one per operator. */
  given: Approval[];
  /** Approvals that no longer count: for another content (the block or its values changed), or by the runner. */
  stale: Approval[];
  runner: string;
}

/** The standing of `block` (null when it has no `approve=`), for a run whose blocks `runner` runs. */
export function approvalStanding(
  step: Step,
  block: Block,
  blockState: BlockState | undefined,
  state: RunState,
  runner: string,
  shell = DEFAULT_SHELL,
): ApprovalStanding | null {
  const needed = block.attrs.approve;
  if (needed === undefined) return null;
  const hash = approvalHash(block, step, state, shell);
  const given: Approval[] = [];
  const stale: Approval[] = [];
  for (const approval of blockState?.approvals ?? []) {
    if (approval.hash !== hash || approval.by === runner) stale.push(approval);
    else if (!given.some((a) => a.by === approval.by)) given.push(approval);
  }
  return { needed, hash, given, stale, runner };
}

/** How many more approvals the block waits for: 0 when it needs none or has enough. */
export function approvalsLeft(standing: ApprovalStanding | null): number {
  return standing === null ? 0 : Math.max(0, standing.needed - standing.given.length);
}

/** True when the block may run as far as approvals go: it needs none, or has enough of them. */
export function isApproved(standing: ApprovalStanding | null): boolean {
  return approvalsLeft(standing) === 0;
}

/** The line both faces show while the block waits: who may approve, and how. */
export function describeApprovalWait(block: Block, standing: ApprovalStanding): string {
  const by = standing.given.map((a) => a.by);
  const count =
    standing.needed > 1 ? `${standing.needed} approvals (${by.length} given${by.length > 0 ? `: ${by.join(', ')}` : ''})` : 'approval';
  return `block ${block.id} is waiting for ${count} by someone other than ${standing.runner}`;
}

/** Why the block is held, with the command that approves it: the held block's reason in both faces. */
export function approvalReason(runbookFile: string, block: Block, standing: ApprovalStanding): string {
  const left = approvalsLeft(standing);
  const more = standing.given.length > 0 ? `${left} more approval${left > 1 ? 's' : ''}` : left > 1 ? `${left} approvals` : 'approval';
  const given = standing.given.length > 0 ? ` (approved by ${standing.given.map((a) => a.by).join(', ')})` : '';
  return `waiting for ${more} by someone other than ${standing.runner}${given}: waymark approve ${runbookFile} --block ${block.id} --operator NAME`;
}

/** Why an approval from `operator` cannot be given now, or null when it can. */
export function approvalRefusal(block: Block, operator: string, runners: string[]): string | null {
  if (block.attrs.approve === undefined) return `block ${block.id} has no approve= attribute: it needs no approval`;
  const runner = runners.find((name) => name === operator);
  if (runner !== undefined)
    return `operator ${operator} runs this run, and a block with approve= needs the approval of someone other than the one running it: ask another operator to run waymark approve`;
  return null;
}
