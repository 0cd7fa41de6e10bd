/** `waymark status RUNBOOK.md [--json]`: where the current run stands. */
import { parseArgs } from 'node:util';
import { loadRunbook } from '../runbook/load.js';
import { readRun } from '../engine/runs.js';
import { durationsFor, timeLeft } from '../engine/estimate.js';
import { ExitCode, UsageError } from '../engine/errors.js';
import { stateDirFrom } from './options.js';
import { formatDuration } from '../runbook/duration.js';
import { countHosts, describeCounts } from '../engine/fleet.js';
import { nextAction } from '../engine/plan.js';
import { describeAction } from '../engine/decisions.js';
import { capturesShown, type CaptureShown } from '../engine/capture.js';
import { isStepDone } from '../engine/run-state.js';
import { inertFields } from '../runbook/inert.js';

export const statusHelp = `usage: waymark status RUNBOOK.md [--json] [--state-dir DIR]

Shows the runbook's current (or last) run: its status and each step's.`;

/** The JSON shape of `status --json` (docs/json.md#status---json). */
export interface StatusJson {
  runbook: string;
  run: string | null;
  status: string;
  operator?: string;
  startedAt?: string;
  updatedAt?: string;
  /** Time left, from the median durations of earlier runs; null when no earlier run knows these steps. */
  timeLeftMs?: number | null;
  /** Values blocks captured (`capture=`), by name; a secret one shown masked (docs/capture.md). */
  captures?: Record<string, CaptureShown>;
  steps: {
    id: string;
    title: string;
    status: string;
    durationMs?: number;
    blocks: {
      id: string;
      role: string;
      status: string;
      exitCode: number | null;
      attempts: number;
      reason?: string;
      /** An `approve=` block's approvals taken in by the run (docs/approve.md). */
      approvals?: { by: string; at: string; hash: string }[];
      /** A fleet block's hosts, in the order of its rolling plan; rc is null until the host has one. */
      hosts?: { host: string; status: string; rc: number | null }[];
    }[];
  }[];
}

export async function statusCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, 'state-dir': { type: 'string' }, 'allow-outside-includes': { type: 'boolean' } },
  });
  if (positionals.length !== 1) throw new UsageError(`status takes one runbook file\n\n${statusHelp}`);
  const runbook = await loadRunbook(positionals[0] as string, { allowOutsideRoot: values['allow-outside-includes'] ?? false });
  const stateDir = stateDirFrom(values['state-dir']);
  const stored = await readRun(stateDir, runbook);
  const left = stored ? timeLeft(stored.state, await durationsFor(stateDir, runbook, stored.state)) : null;
  const json: StatusJson = stored
    ? {
        runbook: runbook.id,
        run: stored.state.run,
        status: stored.status,
        operator: stored.state.operator,
        startedAt: stored.state.startedAt,
        updatedAt: stored.state.updatedAt,
        timeLeftMs: left,
        ...(stored.state.captures ? { captures: capturesShown(stored.state.captures) } : {}),
        steps: stored.state.steps.map((step) => ({
          id: step.id,
          title: step.title,
          status: step.status,
          ...(step.durationMs !== undefined ? { durationMs: step.durationMs } : {}),
          blocks: step.blocks.map((b) => ({
            id: b.id,
            role: b.role,
            status: b.status,
            exitCode: b.exitCode,
            attempts: b.attempts,
            ...(b.reason !== undefined ? { reason: b.reason } : {}),
            ...(b.approvals ? { approvals: b.approvals } : {}),
            ...(b.hosts ? { hosts: b.hosts.map((h) => ({ host: h.host, status: h.status, rc: h.rc ?? null })) } : {}),
          })),
        })),
      }
    : {
        runbook: runbook.id,
        run: null,
        status: 'none',
        steps: runbook.steps.map((s) => ({ id: s.id, title: s.title, status: 'pending', blocks: [] })),
      };
  if (values.json) {
    out.write(`${JSON.stringify(json, null, 2)}\n`);
    return ExitCode.Complete;
  }
  // Every title, id, operator, file name and reason is a one-line field: a newline in one (a
  // setext heading's second line, --operator $'ann\nbob') must not start a line of the status.
  if (!stored) {
    out.write(inertFields`${runbook.title}: never run (state dir ${stateDirFrom(values['state-dir'])})\n`);
    return ExitCode.Complete;
  }
  const done = stored.state.steps.filter(isStepDone).length;
  out.write(
    inertFields`${runbook.title}\nrun ${json.run} by ${json.operator}, started ${json.startedAt}: ${json.status}, ${done}/${json.steps.length} steps done${left !== null && json.status !== 'complete' ? `, about ${formatDuration(left)} left (from earlier runs)` : ''}\n`,
  );
  // A run held for another operator's approval says so, with the command that gives it.
  const next = nextAction(runbook, stored.state);
  if (next.kind === 'approval')
    out.write(
      inertFields`  waiting: ${describeAction(next)}: waymark approve ${positionals[0] as string} --block ${next.block.id} --operator NAME\n`,
    );
  for (const step of json.steps) {
    const took = step.durationMs !== undefined ? ` (${formatDuration(step.durationMs)})` : '';
    out.write(inertFields`  ${step.status.padEnd(11)} ${step.id}: ${step.title}${took}\n`);
    for (const block of step.blocks) {
      if (block.status === 'pending' || (block.status === 'passed' && !block.hosts)) continue;
      out.write(inertFields`      ${block.status.padEnd(11)} ${block.role} ${block.id}${block.reason ? `: ${block.reason}` : ''}\n`);
      const hosts = stored.state.steps.find((s) => s.id === step.id)?.blocks.find((b) => b.id === block.id)?.hosts;
      if (hosts) out.write(inertFields`                  hosts: ${describeCounts(countHosts(hosts))}\n`);
    }
  }
  return ExitCode.Complete;
}
