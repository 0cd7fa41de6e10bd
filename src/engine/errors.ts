/** Errors the operator can cause, each with the exit code docs/running.md#exit-codes gives it, and that table of codes. */
import { ExitCode } from '../state/exit-code.js';

export { ExitCode } from '../state/exit-code.js';

/** An error with a message meant for the operator (no stack trace) and an exit code. */
export class OperatorError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
    this.name = 'OperatorError';
  }
}

/** Bad usage or bad input: exit 2. */
export class UsageError extends OperatorError {
  constructor(message: string) {
    super(message, ExitCode.BadInput);
    this.name = 'UsageError';
  }
}

/**
 * True for any error that carries its own exit code and a message fit to show as is: an
 * OperatorError, and the lower floors' own (RunbookError, StateError, LockHeldError).
 */
export function isOperatorError(error: unknown): error is Error & { exitCode: number } {
  return error instanceof Error && typeof (error as { exitCode?: unknown }).exitCode === 'number';
}
