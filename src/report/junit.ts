/** JUnit XML: one test suite per step and one test case per block, so CI dashboards show a rehearsal. */
import type { ReportBlock, ReportDecision, ReportStep, RunReport } from './model.js';
import { inertLines } from '../runbook/inert.js';

/** Text as XML character data: control characters made inert (XML 1.0 forbids most of them), then escaped. */
const xml = (text: string) => inertLines(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const isFailure = (block: ReportBlock) => block.status === 'failed' || block.status === 'refused';

/** What a test case's `<system-out>` tells: each execution with its outcome, then the result a person decided. */
function blockStory(block: ReportBlock): string[] {
  const lines = block.history.map((e) => {
    // The reason names the exit code where it matters ("exit 1, expected 0").
    const why = e.reason ?? (e.exitCode !== null ? `exit ${e.exitCode}` : '');
    const confirmed = e.confirmed ? `, confirmed by ${e.confirmed.by} at ${e.confirmed.at}${e.confirmed.automatic ? ' (automatic)' : ''}` : '';
    return `execution ${e.execution}: ${e.result}${why ? ` (${why})` : ''}, started ${e.startedAt}${confirmed}`;
  });
  if (block.executions > block.history.length) lines.push(`${block.executions - block.history.length} earlier executions not kept in the checkpoint`);
  if (block.result !== block.status || ['overridden', 'acknowledged', 'interrupted', 'marked done'].includes(block.status)) lines.push(`result: ${block.result}`);
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
  return [{ id: step.id, role: 'step', hash: step.hash, status, result: status, exitCode: null, attempts: 0, executions: 0, history: [], lang: '', line: step.line, ...(step.durationMs !== undefined ? { durationMs: step.durationMs } : {}) }];
}

export function renderJunit(report: RunReport): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const all = report.steps.flatMap((s) => s.blocks);
  const total = report.steps.reduce((n, s) => n + Math.max(1, s.blocks.length), 0);
  out.push(`<testsuites name="${xml(report.title)}" tests="${total}" failures="${all.filter(isFailure).length}">`);
  for (const step of report.steps) {
    const time = ((step.durationMs ?? 0) / 1000).toFixed(3);
    out.push(`  <testsuite name="${xml(step.id)}" tests="${Math.max(1, step.blocks.length)}" failures="${step.blocks.filter(isFailure).length}" time="${time}">`);
    for (const block of stepCases(step)) {
      const caseTime = ((block.durationMs ?? 0) / 1000).toFixed(3);
      out.push(`    <testcase classname="${xml(`${report.runbook}.${step.id}`)}" name="${xml(`${block.role} ${block.id}`)}" time="${caseTime}">`);
      if (isFailure(block)) {
        out.push(`      <failure message="${xml(block.reason ?? block.status)}">${xml((block.tail ?? []).join('\n'))}</failure>`);
      } else if (block.status === 'pending' || step.status === 'skipped') {
        out.push(`      <skipped message="${xml(step.status === 'skipped' ? `step skipped: ${step.skipped?.reason ?? ''}` : 'not run')}"/>`);
      }
      const story = blockStory(block);
      if (story.length > 0) out.push(`      <system-out>${xml(story.join('\n'))}</system-out>`);
      out.push('    </testcase>');
    }
    const decided = report.decisions.filter((d) => d.step === step.id);
    if (decided.length > 0) out.push(`    <system-out>${xml(decided.map(decisionLine).join('\n'))}</system-out>`);
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
