/**
 * The headless face's answers: a pure function from the run's decisions and the command line's
 * flags to one answer, or to a wait with its exit code. It picks only among the answers the
 * decisions allow; what may happen is decided in decisions.ts, not here.
 */
import type { Block } from '../runbook/model.js';
import { ExitCode } from './errors.js';
import { exitCodeFor, type Answer, type AnswerKind, type Decisions } from './decisions.js';

/** What the flags of `waymark run --headless` answer. */
export interface HeadlessFlags {
  /** --yes: confirm blocks and steps, tick checklists. */
  yes: boolean;
  /** --accept-warnings. */
  acceptWarnings: boolean;
  /** --rerun-interrupted. */
  rerunInterrupted: boolean;
  /** --retry-hosts: run a fleet block again on its unreachable hosts alone. */
  retryHosts?: boolean;
  /** --check-hosts: at a fleet block interrupted mid-batch, run the step's checks on its interrupted hosts first. */
  checkHosts?: boolean;
  /** --override CHECK=REASON. */
  overrides: ReadonlyMap<string, string>;
  /** --skip STEP=REASON. */
  skips: ReadonlyMap<string, string>;
  /**
   * --accept-deviation BLOCK: the blocks whose departure from the rehearsal is accepted. Neither
   * --yes nor --accept-warnings accepts one: the operator names each block (docs/baseline.md).
   */
  acceptDeviations?: ReadonlySet<string>;
}

/** What this invocation knows beyond the decisions. */
export interface PolicyContext {
  /** True when the block ran in this invocation (a refused check from an earlier one is re-run first). */
  ranHere(block: Block): boolean;
  /** Who answers, for what the policy says it did. */
  operator: string;
}

/** What to do next: give an answer (and say `note` first), or stop and wait with this exit code. */
export type PolicyStep = { kind: 'answer'; answer: Answer; note?: string } | { kind: 'wait'; exitCode: ExitCode };

/** The checks the answer `override` may name now: the gate's refused ones that allow it, or an interrupted one. */
function overridable(d: Decisions): string[] {
  if (d.action.kind === 'interrupted') return d.action.block.attrs.override === 'allowed' ? [d.action.block.id] : [];
  return d.gate.filter((check) => check.overridable).map((check) => check.block.id);
}

/** The headless answer to the run's question, or where it must wait for a person. */
export function headlessPolicy(d: Decisions, flags: HeadlessFlags, context: PolicyContext): PolicyStep {
  const allows = (kind: AnswerKind) => d.choices.some((c) => c.kind === kind);
  const confirms = (kind: AnswerKind) => d.choices.some((c) => c.kind === kind && c.confirms);
  const wait: PolicyStep = { kind: 'wait', exitCode: exitCodeFor(d.action) };
  const { action, block } = d;

  // A running step (its block started in this run and has not been decided) is not skipped under it.
  const skip = d.step ? flags.skips.get(d.step.id) : undefined;
  if (skip !== undefined && allows('skip') && d.stepState?.status !== 'running')
    return { kind: 'answer', answer: { kind: 'skip', reason: skip } };

  // Each check of the gate named by an --override is overridden, one answer each, before anything re-runs.
  const named = allows('override') ? overridable(d).find((id) => flags.overrides.has(id)) : undefined;
  if (named !== undefined) {
    const override = flags.overrides.get(named) as string;
    return {
      kind: 'answer',
      answer: { kind: 'override', reason: override, block: named },
      note: `   check ${named} OVERRIDDEN by ${context.operator}: ${override}`,
    };
  }
  // A block that needs a confirmation runs only under --yes. Without it the run stands where it is,
  // and says so as the TUI would: 3 at a refused check, 1 at a failed block, 4 at an interrupted one.
  const run = (kind: 'rerun' | 'retry', note?: string): PolicyStep => {
    if (confirms(kind) && !flags.yes) return wait;
    const answer: Answer = confirms(kind) ? { kind, confirmed: true, automatic: true } : { kind };
    return note === undefined ? { kind: 'answer', answer } : { kind: 'answer', answer, note };
  };

  // Unreachable hosts are retried alone once per invocation; if they stay unreachable, a person decides.
  if (flags.retryHosts && allows('retry-hosts') && block && !context.ranHere(block)) {
    if (confirms('retry-hosts') && !flags.yes) return wait;
    const answer: Answer = confirms('retry-hosts') ? { kind: 'retry-hosts', confirmed: true, automatic: true } : { kind: 'retry-hosts' };
    return {
      kind: 'answer',
      answer,
      note: `retrying ${block.id} on its ${d.fleet?.counts.unreachable ?? 0} unreachable host(s) (--retry-hosts)`,
    };
  }

  // Once per invocation: after the checks ran here, --rerun-interrupted (or a person) decides.
  if (flags.checkHosts && allows('check-hosts') && d.step && !d.step.blocks.some((b) => b.role === 'check' && context.ranHere(b))) {
    return {
      kind: 'answer',
      answer: { kind: 'check-hosts', automatic: true },
      note: `checking the interrupted hosts of ${block?.id ?? ''} with the step's checks first (--check-hosts)`,
    };
  }

  switch (action.kind) {
    case 'run':
      if (allows('confirm-run'))
        return flags.yes
          ? { kind: 'answer', answer: { kind: 'confirm-run', automatic: true } }
          : { kind: 'wait', exitCode: ExitCode.Waiting };
      return allows('run') ? { kind: 'answer', answer: { kind: 'run' } } : wait;
    case 'refused':
      // Checks that refused in an earlier invocation are run again first (all of the gate's): their causes may be fixed.
      return d.gate.some((check) => context.ranHere(check.block)) || context.ranHere(action.block) ? wait : run('rerun');
    case 'failed':
      return context.ranHere(action.block) ? wait : run('retry', `retrying block ${action.block.id}, which failed in an earlier session`);
    case 'interrupted':
      // A rollback cut short is run again as rollbacks are, with --rollback STEP --yes, which stops after it:
      // --rerun-interrupted would go on to retry the very failure it was rolling back.
      if (action.block.role === 'rollback') return wait;
      return flags.rerunInterrupted ? run('rerun', `re-running interrupted block ${action.block.id} (--rerun-interrupted)`) : wait;
    case 'acknowledge': {
      const deviation = d.blockState?.deviation;
      if (deviation) {
        if (!flags.acceptDeviations?.has(action.block.id)) return wait;
        return {
          kind: 'answer',
          answer: { kind: 'acknowledge', automatic: true, reason: `accepted by --accept-deviation ${action.block.id}` },
          note: `   departure of ${action.block.id} from the rehearsal acknowledged (--accept-deviation): ${deviation.message}`,
        };
      }
      if (!flags.acceptWarnings) return wait;
      return {
        kind: 'answer',
        answer: { kind: 'acknowledge', automatic: true, reason: 'accepted by --accept-warnings' },
        note: `   warning of ${action.block.id} acknowledged (--accept-warnings)`,
      };
    }
    case 'checklist': {
      const item = d.items.find((i) => !i.ticked && action.items.some((due) => due.id === i.id));
      if (!flags.yes || !item || !allows('tick')) return wait;
      return {
        kind: 'answer',
        answer: { kind: 'tick', item: item.id, automatic: true },
        note: `   [x] ${item.shown} (${action.precondition ? 'precondition, ' : ''}ticked automatically, --yes)`,
      };
    }
    case 'confirm-step':
      return flags.yes && allows('confirm-step') ? { kind: 'answer', answer: { kind: 'confirm-step', automatic: true } } : wait;
    default:
      return wait;
  }
}
