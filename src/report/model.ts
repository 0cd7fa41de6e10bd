/** What every report format shows: a run, step by step, with every block's result and decision. */
import type { Runbook } from '../runbook/model.js';
import type { BlockState, Decision, RunState, RunStatus, StepState } from '../engine/run-state.js';

/** One block in a report. */
export interface ReportBlock extends BlockState {
  lang: string;
  line: number;
}

/** One step in a report. */
export interface ReportStep extends Omit<StepState, 'blocks'> {
  line: number;
  blocks: ReportBlock[];
}

/** A run ready to render: the checkpoint's header fields, its steps joined with the runbook, its decisions. */
export interface RunReport
  extends Pick<RunState, 'runbook' | 'title' | 'run' | 'operator' | 'host' | 'profile' | 'startedAt' | 'updatedAt' | 'finishedAt' | 'vars'> {
  file: string;
  status: RunStatus;
  steps: ReportStep[];
  /** Every decision a person (or a flag) made, in step order. */
  decisions: { step: string; block?: string; kind: string; decision: Decision }[];
}

/** Join a checkpoint with the runbook it ran. */
export function buildReport(runbook: Runbook, state: RunState, status: RunStatus): RunReport {
  const decisions: RunReport['decisions'] = [];
  const steps = state.steps.map((step): ReportStep => {
    const source = runbook.steps.find((s) => s.id === step.id);
    if (step.skipped) decisions.push({ step: step.id, kind: 'skipped', decision: step.skipped });
    if (step.confirmed) decisions.push({ step: step.id, kind: 'confirmed', decision: step.confirmed });
    for (const [item, decision] of Object.entries(step.ticked)) decisions.push({ step: step.id, kind: `ticked ${item}`, decision });
    const blocks = step.blocks.map((block): ReportBlock => {
      const src = source?.blocks.find((b) => b.id === block.id);
      if (block.override) decisions.push({ step: step.id, block: block.id, kind: 'overridden', decision: block.override });
      if (block.acknowledged) decisions.push({ step: step.id, block: block.id, kind: 'warning acknowledged', decision: block.acknowledged });
      if (block.markedDone) decisions.push({ step: step.id, block: block.id, kind: 'marked done', decision: block.markedDone });
      return { ...block, lang: src?.lang ?? '', line: src?.line ?? 0 };
    });
    return { ...step, line: source?.line ?? 0, blocks };
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
  return report;
}
