/** `waymark audit RUNBOOK.md [--run ID] --verify`: check the audit trail's hash chain. */
import { parseArgs } from 'node:util';
import { loadRunbook } from '../engine/session.js';
import { readRun } from '../engine/runs.js';
import { verifyAudit } from '../state/audit.js';
import { OperatorError, UsageError } from './errors.js';
import { stateDirFrom } from './options.js';

export const auditHelp = `usage: waymark audit RUNBOOK.md [--run ID] --verify [--state-dir DIR]

Verifies the run's audit trail: every record must chain to the one before it.
Exit 0 when it is intact, 1 when a record was edited, inserted, deleted or reordered.`;

export async function auditCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { verify: { type: 'boolean' }, run: { type: 'string' }, 'state-dir': { type: 'string' }, 'allow-outside-includes': { type: 'boolean' }, json: { type: 'boolean' } },
  });
  if (positionals.length !== 1) throw new UsageError(`audit takes one runbook file\n\n${auditHelp}`);
  const runbook = await loadRunbook(positionals[0] as string, { allowOutsideRoot: values['allow-outside-includes'] ?? false });
  const stored = await readRun(stateDirFrom(values['state-dir']), runbook, values.run);
  if (!stored) throw new OperatorError(`${runbook.file} has no run in ${stateDirFrom(values['state-dir'])}`, 2);
  const verdict = await verifyAudit(stored.paths.audit, stored.state.auditHead ? { head: stored.state.auditHead } : {});
  if (!values.verify) {
    if (!verdict.ok) throw new OperatorError(`${stored.paths.audit}:${verdict.line}: ${verdict.reason}`, 1);
    for (const record of verdict.records) {
      const { seq, ts, type, operator, host, prev: _prev, hash: _hash, run: _run, ...data } = record;
      out.write(values.json ? `${JSON.stringify(record)}\n` : `${seq} ${ts} ${operator}@${host} ${type} ${JSON.stringify(data)}\n`);
    }
    return 0;
  }
  if (verdict.ok) {
    out.write(`audit trail of run ${stored.state.run} is intact: ${verdict.records.length} records (${stored.paths.audit})\n`);
    return 0;
  }
  out.write(`audit trail of run ${stored.state.run} is BROKEN at ${stored.paths.audit}:${verdict.line}: ${verdict.reason}\n`);
  return 1;
}
