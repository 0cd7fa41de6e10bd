/** `waymark list [DIR]`: the runbooks found under DIR with their title and step count. */
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { composeRunbook } from '../runbook/compose.js';
import { lintOnDisk } from '../runbook/lint.js';
import { readRun } from '../engine/runs.js';
import { isStepDone } from '../engine/run-state.js';
import { ExitCode, UsageError } from '../engine/errors.js';
import { optionError, stateDirFrom } from './options.js';
import { inertFields } from '../runbook/inert.js';

export const listHelp = `usage: waymark list [DIR] [--json] [--state-dir DIR]

Lists the runbooks (*.md) under DIR (default ./runbooks) with their title,
step count, lint status and last run.`;

/** One runbook as `list` shows it. */
export interface RunbookEntry {
  file: string;
  id: string;
  title: string;
  steps: number;
  errors: number;
  warnings: number;
  /** The latest run in the state directory, or null when it never ran there. */
  lastRun: { run: string; status: string; updatedAt: string; done: number; steps: number } | { error: string } | null;
}

async function lastRunOf(stateDir: string, runbook: Parameters<typeof readRun>[1]): Promise<RunbookEntry['lastRun']> {
  try {
    const stored = await readRun(stateDir, runbook);
    if (!stored) return null;
    const done = stored.state.steps.filter(isStepDone).length;
    return { run: stored.state.run, status: stored.status, updatedAt: stored.state.updatedAt, done, steps: stored.state.steps.length };
  } catch (error) {
    // One unreadable state file must not hide the other runbooks; it is shown in its row.
    return { error: (error as Error).message };
  }
}

async function findMarkdown(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.md$/i.test(e.name) && !/(^|\/)(node_modules|\.[^/]+)(\/|$)/.test(relative(dir, e.parentPath)))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

export async function listRunbooks(dir: string, stateDir: string): Promise<RunbookEntry[]> {
  let files: string[];
  try {
    files = await findMarkdown(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `no such directory: ${dir}` : `cannot read ${dir}: ${(error as Error).message}`);
  }
  return Promise.all(
    files.map(async (file) => {
      const runbook = composeRunbook(file);
      const findings = lintOnDisk(runbook);
      return {
        file,
        id: runbook.id,
        title: runbook.title,
        steps: runbook.steps.length,
        errors: findings.filter((f) => f.severity === 'error').length,
        warnings: findings.filter((f) => f.severity === 'warning').length,
        lastRun: await lastRunOf(stateDir, runbook),
      };
    }),
  );
}

export async function listCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseOptions(argv);
  if (positionals.length > 1) throw new UsageError(`list takes one directory\n\n${listHelp}`);
  const dir = positionals[0] ?? 'runbooks';
  const entries = await listRunbooks(dir, stateDirFrom(values['state-dir']));
  if (values.json) {
    out.write(`${JSON.stringify(entries, null, 2)}\n`);
    return ExitCode.Complete;
  }
  if (entries.length === 0) {
    out.write(`no runbooks (*.md) under ${dir}\n`);
    return ExitCode.Complete;
  }
  const width = Math.max(...entries.map((e) => e.file.length));
  for (const e of entries) {
    const lint = e.errors > 0 ? `  [${e.errors} lint error(s): waymark lint ${e.file}]` : '';
    out.write(
      inertFields`${e.file.padEnd(width)}  ${String(e.steps).padStart(3)} steps  ${lastRunText(e.lastRun).padEnd(34)}  ${e.title}${lint}\n`,
    );
  }
  return ExitCode.Complete;
}

/** The command's flags; a bad one is a usage error that shows this command's help. */
function parseOptions(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, 'state-dir': { type: 'string' } } });
  } catch (error) {
    const usage = optionError(error, 'list');
    throw usage ? new UsageError(`${usage.message}\n\n${listHelp}`) : error;
  }
}

function lastRunText(last: RunbookEntry['lastRun']): string {
  if (last === null) return 'never run';
  if ('error' in last) return 'state unreadable (see waymark status)';
  return `${last.status} ${last.done}/${last.steps} ${last.updatedAt.slice(0, 16).replace('T', ' ')}`;
}
