/** `waymark repair RUNBOOK.md [--run ID]`: rebuild a lost or unusable checkpoint from the journal and audit trail. */
import { parseArgs } from 'node:util';
import { loadRunbook } from '../runbook/load.js';
import { repairRun } from '../engine/repair.js';
import { operatorName } from '../engine/operator.js';
import { ExitCode, UsageError } from '../engine/errors.js';
import { stateDirFrom } from './options.js';

export const repairHelp = `usage: waymark repair RUNBOOK.md [--run ID] [--state-dir DIR] [--operator NAME]

Rebuilds the checkpoint (checkpoint.json) of the current run, or of run ID, from its
journal and audit trail, when it is missing or cannot be used. Shows each step and
block as rebuilt, and records the repair in the audit trail (checkpoint-repaired).
An unusable checkpoint is kept beside it as checkpoint.json.unusable-TIMESTAMP.

Exit 0 when it was rebuilt or needed no repair; 2 when the records cannot rebuild it
(nothing is written then); 5 when a live run holds the lock.`;

export async function repairCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      run: { type: 'string' },
      'state-dir': { type: 'string' },
      operator: { type: 'string' },
      'allow-outside-includes': { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new UsageError(`repair takes one runbook file\n\n${repairHelp}`);
  const runbook = await loadRunbook(positionals[0] as string, { allowOutsideRoot: values['allow-outside-includes'] ?? false });
  const outcome = await repairRun(runbook, {
    stateDir: stateDirFrom(values['state-dir']),
    operator: operatorName(values.operator),
    ...(values.run !== undefined ? { runId: values.run } : {}),
  });
  if (!outcome.repaired) {
    out.write(`the checkpoint of run ${outcome.runId} is readable: nothing to repair\n`);
    return ExitCode.Complete;
  }
  for (const notice of outcome.notices) out.write(`notice: ${notice}\n`);
  out.write(
    `rebuilt the checkpoint of run ${outcome.runId} from ${outcome.journalEntries} journal entries and ${outcome.auditRecords} of ${outcome.auditLength} audit records: ${outcome.checkpoint}\n`,
  );
  if (outcome.keptAside) out.write(`the unusable checkpoint was kept as ${outcome.keptAside}\n`);
  for (const note of outcome.notes) out.write(`note: ${note}\n`);
  out.write(`run status: ${outcome.state.status}\n`);
  for (const step of outcome.state.steps) {
    out.write(`  ${step.status.padEnd(11)} ${step.id}: ${step.title}\n`);
    for (const block of step.blocks) {
      if (block.status === 'pending') continue;
      out.write(
        `      ${block.status.padEnd(11)} ${block.role} ${block.id}${block.executions > 1 ? ` (${block.executions} executions)` : ''}\n`,
      );
    }
  }
  out.write(`recorded in the audit trail as record ${outcome.record} (checkpoint-repaired); the next run resumes from here\n`);
  return ExitCode.Complete;
}
