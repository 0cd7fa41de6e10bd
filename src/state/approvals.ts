/**
 * The approvals `waymark approve` gives, kept in the run's folder: one file per operator, block and
 * content hash, written atomically, never through a link. Another process writes them while the run
 * may be live; the run's own session reads them and records each in its audit trail (it holds the
 * run's lock, so the trail has one writer).
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { StateError, assertNoSymlinksBelow, ensureDir, hasCode, readFileNoFollow, reasonOf, writeFileAtomic } from './atomic.js';
import { fileSafe, type RunPaths } from './layout.js';
import { readRecord } from './record.js';

/** One approval as written to disk. */
export interface ApprovalRecord {
  step: string;
  block: string;
  /** The block's resolved content hash the operator approved (engine/approval.ts). */
  hash: string;
  by: string;
  at: string;
}

/** The folder of a run's approvals. */
export function approvalsDir(paths: RunPaths): string {
  return join(paths.dir, 'approvals');
}

/** Write one approval into the run's folder; the same operator approving the same content again replaces it. */
export async function writeApproval(stateDir: string, paths: RunPaths, record: ApprovalRecord): Promise<string> {
  const dir = approvalsDir(paths);
  await assertNoSymlinksBelow(stateDir, dir);
  await ensureDir(dir);
  const file = join(dir, `${fileSafe(record.block)}.${fileSafe(record.by)}.${record.hash}.json`);
  await writeFileAtomic(file, `${JSON.stringify(record)}\n`);
  return file;
}

function parseApproval(text: string): ApprovalRecord | null {
  return readRecord(text, { step: 'non-empty', block: 'non-empty', hash: 'non-empty', by: 'non-empty', at: 'non-empty' });
}

/** The run's approvals, and a line for each file that is not one (it counts for nothing). */
export async function readApprovals(stateDir: string, paths: RunPaths): Promise<{ approvals: ApprovalRecord[]; problems: string[] }> {
  const dir = approvalsDir(paths);
  await assertNoSymlinksBelow(stateDir, dir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return { approvals: [], problems: [] };
    throw new StateError(dir, `approvals folder ${dir} cannot be read: ${reasonOf(error)}; check its permissions`, { cause: error });
  }
  const approvals: ApprovalRecord[] = [];
  const problems: string[] = [];
  // Temporary files of a write in flight start with a dot.
  for (const name of names.filter((n) => n.endsWith('.json') && !n.startsWith('.')).sort()) {
    const file = join(dir, name);
    const record = parseApproval(await readFileNoFollow(file));
    if (record) approvals.push(record);
    else problems.push(`${file} is not an approval written by waymark approve; it counts for nothing`);
  }
  return { approvals, problems };
}
