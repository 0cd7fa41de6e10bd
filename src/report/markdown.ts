/** The Markdown report: what ran, what each check found, and every decision, for the change record. */
import type { RunReport } from './model.js';
import { formatDuration } from '../runbook/duration.js';
import { inertLines } from '../runbook/inert.js';
import { countHosts, describeCounts } from '../engine/fleet.js';
import { evidenceOf, explainsStatus, rowsNotKept, type EvidenceSource } from '../engine/evidence-view.js';

const cell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A fence longer than any run of backticks in `lines`, so that output cannot close it and write the report. */
function fenceFor(lines: string[]): string {
  const longest = Math.max(0, ...lines.map((line) => Math.max(0, ...(line.match(/`+/g) ?? []).map((run) => run.length))));
  return '`'.repeat(Math.max(3, longest + 1));
}

/**
 * A block's evidence (engine/evidence-view.ts) in Markdown, each part followed by a blank line: its
 * rows as a table (saying how many it found when the checkpoint kept fewer), or its output's tail
 * in a fence that output cannot close. Nothing when it has neither.
 */
export function evidenceMarkdown(source: EvidenceSource): string[] {
  const evidence = evidenceOf(source);
  if (evidence.kind === 'output') {
    if (evidence.lines.length === 0) return [];
    const fence = fenceFor(evidence.lines);
    return [`${fence}text`, ...evidence.lines, fence, ''];
  }
  const lines = [`| ${evidence.columns.map(cell).join(' | ')} |`, `|${evidence.columns.map(() => '---').join('|')}|`];
  for (const row of evidence.rows) lines.push(`| ${row.map(cell).join(' | ')} |`);
  lines.push('');
  if (rowsNotKept(evidence) > 0) lines.push(`(${evidence.found} rows, the first ${evidence.rows.length} shown)`, '');
  return lines;
}

/**
 * The report as Markdown, made inert (src/runbook/inert.ts): it is read in a terminal as often as in
 * a browser, and its titles, operator, reasons and output tails come from outside.
 */
export function renderMarkdown(report: RunReport): string {
  const lines: string[] = [];
  lines.push(`# ${report.title}`, '');
  lines.push(`- Runbook: \`${report.file}\` (${report.runbook})`);
  lines.push(`- Run: ${report.run} — **${report.status}**`);
  lines.push(`- Operator: ${report.operator} on ${report.host}${report.profile ? `, profile ${report.profile}` : ''}`);
  lines.push(
    `- Started: ${report.startedAt}${report.finishedAt ? `, finished ${report.finishedAt}` : `, last update ${report.updatedAt}`}`,
  );
  const vars = Object.entries(report.vars);
  if (vars.length > 0) lines.push(`- Variables: ${vars.map(([k, v]) => `${k}=${v}`).join(', ')}`);
  const captures = Object.entries(report.captures ?? {});
  if (captures.length > 0) lines.push(`- Captured: ${captures.map(([k, c]) => `${k}=${c.value} (block ${c.block})`).join(', ')}`);
  lines.push('', '## Steps', '', '| # | step | status | time |', '|---|---|---|---|');
  report.steps.forEach((step, i) => {
    lines.push(
      `| ${i + 1} | ${cell(step.title)} (\`${step.id}\`) | ${step.status} | ${step.durationMs !== undefined ? formatDuration(step.durationMs) : ''} |`,
    );
  });
  lines.push('', '## Checks and blocks', '', '| step | block | role | result | exit | executions | why |', '|---|---|---|---|---|---|---|');
  for (const step of report.steps) {
    for (const block of step.blocks) {
      lines.push(
        `| ${step.id} | ${block.id} | ${block.role} | ${cell(block.result)} | ${block.exitCode ?? ''} | ${block.executions || ''} | ${cell(block.reason ?? '')} |`,
      );
    }
  }
  // Every execution, so a check that refused and then passed after a fix reads as both.
  const ran = report.steps.flatMap((step) => step.blocks.filter((b) => b.history.length > 0).map((block) => ({ step, block })));
  if (ran.length > 0) {
    lines.push(
      '',
      '## Executions',
      '',
      '| step | block | # | outcome | exit | attempts | started | time | confirmed by | why |',
      '|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const { step, block } of ran) {
      for (const e of block.history) {
        const confirmed = e.confirmed ? `${e.confirmed.by} at ${e.confirmed.at}${e.confirmed.automatic ? ' (automatic)' : ''}` : '';
        lines.push(
          `| ${step.id} | ${block.id} | ${e.execution} | ${e.result} | ${e.exitCode ?? ''} | ${e.attempts || ''} | ${e.startedAt} | ${e.durationMs !== undefined ? formatDuration(e.durationMs) : ''} | ${cell(confirmed)} | ${cell(e.reason ?? '')} |`,
        );
      }
      const kept = block.history.length;
      if (block.executions > kept)
        lines.push(
          `| ${step.id} | ${block.id} | … | ${block.executions - kept} more not kept in the checkpoint (see the audit trail) | | | | | | |`,
        );
    }
  }
  // A fleet block's hosts, one row each: which hosts passed, in which batch, how long each took.
  const fleets = report.steps.flatMap((step) => step.blocks.filter((b) => b.hosts && b.hosts.length > 0).map((block) => ({ step, block })));
  if (fleets.length > 0) {
    lines.push('', '## Fleet hosts');
    for (const { step, block } of fleets) {
      const hosts = block.hosts ?? [];
      lines.push(
        '',
        `### ${step.id} / ${block.id}: ${hosts.length} hosts, ${describeCounts(countHosts(hosts))}`,
        '',
        '| host | batch | status | rc | time | why |',
        '|---|---|---|---|---|---|',
      );
      for (const h of hosts) {
        const why = h.status === 'marked-done' ? h.result : (h.reason ?? '');
        lines.push(
          `| ${cell(h.host)} | ${h.batch} | ${h.status} | ${h.rc ?? ''} | ${h.durationMs !== undefined ? formatDuration(h.durationMs) : ''} | ${cell(why)} |`,
        );
      }
    }
  }
  const evidence = report.steps.flatMap((step) => step.blocks.filter((b) => explainsStatus(b.status)));
  if (evidence.length > 0) {
    lines.push('', '## What failed', '');
    for (const block of evidence) {
      lines.push(`### ${block.id} (${block.status})`, '');
      if (block.reason) lines.push(block.reason, '');
      lines.push(...evidenceMarkdown(block));
    }
  }
  if (report.decisions.length > 0) {
    lines.push('', '## Decisions', '', '| step | block | decision | by | when | reason |', '|---|---|---|---|---|---|');
    for (const d of report.decisions) {
      lines.push(
        `| ${d.step} | ${d.block ?? ''} | ${cell(`${d.kind}${d.subject ? `: ${d.subject}` : ''}`)}${d.decision.automatic ? ' (automatic)' : ''} | ${cell(d.decision.by)} | ${d.decision.at} | ${cell(d.decision.reason ?? '')} |`,
      );
    }
  }
  return inertLines(`${lines.join('\n')}\n`);
}
