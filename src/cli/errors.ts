/** Errors the operator can cause, each with the exit code SPEC §4 gives it. */

/** An error with a message meant for the operator (no stack trace) and an exit code. */
export class OperatorError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'OperatorError';
  }
}

/** Bad usage or bad input: exit 2. */
export class UsageError extends OperatorError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}

/** True for any error that carries its own exit code and a message fit to show as is. */
export function isOperatorError(error: unknown): error is Error & { exitCode: number } {
  return error instanceof Error && typeof (error as { exitCode?: unknown }).exitCode === 'number';
}
