#!/usr/bin/env node
/** waymark's entry point: picks the command and turns operator errors into messages and exit codes. */
import { fileURLToPath } from 'node:url';
import { ExitCode, isOperatorError, UsageError } from '../engine/errors.js';
import { inertLines } from '../runbook/inert.js';
import { inertOutput } from './output.js';

const usage = `waymark — a terminal runbook assistant

usage:
  waymark run RUNBOOK.md --headless   run a runbook without the TUI (rehearsals, CI)
  waymark status RUNBOOK.md [--json]  where the current run stands
  waymark report RUNBOOK.md           [--run ID] [--format md|json|junit] [-o FILE]
  waymark audit RUNBOOK.md --verify   [--run ID] check the audit trail's hash chain
  waymark repair RUNBOOK.md           [--run ID] rebuild a lost checkpoint from the journal and audit trail
  waymark plan RUNBOOK.md             the composed order of steps, with their sources
  waymark lint FILE... [--json]       check runbooks without running them
  waymark list [DIR]                  runbooks under DIR (default ./runbooks) with their last run

Common options: --var NAME=VALUE, --var-file FILE (for secrets), --profile NAME, --state-dir DIR,
--operator NAME, --new-run.
Exit codes: 0 done, 1 a block failed, 2 bad input, 3 a check refused, 4 waiting for
the operator, 5 another run holds the lock, 130 interrupted. Run "waymark COMMAND --help".`;

type Command = (argv: string[], out: NodeJS.WritableStream) => Promise<number>;

/** Each command is loaded only when asked for, so `lint` never pays for the engine or the database driver. */
const commands: Record<string, () => Promise<{ run: Command; help: string }>> = {
  lint: async () => {
    const m = await import('./lint.js');
    return { run: m.lintCommand, help: m.lintHelp };
  },
  list: async () => {
    const m = await import('./list.js');
    return { run: m.listCommand, help: m.listHelp };
  },
  run: async () => {
    const m = await import('./run.js');
    return { run: m.runCommand, help: m.runHelp };
  },
  status: async () => {
    const m = await import('./status.js');
    return { run: m.statusCommand, help: m.statusHelp };
  },
  report: async () => {
    const m = await import('./report.js');
    return { run: m.reportCommand, help: m.reportHelp };
  },
  plan: async () => {
    const m = await import('./plan.js');
    return { run: m.planCommand, help: m.planHelp };
  },
  audit: async () => {
    const m = await import('./audit.js');
    return { run: m.auditCommand, help: m.auditHelp };
  },
  repair: async () => {
    const m = await import('./repair.js');
    return { run: m.repairCommand, help: m.repairHelp };
  },
};

/**
 * `run` for these arguments. With the TUI it comes from one script compiled with V8's code cache
 * (see src/ui/load-tui.ts): compiling ink, React and the engine is most of the time to the first
 * frame. A headless run, like the other commands, loads its ES module chunks.
 */
async function runFor(args: string[]): Promise<Command> {
  if (args.includes('--headless')) return (await (commands.run as () => Promise<{ run: Command }>)()).run;
  const { loadTuiRun } = await import('../ui/load-tui.js');
  return loadTuiRun(fileURLToPath(new URL('tui.vm.js', import.meta.url)));
}

/** The stream a command writes to: made inert, except for the TUI's own terminal. */
function outputFor(runArgs: string[] | null): NodeJS.WritableStream {
  return runArgs && !runArgs.includes('--headless') ? process.stdout : inertOutput(process.stdout);
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage}\n`);
    return name === undefined ? ExitCode.BadInput : ExitCode.Complete;
  }
  // `waymark RUNBOOK.md` is `waymark run RUNBOOK.md` (SPEC §4).
  if (!commands[name] && /\.(md|markdown)$/i.test(name)) return (await runFor(argv))(argv, outputFor(argv));
  if (name === 'run' && !rest.includes('--help') && !rest.includes('-h')) return (await runFor(rest))(rest, outputFor(rest));
  const load = commands[name];
  if (!load) throw new UsageError(`unknown command "${name}"\n\n${usage}`);
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(`${command.help}\n`);
    return ExitCode.Complete;
  }
  return command.run(rest, outputFor(null));
}

/** An error's message names files, runbook text and values: it is shown inert like all output. */
function explain(error: unknown): number {
  if (isOperatorError(error)) {
    process.stderr.write(inertLines(`waymark: ${error.message}\n`));
    return error.exitCode;
  }
  // parseArgs throws TypeErrors with a code for unknown or malformed options: that is bad usage.
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(inertLines(`waymark: ${(error as Error).message}\n`));
    return ExitCode.BadInput;
  }
  process.stderr.write(inertLines(`waymark: internal error: ${(error as Error)?.message ?? String(error)}\n`) +
    'This is a bug in waymark, not in your runbook; the checkpoint on disk is intact. Set WAYMARK_DEBUG=1 for details.\n');
  if (process.env.WAYMARK_DEBUG) process.stderr.write(inertLines(`${(error as Error)?.stack ?? ''}\n`));
  return ExitCode.Internal;
}

// `waymark plan X | head`: a reader that goes away is not an error worth a stack trace, and it
// must not stop a run half-way through a block either: the rest of the output is dropped, the
// run goes on to its checkpoint and audit trail as usual.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE' || error.code === 'EIO' || error.code === 'ERR_STREAM_DESTROYED') return;
  throw error;
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = explain(error);
  },
);
