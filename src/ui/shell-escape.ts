/**
 * The operator's shell from the TUI (`!`): $SHELL on the real terminal, in the folder and with the
 * environment the session gives (UiController.shellRequest); the TUI waits until it exits.
 */
import { spawnSync } from 'node:child_process';

/** Run the shell; null when it ran, else why it could not start. */
export type ShellRun = (setting: { cwd: string; env: NodeJS.ProcessEnv }) => string | null;

export const openShell: ShellRun = ({ cwd, env }) => {
  const shell = env.SHELL || '/bin/sh';
  process.stdout.write(`\nwaymark: ${shell} in ${cwd}, with the run's variables (no secrets). Exit the shell to return to the run.\n`);
  const result = spawnSync(shell, [], { cwd, env, stdio: 'inherit' });
  // The TUI draws again over a clean screen, not under what the shell left.
  process.stdout.write('\u001B[2J\u001B[H');
  if (result.error) return `cannot start ${shell}: ${result.error.message}`;
  return null;
};
