/** The command line that runs a block's code: the runbook's shell for sh/bash, python3 for python. */
import path from 'node:path';

/**
 * The argv for a script. The code is one argument, never interpolated: variables reach it as
 * environment variables only.
 *
 * bash runs with `-e -o pipefail` (as GitHub Actions does): a block whose middle command fails
 * must not pass because its last command succeeded. Other POSIX shells get `-e`; shells we do not
 * know get the code alone.
 */
export function shellCommand(shell: string, script: string): string[] {
  const words = shell
    .trim()
    .split(/\s+/)
    .filter((word) => word !== '');
  const [program = 'bash', ...extra] = words;
  const name = path.basename(program);
  if (name === 'bash') return [program, ...extra, '-e', '-o', 'pipefail', '-c', script];
  if (name === 'sh' || name === 'dash' || name === 'zsh' || name === 'ksh' || name === 'ash') {
    return [program, ...extra, '-e', '-c', script];
  }
  return [program, ...extra, '-c', script];
}

/** python3 unbuffered, so its output reaches the live pane (and interleaves with stderr) as it is printed. */
export function pythonCommand(code: string): string[] {
  return ['python3', '-u', '-c', code];
}
