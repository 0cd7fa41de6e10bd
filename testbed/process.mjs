/** Process checks the testbed's servers share (the MariaDB testbed and the sshd fleet). */
import { readFileSync } from 'node:fs';

/** True while `pid` runs: kill(0) says it exists, and /proc (where there is one) says it is no zombie. */
export function processAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (error.code === 'ESRCH') return false;
    if (error.code !== 'EPERM') throw error;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc: kill(0) said it exists
  }
}
