/**
 * What every report format shows: a run, step by step, with every block's executions and every
 * decision. The Markdown, JSON and JUnit reports and `report --compare` all read this one model,
 * so they cannot tell a run differently.
 */
import type { FleetAttributes, Runbook } from '../runbook/model.js';
import type {
  BlockState,
  BlockStatus,
  Decision,
  Execution,
  HostState,
  RunState,
  RunStatus,
  StepState,
  StepStatus,
} from '../engine/run-state.js';
import { capturesShown, type CaptureShown } from '../engine/capture.js';

/** A block's result as a report shows it: its status, or `marked done` when a person counted an interrupted block as done. */
export type ReportBlockStatus = BlockStatus | 'marked done';

/** A step's result as a report shows it: `marked done` when it passed only because a block of it was marked done. */
export type ReportStepStatus = StepStatus | 'marked done';

/** One execution of a block, in the operator's words. */
export interface ReportExecution extends Execution {
  /** `passed`, `warning`, `refused` (a check) or `failed`, `could not run` (an error), `interrupted`, `running`. */
  result: string;
}

/** One host of a fleet block in a report: its checkpointed record (masked), and its result in one phrase. */
export interface ReportHost extends Omit<HostState, 'tail'> {
  /** `ok`, `failed: exit 1, expected 0`, `unreachable: …`, `marked done (reason)`, `not run`. */
  result: string;
  /** The last lines of its output, as the checkpoint keeps them. */
  tail: string[];
}

/** One block in a report. */
export interface ReportBlock extends Omit<BlockState, 'status' | 'history' | 'hosts'> {
  status: ReportBlockStatus;
  /** The result in one phrase, with the decision's reason where a person decided it: `marked done (finished by hand)`. */
  result: string;
  /** Every execution in this run, oldest first (bounded as the checkpoint keeps it; `executions` counts them all). */
  history: ReportExecution[];
  /** A fleet block's hosts, in the order of its rolling plan; absent on other blocks. */
  hosts?: ReportHost[];
  /** A fleet block's attributes as the runbook has them now (hosts=, batch=, max-fail=, forks=). */
  fleet?: FleetAttributes;
  lang: string;
  line: number;
}

/** One step in a report. */
export interface ReportStep extends Omit<StepState, 'blocks' | 'status'> {
  status: ReportStepStatus;
  line: number;
  blocks: ReportBlock[];
}

/** A decision a person (or a flag) made, with what it was about. */
export interface ReportDecision {
  step: string;
  block?: string;
  /** `skipped`, `step confirmed`, `block confirmed`, `ticked`, `overridden`, `warning acknowledged`, `marked done`, `approved`. */
  kind: string;
  /** What was decided on: the checklist item's text for a tick, `execution N` for a block confirmation. */
  subject?: string;
  decision: Decision;
}

/** A run ready to render: the checkpoint's header fields, its steps joined with the runbook, its decisions. */
export interface RunReport
  extends Pick<
    RunState,
    'runbook' | 'title' | 'run' | 'operator' | 'host' | 'profile' | 'startedAt' | 'updatedAt' | 'finishedAt' | 'vars'
  > {
  file: string;
  status: RunStatus;
  steps: ReportStep[];
  /** Every decision a person (or a flag) made, in step order, then time order. */
  decisions: ReportDecision[];
  /** Values blocks captured (`capture=`), by name; a secret one shown masked (docs/capture.md). */
  captures?: Record<string, CaptureShown>;
}

/** An execution's result in the words the rest of waymark uses for a block with that outcome. */
function executionResult(execution: Execution, role: string): string {
  switch (execution.outcome) {
    case 'success':
      return 'passed';
    case 'warning':
      return 'warning';
    case 'failure':
      return role === 'check' ? 'refused' : 'failed';
    case 'error':
      return 'could not run';
    default:
      return execution.outcome;
  }
}

/**
 * A block's executions. A checkpoint written before the history was kept has none: its last
 * execution is all it knows, and that is what is shown.
 */
function historyOf(block: BlockState): Execution[] {
  if (block.history) return block.history;
  if (block.executions === 0 || !block.startedAt) return [];
  const outcome: Execution['outcome'] =
    block.status === 'interrupted' || (block.markedDone && !block.outcome) ? 'interrupted' : (block.outcome ?? 'running');
  const last: Execution = {
    execution: block.executions,
    outcome,
    exitCode: block.exitCode,
    attempts: block.attempts,
    startedAt: block.startedAt,
  };
  if (block.reason !== undefined) last.reason = block.reason;
  if (block.finishedAt !== undefined) last.finishedAt = block.finishedAt;
  if (block.durationMs !== undefined) last.durationMs = block.durationMs;
  return [last];
}

const because = (decision: Decision | undefined) => (decision?.reason ? ` (${decision.reason})` : '');

/** The block's result in one phrase: what a person decided about it says more than the status it left. */
function blockResult(block: BlockState): { status: ReportBlockStatus; result: string } {
  if (block.markedDone && block.status === 'passed') return { status: 'marked done', result: `marked done${because(block.markedDone)}` };
  if (block.status === 'overridden') return { status: block.status, result: `overridden${because(block.override)}` };
  if (block.status === 'acknowledged') return { status: block.status, result: `warning acknowledged${because(block.acknowledged)}` };
  return { status: block.status, result: block.status };
}

/** A fleet host's result in one phrase, with the decision's reason where a person marked it done. */
function hostResult(host: HostState): string {
  if (host.status === 'marked-done') return `marked done${because(host.markedDone)}`;
  if (host.status === 'pending') return 'not run';
  return host.reason ? `${host.status}: ${host.reason}` : host.status;
}

function reportHost(host: HostState): ReportHost {
  const { tail, ...rest } = host;
  return { ...rest, result: hostResult(host), tail: tail ?? [] };
}

/** Join a checkpoint with the runbook it ran. */
export function buildReport(runbook: Runbook, state: RunState, status: RunStatus): RunReport {
  const decisions: ReportDecision[] = [];
  const steps = state.steps.map((step): ReportStep => {
    const source = runbook.steps.find((s) => s.id === step.id);
    const stepDecisions: ReportDecision[] = [];
    if (step.skipped) stepDecisions.push({ step: step.id, kind: 'skipped', decision: step.skipped });
    if (step.confirmed) stepDecisions.push({ step: step.id, kind: 'step confirmed', decision: step.confirmed });
    for (const [item, decision] of Object.entries(step.ticked)) {
      // The text the operator ticked; an item since removed from the runbook keeps its id.
      stepDecisions.push({ step: step.id, kind: 'ticked', subject: source?.checklist.find((i) => i.id === item)?.text ?? item, decision });
    }
    const blocks = step.blocks.map((block): ReportBlock => {
      const src = source?.blocks.find((b) => b.id === block.id);
      const history = historyOf(block).map((execution) => ({ ...execution, result: executionResult(execution, block.role) }));
      for (const execution of history) {
        if (execution.confirmed)
          stepDecisions.push({
            step: step.id,
            block: block.id,
            kind: 'block confirmed',
            subject: `execution ${execution.execution}`,
            decision: execution.confirmed,
          });
      }
      if (block.override) stepDecisions.push({ step: step.id, block: block.id, kind: 'overridden', decision: block.override });
      if (block.acknowledged)
        stepDecisions.push({ step: step.id, block: block.id, kind: 'warning acknowledged', decision: block.acknowledged });
      if (block.markedDone) stepDecisions.push({ step: step.id, block: block.id, kind: 'marked done', decision: block.markedDone });
      // Another operator's approval of an approve= block, naming the content it approved (docs/approve.md).
      for (const approval of block.approvals ?? [])
        stepDecisions.push({
          step: step.id,
          block: block.id,
          kind: 'approved',
          subject: `content ${approval.hash}`,
          decision: { by: approval.by, at: approval.at },
        });
      const { history: _kept, status: _status, hosts, ...rest } = block;
      return {
        ...rest,
        ...blockResult(block),
        history,
        ...(hosts ? { hosts: hosts.map(reportHost) } : {}),
        ...(src?.attrs.fleet ? { fleet: src.attrs.fleet } : {}),
        lang: src?.lang ?? '',
        line: src?.line ?? 0,
      };
    });
    decisions.push(...stepDecisions.sort((x, y) => x.decision.at.localeCompare(y.decision.at)));
    const markedDone = step.status === 'passed' && blocks.some((b) => b.status === 'marked done');
    return { ...step, status: markedDone ? 'marked done' : step.status, line: source?.line ?? 0, blocks };
  });
  const report: RunReport = {
    runbook: state.runbook,
    title: state.title,
    file: state.runbookFile,
    run: state.run,
    status,
    operator: state.operator,
    host: state.host,
    profile: state.profile,
    startedAt: state.startedAt,
    updatedAt: state.updatedAt,
    vars: state.vars,
    steps,
    decisions,
  };
  if (state.finishedAt) report.finishedAt = state.finishedAt;
  if (state.captures) report.captures = capturesShown(state.captures);
  return report;
}
