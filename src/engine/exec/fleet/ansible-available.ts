/**
 * Whether ansible-playbook is installed, apart from the executor (ansible.ts) that runs it: lint only
 * asks this question, and importing the executor to ask it put the executor, its plugins and the
 * process code under it into lint's script (bench/RESULTS.md, lint-corpus).
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/** True when ansible-playbook is an executable on PATH (no process is started). */
export async function ansibleAvailable(): Promise<boolean> {
  for (const folder of (process.env.PATH ?? '').split(path.delimiter)) {
    if (folder === '') continue;
    // Joined as the shell would: path.join's normalising runs interpreted in a short lint (≈ 50 µs
    // a folder, most of ansibleAvailable's time), and a stat resolves the same file.
    const candidate = `${folder}${path.sep}ansible-playbook`;
    try {
      // Most folders do not have it: asked without an exception (each one thrown costs a stack
      // trace; nine folders before /usr/bin cost a lint ≈ 1 ms), then whether it may be run.
      if (statSync(candidate, { throwIfNoEntry: false }) === undefined) continue;
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      // Not runnable, or the folder is not one: look in the next.
    }
  }
  return false;
}
