/**
 * Whether ansible-playbook is installed, apart from the executor (ansible.ts) that runs it: lint only
 * asks this question, and importing the executor to ask it put the executor, its plugins and the
 * process code under it into lint's script (bench/RESULTS.md, lint-corpus).
 */
import { accessSync, constants } from 'node:fs';
import path from 'node:path';

/** True when ansible-playbook is an executable on PATH (no process is started). */
export async function ansibleAvailable(): Promise<boolean> {
  for (const folder of (process.env.PATH ?? '').split(path.delimiter)) {
    if (folder === '') continue;
    try {
      accessSync(path.join(folder, 'ansible-playbook'), constants.X_OK);
      return true;
    } catch {
      // Not in this folder: look in the next.
    }
  }
  return false;
}
