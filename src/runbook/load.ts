/** A runbook read from disk for a run or a command about its runs: composed, and refused if lint finds errors. */
import { ExitCode } from '../state/exit-code.js';
import { composeRunbook, type ComposeOptions } from './compose.js';
import { inertFields } from './inert.js';
import { formatDiagnostic, lintOnDisk } from './lint.js';
import type { Runbook } from './model.js';

/**
 * A runbook that cannot be used as it is (unreadable, or with lint errors): bad input, exit 2. Its
 * message names the file and each problem with its line, fit to show the operator as is.
 */
export class RunbookError extends Error {
  override readonly name = 'RunbookError';
  readonly exitCode = ExitCode.BadInput;
  /** The runbook file the problem is about. */
  readonly file: string;

  constructor(file: string, message: string) {
    super(message);
    this.file = file;
  }
}

/** A runbook read, parsed and linted; an unreadable file or lint errors are a RunbookError listing them. */
export async function loadRunbook(file: string, options: ComposeOptions = {}): Promise<Runbook> {
  const runbook = composeRunbook(file, options);
  const unreadable = runbook.diagnostics.find((d) => d.rule === 'unreadable' && d.file === file);
  // The file name is a one-line field: a newline in it must not start a line of the message.
  if (unreadable) throw new RunbookError(file, inertFields`${file}: ${unreadable.message}`);
  const errors = lintOnDisk(runbook).filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    throw new RunbookError(file, inertFields`${file} has lint errors; nothing was run:\n` + errors.map(formatDiagnostic).join('\n'));
  }
  return runbook;
}
