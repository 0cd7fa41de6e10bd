/**
 * Which command an argument list asks for, and running it: `waymark RUNBOOK.md` (the TUI), the
 * other commands, `--help` and `--version`. Kept apart from main.ts (the process: exit code,
 * stdout errors) so tests call it in process.
 */
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { holdYoungGeneration } from '../runbook/young-generation.js';
import { ExitCode, OperatorError, UsageError } from '../engine/errors.js';
import { commonOptions, optionError } from './options.js';
import { inertOutput } from './output.js';

/** The top-level usage: the TUI form first, as most runs are. */
export const usage = `waymark — a terminal runbook assistant

usage:
  waymark RUNBOOK.md [options]        run a runbook in the TUI, or resume its current run
  waymark run RUNBOOK.md --headless   run a runbook without the TUI (rehearsals, CI)
  waymark status RUNBOOK.md [--json]  where the current run stands
  waymark report RUNBOOK.md           [--run ID] [--format md|json|junit] [-o FILE]
  waymark audit RUNBOOK.md --verify   [--run ID] check the audit trail's hash chain
  waymark repair RUNBOOK.md           [--run ID] rebuild a lost checkpoint from the journal and audit trail
  waymark evidence RUNBOOK.md --out FILE.tar.gz   [--run ID] bundle a run's evidence; --verify FILE.tar.gz checks one
  waymark approve RUNBOOK.md --block ID --operator NAME   approve an approve= block, as another operator
  waymark preflight RUNBOOK.md        [--profile P] [--format md|json|junit] run every check now, read-only
  waymark plan RUNBOOK.md             the composed order of steps, with their sources
  waymark lint FILE... [--json]       check runbooks without running them
  waymark list [DIR]                  runbooks under DIR (default ./runbooks) with their last run
  waymark --version                   the version of waymark

Common options (before or after the runbook): --var NAME=VALUE, --var-file FILE (for secrets),
--profile NAME, --state-dir DIR, --operator NAME, --new-run.
Exit codes: 0 done, 1 a block failed, 2 bad input, 3 a check refused, 4 waiting for
the operator or an approval, 5 another run holds the lock, 130 interrupted. Run "waymark COMMAND --help".`;

/** What `waymark RUNBOOK.md --help` adds before the options of run: the TUI form takes them too. */
const tuiHelp = `usage: waymark RUNBOOK.md [options]

Runs a runbook in the TUI, or resumes its current run; ? in the TUI shows its keys. It takes
the options of run below, except those that apply only with --headless (--yes,
--accept-warnings, --override, --skip, --rerun-interrupted, --output): in the TUI you decide
with the keys.

`;

/** A command as the CLI calls it: its arguments (without its name) and the stream it prints to. */
export type Command = (argv: string[], out: NodeJS.WritableStream) => Promise<number>;

/** Where a command's output goes: in tests, a stream of their own. */
export interface Io {
  stdout: NodeJS.WritableStream;
}

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
  preflight: async () => {
    const m = await import('./preflight.js');
    return { run: m.preflightCommand, help: m.preflightHelp };
  },
  approve: async () => {
    const m = await import('./approve.js');
    return { run: m.approveCommand, help: m.approveHelp };
  },
  evidence: async () => {
    const m = await import('./evidence.js');
    return { run: m.evidenceCommand, help: m.evidenceHelp };
  },
};

// The build puts package.json's version here (src/build/bundle.mjs), so a start reads no extra file.
declare const WAYMARK_VERSION: string | undefined;
// The commands the build also emits as scripts of their own, dist/cli/NAME.vm.js (src/build/bundle.mjs).
declare const WAYMARK_COMMAND_SCRIPTS: string[] | undefined;

/**
 * The command `name`: from its script with V8's code cache (src/cli/code-cache.ts) when the build
 * made one (`lint`, `status`, `plan`: short commands an editor or a watch loop starts again and
 * again, for which compiling the modules is a large part), else from its ES module chunk.
 */
async function loadCommand(name: string, load: () => Promise<{ run: Command; help: string }>): Promise<{ run: Command; help: string }> {
  if (typeof WAYMARK_COMMAND_SCRIPTS === 'undefined' || !WAYMARK_COMMAND_SCRIPTS.includes(name)) return load();
  // A command is over in a few hundred milliseconds: V8's optimizing compiler, started early for
  // its loops, spends more than it saves. A larger interrupt budget tiers code up later. Set before
  // the script is compiled, so its code cache is made and checked under the same flags.
  setFlagsFromString('--interrupt-budget=500000');
  // Lint holds V8's young generation at its first size (src/runbook/young-generation.ts).
  if (name === 'lint') holdYoungGeneration();
  const { runCachedScript } = await import('./code-cache.js');
  return runCachedScript<{ run: Command; help: string }>(fileURLToPath(new URL(`${name}.vm.js`, import.meta.url)), name, 'at-exit');
}

/**
 * Whether `argv` runs one of the quick commands from its script (`lint`, `status`, `plan`; see
 * loadCommand): all they do is awaited before they return, so main.ts may end the process at once.
 */
export function runsQuickCommand(argv: string[]): boolean {
  const at = firstPositional(argv);
  return at !== -1 && typeof WAYMARK_COMMAND_SCRIPTS !== 'undefined' && WAYMARK_COMMAND_SCRIPTS.includes(argv[at] as string);
}

/** waymark's version: inlined by the build; read from package.json when run from source (tests). */
export async function waymarkVersion(): Promise<string> {
  if (typeof WAYMARK_VERSION === 'string') return WAYMARK_VERSION;
  // Read in one go (not through fs/promises, which the bin's start never loads otherwise).
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

/** Common options that take a value: `--state-dir X` before the runbook must not read X as the command. */
const valueOptions = new Set(
  Object.entries(commonOptions)
    .filter(([, o]) => o.type === 'string')
    .map(([name]) => `--${name}`),
);

/** Index of the first argument that is not an option or an option's value; -1 when there is none. */
function firstPositional(args: string[]): number {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i] as string;
    if (arg === '--') return i + 1 < args.length ? i + 1 : -1;
    if (!arg.startsWith('-') || arg === '-') return i;
    if (valueOptions.has(arg)) i += 1;
  }
  return -1;
}

const asksForHelp = (args: string[]) => args.includes('--help') || args.includes('-h');

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

/** A runbook argument that is a folder is refused before anything loads, in the words headless uses. */
function refuseFolder(path: string | undefined): void {
  if (path !== undefined && statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
    throw new OperatorError(
      `${path}: cannot read runbook: it is a directory (name a runbook file in it, or see "waymark list ${path}")`,
      ExitCode.BadInput,
    );
  }
}

/** A runbook, a command's own name aside: a Markdown file, or any path that is there. */
const looksLikeRunbook = (name: string) => /\.(md|markdown)$/i.test(name) || statSync(name, { throwIfNoEntry: false }) !== undefined;

/** Run a command, its option errors in waymark's words. */
async function call(command: Command, name: string, args: string[], out: NodeJS.WritableStream): Promise<number> {
  try {
    return await command(args, out);
  } catch (error) {
    throw optionError(error, name) ?? error;
  }
}

/** Run waymark with `argv` (without node and the script): the exit code, or a thrown operator error. */
export async function route(argv: string[], io: Io): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    io.stdout.write(`${usage}\n`);
    return first === undefined ? ExitCode.BadInput : ExitCode.Complete;
  }
  if (first === '--version' || first === '-V') {
    io.stdout.write(`waymark ${await waymarkVersion()}\n`);
    return ExitCode.Complete;
  }
  // Common options may come first (`waymark --state-dir X RUNBOOK.md`): the command or runbook is
  // the first argument that is not an option, and the options go to it with the rest.
  const at = firstPositional(argv);
  if (at === -1) throw new UsageError(`no runbook or command given (${argv.join(' ')}): waymark RUNBOOK.md [options], or "waymark --help"`);
  const name = argv[at] as string;
  const args = [...argv.slice(0, at), ...argv.slice(at + 1)];
  const inert = inertOutput(io.stdout);

  if (name === 'run' || (!commands[name] && looksLikeRunbook(name))) {
    // `waymark RUNBOOK.md` is `waymark run RUNBOOK.md` (docs/running.md#two-faces-one-run).
    const runArgs = name === 'run' ? args : argv;
    if (asksForHelp(runArgs)) {
      const { help } = await (commands.run as () => Promise<{ help: string }>)();
      io.stdout.write(`${runArgs.includes('--headless') ? '' : tuiHelp}${help}\n`);
      return ExitCode.Complete;
    }
    const runbook = name === 'run' ? args[firstPositional(args)] : name;
    refuseFolder(runbook);
    // The TUI writes to its own terminal; everything else is made inert.
    return call(await runFor(runArgs), 'run', runArgs, runArgs.includes('--headless') ? inert : io.stdout);
  }
  const load = commands[name];
  if (!load) throw new UsageError(`unknown command "${name}": not a command, and no runbook file of that name\n\n${usage}`);
  const command = await loadCommand(name, load);
  if (asksForHelp(args)) {
    io.stdout.write(`${command.help}\n`);
    return ExitCode.Complete;
  }
  return call(command.run, name, args, inert);
}
