/** What tests ask about processes: is one still running, and who is left in a process group. */
import { readdirSync, readFileSync } from 'node:fs';

/**
 * True while the process runs. A zombie does not count: orphans are reparented to an init that,
 * in some containers, never reaps them, and kill(pid, 0) would still succeed for them.
 */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    // Gone between the two calls.
    return false;
  }
  const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  return state !== 'Z' && state !== 'X';
}

/** Living (non-zombie) processes whose process group is `pgid` (a block's shell leads its own group). */
export function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // it ended between readdir and read
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') members.push(Number(entry));
  }
  return members;
}

/**
 * The pid a block wrote to `file` (`echo $$ > file`) once its line is whole, else undefined: the
 * file exists from the moment the shell opens it, before echo has written anything.
 */
export function writtenPid(file: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  return /^\d+\n$/.test(text) ? Number(text) : undefined;
}
