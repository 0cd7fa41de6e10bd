/** A preflight's report: Markdown (default), JSON, or JUnit XML with one test case per check. */
import type { PreflightResult } from '../engine/preflight.js';
import { inertLines } from '../runbook/inert.js';
import { evidenceMarkdown } from './markdown.js';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function renderPreflightMarkdown(result: PreflightResult): string {
  const lines = [`# Preflight of ${result.title} (${result.runbook})`, ''];
  lines.push(
    `Preflight ${result.id}${result.profile ? `, profile ${result.profile}` : ''}, ${result.startedAt} to ${result.finishedAt}.`,
    '',
  );
  lines.push(
    result.refusing.length > 0
      ? `**${result.refusing.length} step(s) would refuse today:** ${result.refusing.join(', ')}.`
      : '**No step would refuse today.**',
    '',
  );
  if (result.interrupted)
    lines.push('**Stopped by a signal:** the check it stopped and those after it are listed as not-run; they tell nothing.', '');
  lines.push('| Step | Check | Result | Why | Source |', '| --- | --- | --- | --- | --- |');
  for (const c of result.checks) lines.push(`| ${cell(c.step)} | ${cell(c.block)} | ${c.status} | ${cell(c.reason)} | ${cell(c.source)} |`);
  for (const c of result.checks.filter((x) => x.status === 'refused' || x.status === 'warned')) {
    lines.push('', `## ${c.status === 'refused' ? 'Refused' : 'Warning'}: ${c.step} / ${c.block}`, '', cell(c.reason));
    const evidence = evidenceMarkdown(c);
    if (evidence.length > 0) lines.push('', ...evidence.slice(0, -1));
  }
  // Read in a terminal as often as in a browser: output's control sequences are shown, not obeyed.
  return inertLines(`${lines.join('\n')}\n`);
}

/** Text as XML character data: control characters made inert (XML 1.0 forbids most of them), then escaped. */
const xml = (text: string) => inertLines(text).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function renderPreflightJunit(result: PreflightResult): string {
  const failures = result.checks.filter((c) => c.status === 'refused').length;
  const skipped = result.checks.filter((c) => c.status === 'skipped' || c.status === 'not-run').length;
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="preflight ${xml(result.runbook)}" tests="${result.checks.length}" failures="${failures}" skipped="${skipped}">`,
    `  <testsuite name="preflight ${xml(result.runbook)}" tests="${result.checks.length}" failures="${failures}" skipped="${skipped}" timestamp="${result.startedAt}">`,
  ];
  for (const c of result.checks) {
    const open = `    <testcase classname="${xml(c.step)}" name="${xml(c.block)}" time="${((c.durationMs ?? 0) / 1000).toFixed(3)}"`;
    if (c.status === 'passed') lines.push(`${open}/>`);
    else if (c.status === 'warned') lines.push(`${open}><system-out>${xml(`warning: ${c.reason}`)}</system-out></testcase>`);
    else if (c.status === 'refused') {
      const body = [
        c.reason,
        ...(c.columns && c.rows ? [c.columns.join('\t'), ...c.rows.map((r) => r.join('\t'))] : []),
        ...(c.tail ?? []),
      ].join('\n');
      lines.push(`${open}><failure message="${xml(c.reason)}">${xml(body)}</failure></testcase>`);
    } else lines.push(`${open}><skipped message="${xml(c.reason)}"/></testcase>`);
  }
  lines.push('  </testsuite>', '</testsuites>');
  return `${lines.join('\n')}\n`;
}
