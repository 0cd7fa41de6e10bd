/**
 * `waymark evidence RUNBOOK.md [--run ID] --out FILE.tar.gz`: one run's evidence for the change
 * ticket, in one reproducible bundle; `waymark evidence --verify FILE.tar.gz` checks one.
 * Making a bundle only reads: it writes nothing to the run's audit trail, so two bundles of the
 * same finished run are the same bytes (docs/evidence.md says why).
 */
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { parseArgs } from 'node:util';
import { loadRunbook } from '../runbook/load.js';
import type { Runbook } from '../runbook/model.js';
import { readRun } from '../engine/runs.js';
import { readCheckpoint } from '../engine/checkpoint.js';
import { stepHash } from '../engine/reconcile.js';
import type { RunState } from '../engine/run-state.js';
import { buildReport } from '../report/model.js';
import { renderMarkdown } from '../report/markdown.js';
import { renderJunit } from '../report/junit.js';
import { findAuditKey } from '../state/audit-key.js';
import { verifyAudit, verifyAuditText } from '../state/audit.js';
import { hasCode, openNoFollow, reasonOf, writeFileAtomic } from '../state/atomic.js';
import { fileSafe } from '../state/layout.js';
import {
  BundleFormatError,
  checkManifest,
  MANIFEST,
  packBundle,
  parseManifest,
  sha256Hex,
  unpackBundle,
  type BundleFile,
} from '../state/evidence-bundle.js';
import { ExitCode, OperatorError, UsageError } from '../engine/errors.js';
import { stateDirFrom } from './options.js';

export const evidenceHelp = `usage: waymark evidence RUNBOOK.md [--run ID] --out FILE.tar.gz [--state-dir DIR]
       waymark evidence --verify FILE.tar.gz

Bundles the evidence of the current (or the given) run for the change ticket: the runbook as
run, the reports (md, json, junit), the audit trail and its head, every block log (masked as
on disk), and a SHA256SUMS manifest. The same run gives the same bytes.
--verify  checks a bundle: every file matches the manifest, none is missing or extra, the
          audit trail's chain is intact and ends at the head the bundle exported, and every
          record's MAC with the audit key. Exit 0 when all of it holds (authenticated), 1 when
          the bundle was altered (naming the file), 2 when FILE is not a bundle, or when it is
          intact but cannot be authenticated here (the trail's key is not on this machine, or
          the trail is unkeyed): the output says what was checked and what was not.
--allow-outside-includes: as for run, for a runbook whose includes leave its folder.`;

/** The audit head as the bundle exports it: `waymark audit --export`'s line, without the time. */
const HEAD_FILE = 'audit-head.txt';
const HEAD_LINE = /^waymark audit run=(\S+) head=(\d+):([0-9a-f]{64}) key=([0-9a-f]{16}|unkeyed)\n$/;

export async function evidenceCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      run: { type: 'string' },
      out: { type: 'string', short: 'o' },
      verify: { type: 'boolean' },
      'state-dir': { type: 'string' },
      'allow-outside-includes': { type: 'boolean' },
    },
  });
  if (values.verify) {
    if (positionals.length !== 1 || values.out !== undefined || values.run !== undefined)
      throw new UsageError(`--verify takes one bundle: waymark evidence --verify FILE.tar.gz\n\n${evidenceHelp}`);
    return verifyBundle(positionals[0] as string, out);
  }
  if (positionals.length !== 1) throw new UsageError(`evidence takes one runbook file\n\n${evidenceHelp}`);
  if (values.out === undefined) throw new UsageError('evidence needs --out FILE.tar.gz: where to write the bundle');
  return makeBundle(positionals[0] as string, values.out, values, out);
}

/** Steps of the runbook now that differ from the hashes the checkpoint kept of them as they ran. */
function changedSince(runbook: Runbook, recorded: RunState): string[] {
  const now = new Map(runbook.steps.map((step) => [step.id, stepHash(step)]));
  const changed = recorded.steps.filter((step) => now.get(step.id) !== step.hash).map((step) => step.id);
  const ran = new Set(recorded.steps.map((step) => step.id));
  return [...changed, ...runbook.steps.filter((step) => !ran.has(step.id)).map((step) => step.id)];
}

async function readOwnFile(path: string): Promise<Buffer> {
  const file = await openNoFollow(path, 'r');
  try {
    return await file.readFile();
  } finally {
    await file.close();
  }
}

/** The runbook's files (its own and its includes'), named relative to its folder under `runbook/`. */
async function runbookFiles(runbook: Runbook): Promise<BundleFile[]> {
  const base = dirname(runbook.file);
  const files = [...new Set([runbook.file, ...runbook.steps.map((step) => step.file)])];
  return Promise.all(
    files.map(async (file) => {
      // An include outside the runbook's folder (--allow-outside-includes) keeps its place under `_up_/`.
      const name = relative(base, file)
        .split(sep)
        .map((part) => (part === '..' ? '_up_' : part))
        .join('/');
      return { path: `runbook/${name}`, data: await readFile(file) };
    }),
  );
}

/** Every block log of the run, by file name. */
async function blockLogs(dir: string): Promise<BundleFile[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return [];
    throw new OperatorError(`block logs ${dir} cannot be read: ${reasonOf(error)}`, ExitCode.BadInput);
  }
  return Promise.all(names.map(async (name) => ({ path: `logs/${name}`, data: await readOwnFile(join(dir, name)) })));
}

async function makeBundle(
  runbookFile: string,
  target: string,
  values: { run?: string; 'state-dir'?: string; 'allow-outside-includes'?: boolean },
  out: NodeJS.WritableStream,
): Promise<number> {
  const runbook = await loadRunbook(runbookFile, { allowOutsideRoot: values['allow-outside-includes'] ?? false });
  const stateDir = stateDirFrom(values['state-dir']);
  const stored = await readRun(stateDir, runbook, values.run);
  if (!stored) throw new OperatorError(`${runbook.file} has no run in ${stateDir}: there is no evidence to bundle`, ExitCode.BadInput);
  const run = stored.state.run;
  // A live run's trail and logs still grow: a bundle of it would be out of date before it is read.
  if (stored.live)
    throw new OperatorError(
      `run ${run} is live (another waymark holds its lock): bundle its evidence once that session has ended`,
      ExitCode.Locked,
    );
  const recorded = (await readCheckpoint(stored.paths.checkpoint)) ?? stored.state;
  const changed = changedSince(runbook, recorded);
  if (changed.length > 0) {
    throw new OperatorError(
      `${runbook.file} is not the runbook run ${run} ran: step${changed.length > 1 ? 's' : ''} ${changed.join(', ')} changed since; the bundle holds the runbook as run, so check out that version (e.g. from git) and bundle again`,
      ExitCode.BadInput,
    );
  }
  const key = await findAuditKey();
  const verdict = await verifyAudit(stored.paths.audit, { ...(recorded.auditHead ? { head: recorded.auditHead } : {}), key });
  if (!verdict.ok)
    throw new OperatorError(
      `audit trail of run ${run} is BROKEN at ${stored.paths.audit}:${verdict.line}: ${verdict.reason}; a bundle of it would prove nothing`,
      ExitCode.Failed,
    );
  if (verdict.head.seq === 0)
    throw new OperatorError(`audit trail of run ${run} is empty: there is no evidence to bundle`, ExitCode.BadInput);
  const report = buildReport(runbook, stored.state, stored.status);
  const head = `waymark audit run=${run} head=${verdict.head.seq}:${verdict.head.lineHash} key=${verdict.keyId ?? 'unkeyed'}\n`;
  const files: BundleFile[] = [
    ...(await runbookFiles(runbook)),
    { path: 'report.md', data: Buffer.from(renderMarkdown(report)) },
    { path: 'report.json', data: Buffer.from(`${JSON.stringify(report, null, 2)}\n`) },
    { path: 'report.junit.xml', data: Buffer.from(renderJunit(report)) },
    { path: 'audit.jsonl', data: await readOwnFile(stored.paths.audit) },
    { path: HEAD_FILE, data: Buffer.from(head) },
    ...(await blockLogs(stored.paths.logs)),
  ];
  // Every file is stamped with the run's start: a fixed time that says which run it is.
  const mtime = Math.max(0, Math.floor(Date.parse(recorded.startedAt) / 1000) || 0);
  let bundle: Buffer;
  try {
    bundle = packBundle(`evidence-${fileSafe(run)}`, files, mtime);
  } catch (error) {
    // The one limit of ustar a run can reach: a block id that makes a log name over 100 bytes.
    if (error instanceof RangeError)
      throw new OperatorError(`the evidence of run ${run} cannot be bundled: ${error.message}`, ExitCode.BadInput);
    throw error;
  }
  await writeFileAtomic(target, bundle);
  const keying =
    verdict.keyId === null
      ? 'unkeyed'
      : verdict.authenticated
        ? `keyed with key ${verdict.keyId}, MACs verified`
        : `keyed with key ${verdict.keyId}, which is not on this machine: MACs not verified`;
  out.write(
    `evidence of run ${run} written to ${target}: ${files.length + 1} files, audit head ${verdict.head.seq}:${verdict.head.lineHash} (${keying})\n`,
  );
  out.write(`sha256 ${sha256Hex(bundle)}  ${target}\n`);
  return ExitCode.Complete;
}

async function verifyBundle(path: string, out: NodeJS.WritableStream): Promise<number> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new OperatorError(
      `${path} ${hasCode(error, 'ENOENT') ? 'does not exist' : `cannot be read: ${reasonOf(error)}`}`,
      ExitCode.BadInput,
    );
  }
  let bundle: ReturnType<typeof unpackBundle>;
  try {
    bundle = unpackBundle(bytes);
  } catch (error) {
    if (error instanceof BundleFormatError) throw new OperatorError(`${path} ${error.message}`, ExitCode.BadInput);
    throw error;
  }
  const broken = (what: string): number => {
    out.write(`evidence bundle ${path} FAILED: ${what}\n`);
    return ExitCode.Failed;
  };
  const file = (name: string) => bundle.files.find((f) => f.path === name)?.data;
  const manifestText = file(MANIFEST);
  if (manifestText === undefined) return broken(`${MANIFEST} is missing: nothing says which files belong to it`);
  let sums: Map<string, string>;
  try {
    sums = parseManifest(manifestText.toString('utf8'));
  } catch (error) {
    if (error instanceof BundleFormatError) return broken(error.message);
    throw error;
  }
  const problems = checkManifest(sums, bundle.files);
  const words = {
    altered: 'does not match its line in SHA256SUMS',
    missing: 'is listed in SHA256SUMS but missing from the bundle',
    extra: 'is in the bundle but not listed in SHA256SUMS',
  };
  if (problems.length > 0) return broken(problems.map((p) => `${p.path} ${words[p.problem]}`).join('; '));
  for (const needed of ['audit.jsonl', HEAD_FILE])
    if (!sums.has(needed)) return broken(`${needed} is missing: the bundle has no audit trail to check`);
  const exported = HEAD_LINE.exec((file(HEAD_FILE) as Buffer).toString('utf8'));
  if (!exported) return broken(`${HEAD_FILE} is not the line \`waymark evidence\` writes (waymark audit run=ID head=SEQ:HASH key=ID)`);
  const [, run, seqText, lineHash, keyName] = exported as unknown as [string, string, string, string, string];
  const seq = Number(seqText);
  const key = await findAuditKey();
  const verdict = verifyAuditText((file('audit.jsonl') as Buffer).toString('utf8'), { head: { seq, lineHash }, key });
  if (!verdict.ok) return broken(`audit.jsonl:${verdict.line}: ${verdict.reason.replace('the checkpoint saw', `${HEAD_FILE} names`)}`);
  if (verdict.head.seq !== seq)
    return broken(`audit.jsonl goes on past the head ${seq} that ${HEAD_FILE} exported: it has ${verdict.head.seq} records`);
  if ((verdict.keyId ?? 'unkeyed') !== keyName)
    return broken(
      `audit.jsonl is ${verdict.keyId === null ? 'unkeyed' : `keyed with key ${verdict.keyId}`}, but ${HEAD_FILE} says ${keyName}`,
    );
  const other = verdict.records.find((record) => record.run !== undefined && record.run !== run);
  if (other) return broken(`audit.jsonl:${other.seq} belongs to run ${String(other.run)}, not to run ${run}`);
  // What was checked and what was not, in so many words: exit 0 only when the trail is
  // authenticated too, since a trail, head and manifest rewritten whole (or made up unkeyed) pass
  // every other check. Without the key the verdict is exit 2, as `waymark audit --verify` gives.
  const authenticated = verdict.keyId !== null && verdict.authenticated;
  out.write(
    `evidence bundle ${path} of run ${run} is ${authenticated ? 'intact and authenticated' : 'intact, but NOT authenticated here'}:\n`,
  );
  out.write(`  manifest: ${sums.size} files, each matches SHA256SUMS; none missing, none extra\n`);
  out.write(`  audit trail: ${verdict.records.length} records, chain intact, ending at the exported head ${seq}:${lineHash}\n`);
  if (authenticated) {
    out.write(`  authenticated: every record's MAC verifies with audit key ${verdict.keyId} (${key?.path ?? ''})\n`);
    return ExitCode.Complete;
  }
  if (verdict.keyId === null) {
    out.write(
      '  NOT authenticated: the trail is unkeyed (it carries no MACs); anyone who can rewrite it and its manifest whole could have written it\n',
    );
  } else {
    const here = key ? `this machine has key ${key.id}` : 'there is no audit key on this machine';
    out.write(
      `  NOT authenticated: the trail is keyed with key ${verdict.keyId} and ${here}; the MACs were not checked, so a trail rewritten whole would pass here. Verify on the machine that holds that key to authenticate it\n`,
    );
  }
  return ExitCode.BadInput;
}
