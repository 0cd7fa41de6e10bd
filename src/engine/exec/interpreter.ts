/**
 * The command line that runs a block's code: the runbook's shell for sh/bash, python3 for python.
 * The one place that chooses it: the executors run what `blockCommand` gives, and every face
 * (confirmation, headless, approve, the audit's confirmation record) shows what `describeProgram`
 * says, so that no face can name another program than the one that runs.
 */
import path from 'node:path';
import type { Block, Runbook } from '../../runbook/model.js';

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

/** The argv that runs `code` as a block of `interpreter` ('shell' or 'python') under the runbook's `shell`. */
export function blockCommand(interpreter: 'shell' | 'python', shell: string, code: string): string[] {
  return interpreter === 'python' ? pythonCommand(code) : shellCommand(shell, code);
}

/** What stands for the block's code, the last argument, where a face shows the program. */
export const CODE_ARGUMENT = '<code>';

/** One argv word as a face shows it: quoted when a shell would read it as more or other than itself. */
function shownWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * What runs the block, as every face shows it: for shell and python blocks the program and its
 * arguments exactly as they will be executed, the code being the last one (`./wrapper --trace -c
 * <code>`); for sql blocks the connection the statements go to. Null for a display-only block.
 */
export function describeProgram(block: Block, runbook: Pick<Runbook, 'shell' | 'connections'>): string | null {
  if (block.executor === null) return null;
  if (block.executor === 'sql') {
    const name = block.attrs.connection ?? (runbook.connections.length === 1 ? runbook.connections[0]?.name : undefined);
    return name === undefined
      ? 'SQL on no connection (no connection= given and the runbook does not declare exactly one)'
      : `SQL on connection ${name}`;
  }
  const argv = blockCommand(block.executor, runbook.shell, CODE_ARGUMENT);
  return [...argv.slice(0, -1).map(shownWord), CODE_ARGUMENT].join(' ');
}

/**
 * The line that introduces a block's command under the program that runs it, as every face writes
 * it: `via ./wrapper -c <code>, <code> being:` for a program given the code, `via SQL on connection
 * main:` for an sql block.
 */
export function programHeading(program: string): string {
  return program.endsWith(CODE_ARGUMENT) ? `via ${program}, ${CODE_ARGUMENT} being:` : `via ${program}:`;
}
