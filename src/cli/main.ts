#!/usr/bin/env node
/** waymark's entry point: picks the command and turns operator errors into messages and exit codes. */
import { lintCommand, lintHelp } from './lint.js';
import { listCommand, listHelp } from './list.js';
import { runCommand, runHelp } from './run.js';
import { statusCommand, statusHelp } from './status.js';
import { reportCommand, reportHelp } from './report.js';
import { auditCommand, auditHelp } from './audit.js';
import { isOperatorError, UsageError } from './errors.js';

const usage = `waymark — a terminal runbook assistant

usage:
  waymark run RUNBOOK.md --headless   run a runbook without the TUI (rehearsals, CI)
  waymark status RUNBOOK.md [--json]  where the current run stands
  waymark report RUNBOOK.md           [--run ID] [--format md|json|junit] [-o FILE]
  waymark audit RUNBOOK.md --verify   [--run ID] check the audit trail's hash chain
  waymark lint FILE... [--json]       check runbooks without running them
  waymark list [DIR]                  runbooks under DIR (default ./runbooks) with their last run

Common options: --var NAME=VALUE, --profile NAME, --state-dir DIR, --operator NAME, --new-run.
Exit codes: 0 done, 1 a block failed, 2 bad input, 3 a check refused, 4 waiting for
the operator, 5 another run holds the lock, 130 interrupted. Run "waymark COMMAND --help".`;

type Command = (argv: string[], out: NodeJS.WritableStream) => Promise<number>;

const commands: Record<string, { run: Command; help: string }> = {
  lint: { run: lintCommand, help: lintHelp },
  list: { run: listCommand, help: listHelp },
  run: { run: runCommand, help: runHelp },
  status: { run: statusCommand, help: statusHelp },
  report: { run: reportCommand, help: reportHelp },
  audit: { run: auditCommand, help: auditHelp },
};

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage}\n`);
    return name === undefined ? 2 : 0;
  }
  // `waymark RUNBOOK.md` is `waymark run RUNBOOK.md` (SPEC §4).
  if (!commands[name] && /\.(md|markdown)$/i.test(name)) return runCommand(argv, process.stdout);
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command "${name}"\n\n${usage}`);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  return command.run(rest, process.stdout);
}

function explain(error: unknown): number {
  if (isOperatorError(error)) {
    process.stderr.write(`waymark: ${error.message}\n`);
    return error.exitCode;
  }
  // parseArgs throws TypeErrors with a code for unknown or malformed options: that is bad usage.
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`waymark: ${(error as Error).message}\n`);
    return 2;
  }
  process.stderr.write(`waymark: internal error: ${(error as Error)?.message ?? String(error)}\n` +
    'This is a bug in waymark, not in your runbook; the checkpoint on disk is intact. Set WAYMARK_DEBUG=1 for details.\n');
  if (process.env.WAYMARK_DEBUG) process.stderr.write(`${(error as Error)?.stack ?? ''}\n`);
  return 70;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = explain(error);
  },
);
