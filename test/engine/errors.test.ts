/**
 * The exit-code table (issue 11, design point 4): one named table, the codes of docs/running.md#exit-codes, exported by the
 * engine, and carried by every error that ends waymark — the engine's and the lower floors' own.
 * Before it, the codes were bare numbers at each throw site and a second table (EXIT) in cli/run.ts.
 */
import { describe, expect, it } from 'vitest';
import { ExitCode, OperatorError, UsageError, isOperatorError } from '../../src/engine/errors.js';
import { ExitCode as StateExitCode } from '../../src/state/exit-code.js';
import { StateError } from '../../src/state/atomic.js';

describe('ExitCode', () => {
  it('holds the documented exit codes (docs/running.md#exit-codes), and 70 for a bug in waymark', () => {
    expect(ExitCode).toEqual({ Complete: 0, Failed: 1, BadInput: 2, Refused: 3, Waiting: 4, Locked: 5, Internal: 70, Signal: 130 });
  });

  it('is one table: the engine re-exports the state floor’s', () => {
    expect(ExitCode).toBe(StateExitCode);
  });

  it('is what operator errors carry, from any floor', () => {
    expect(new UsageError('bad flag').exitCode).toBe(ExitCode.BadInput);
    expect(new OperatorError('a check refused', ExitCode.Refused).exitCode).toBe(3);
    const stateError = new StateError('state/x.json', 'state/x.json cannot be parsed');
    expect(stateError.exitCode).toBe(ExitCode.BadInput);
    expect(isOperatorError(stateError)).toBe(true);
    expect(isOperatorError(new Error('a bug'))).toBe(false);
  });
});
