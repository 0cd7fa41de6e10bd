/**
 * The command that bundles a finished run's evidence for the change ticket (docs/evidence.md),
 * as both faces name it under a complete run: short enough for one line of an 80-column screen,
 * and safe to paste into a shell.
 */
import { isAbsolute, relative } from 'node:path';

/** A word a POSIX shell reads back as itself: bare when it can be, else single-quoted. */
function shellWord(word: string): string {
  return /^[\w./@%+=:,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * `waymark evidence FILE --out FILE.tar.gz` for the runbook at `file`, named as the operator would
 * type it from `cwd` (relative when that is shorter). No `--run`: it is shown for the runbook's
 * current run, which is the one evidence bundles by default.
 */
export function evidenceCommand(file: string, cwd: string = process.cwd()): string {
  const near = relative(cwd, file);
  const named = near !== '' && !isAbsolute(near) && near.length < file.length ? near : file;
  return `waymark evidence ${shellWord(named)} --out FILE.tar.gz`;
}
