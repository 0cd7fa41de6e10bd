/**
 * How waymark ends (docs/running.md#exit-codes). The table lives on the lowest floor that ends a process with one:
 * the state store's own errors carry BadInput and Locked. The engine re-exports it
 * (src/engine/errors.ts), and faces take it from there.
 */
export const ExitCode = {
  /** The runbook is complete, or the command did what was asked. */
  Complete: 0,
  /** A run or verify block failed. */
  Failed: 1,
  /** Bad input: usage, lint errors, an unreadable runbook or state, a missing required variable. */
  BadInput: 2,
  /** A check failed or errored, and the run may not go on. */
  Refused: 3,
  /** Stopped for the operator: a checklist, a confirmation, a warning, an interrupted block. */
  Waiting: 4,
  /** Another live run holds the lock. */
  Locked: 5,
  /** A bug in waymark, not in the runbook (sysexits' EX_SOFTWARE). */
  Internal: 70,
  /** Interrupted by a signal. */
  Signal: 130,
} as const;

/** One of the exit codes waymark ends with. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
