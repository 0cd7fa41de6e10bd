/**
 * loadRunbook on the runbook floor (issue 11, design point 4): it refuses an unreadable runbook or
 * one with lint errors with its own RunbookError, which carries exit code 2 and a message fit to
 * show as is, and which the CLI's error check recognises without the runbook floor importing it.
 * Before the move, loadRunbook lived in src/engine/session.ts and threw the CLI's OperatorError.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadRunbook, RunbookError } from '../../src/runbook/load.js';
import { ExitCode, isOperatorError } from '../../src/engine/errors.js';
import { loadRunbook as loadRunbookFromSession } from '../../src/engine/session.js';
import { doc } from './helpers.js';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'wm-load-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** What loadRunbook threw for `file`, or a failure when it threw nothing. */
async function refusal(file: string): Promise<RunbookError> {
  const error = await loadRunbook(file).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(RunbookError);
  return error as RunbookError;
}

describe('loadRunbook', () => {
  it('returns the composed runbook when lint finds no error', async () => {
    const file = join(dir, 'fine.md');
    writeFileSync(file, doc('# Upgrade', '', '## Work {#work}', '', '```sh name=work', 'true', '```'));
    const runbook = await loadRunbook(file);
    expect(runbook.steps.map((step) => step.id)).toEqual(['work']);
  });

  it('refuses a runbook with lint errors: exit 2, each error with its line, recognised as an operator error', async () => {
    const file = join(dir, 'typo.md');
    writeFileSync(file, doc('# Upgrade', '', '## Work {#work}', '', '```sh name=typo timout=30s', 'true', '```'));
    const error = await refusal(file);
    expect(error.exitCode).toBe(ExitCode.BadInput);
    expect(error.exitCode).toBe(2);
    expect(error.file).toBe(file);
    expect(error.message).toContain(`${file} has lint errors; nothing was run:`);
    expect(error.message).toContain(`${file}:5`);
    expect(isOperatorError(error)).toBe(true);
  });

  it('refuses a runbook that cannot be read, naming the file', async () => {
    const file = join(dir, 'no-such-runbook.md');
    const error = await refusal(file);
    expect(error.exitCode).toBe(ExitCode.BadInput);
    expect(error.message.startsWith(`${file}: `)).toBe(true);
    expect(isOperatorError(error)).toBe(true);
  });

  it('is still the one the session module offers', () => {
    expect(loadRunbookFromSession).toBe(loadRunbook);
  });
});
