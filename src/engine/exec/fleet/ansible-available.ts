/**
 * Whether ansible-playbook is installed, apart from the executor (ansible.ts) that runs it: lint only
 * asks this question, and importing the executor to ask it put the executor, its plugins and the
 * process code under it into lint's script (bench/RESULTS.md, lint-corpus).
 */
import { accessSync, constants, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Where `name` would be in each folder of PATH, in PATH's order. Joined as the shell joins them:
 * path.join's normalising runs interpreted in a short lint (≈ 50 µs a folder, nine folders before
 * /usr/bin here), and a stat resolves the same file.
 */
export function onPath(name: string): string[] {
  return (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter((folder) => folder !== '')
    .map((folder) => `${folder}${path.sep}${name}`);
}

/** True when ansible-playbook is an executable on PATH (no process is started). */
export async function ansibleAvailable(): Promise<boolean> {
  for (const candidate of onPath('ansible-playbook')) {
    try {
      // Most folders do not have it: asked without an exception (each one thrown costs a stack
      // trace), then whether it may be run.
      if (statSync(candidate, { throwIfNoEntry: false }) === undefined) continue;
      accessSync(candidate, constants.X_OK);
      return true;
    } catch {
      // Not runnable, or the folder is not one: look in the next.
    }
  }
  return false;
}
