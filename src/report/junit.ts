/** JUnit XML: one test suite per step and one test case per block, so CI dashboards show a rehearsal. */
import type { ReportBlock, ReportDecision, ReportHost, ReportStep, RunReport } from './model.js';
import { inertLines } from '../runbook/inert.js';

/** Text as XML character data: control characters made inert (XML 1.0 forbids most of them), then escaped. */
const xml = (text: string) => inertLines(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const isFailure = (block: ReportBlock) => block.status === 'failed' || block.status === 'refused';
const isHostFailure = (host: ReportHost) => host.status === 'failed' || host.status === 'unreachable';
/** A step's cases: its blocks (or the step itself), and one per host of each fleet block. */
const caseCount = (step: ReportStep) => Math.max(1, step.blocks.length) + step.blocks.reduce((n, b) => n + (b.hosts?.length ?? 0), 0);
const failureCount = (step: ReportStep) =>
  step.blocks.filter(isFailure).length + step.blocks.reduce((n, b) => n + (b.hosts?.filter(isHostFailure).length ?? 0), 0);

/**
 * A fleet block's host as a test case of its own (classname runbook.step.block, name the host), so
 * that a CI dashboard shows which hosts failed: failed and unreachable hosts are failures, hosts
 * not run (pending, interrupted) are skipped.
 */
function hostCase(report: RunReport, step: ReportStep, block: ReportBlock, host: ReportHost): string[] {
  const out = [
    `    <testcase classname="${xml(`${report.runbook}.${step.id}.${block.id}`)}" name="${xml(host.host)}" time="${((host.durationMs ?? 0) / 1000).toFixed(3)}">`,
  ];
  if (isHostFailure(host)) out.push(`      <failure message="${xml(host.result)}">${xml(host.tail.join('\n'))}</failure>`);
  else if (host.status === 'pending' || host.status === 'interrupted' || host.status === 'running') {
    out.push(`      <skipped message="${xml(host.status === 'pending' ? 'not run' : `${host.status}: waits for a decision`)}"/>`);
  }
  const story = [
    `batch ${host.batch}: ${host.result}${host.rc !== undefined && host.rc !== null ? ` (rc ${host.rc})` : ''}`,
    ...(isHostFailure(host) ? [] : host.tail),
  ];
  out.push(`      <system-out>${xml(story.join('\n'))}</system-out>`, '    </testcase>');
  return out;
}

/** What a test case's `<system-out>` tells: each execution with its outcome, then the result a person decided. */
function blockStory(block: ReportBlock): string[] {
  const lines = block.history.map((e) => {
    // The reason names the exit code where it matters ("exit 1, expected 0").
    const why = e.reason ?? (e.exitCode !== null ? `exit ${e.exitCode}` : '');
    const confirmed = e.confirmed
      ? `, confirmed by ${e.confirmed.by} at ${e.confirmed.at}${e.confirmed.automatic ? ' (automatic)' : ''}`
      : '';
    return `execution ${e.execution}: ${e.result}${why ? ` (${why})` : ''}, started ${e.startedAt}${confirmed}`;
  });
  if (block.executions > block.history.length)
    lines.push(`${block.executions - block.history.length} earlier executions not kept in the checkpoint`);
  if (block.result !== block.status || ['overridden', 'acknowledged', 'interrupted', 'marked done'].includes(block.status))
    lines.push(`result: ${block.result}`);
  return lines;
}

function decisionLine(d: ReportDecision): string {
  return `${d.kind}${d.subject ? `: ${d.subject}` : ''}${d.block ? ` (block ${d.block})` : ''} by ${d.decision.by} at ${d.decision.at}${d.decision.automatic ? ' (automatic)' : ''}${d.decision.reason ? `: ${d.decision.reason}` : ''}`;
}

function stepCases(step: ReportStep): ReportBlock[] {
  if (step.blocks.length > 0) return step.blocks;
  // A step without blocks (a checklist, a confirmation) is one case: passed once done, else not run yet.
  const s = step.status;
  const status = s === 'marked done' || s === 'overridden' ? 'passed' : s === 'skipped' || s === 'waiting' ? 'pending' : s;
  return [
    {
      id: step.id,
      role: 'step',
      hash: step.hash,
      status,
      result: status,
      exitCode: null,
      attempts: 0,
      executions: 0,
      history: [],
      lang: '',
      line: step.line,
      ...(step.durationMs !== undefined ? { durationMs: step.durationMs } : {}),
    },
  ];
}

export function renderJunit(report: RunReport): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const total = report.steps.reduce((n, s) => n + caseCount(s), 0);
  out.push(`<testsuites name="${xml(report.title)}" tests="${total}" failures="${report.steps.reduce((n, s) => n + failureCount(s), 0)}">`);
  for (const step of report.steps) {
    const time = ((step.durationMs ?? 0) / 1000).toFixed(3);
    out.push(`  <testsuite name="${xml(step.id)}" tests="${caseCount(step)}" failures="${failureCount(step)}" time="${time}">`);
    for (const block of stepCases(step)) {
      const caseTime = ((block.durationMs ?? 0) / 1000).toFixed(3);
      out.push(
        `    <testcase classname="${xml(`${report.runbook}.${step.id}`)}" name="${xml(`${block.role} ${block.id}`)}" time="${caseTime}">`,
      );
      if (isFailure(block)) {
        out.push(`      <failure message="${xml(block.reason ?? block.status)}">${xml((block.tail ?? []).join('\n'))}</failure>`);
      } else if (block.status === 'pending' || step.status === 'skipped') {
        out.push(
          `      <skipped message="${xml(step.status === 'skipped' ? `step skipped: ${step.skipped?.reason ?? ''}` : 'not run')}"/>`,
        );
      }
      const story = blockStory(block);
      if (story.length > 0) out.push(`      <system-out>${xml(story.join('\n'))}</system-out>`);
      out.push('    </testcase>');
      for (const host of block.hosts ?? []) out.push(...hostCase(report, step, block, host));
    }
    const decided = report.decisions.filter((d) => d.step === step.id);
    if (decided.length > 0) out.push(`    <system-out>${xml(decided.map(decisionLine).join('\n'))}</system-out>`);
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
