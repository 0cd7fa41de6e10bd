/**
 * In-process sessions for test/engine/session/: a per-test folder, sessions opened in it and
 * closed after the test, and readers of what a session recorded. Kept apart from workspace.ts so
 * that tests which only spawn the binary do not load the engine.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { RunSession } from '../../src/engine/session.js';
import type { Block, Step } from '../../src/runbook/model.js';

/** What the in-process session tests vary when they open a session (the rest: see {@link SessionFolder.open}). */
export interface OpenOptions {
  operator?: string;
  varFlags?: string[];
  env?: NodeJS.ProcessEnv;
  newRun?: boolean;
  streamOutput?: boolean;
}

/**
 * One test's folder for in-process sessions (test/engine/session/): runbooks are written into it,
 * its `state` subfolder is the state directory, and every session opened through it is closed
 * after the test. `runbook` and `open` are bound, so a test file may take them apart.
 */
export class SessionFolder {
  /** The current test's folder ('' outside a test). */
  dir = '';
  /** The sessions opened in the current test, closed (and the list emptied) after it. */
  readonly sessions: RunSession[] = [];

  /** Write a runbook (or any file) into the folder; returns its path. */
  readonly runbook = (name: string, text: string): string => {
    const file = join(this.dir, name);
    writeFileSync(file, text);
    return file;
  };

  /** Open a session on `file` as operator alice (unless told), no vars, an empty environment, a 200 ms kill grace. */
  readonly open = async (file: string, options: OpenOptions = {}): Promise<RunSession> => {
    const session = await RunSession.open({
      runbookFile: file,
      stateDir: join(this.dir, 'state'),
      env: options.env ?? {},
      killGraceMs: 200,
      operator: options.operator ?? 'alice',
      varFlags: options.varFlags ?? [],
      ...(options.newRun ? { newRun: true } : {}),
      ...(options.streamOutput === false ? { streamOutput: false } : {}),
    });
    this.sessions.push(session);
    return session;
  };
}

/** One record of a session's audit trail, as the in-process tests read it. */
export type AuditRecord = { type: string; [key: string]: unknown };

/** The audit trail of an open (or closed) session's run, record by record; only those of `type` when given. */
export function sessionAudit(session: RunSession, type?: string): AuditRecord[] {
  const all = readFileSync(session.paths.audit, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditRecord);
  return type === undefined ? all : all.filter((r) => r.type === type);
}

/** Block `blockId` of the session's runbook and the step it stands in; throws when there is none. */
export function blockOf(session: RunSession, blockId: string): { step: Step; block: Block } {
  for (const step of session.runbook.steps) {
    const block = step.blocks.find((b) => b.id === blockId);
    if (block) return { step, block };
  }
  throw new Error(`no block ${blockId}`);
}

/**
 * Registers hooks giving each test a fresh {@link SessionFolder} (a temp folder named `prefix…`),
 * its sessions closed and the folder removed afterwards. `onFolder` hears each new folder's path,
 * for test files that keep it in a variable of their own.
 */
export function useSessionFolder(prefix: string, onFolder?: (dir: string) => void): SessionFolder {
  const folder = new SessionFolder();
  beforeEach(() => {
    folder.dir = mkdtempSync(join(tmpdir(), prefix));
    onFolder?.(folder.dir);
  });
  afterEach(async () => {
    for (const session of folder.sessions.splice(0)) await session.close();
    rmSync(folder.dir, { recursive: true, force: true });
  });
  return folder;
}
