/**
 * Rehearsal against production: two runs of a runbook side by side, step by step (matched by
 * step id), with durations as a bar chart and the steps that failed or were overridden flagged.
 * It reads the same report model as the Markdown, JSON and JUnit reports, so a step reads the
 * same in all of them.
 */
import type { ReportStep, RunReport } from './model.js';
import { formatDuration } from '../runbook/duration.js';
import { inertLines } from '../runbook/inert.js';

/** One run's side of a step: its result as the reports show it, its time, and its executions. */
export interface ComparedSide {
  status: string;
  durationMs: number | null;
  /** Executions that failed, refused or could not run (even if a later one passed). */
  failures: number;
  /** Block executions in the step. */
  executions: number;
}

/** One step of the comparison. */
export interface ComparedStep {
  id: string;
  title: string;
  a: ComparedSide | null;
  b: ComparedSide | null;
  /** Step content changed between the runs (different hash). */
  changed: boolean;
  /** Why an operator should look at this step before the real run. */
  flags: string[];
}

/** Both runs and their steps. */
export interface Comparison {
  a: { run: string; status: string; profile: string | null; startedAt: string; totalMs: number };
  b: { run: string; status: string; profile: string | null; startedAt: string; totalMs: number };
  steps: ComparedStep[];
}

function side(step: ReportStep | undefined): ComparedSide | null {
  if (!step) return null;
  const executions = step.blocks.reduce((n, b) => n + b.executions, 0);
  return { status: step.status, durationMs: step.durationMs ?? null, failures: step.failures ?? 0, executions };
}

function flagsOf(label: string, step: ReportStep | undefined): string[] {
  if (!step) return [];
  const flags: string[] = [];
  if ((step.failures ?? 0) > 0) flags.push(`failed ${step.failures}× in ${label}`);
  if (step.status === 'overridden' || step.blocks.some((b) => b.override)) flags.push(`overridden in ${label}`);
  if (step.blocks.some((b) => b.acknowledged)) flags.push(`warning in ${label}`);
  if (step.blocks.some((b) => b.status === 'marked done')) flags.push(`marked done in ${label}`);
  if (step.status === 'skipped') flags.push(`skipped in ${label}`);
  return flags;
}

/** Two reports of runs of one runbook, step by step. */
export function compareRuns(a: RunReport, b: RunReport): Comparison {
  const ids = [...a.steps.map((s) => s.id), ...b.steps.map((s) => s.id).filter((id) => !a.steps.some((s) => s.id === id))];
  const steps = ids.map((id): ComparedStep => {
    const sa = a.steps.find((s) => s.id === id);
    const sb = b.steps.find((s) => s.id === id);
    return {
      id,
      title: (sb ?? sa)?.title ?? id,
      a: side(sa),
      b: side(sb),
      changed: Boolean(sa && sb && sa.hash !== sb.hash),
      flags: [...flagsOf('A', sa), ...flagsOf('B', sb), ...(sa && sb && sa.hash !== sb.hash ? ['step changed between the runs'] : [])],
    };
  });
  const total = (run: RunReport) => run.steps.reduce((sum, s) => sum + (s.durationMs ?? 0), 0);
  const head = (run: RunReport) => ({ run: run.run, status: run.status, profile: run.profile, startedAt: run.startedAt, totalMs: total(run) });
  return { a: head(a), b: head(b), steps };
}

/** A bar of `width` cells for `value` out of `max`, in eighths; a step that took any time shows at least one eighth, next to a fleet step of minutes too. */
function bar(value: number | null, max: number, width: number): string {
  if (value === null || max <= 0) return '';
  const eighths = Math.max(value > 0 ? 1 : 0, Math.round((value / max) * width * 8));
  const full = Math.floor(eighths / 8);
  const partial = eighths % 8;
  return '█'.repeat(full) + (partial > 0 ? (' ▏▎▍▌▋▊▉'[partial] as string) : '');
}

const time = (ms: number | null | undefined) => (ms === null || ms === undefined ? '—' : formatDuration(ms));

/** The comparison as terminal text: a table with a duration bar chart, made inert (titles come from the runbook). */
export function renderComparisonText(c: Comparison, barWidth = 24): string {
  const max = Math.max(1, ...c.steps.flatMap((s) => [s.a?.durationMs ?? 0, s.b?.durationMs ?? 0]));
  const titleWidth = Math.min(36, Math.max(10, ...c.steps.map((s) => s.title.length)));
  const lines = [
    `A: run ${c.a.run} (${c.a.profile ?? 'no profile'}, ${c.a.status}, ${time(c.a.totalMs)} in steps)`,
    `B: run ${c.b.run} (${c.b.profile ?? 'no profile'}, ${c.b.status}, ${time(c.b.totalMs)} in steps)`,
    '',
  ];
  for (const step of c.steps) {
    const title = step.title.length > titleWidth ? `${step.title.slice(0, titleWidth - 1)}…` : step.title.padEnd(titleWidth);
    lines.push(`${title}  A ${time(step.a?.durationMs).padStart(7)} ${(step.a?.status ?? 'absent').padEnd(11)} ${bar(step.a?.durationMs ?? null, max, barWidth)}`);
    lines.push(`${' '.repeat(titleWidth)}  B ${time(step.b?.durationMs).padStart(7)} ${(step.b?.status ?? 'absent').padEnd(11)} ${bar(step.b?.durationMs ?? null, max, barWidth)}`);
    if (step.flags.length > 0) lines.push(`${' '.repeat(titleWidth)}  ⚑ ${step.flags.join('; ')}`);
  }
  return inertLines(`${lines.join('\n')}\n`);
}

/** The comparison as Markdown: a table, flags, and the bar chart in a text block; made inert. */
export function renderComparisonMarkdown(c: Comparison): string {
  const lines = [
    `# Run comparison`,
    '',
    `- A: run ${c.a.run} — ${c.a.profile ?? 'no profile'}, ${c.a.status}, started ${c.a.startedAt}, ${time(c.a.totalMs)} in steps`,
    `- B: run ${c.b.run} — ${c.b.profile ?? 'no profile'}, ${c.b.status}, started ${c.b.startedAt}, ${time(c.b.totalMs)} in steps`,
    '',
    '| step | A time | A outcome | B time | B outcome | look at |',
    '|---|---|---|---|---|---|',
  ];
  for (const s of c.steps) {
    lines.push(`| ${s.title.replace(/\|/g, '\\|')} (\`${s.id}\`) | ${time(s.a?.durationMs)} | ${s.a?.status ?? 'absent'} | ${time(s.b?.durationMs)} | ${s.b?.status ?? 'absent'} | ${s.flags.join('; ')} |`);
  }
  lines.push('', '## Durations', '', '```text', renderComparisonText(c).trimEnd(), '```', '');
  return inertLines(lines.join('\n'));
}
