/** `runbook.json` in a runbook's state folder: which runbook the folder, and every run in it, belongs to. */

import { randomBytes } from 'node:crypto';
import { link, open, readFile, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { StateError, hasCode, reasonOf, syncDirectory } from './atomic.js';

/** Content of `runbook.json`. */
export interface RunbookRecord {
  /** The runbook's front matter `id:`, or null when it is known by its path. */
  id: string | null;
  /** The canonical path of the runbook file. */
  file: string;
}

/** The folder's record, or null when it has none (a new folder, or one written by an older waymark). */
export async function readRunbookRecord(path: string): Promise<RunbookRecord | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return null;
    throw new StateError(path, `state file ${path} cannot be read: ${reasonOf(error)}; check its permissions`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new StateError(
      path,
      `state file ${path} cannot be parsed: ${reasonOf(error)}; fix it: it names the runbook this folder belongs to, {"id": ID or null, "file": PATH}`,
      { cause: error },
    );
  }
  const record = data as Partial<RunbookRecord> | null;
  if (
    typeof record !== 'object' ||
    record === null ||
    typeof record.file !== 'string' ||
    record.file === '' ||
    (record.id !== null && typeof record.id !== 'string')
  ) {
    throw new StateError(
      path,
      `state file ${path} cannot be parsed: it needs "id" (a string or null) and "file"; fix it: it names the runbook this folder belongs to`,
    );
  }
  return { id: record.id, file: record.file };
}

/**
 * Write the record unless the folder already has one; resolves to false when it had. The record
 * appears whole or not at all (a private temp file hard-linked into place), so two runbooks
 * claiming a new folder at once cannot both win, and a crash never leaves half a record.
 */
export async function createRunbookRecord(path: string, record: RunbookRecord): Promise<boolean> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const file = await open(temp, 'wx', 0o600);
    try {
      await file.writeFile(`${JSON.stringify(record)}\n`);
      await file.datasync();
    } finally {
      await file.close();
    }
    try {
      await link(temp, path);
    } catch (error) {
      if (hasCode(error, 'EEXIST')) return false;
      throw error;
    }
  } catch (error) {
    throw new StateError(path, `state file ${path} cannot be written: ${reasonOf(error)}; check free space and the permissions of ${dir}`, {
      cause: error,
    });
  } finally {
    await rm(temp, { force: true });
  }
  await syncDirectory(dir, path);
  return true;
}
