/** `--var-file FILE`: variable values read from a file, so that a secret never sits in waymark's argv. */
import { readFile, stat } from 'node:fs/promises';
import { ExitCode, OperatorError } from './errors.js';

/** One `NAME=VALUE` line of a var file. */
export interface VarFileEntry {
  name: string;
  value: string;
  /** Where it was written, `FILE:LINE`, for messages. */
  where: string;
}

/**
 * Read a var file: `NAME=VALUE` lines, the value being everything after the first `=` as written
 * (no quotes, no escapes); blank lines and lines starting with `#` are skipped. The file must be
 * readable by its owner only (0600, or 0400): anything else is refused with exit 2, naming the
 * chmod that fixes it. A symlink is followed (it is the operator's own input, not a state file).
 */
export async function readVarFile(file: string): Promise<VarFileEntry[]> {
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new OperatorError(`--var-file ${file} is not a regular file`, ExitCode.BadInput);
    const others = info.mode & 0o077;
    if (others !== 0) {
      const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
      throw new OperatorError(
        `--var-file ${file} can be read or written by group or others (mode ${mode}); it may hold secrets, so waymark refuses it: run chmod 600 ${file}`,
        ExitCode.BadInput,
      );
    }
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (error instanceof OperatorError) throw error;
    throw new OperatorError(
      `--var-file ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      ExitCode.BadInput,
    );
  }
  const entries: VarFileEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const where = `${file}:${i + 1}`;
    if (line.trim() === '' || line.trimStart().startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = eq > 0 ? line.slice(0, eq).trim() : '';
    // The line is not shown: it may be a secret with its `=` missing.
    if (name === '') throw new OperatorError(`${where}: expected NAME=VALUE`, ExitCode.BadInput);
    entries.push({ name, value: line.slice(eq + 1), where });
  });
  return entries;
}
