/** JUnit XML: one test suite per step and one test case per block, so CI dashboards show a rehearsal. */
import type { RunReport } from './model.js';
import { inertLines } from '../runbook/inert.js';

/** Text as XML character data: control characters made inert (XML 1.0 forbids most of them), then escaped. */
const xml = (text: string) => inertLines(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderJunit(report: RunReport): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  const all = report.steps.flatMap((s) => s.blocks);
  const failures = all.filter((b) => b.status === 'failed' || b.status === 'refused').length;
  const total = report.steps.reduce((n, s) => n + Math.max(1, s.blocks.length), 0);
  out.push(`<testsuites name="${xml(report.title)}" tests="${total}" failures="${failures}">`);
  for (const step of report.steps) {
    const stepFailures = step.blocks.filter((b) => b.status === 'failed' || b.status === 'refused').length;
    const time = ((step.durationMs ?? 0) / 1000).toFixed(3);
    out.push(`  <testsuite name="${xml(step.id)}" tests="${Math.max(1, step.blocks.length)}" failures="${stepFailures}" time="${time}">`);
    const cases = step.blocks.length > 0 ? step.blocks : [{ id: step.id, role: 'step', status: step.status, durationMs: step.durationMs, reason: undefined, tail: undefined }];
    for (const block of cases) {
      const caseTime = ((block.durationMs ?? 0) / 1000).toFixed(3);
      out.push(`    <testcase classname="${xml(`${report.runbook}.${step.id}`)}" name="${xml(`${block.role} ${block.id}`)}" time="${caseTime}">`);
      if (block.status === 'failed' || block.status === 'refused') {
        out.push(`      <failure message="${xml(block.reason ?? block.status)}">${xml((block.tail ?? []).join('\n'))}</failure>`);
      } else if (block.status === 'pending' || block.status === 'skipped' || step.status === 'skipped') {
        out.push(`      <skipped message="${xml(step.status === 'skipped' ? `step skipped: ${step.skipped?.reason ?? ''}` : 'not run')}"/>`);
      } else if (block.status === 'overridden' || block.status === 'acknowledged' || block.status === 'interrupted') {
        out.push(`      <system-out>${xml(`${block.status}${block.reason ? `: ${block.reason}` : ''}`)}</system-out>`);
      }
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>');
  return `${out.join('\n')}\n`;
}
