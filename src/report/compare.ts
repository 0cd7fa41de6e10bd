/**
 * Rehearsal against production: two runs of a runbook side by side, step by step (matched by
 * step id), with durations as a bar chart and the steps that failed or were overridden flagged.
 * It reads the same report model as the Markdown, JSON and JUnit reports, so a step reads the
 * same in all of them.
 */
import type { ReportBlock, ReportHost, ReportStep, RunReport } from './model.js';
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

/** One host of a fleet block in both runs: its status and time in each (null where it did not finish there). */
export interface ComparedHost {
  host: string;
  a: { status: string; durationMs: number | null } | null;
  b: { status: string; durationMs: number | null } | null;
}

/** How long the hosts a fleet block has left should take, from the earlier run's per-host times. */
export interface FleetEta {
  hostsLeft: number;
  batchesLeft: number;
  /** The earlier run's median time per host. */
  perHostMs: number;
  forks: number;
  etaMs: number;
}

/** A fleet block in both runs: per-host times side by side, their medians, and run B's time left. */
export interface ComparedFleet {
  step: string;
  block: string;
  hosts: ComparedHost[];
  medianA: number | null;
  medianB: number | null;
  /** Run B's hosts left to run, estimated from run A's times; null when none are left or A has no times. */
  eta: FleetEta | null;
}

/** Both runs and their steps. */
export interface Comparison {
  a: { run: string; status: string; profile: string | null; startedAt: string; totalMs: number };
  b: { run: string; status: string; profile: string | null; startedAt: string; totalMs: number };
  steps: ComparedStep[];
  /** Every fleet block either run has hosts for, in step order. */
  fleets: ComparedFleet[];
}

/** Ansible's own default when a fleet block has no `forks=` (ansible.cfg `forks`). */
export const ANSIBLE_DEFAULT_FORKS = 5;

/** Hosts that still run when the block goes on: not done, and not failed (those run again only when retried). */
const LEFT = new Set(['pending', 'running', 'interrupted']);

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : Math.round(((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2);
}

/** The median time of a run's hosts that finished ok; of all that finished when none did. */
export function medianHostMs(hosts: readonly Pick<ReportHost, 'status' | 'durationMs'>[]): number | null {
  const timed = hosts.filter(
    (h) => h.durationMs !== undefined && h.status !== 'pending' && h.status !== 'running' && h.status !== 'interrupted',
  );
  const ok = timed.filter((h) => h.status === 'ok');
  return median((ok.length > 0 ? ok : timed).map((h) => h.durationMs as number));
}

/**
 * Time left for a fleet block's remaining batches, from an earlier run's per-host times (the
 * rehearsal's). Per batch, not over all hosts at once: a batch ends with its last host, and the
 * next starts only then, so each batch left takes ceil(its hosts left / forks) waves of one
 * median host each. The median, not the mean: one host that hung in the rehearsal must not
 * triple the estimate. Time spent waiting for a confirmation between batches is the operator's,
 * and not counted.
 */
export function fleetEta(
  earlier: readonly Pick<ReportHost, 'status' | 'durationMs'>[],
  now: readonly Pick<ReportHost, 'batch' | 'status'>[],
  forks = ANSIBLE_DEFAULT_FORKS,
): FleetEta | null {
  const perHostMs = medianHostMs(earlier);
  const byBatch = new Map<number, number>();
  for (const host of now) if (LEFT.has(host.status)) byBatch.set(host.batch, (byBatch.get(host.batch) ?? 0) + 1);
  if (perHostMs === null || byBatch.size === 0) return null;
  const parallel = Math.max(1, forks);
  let etaMs = 0;
  for (const left of byBatch.values()) etaMs += Math.ceil(left / parallel) * perHostMs;
  return { hostsLeft: [...byBatch.values()].reduce((n, v) => n + v, 0), batchesLeft: byBatch.size, perHostMs, forks: parallel, etaMs };
}

function compareFleet(step: string, a: ReportBlock | undefined, b: ReportBlock | undefined): ComparedFleet {
  const hostsA = new Map((a?.hosts ?? []).map((h) => [h.host, h]));
  const hostsB = new Map((b?.hosts ?? []).map((h) => [h.host, h]));
  const names = [...hostsB.keys(), ...[...hostsA.keys()].filter((name) => !hostsB.has(name))];
  const sideOf = (h: ReportHost | undefined) => (h ? { status: h.status, durationMs: h.durationMs ?? null } : null);
  return {
    step,
    block: (b ?? a)?.id ?? '',
    hosts: names.map((host) => ({ host, a: sideOf(hostsA.get(host)), b: sideOf(hostsB.get(host)) })),
    medianA: medianHostMs(a?.hosts ?? []),
    medianB: medianHostMs(b?.hosts ?? []),
    eta: b?.hosts ? fleetEta(a?.hosts ?? [], b.hosts, (b.fleet ?? a?.fleet)?.forks) : null,
  };
}

function fleetsOf(ids: string[], a: RunReport, b: RunReport): ComparedFleet[] {
  return ids.flatMap((id) => {
    const blocksA = a.steps.find((s) => s.id === id)?.blocks ?? [];
    const blocksB = b.steps.find((s) => s.id === id)?.blocks ?? [];
    const fleetIds = [
      ...new Set([...blocksA, ...blocksB].filter((block) => block.hosts && block.hosts.length > 0).map((block) => block.id)),
    ];
    return fleetIds.map((block) =>
      compareFleet(
        id,
        blocksA.find((x) => x.id === block),
        blocksB.find((x) => x.id === block),
      ),
    );
  });
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
  const head = (run: RunReport) => ({
    run: run.run,
    status: run.status,
    profile: run.profile,
    startedAt: run.startedAt,
    totalMs: total(run),
  });
  return { a: head(a), b: head(b), steps, fleets: fleetsOf(ids, a, b) };
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
    lines.push(
      `${title}  A ${time(step.a?.durationMs).padStart(7)} ${(step.a?.status ?? 'absent').padEnd(11)} ${bar(step.a?.durationMs ?? null, max, barWidth)}`,
    );
    lines.push(
      `${' '.repeat(titleWidth)}  B ${time(step.b?.durationMs).padStart(7)} ${(step.b?.status ?? 'absent').padEnd(11)} ${bar(step.b?.durationMs ?? null, max, barWidth)}`,
    );
    if (step.flags.length > 0) lines.push(`${' '.repeat(titleWidth)}  ⚑ ${step.flags.join('; ')}`);
  }
  lines.push(...fleetText(c));
  return inertLines(`${lines.join('\n')}\n`);
}

/** Hosts whose time changed most between the runs, shown in the text form (the Markdown and JSON have them all). */
const HOSTS_SHOWN = 5;

/** "+17%": B's time against A's; empty when either has none. */
function percentChange(a: number | null, b: number | null): string {
  if (a === null || b === null || a === 0) return '';
  const pct = Math.round(((b - a) / a) * 100);
  return `${pct >= 0 ? '+' : ''}${pct}%`;
}

/** " (+17%)", or nothing. */
function change(a: number | null, b: number | null): string {
  const pct = percentChange(a, b);
  return pct ? ` (${pct})` : '';
}

function etaText(eta: FleetEta): string {
  return `time left for B's ${eta.batchesLeft} batch${eta.batchesLeft === 1 ? '' : 'es'} (${eta.hostsLeft} hosts): about ${formatDuration(eta.etaMs)} (A's median ${formatDuration(eta.perHostMs)} a host, ${eta.forks} at a time)`;
}

function fleetText(c: Comparison): string[] {
  const lines: string[] = [];
  for (const f of c.fleets) {
    lines.push(
      '',
      `fleet ${f.step}/${f.block}: ${f.hosts.length} hosts, median a host A ${time(f.medianA)}, B ${time(f.medianB)}${change(f.medianA, f.medianB)}`,
    );
    const both = f.hosts.filter((h) => h.a?.durationMs != null && h.b?.durationMs != null);
    const moved = [...both]
      .sort((x, y) => Math.abs((y.b?.durationMs ?? 0) - (y.a?.durationMs ?? 0)) - Math.abs((x.b?.durationMs ?? 0) - (x.a?.durationMs ?? 0)))
      .slice(0, HOSTS_SHOWN);
    if (moved.length > 0) lines.push(`  the ${moved.length} host${moved.length === 1 ? '' : 's'} whose time changed most:`);
    for (const h of moved)
      lines.push(
        `    ${h.host.padEnd(16)} A ${time(h.a?.durationMs).padStart(7)}  B ${time(h.b?.durationMs).padStart(7)}${change(h.a?.durationMs ?? null, h.b?.durationMs ?? null)}`,
      );
    const onlyOne = f.hosts.length - both.length;
    if (onlyOne > 0) lines.push(`  ${onlyOne} host${onlyOne === 1 ? '' : 's'} without a time in both runs`);
    if (f.eta) lines.push(`  ${etaText(f.eta)}`);
  }
  return lines;
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
    lines.push(
      `| ${s.title.replace(/\|/g, '\\|')} (\`${s.id}\`) | ${time(s.a?.durationMs)} | ${s.a?.status ?? 'absent'} | ${time(s.b?.durationMs)} | ${s.b?.status ?? 'absent'} | ${s.flags.join('; ')} |`,
    );
  }
  for (const f of c.fleets) {
    lines.push(
      '',
      `## Fleet ${f.step} / ${f.block}`,
      '',
      `Median time a host: A ${time(f.medianA)}, B ${time(f.medianB)}${change(f.medianA, f.medianB)}.${f.eta ? ` The ${etaText(f.eta)}.` : ''}`,
      '',
    );
    lines.push('| host | A status | A time | B status | B time | change |', '|---|---|---|---|---|---|');
    for (const h of f.hosts) {
      lines.push(
        `| ${h.host.replace(/\|/g, '\\|')} | ${h.a?.status ?? 'absent'} | ${time(h.a?.durationMs)} | ${h.b?.status ?? 'absent'} | ${time(h.b?.durationMs)} | ${percentChange(h.a?.durationMs ?? null, h.b?.durationMs ?? null)} |`,
      );
    }
  }
  lines.push('', '## Durations', '', '```text', renderComparisonText(c).trimEnd(), '```', '');
  return inertLines(lines.join('\n'));
}
