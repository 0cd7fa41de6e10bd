/**
 * `waymark approve RUNBOOK.md --block ID --operator NAME`: approve an `approve=` block of the
 * runbook's current run, from another terminal, as an operator other than the one running it.
 * The approval names the block's resolved content hash now (engine/approval.ts); the run records
 * it in its audit trail when it takes it in.
 */
import { parseArgs } from 'node:util';
import { loadRunbook } from '../runbook/load.js';
import { readRun } from '../engine/runs.js';
import { approvalHash, approvalRefusal } from '../engine/approval.js';
import { liveHolder } from '../state/lock.js';
import { readApprovals, writeApproval } from '../state/approvals.js';
import { ExitCode, OperatorError, UsageError } from '../engine/errors.js';
import { stateDirFrom } from './options.js';
import { inert } from '../runbook/inert.js';
import { SECRET_GLYPH, describeProgram, programHeading } from '../engine/output.js';

export const approveHelp = `usage: waymark approve RUNBOOK.md --block ID --operator NAME [--state-dir DIR]

Approves a block marked approve=N in the runbook's current run, as operator NAME, who must
not be the operator running the run. The approval names the block's exact content as it
will run (its code, info string and the run's values, as a hash): if the block changes, the
approval no longer applies. A TUI waiting for it takes it in within a second; a run that
reaches the block later, or a headless run started again, takes it in then. The run records
it in its audit trail (block-approved) and its report lists it among the decisions.

Exit 0 when the approval was written; 2 when the block, run or operator does not allow it.`;

export async function approveCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      block: { type: 'string' },
      operator: { type: 'string' },
      'state-dir': { type: 'string' },
      'allow-outside-includes': { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new UsageError(`approve takes one runbook file\n\n${approveHelp}`);
  if (values.block === undefined || values.block === '')
    throw new UsageError(`approve needs --block ID: the block to approve\n\n${approveHelp}`);
  // Named, never guessed from the login: the approver says who they are, and it is recorded.
  if (values.operator === undefined || values.operator.trim() === '')
    throw new UsageError(`approve needs --operator NAME: who approves (someone other than the operator running the run)\n\n${approveHelp}`);
  const operator = values.operator.trim();
  // The name is recorded in the audit trail and shown on other operators' screens.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(operator))
    throw new UsageError(`--operator: the name holds a control character; give a plain name`);
  const file = positionals[0] as string;
  const runbook = await loadRunbook(file, { allowOutsideRoot: values['allow-outside-includes'] ?? false });
  const step = runbook.steps.find((s) => s.blocks.some((b) => b.id === values.block));
  const block = step?.blocks.find((b) => b.id === values.block);
  if (!step || !block) {
    const approvable = runbook.steps
      .flatMap((s) => s.blocks)
      .filter((b) => b.attrs.approve !== undefined)
      .map((b) => b.id);
    throw new OperatorError(
      `--block ${values.block}: there is no block ${values.block} in ${runbook.file} (blocks with approve=: ${approvable.join(', ') || 'none'})`,
      ExitCode.BadInput,
    );
  }
  const stateDir = stateDirFrom(values['state-dir']);
  const stored = await readRun(stateDir, runbook);
  if (!stored || stored.status === 'complete' || stored.status === 'abandoned') {
    throw new OperatorError(
      `${runbook.file} has no unfinished run in ${stateDir} to approve a block of: start it first (waymark run ${file}); an approval belongs to one run`,
      ExitCode.BadInput,
    );
  }
  // The run's starter, and whoever holds it live now, both run it: neither may approve for it.
  const holder = await liveHolder(stored.book.dir);
  const runners = [stored.state.operator, ...(holder ? [holder.operator] : [])];
  const refused = approvalRefusal(block, operator, runners);
  if (refused) throw new OperatorError(`waymark approve: ${refused}`, ExitCode.BadInput);
  const blockState = stored.state.steps.find((s) => s.id === step.id)?.blocks.find((b) => b.id === block.id);
  if (blockState?.status === 'passed')
    throw new OperatorError(
      `block ${block.id} already ran and passed in run ${stored.state.run}: there is nothing left to approve`,
      ExitCode.BadInput,
    );
  const hash = approvalHash(block, step, stored.state, runbook.shell);
  const at = new Date().toISOString();
  await writeApproval(stateDir, stored.paths, { step: step.id, block: block.id, hash, by: operator, at });
  out.write(`approved block ${block.id} (step ${step.id}) of run ${stored.state.run}, content hash ${hash}, by ${operator} at ${at}\n`);
  out.write(
    `it will run:\n   ${programHeading(describeProgram(block, runbook) ?? '')}\n${block.code
      .split('\n')
      .map((line) => `   > ${line}`)
      .join('\n')}\n`,
  );
  // What the approval also names: the values blocks captured so far, which the block runs with.
  const captures = Object.entries(stored.state.captures ?? {});
  if (captures.length > 0)
    out.write(
      `with the values captured so far: ${captures.map(([name, c]) => `${name}=${c.secret ? SECRET_GLYPH : inert(c.value ?? '')}`).join(', ')}\n`,
    );
  const needed = block.attrs.approve ?? 1;
  // Every approval of this exact content by someone who does not run the run, taken in or not yet.
  const { approvals } = await readApprovals(stateDir, stored.paths);
  const by = new Set(
    [...(blockState?.approvals ?? []), ...approvals.filter((a) => a.block === block.id)]
      .filter((a) => a.hash === hash && !runners.includes(a.by))
      .map((a) => a.by),
  );
  const when = holder ? 'the live run takes it in within a second' : `the run takes it in when it is run again (waymark run ${file})`;
  out.write(`approvals of this content: ${by.size} of ${needed} needed (${[...by].join(', ')}); ${when}\n`);
  return ExitCode.Complete;
}
