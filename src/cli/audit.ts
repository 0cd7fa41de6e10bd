/** `waymark audit RUNBOOK.md [--run ID] --verify | --export`: check the audit trail, or anchor it outside the machine. */
import { parseArgs } from 'node:util';
import { loadRunbook } from '../runbook/load.js';
import { readRun } from '../engine/runs.js';
import { auditKeyPath, findAuditKey } from '../state/audit-key.js';
import { verifyAudit, type AuditIntact, type VerifyOptions } from '../state/audit.js';
import { ExitCode, OperatorError, UsageError } from '../engine/errors.js';
import { stateDirFrom } from './options.js';
import { inertFields } from '../runbook/inert.js';

export const auditHelp = `usage: waymark audit RUNBOOK.md [--run ID] [--verify [--head SEQ:HASH] | --export] [--json] [--state-dir DIR]

Without --verify or --export, prints the trail after checking it.
--verify        checks the trail: every record must chain to the one before it, and on a keyed
                trail carry a MAC made with the audit key ($XDG_CONFIG_HOME/waymark/audit.key).
                Exit 0 when it is intact, 1 when a record was edited, inserted, deleted or
                reordered, 2 when the key it needs is not here.
--head SEQ:HASH with --verify: the trail must still contain that exported head.
--export        prints the trail's head (seq and hash), its key id and the time, one line to
                paste into the change ticket; \`--verify --head\` checks it later.`;

/** `SEQ:HASH` (as --export prints it) or a bare line hash. */
function parseHead(text: string): NonNullable<VerifyOptions['anchor']> {
  const match = /^(?:(\d+):)?([0-9a-f]{64})$/.exec(text.trim());
  if (!match) throw new UsageError(`--head ${text}: expected SEQ:HASH as \`waymark audit --export\` prints it (e.g. 42:9f86d0...)`);
  return match[1] === undefined ? { lineHash: match[2] as string } : { seq: Number(match[1]), lineHash: match[2] as string };
}

/** How far the trail is keyed, in words. */
function keying(verdict: AuditIntact): string {
  if (verdict.keyId === null)
    return 'unkeyed (written before waymark keyed its trails: the chain shows edits, but anyone who can write the file can rewrite it whole)';
  const from =
    verdict.keyedFrom === 1 ? '' : ` from record ${verdict.keyedFrom} (records before it predate the key; the chain ties them to it)`;
  return `keyed with key ${verdict.keyId}${from}`;
}

export async function auditCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      verify: { type: 'boolean' },
      export: { type: 'boolean' },
      head: { type: 'string' },
      run: { type: 'string' },
      'state-dir': { type: 'string' },
      'allow-outside-includes': { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new UsageError(`audit takes one runbook file\n\n${auditHelp}`);
  if (values.head !== undefined && !values.verify)
    throw new UsageError('--head goes with --verify: `waymark audit RUNBOOK.md --verify --head SEQ:HASH`');
  if (values.verify && values.export) throw new UsageError('--verify and --export are two commands: run them one after the other');
  const anchor = values.head === undefined ? undefined : parseHead(values.head);
  const runbook = await loadRunbook(positionals[0] as string, { allowOutsideRoot: values['allow-outside-includes'] ?? false });
  const stored = await readRun(stateDirFrom(values['state-dir']), runbook, values.run);
  if (!stored) throw new OperatorError(`${runbook.file} has no run in ${stateDirFrom(values['state-dir'])}`, ExitCode.BadInput);
  const key = await findAuditKey();
  const verdict = await verifyAudit(stored.paths.audit, {
    ...(stored.state.auditHead ? { head: stored.state.auditHead } : {}),
    key,
    ...(anchor ? { anchor } : {}),
  });
  const where = stored.paths.audit;
  const run = stored.state.run;
  if (!verdict.ok) {
    if (!values.verify) throw new OperatorError(`${where}:${verdict.line}: ${verdict.reason}`, ExitCode.Failed);
    out.write(`audit trail of run ${run} is BROKEN at ${where}:${verdict.line}: ${verdict.reason}\n`);
    return ExitCode.Failed;
  }
  // Reading a trail needs no key; vouching for it (verify, export) does.
  if (!verdict.authenticated && (values.verify || values.export)) {
    const have = key ? `${key.path} holds key ${key.id}` : `there is no key at ${auditKeyPath()}`;
    throw new OperatorError(
      `audit trail of run ${run} is keyed with key ${verdict.keyId}, but ${have}: its records cannot be checked here; verify it where that key is`,
      ExitCode.BadInput,
    );
  }
  if (values.export) {
    if (verdict.head.seq === 0)
      throw new OperatorError(`audit trail of run ${run} is empty: there is no head to export`, ExitCode.BadInput);
    const head = `${verdict.head.seq}:${verdict.head.lineHash}`;
    const exported = { run, head, key: verdict.keyId ?? 'unkeyed', exported: new Date().toISOString() };
    out.write(
      values.json
        ? `${JSON.stringify(exported)}\n`
        : `waymark audit run=${run} head=${head} key=${exported.key} exported=${exported.exported}\n`,
    );
    return ExitCode.Complete;
  }
  if (!values.verify) {
    for (const record of verdict.records) {
      const { seq, ts, type, operator, host, prev: _prev, hash: _hash, key: _key, mac: _mac, run: _run, ...data } = record;
      // The operator and host are one-line fields (an --operator with a newline must not forge a record's line).
      out.write(
        values.json ? `${JSON.stringify(record)}\n` : inertFields`${seq} ${ts} ${operator}@${host} ${type} ${JSON.stringify(data)}\n`,
      );
    }
    return ExitCode.Complete;
  }
  const extends_ = anchor ? `, and extends the exported head ${values.head}` : '';
  out.write(`audit trail of run ${run} is intact: ${verdict.records.length} records, ${keying(verdict)}${extends_} (${where})\n`);
  return ExitCode.Complete;
}
