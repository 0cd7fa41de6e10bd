/** `waymark report RUNBOOK.md [--run ID] [--format md|json|junit] [-o FILE]`. */
import { parseArgs } from 'node:util';
import { loadRunbook } from '../runbook/load.js';
import { readRun, type StoredRun } from '../engine/runs.js';
import { interruptBlock, type RunState } from '../engine/run-state.js';
import { readCheckpoint } from '../engine/checkpoint.js';
import { buildReport } from '../report/model.js';
import { renderMarkdown } from '../report/markdown.js';
import { renderJunit } from '../report/junit.js';
import { compareRuns, renderComparisonMarkdown, renderComparisonText } from '../report/compare.js';
import { writeFileAtomic } from '../state/atomic.js';
import { ExitCode, OperatorError, UsageError } from '../engine/errors.js';
import { stateDirFrom } from './options.js';

export const reportHelp = `usage: waymark report RUNBOOK.md [--run ID] [--format md|json|junit] [-o FILE] [--state-dir DIR]
       waymark report RUNBOOK.md --compare RUN_A RUN_B [--format text|md|json] [-o FILE]

Renders the current (or the given) run as Markdown (default), JSON or JUnit XML.
--compare shows two runs (a rehearsal and a later run) side by side, step by step, with
their durations as a bar chart and the steps that failed, were overridden or changed flagged.
--allow-outside-includes: as for run, for a runbook whose includes leave its folder.`;

export async function reportCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      run: { type: 'string' },
      format: { type: 'string' },
      compare: { type: 'boolean' },
      output: { type: 'string', short: 'o' },
      'state-dir': { type: 'string' },
      'allow-outside-includes': { type: 'boolean' },
    },
  });
  if (values.compare) return compareCommand(positionals, values, out);
  if (positionals.length !== 1) throw new UsageError(`report takes one runbook file\n\n${reportHelp}`);
  const format = values.format ?? 'md';
  if (format !== 'md' && format !== 'json' && format !== 'junit')
    throw new UsageError(`--format must be md, json or junit, not "${format}"`);
  const runbook = await loadRunbook(positionals[0] as string, { allowOutsideRoot: values['allow-outside-includes'] ?? false });
  const stored = await readRun(stateDirFrom(values['state-dir']), runbook, values.run);
  if (!stored)
    throw new OperatorError(`${runbook.file} has no run in ${stateDirFrom(values['state-dir'])}: nothing to report`, ExitCode.BadInput);
  const report = buildReport(runbook, stored.state, stored.status);
  const text =
    format === 'json' ? `${JSON.stringify(report, null, 2)}\n` : format === 'junit' ? renderJunit(report) : renderMarkdown(report);
  if (values.output) {
    await writeFileAtomic(values.output, text);
    out.write(`report written to ${values.output}\n`);
  } else out.write(text);
  return ExitCode.Complete;
}

/** `--compare RUN_A RUN_B`: rehearsal against production, side by side. */
async function compareCommand(
  positionals: string[],
  values: { format?: string; output?: string; 'state-dir'?: string; 'allow-outside-includes'?: boolean },
  out: NodeJS.WritableStream,
): Promise<number> {
  if (positionals.length !== 3)
    throw new UsageError(`--compare needs the runbook and two run ids: waymark report RUNBOOK.md --compare RUN_A RUN_B\n\n${reportHelp}`);
  const format = values.format ?? 'text';
  if (format !== 'text' && format !== 'md' && format !== 'json')
    throw new UsageError(`--format for --compare must be text, md or json, not "${format}"`);
  const runbook = await loadRunbook(positionals[0] as string, { allowOutsideRoot: values['allow-outside-includes'] ?? false });
  const stateDir = stateDirFrom(values['state-dir']);
  const [a, b] = await Promise.all([readRun(stateDir, runbook, positionals[1]), readRun(stateDir, runbook, positionals[2])]);
  if (!a || !b) throw new OperatorError(`run ${!a ? positionals[1] : positionals[2]} has no checkpoint in ${stateDir}`, ExitCode.BadInput);
  const [recordedA, recordedB] = [await asRecorded(a), await asRecorded(b)];
  const comparison = compareRuns(buildReport(runbook, recordedA, recordedA.status), buildReport(runbook, recordedB, recordedB.status));
  const text =
    format === 'json'
      ? `${JSON.stringify(comparison, null, 2)}\n`
      : format === 'md'
        ? renderComparisonMarkdown(comparison)
        : renderComparisonText(comparison);
  if (values.output) {
    await writeFileAtomic(values.output, text);
    out.write(`comparison written to ${values.output}\n`);
  } else out.write(text);
  return ExitCode.Complete;
}

/**
 * A run's steps as its checkpoint recorded them. `readRun` fits an old run to today's runbook, which
 * would show a step edited since the rehearsal as pending, with today's hash, and hide the change.
 */
async function asRecorded(stored: StoredRun): Promise<RunState> {
  const recorded = (await readCheckpoint(stored.paths.checkpoint)) ?? stored.state;
  if (stored.live) return { ...recorded, status: stored.status };
  // Nobody runs it any more: a block left running was cut short, as `report` (through readRun) shows it.
  const steps = recorded.steps.map((step) => ({
    ...step,
    ...(step.status === 'running' ? { status: 'interrupted' as const } : {}),
    blocks: step.blocks.map((block) => (block.status === 'running' ? interruptBlock(block, recorded.updatedAt) : block)),
  }));
  return { ...recorded, status: stored.status, steps };
}
