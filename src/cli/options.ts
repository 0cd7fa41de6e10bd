/** Options every command that touches a run shares (SPEC §4). */
import type { ParseArgsConfig } from 'node:util';

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
