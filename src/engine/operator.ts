/**
 * Who is running waymark: the name the audit trail, the checkpoint and every decision carry.
 * `run` (TUI and headless), `preflight` and `repair` all ask here, so one shell cannot be
 * recorded as two operators (docs/running.md#the-operators-name).
 */
import { currentUser } from '../state/lock.js';

/** `--operator NAME` when given, else `WAYMARK_OPERATOR` (unless empty), else the login name. */
export function operatorName(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined) return flag;
  const fromEnv = env.WAYMARK_OPERATOR;
  if (fromEnv !== undefined && fromEnv.trim() !== '') return fromEnv;
  return currentUser();
}
