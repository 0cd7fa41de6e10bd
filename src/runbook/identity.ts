/**
 * Which runbook a run belongs to. A runbook is known by its front matter `id:`, else by its
 * file's canonical path: two files that happen to share a name (nova/upgrade.md and
 * glance/upgrade.md, or `a b.md` and `a-b.md`) are two runbooks and never share a run.
 */
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Diagnostic, Runbook } from './model.js';
import { parseFrontMatter, sliceFrontMatter } from './front-matter.js';
import { RunbookReads } from './reads.js';

/** A runbook's identity, and the state folder it owns. */
export interface RunbookIdentity {
  /** The front matter's `id:`, or null when the runbook is known by its path. */
  id: string | null;
  /** The runbook file's canonical path: absolute, symlinks and `..` resolved. */
  file: string;
  /** Name of its state folder: the id, or a readable name, `@` and a hash of the path (`upgrade@1a2b3c4d5e6f`). */
  folder: string;
}

/** How much of the file name a path-named state folder keeps; the hash makes it unique. */
const READABLE_LENGTH = 60;

/** The path with symlinks resolved; a file that cannot be resolved (already reported when it was read) keeps its absolute path. */
export function canonicalPath(file: string, reads: RunbookReads = new RunbookReads()): string {
  try {
    // The system's realpath: one call, where node's own lstats every component (lint compares each
    // runbook with every sibling, so this was most of a corpus lint's file-system time).
    return reads.realPath(file);
  } catch {
    return join(realDir(dirname(file), reads), basename(file));
  }
}

function realDir(dir: string, reads: RunbookReads): string {
  try {
    return reads.realPath(dir);
  } catch {
    return dir;
  }
}

/**
 * The identity of a parsed runbook. An id can only hold letters, digits, `.`, `_` and `-`
 * (front-matter.ts), so the `@` of a path-named folder keeps the two kinds of folder apart, and
 * both apart from the folders of older waymark versions (which had neither).
 */
export function runbookIdentity(runbook: Runbook): RunbookIdentity {
  const file = canonicalPath(runbook.file);
  if (runbook.idLine !== undefined) return { id: runbook.id, file, folder: runbook.id };
  const hash = createHash('sha256').update(file).digest('hex').slice(0, 12);
  return { id: null, file, folder: `${runbook.id.slice(0, READABLE_LENGTH)}@${hash}` };
}

/**
 * Lint: the runbook's `id:` is also the id of another runbook in its folder. Two runbooks with one
 * id would claim one state folder (the second is refused when it opens it); an error here says so
 * before anything runs. Siblings that cannot be read or parsed are their own lint's business.
 */
export function sharedIdDiagnostics(runbook: Runbook, reads: RunbookReads = new RunbookReads()): Diagnostic[] {
  if (runbook.idLine === undefined) return [];
  const dir = dirname(runbook.file);
  let names: string[];
  try {
    names = reads
      .entries(dir)
      .filter((entry) => (entry.isFile() || entry.isSymbolicLink()) && /\.(md|markdown)$/i.test(entry.name))
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
  const self = canonicalPath(runbook.file, reads);
  const found: Diagnostic[] = [];
  for (const name of names) {
    const other = join(dir, name);
    if (canonicalPath(other, reads) === self) continue;
    const line = idLineOf(other, runbook.id, reads);
    if (line === undefined) continue;
    found.push({
      file: runbook.file,
      line: runbook.idLine,
      severity: 'error',
      rule: 'duplicate-runbook-id',
      message: `id "${runbook.id}" is also the id of ${other} (line ${line}): runbooks in one folder need distinct ids, since the id names the state folder of their runs`,
    });
  }
  return found;
}

/** The line of `file`'s front matter `id:` when it is `id`. */
function idLineOf(file: string, id: string, reads: RunbookReads): number | undefined {
  let text: string;
  try {
    text = reads.text(file);
  } catch {
    return undefined;
  }
  const slice = sliceFrontMatter(text);
  // Only a front matter that mentions the id is worth parsing: siblings are usually other runbooks.
  if (!slice?.yaml.includes(id)) return undefined;
  const front = parseFrontMatter(slice, file);
  return front.id === id ? front.idLine : undefined;
}
