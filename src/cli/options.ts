/** Options every command that touches a run shares (docs/running.md#two-faces-one-run). */
import type { ParseArgsConfig } from 'node:util';
import { UsageError } from '../engine/errors.js';

export const commonOptions = {
  var: { type: 'string', multiple: true },
  'var-file': { type: 'string', multiple: true },
  profile: { type: 'string' },
  'state-dir': { type: 'string' },
  operator: { type: 'string' },
  'new-run': { type: 'boolean' },
  only: { type: 'string', multiple: true },
  'skip-tag': { type: 'string', multiple: true },
  'allow-outside-includes': { type: 'boolean' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

/** `--state-dir`, else `$WAYMARK_STATE_DIR`, else `./state`. */
export function stateDirFrom(flag: string | undefined): string {
  return flag ?? process.env.WAYMARK_STATE_DIR ?? 'state';
}

/**
 * Node's parseArgs explains a bad option in a paragraph meant for programmers ("To specify a
 * positional argument starting with a '-', place it at the end of the command after '--'...").
 * The operator gets one line naming the option, and where the options are listed.
 */
export function optionError(error: unknown, command: string): UsageError | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('ERR_PARSE_ARGS')) return null;
  const message = (error as Error).message;
  const help = `"waymark ${command} --help" lists its options`;
  const option = /'(?:-\w, )?(-{1,2}[^' ]+)/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`unknown option ${option} for waymark ${command}; ${help}`);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/does not take an argument/.test(message)) return new UsageError(`${option} takes no value (write ${option} alone); ${help}`);
    return new UsageError(`${option} needs a value, as in ${option} VALUE; ${help}`);
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
    const argument = /'([^']*)'/.exec(message)?.[1] ?? '';
    return new UsageError(`waymark ${command} takes no argument "${argument}"; ${help}`);
  }
  return new UsageError(`bad arguments for waymark ${command}; ${help}`);
}
