/**
 * A rehearsal as the real run's baseline (`run --baseline RUN_OR_EVIDENCE`, docs/baseline.md):
 * each block's figures from the rehearsal — its duration, its SQL row count, its hosts'
 * durations — read from the rehearsal's checkpoint or from its evidence bundle's report.json,
 * and the rule that says when a result departs from them far enough to need an acknowledgement.
 * The figures are copied into the run's checkpoint, so a resumed run keeps its baseline.
 */
import { readFile, stat } from 'node:fs/promises';
import type { Block, DeviationRule, Runbook, Step } from '../runbook/model.js';
import { DEFAULT_DEVIATION_FACTOR, describeDeviationRule } from '../runbook/deviation.js';
import { formatDuration } from '../runbook/duration.js';
import { ExitCode, OperatorError } from './errors.js';
import { readRun } from './runs.js';
import { readCheckpoint } from './checkpoint.js';
import { blockHash, stepHash } from './reconcile.js';
import { BundleFormatError, MANIFEST, checkManifest, parseManifest, unpackBundle } from '../state/evidence-bundle.js';
import { hasCode, reasonOf } from '../state/atomic.js';
import type { RunState } from './run-state.js';

/** One block's figures in the rehearsal. */
export interface BlockFigures {
  step: string;
  block: string;
  /** The block's content hash as the rehearsal ran it: a block changed since is still matched, with a warning. */
  hash: string;
  durationMs?: number;
  /** Rows the SQL block returned (or changed, for a statement without a result set). */
  rowCount?: number;
  /** A fleet block's hosts and how long each took. */
  hosts?: Record<string, number>;
}

/** A rehearsal's figures, as recorded in the real run's checkpoint. */
export interface Baseline {
  /** The rehearsal's run id. */
  run: string;
  /** Where the figures were read: the run in the state directory, or an evidence bundle (its path). */
  from: 'run' | 'evidence';
  source: string;
  /** The rehearsal's runbook id, and when it started. */
  runbook: string;
  startedAt: string;
  blocks: BlockFigures[];
  /** Step durations by step id, with each step's hash then, for the ETA. */
  steps: { step: string; hash: string; durationMs: number }[];
}

/** How a block's result departs from its rehearsal's. */
export interface Deviation {
  on: 'rows' | 'duration';
  /** Which host, for a fleet block's host that took far longer than in the rehearsal. */
  host?: string;
  actual: number;
  rehearsal: number;
  /** The rule it broke, in the runbook's words (`10×`, `rows ±100`). */
  rule: string;
  /** One line naming both figures. */
  message: string;
}

/** The fields of a run that figures are read from: a checkpoint and a report.json share them. */
interface RecordedRun {
  run: string;
  runbook: string;
  startedAt: string;
  steps: {
    id: string;
    hash: string;
    status: string;
    durationMs?: number;
    blocks: {
      id: string;
      hash: string;
      status: string;
      outcome?: string;
      durationMs?: number;
      rowCount?: number;
      hosts?: { host: string; status: string; durationMs?: number }[];
    }[];
  }[];
}

/** Block results whose figures are what the block normally does: it passed, or its warning was accepted. */
const COUNTED = new Set(['passed', 'acknowledged']);

/**
 * Durations slower than the rehearsal by less than this never count: a block of 40 ms in the
 * rehearsal taking 600 ms on a loaded host is noise, not news.
 */
export const DURATION_FLOOR_MS = 2000;

function figuresOf(recorded: RecordedRun, from: Baseline['from'], source: string): Baseline {
  const blocks: BlockFigures[] = [];
  const steps: Baseline['steps'] = [];
  for (const step of recorded.steps) {
    if ((step.status === 'passed' || step.status === 'overridden') && typeof step.durationMs === 'number')
      steps.push({ step: step.id, hash: step.hash, durationMs: step.durationMs });
    for (const block of step.blocks) {
      if (!COUNTED.has(block.status)) continue;
      const figures: BlockFigures = { step: step.id, block: block.id, hash: block.hash };
      if (typeof block.durationMs === 'number') figures.durationMs = block.durationMs;
      if (typeof block.rowCount === 'number' && !block.hosts) figures.rowCount = block.rowCount;
      const hosts = (block.hosts ?? []).filter((h) => h.status === 'ok' && typeof h.durationMs === 'number');
      if (hosts.length > 0) figures.hosts = Object.fromEntries(hosts.map((h) => [h.host, h.durationMs as number]));
      blocks.push(figures);
    }
  }
  return { run: recorded.run, from, source, runbook: recorded.runbook, startedAt: recorded.startedAt, blocks, steps };
}

/** The report.json of an evidence bundle, checked against the bundle's manifest. */
async function readBundleReport(path: string): Promise<RecordedRun> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new OperatorError(`--baseline ${path}: cannot be read (${reasonOf(error)})`, ExitCode.BadInput);
  }
  let files: ReturnType<typeof unpackBundle>['files'];
  try {
    files = unpackBundle(bytes).files;
  } catch (error) {
    if (error instanceof BundleFormatError) throw new OperatorError(`--baseline ${path}: ${error.message}`, ExitCode.BadInput);
    throw error;
  }
  const manifest = files.find((f) => f.path === MANIFEST);
  const report = files.find((f) => f.path === 'report.json');
  if (!manifest || !report)
    throw new OperatorError(
      `--baseline ${path}: the bundle has no ${manifest ? 'report.json' : MANIFEST}: expected a bundle written by \`waymark evidence\``,
      ExitCode.BadInput,
    );
  let problems: ReturnType<typeof checkManifest>;
  try {
    problems = checkManifest(parseManifest(manifest.data.toString('utf8')), files).filter((p) => p.path === 'report.json');
  } catch (error) {
    if (error instanceof BundleFormatError) throw new OperatorError(`--baseline ${path}: ${error.message}`, ExitCode.BadInput);
    throw error;
  }
  // Figures that decide whether the real run stops must be the rehearsal's own.
  if (problems.length > 0)
    throw new OperatorError(
      `--baseline ${path}: report.json is ${problems[0]?.problem} (it does not match ${MANIFEST}); \`waymark evidence --verify ${path}\` says more`,
      ExitCode.BadInput,
    );
  let parsed: unknown;
  try {
    parsed = JSON.parse(report.data.toString('utf8'));
  } catch (error) {
    throw new OperatorError(`--baseline ${path}: report.json is not JSON (${(error as Error).message})`, ExitCode.BadInput);
  }
  const run = parsed as Partial<RecordedRun>;
  if (typeof run.run !== 'string' || !Array.isArray(run.steps))
    throw new OperatorError(`--baseline ${path}: report.json holds no run (no "run" and "steps")`, ExitCode.BadInput);
  return run as RecordedRun;
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (error) {
    if (hasCode(error, 'ENOENT') || hasCode(error, 'ENOTDIR')) return false;
    throw new OperatorError(`--baseline ${path}: cannot be read (${reasonOf(error)})`, ExitCode.BadInput);
  }
}

/**
 * The baseline `--baseline` names: an evidence bundle (a file), or a run id of this runbook in
 * the state directory. Refused with exit 2 when it is neither, or cannot be read.
 */
export async function loadBaseline(given: string, context: { stateDir: string; runbook: Runbook }): Promise<Baseline> {
  if (await isFile(given)) return figuresOf(await readBundleReport(given), 'evidence', given);
  if (given.includes('/') || given.endsWith('.gz'))
    throw new OperatorError(
      `--baseline ${given}: no such file (give an evidence bundle from \`waymark evidence\`, or a run id of ${context.runbook.file})`,
      ExitCode.BadInput,
    );
  const stored = await readRun(context.stateDir, context.runbook, given).catch((error: unknown) => {
    if (error instanceof OperatorError)
      throw new OperatorError(
        `--baseline ${given}: neither a file nor a run of ${context.runbook.file} in ${context.stateDir} (${error.message})`,
        ExitCode.BadInput,
      );
    throw error;
  });
  if (!stored) throw new OperatorError(`--baseline ${given}: ${context.runbook.file} has no run in ${context.stateDir}`, ExitCode.BadInput);
  // The checkpoint as the rehearsal left it: readRun fits it to the runbook as it is now, which
  // would forget the figures of blocks changed since (they are compared, with a warning).
  const recorded = (await readCheckpoint(stored.paths.checkpoint, context.runbook.file)) ?? stored.state;
  return figuresOf(recorded, 'run', given);
}

/**
 * What an operator should know before trusting the baseline: another runbook, or blocks that
 * changed since the rehearsal (still compared, by step and block id), or have no figures.
 */
export function baselineWarnings(baseline: Baseline, runbook: Runbook): string[] {
  const warnings: string[] = [];
  const name = `rehearsal ${baseline.run}`;
  if (baseline.runbook !== runbook.id)
    warnings.push(
      `baseline: ${name} ran runbook ${baseline.runbook}, not ${runbook.id}: its figures are matched by step and block id only`,
    );
  const changed: string[] = [];
  for (const step of runbook.steps) {
    for (const block of step.blocks) {
      const figures = figuresFor(baseline, step.id, block.id);
      if (figures && figures.hash !== blockHash(block)) changed.push(block.id);
    }
  }
  if (changed.length > 0)
    warnings.push(
      `baseline: block${changed.length > 1 ? 's' : ''} ${changed.join(', ')} changed since ${name} (the runbook's hash differs): compared with the rehearsal's figures all the same`,
    );
  return warnings;
}

/** The rehearsal's figures for one block, if it passed there. */
export function figuresFor(baseline: Baseline | undefined, stepId: string, blockId: string): BlockFigures | undefined {
  return baseline?.blocks.find((b) => b.step === stepId && b.block === blockId);
}

/** `12,408` */
function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** The figures as a face shows them beside the block: `rehearsal: 4m12s, 12,408 rows`. */
export function describeFigures(figures: BlockFigures): string {
  const parts: string[] = [];
  if (figures.durationMs !== undefined) parts.push(formatDuration(figures.durationMs));
  if (figures.rowCount !== undefined) parts.push(`${count(figures.rowCount)} row${figures.rowCount === 1 ? '' : 's'}`);
  if (figures.hosts) parts.push(`${Object.keys(figures.hosts).length} hosts`);
  return `rehearsal: ${parts.join(', ')}`;
}

/** The figures a face shows beside a block of a run with a baseline (`rehearsal: …`), or null. */
export function rehearsalOf(state: RunState, stepId: string, blockId: string): string | null {
  const figures = figuresFor(state.baseline, stepId, blockId);
  return figures ? describeFigures(figures) : null;
}

/** The figures of every block of a step that has them, by block id, for the TUI's step view. */
export function rehearsalFigures(state: RunState, step: Step): Map<string, string> {
  const shown = new Map<string, string>();
  for (const block of step.blocks) {
    const text = rehearsalOf(state, step.id, block.id);
    if (text) shown.set(block.id, text);
  }
  return shown;
}

/** What a block came to in this run, to compare. */
export interface BlockResult {
  durationMs: number;
  rowCount?: number;
  hosts?: { host: string; durationMs?: number }[];
}

/**
 * How the result departs from the rehearsal's, or null. Rows count both ways (0 migrated where
 * the rehearsal migrated 12k is the failure this catches; 10× more is as strange), by the factor
 * or within `rows:±N`; a zero is counted as one row, so 0 against 3 is not news. Durations count
 * only slower, and only past DURATION_FLOOR_MS: a block done faster than in the rehearsal is not
 * a reason to stop, and its rows say whether it did its work.
 */
export function deviationOf(rule: DeviationRule | undefined, figures: BlockFigures, result: BlockResult): Deviation | null {
  if (rule?.off) return null;
  const factor = rule?.factor ?? DEFAULT_DEVIATION_FACTOR;
  if (figures.rowCount !== undefined && result.rowCount !== undefined) {
    const [actual, rehearsal] = [result.rowCount, figures.rowCount];
    const departs =
      rule?.rowsWithin !== undefined
        ? Math.abs(actual - rehearsal) > rule.rowsWithin
        : Math.max(actual, 1) > Math.max(rehearsal, 1) * factor || Math.max(actual, 1) * factor < Math.max(rehearsal, 1);
    if (departs) {
      const ruleText = describeDeviationRule(rule, 'rows');
      return {
        on: 'rows',
        actual,
        rehearsal,
        rule: ruleText,
        message: `${count(actual)} row${actual === 1 ? '' : 's'} where the rehearsal had ${count(rehearsal)} (deviation=${ruleText})`,
      };
    }
  }
  const slower = (actual: number, rehearsal: number) => actual > rehearsal * factor && actual - rehearsal > DURATION_FLOOR_MS;
  const ruleText = describeDeviationRule(rule, 'duration');
  if (figures.durationMs !== undefined && slower(result.durationMs, figures.durationMs)) {
    return {
      on: 'duration',
      actual: result.durationMs,
      rehearsal: figures.durationMs,
      rule: ruleText,
      message: `took ${formatDuration(result.durationMs)} where the rehearsal took ${formatDuration(figures.durationMs)} (deviation=${ruleText})`,
    };
  }
  for (const host of result.hosts ?? []) {
    const before = figures.hosts?.[host.host];
    if (before === undefined || host.durationMs === undefined || !slower(host.durationMs, before)) continue;
    return {
      on: 'duration',
      host: host.host,
      actual: host.durationMs,
      rehearsal: before,
      rule: ruleText,
      message: `host ${host.host} took ${formatDuration(host.durationMs)} where the rehearsal took ${formatDuration(before)} (deviation=${ruleText})`,
    };
  }
  return null;
}

/** The deviation of a block that just ended with success in a run with a baseline, or null. */
export function judgeAgainstBaseline(state: RunState, step: Step, block: Block, result: BlockResult): Deviation | null {
  const figures = figuresFor(state.baseline, step.id, block.id);
  return figures ? deviationOf(block.attrs.deviation, figures, result) : null;
}

/** Step durations from the baseline, keyed by the current steps' hashes (estimate.ts's timeLeft reads them). */
export function baselineDurations(baseline: Baseline, runbook: Runbook): Map<string, number> {
  const durations = new Map<string, number>();
  for (const step of runbook.steps) {
    const rehearsed = baseline.steps.find((s) => s.step === step.id);
    if (rehearsed) durations.set(stepHash(step), rehearsed.durationMs);
  }
  return durations;
}

/** The two baselines are the same rehearsal's figures (a bundle of a run, or that run). */
export function sameBaseline(a: Baseline, b: Baseline): boolean {
  return a.run === b.run && a.runbook === b.runbook;
}
