/**
 * `waymark run RUNBOOK.md --headless`: the run session driven by flags instead of keys.
 * It prints one line per event and answers the session's decisions from the flags; when a
 * decision needs a person, it stops with the exit code docs/running.md#exit-codes gives that wait.
 */
import { parseArgs } from 'node:util';
import type { Block, Runbook } from '../runbook/model.js';
import { RunSession, type SessionEvent, type SessionOptions } from '../engine/session.js';
import { operatorName } from '../engine/operator.js';
import type { StepFilter } from '../engine/plan.js';
import { refusal, rollbackRequest, rollbackTarget, type Answer, type Decisions } from '../engine/decisions.js';
import { headlessPolicy, type HeadlessFlags } from '../engine/headless-policy.js';
import { isStepDone, type BlockState } from '../engine/run-state.js';
import { formatDuration } from '../runbook/duration.js';
import { inert, inertFields } from '../runbook/inert.js';
import { WholeLines, preloadProcessRunner, programHeading } from '../engine/output.js';
import { ExitCode, OperatorError, UsageError } from '../engine/errors.js';
import { shownVariable, usedValues, withValues } from '../engine/vars.js';
import { commonOptions, stateDirFrom } from './options.js';
import { hostLine, hostLines, hostNameWidth } from './host-lines.js';
import { rehearsalOf } from '../engine/baseline.js';
import { evidenceOf, fixedWidthTable, OUTPUT_LINES_PRINTED, rowsNotKept, type TableStyle } from '../engine/evidence-view.js';

export const runHelp = `usage: waymark run RUNBOOK.md --headless [options]

Runs a runbook without the TUI, for rehearsals and CI. Stops where a person is needed.

  --var NAME=VALUE       set a variable (repeatable); not for secrets: others can read a command line
  --var-file FILE        read NAME=VALUE lines from FILE, which only you may read (chmod 600); repeatable
  --profile NAME         use a profile's variable values
  --state-dir DIR        state directory (default ./state, or $WAYMARK_STATE_DIR)
  --operator NAME        who is running it (default: the login name)
  --new-run              archive the unfinished run and start over
  --only TAG             work only on the steps tagged TAG (repeatable; any of the tags)
  --skip-tag TAG         leave out the steps tagged TAG (repeatable)
  --yes                  tick checklists and confirm blocks and steps automatically (recorded as automatic)
  --accept-warnings      acknowledge warnings automatically (recorded)
  --baseline RUN_OR_EVIDENCE  compare each block with a rehearsal: its run id in this state
                         directory, or its evidence bundle (docs/baseline.md)
  --accept-deviation BLOCK  accept that BLOCK departs from the rehearsal (repeatable; recorded);
                         neither --yes nor --accept-warnings accepts a departure
  --override CHECK=REASON  override one failed check that allows it (repeatable)
  --skip STEP=REASON     skip one optional step (repeatable)
  --rerun-interrupted    re-run a block that was interrupted when waymark stopped
                         (a fleet block: its hosts that are not done)
  --retry-hosts          run a fleet block again on its unreachable hosts alone
  --check-hosts          at a fleet block interrupted mid-batch, run the step's checks on the
                         interrupted hosts first (then --rerun-interrupted re-runs them)
  --rollback STEP        run the rollback blocks of STEP, whose failure holds the run, and stop
                         (each needs a confirmation: --yes gives it, recorded as automatic)
  --inventory FILE       the Ansible inventory for fleet blocks (hosts=), over the runbook's inventory:
  --output               stream every block's output (it is always in the block's log file;
                         a failed block's last lines are printed either way)

Exit codes: 0 complete, 1 a block failed, 2 bad input, 3 a check refused,
4 waiting for the operator, 5 another run holds the lock, 130 interrupted.`;

function parsePairs(values: string[] | undefined, flag: string): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const value of values ?? []) {
    const eq = value.indexOf('=');
    if (eq <= 0) throw new UsageError(`${flag} "${value}" must be NAME=REASON`);
    pairs.set(value.slice(0, eq), value.slice(eq + 1));
  }
  return pairs;
}

/** The headless face's printer: one line per event. */
function printer(out: NodeJS.WritableStream, session: RunSession, showOutput: boolean): (event: SessionEvent) => void {
  const total = session.runbook.steps.length;
  // --output prints whole lines; a chunk may end mid-line, so each stream gathers its lines.
  const print = (text: string): void => void out.write(`   | ${text.slice(0, -1).replaceAll('\n', '\n   | ')}\n`);
  const lines = { stdout: new WholeLines(print), stderr: new WholeLines(print) };
  const flushOutput = (): void => {
    lines.stdout.end();
    lines.stderr.end();
  };
  return (event) => {
    switch (event.type) {
      case 'step-started':
        out.write(inertFields`== step ${event.index + 1}/${total} ${event.step.id}: ${event.step.title}\n`);
        break;
      case 'block-started':
        // What an interrupted block left half-printed belongs to it, not to the next one.
        flushOutput();
        out.write(
          `-> ${event.block.role} ${event.block.id} (${event.block.executor ?? event.block.lang}${event.block.attrs.fleet ? ` on hosts=${event.block.attrs.fleet.hosts}` : ''})${event.execution > 1 ? `, execution ${event.execution}` : ''}\n`,
        );
        break;
      case 'output':
        if (showOutput) lines[event.stream].push(event.chunk);
        break;
      case 'attempt':
        flushOutput();
        out.write(
          `   attempt ${event.attempt}/${event.of}${event.nextInMs > 0 ? ` in ${formatDuration(event.nextInMs)}` : ''}: ${event.reason}\n`,
        );
        break;
      case 'host-finished': {
        // A fleet block's host result as it arrives; the names line up with the block's other hosts.
        const hosts = session.state.steps.find((s) => s.id === event.step.id)?.blocks.find((b) => b.id === event.block.id)?.hosts ?? [
          event.host,
        ];
        for (const line of hostLines(event.host, hostNameWidth(hosts), showOutput)) out.write(`${line}\n`);
        break;
      }
      case 'block-finished': {
        flushOutput();
        const rehearsal = rehearsalOf(session.state, event.step.id, event.block.id);
        out.write(`${blockLine(event.block, event.state)}${rehearsal ? ` [${rehearsal}]` : ''}\n`);
        // The value this execution captured (a secret one masked): what later blocks get as $NAME / :NAME.
        if (event.captured) out.write(`   captured ${event.captured.name}=${inert(oneLine(event.captured.shown))}\n`);
        break;
      }
      case 'notify-failed':
        // On stderr, so a pipeline reading the run's lines is not disturbed (docs/notify.md).
        process.stderr.write(`waymark: ${inert(event.message)}\n`);
        break;
      case 'step-finished':
        out.write(
          `   step ${event.step.id} ${event.state.status}${event.state.skipped?.reason ? `: ${event.state.skipped.reason}` : ''}\n`,
        );
        break;
      default:
        break;
    }
  };
}

/** A captured value on one line of the run's output: newlines shown as `⏎`, long values cut. */
function oneLine(value: string): string {
  const flat = value.replaceAll('\n', '⏎');
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

const GLYPH: Record<string, string> = { passed: 'ok', warning: 'WARN', refused: 'REFUSED', failed: 'FAILED', interrupted: 'INTERRUPTED' };

function blockLine(block: Block, state: BlockState): string {
  const took = state.durationMs !== undefined ? ` in ${formatDuration(state.durationMs)}` : '';
  const tries = state.attempts > 1 ? ` after ${state.attempts} attempts` : '';
  const why = state.reason ? `: ${state.reason}` : '';
  return `<- ${GLYPH[state.status] ?? state.status} ${block.role} ${block.id}${took}${tries}${why}`;
}

/** Plain text's table: ASCII rules, cells up to 40 characters (a log is read wide). */
const PLAIN_TABLE: TableStyle = {
  cellWidth: 40,
  row: (cells) => `| ${cells.join(' | ')} |`,
  rule: (widths) => `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`,
};

/** A block's evidence (engine/evidence-view.ts) as the run prints it: its rows as a table, or the last lines of its output. */
export function evidence(state: BlockState): string[] {
  const shown = evidenceOf(state);
  if (shown.kind === 'output') return shown.lines.slice(-OUTPUT_LINES_PRINTED);
  const { head, rows } = fixedWidthTable(shown, PLAIN_TABLE);
  const more = rowsNotKept(shown);
  return [...head, ...rows, ...(more > 0 ? [`(${more} more rows)`] : [])];
}

export async function runCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      ...commonOptions,
      headless: { type: 'boolean' },
      yes: { type: 'boolean' },
      'accept-warnings': { type: 'boolean' },
      baseline: { type: 'string' },
      'accept-deviation': { type: 'string', multiple: true },
      override: { type: 'string', multiple: true },
      skip: { type: 'string', multiple: true },
      'rerun-interrupted': { type: 'boolean' },
      'retry-hosts': { type: 'boolean' },
      'check-hosts': { type: 'boolean' },
      rollback: { type: 'string' },
      inventory: { type: 'string' },
      output: { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new UsageError(`run takes one runbook file\n\n${runHelp}`);
  const sessionOptions: SessionOptions = {
    runbookFile: positionals[0] as string,
    stateDir: stateDirFrom(values['state-dir']),
    operator: operatorName(values.operator),
    profile: values.profile,
    varFlags: values.var ?? [],
    varFiles: values['var-file'] ?? [],
    newRun: values['new-run'] ?? false,
    allowOutsideIncludes: values['allow-outside-includes'] ?? false,
    ...(values.inventory !== undefined ? { inventory: values.inventory } : {}),
    ...(values.baseline !== undefined ? { baseline: values.baseline } : {}),
    ...stepSelection(values.only ?? [], values['skip-tag'] ?? []),
  };
  const overrides = parsePairs(values.override, '--override');
  const skips = parsePairs(values.skip, '--skip');
  // Checked against the runbook before the session touches the state: a refused command (a
  // mistyped tag with --new-run, say) must not have archived the run first.
  const tags = { '--only': values.only ?? [], '--skip-tag': values['skip-tag'] ?? [] };
  const rollback = values.rollback;
  if (rollback !== undefined) {
    // A rollback is its own decision: it runs the step's rollback blocks and nothing after them.
    const others = (['accept-warnings', 'override', 'skip', 'rerun-interrupted', 'retry-hosts', 'check-hosts'] as const).filter(
      (flag) => values[flag] !== undefined,
    );
    if (others.length > 0)
      throw new UsageError(
        `--rollback runs the rollback blocks of one step and nothing else: leave out --${others.join(', --')}, and run again without --rollback to go on`,
      );
  }
  const acceptDeviations = new Set(values['accept-deviation'] ?? []);
  sessionOptions.validate = (runbook) => {
    validateFlags(runbook, overrides, skips, tags);
    const blocks = runbook.steps.flatMap((s) => s.blocks).filter((b) => b.executor !== null);
    for (const name of acceptDeviations) {
      if (!blocks.some((b) => b.id === name))
        throw new UsageError(`--accept-deviation ${name}: there is no block named ${name} in ${runbook.file}`);
    }
    const target = rollback === undefined ? null : rollbackTarget(runbook, rollback);
    if (target && 'message' in target) throw new UsageError(target.message);
  };
  if (!values.headless) {
    const headlessOnly = (
      [
        'yes',
        'accept-warnings',
        'accept-deviation',
        'override',
        'skip',
        'rerun-interrupted',
        'retry-hosts',
        'check-hosts',
        'rollback',
        'output',
      ] as const
    ).filter((flag) => values[flag] !== undefined);
    if (headlessOnly.length > 0)
      throw new UsageError(`--${headlessOnly.join(', --')} only apply with --headless; in the TUI, decide with the keys (? shows them)`);
    const { startTui } = await import('../ui/start.js');
    return startTui(sessionOptions);
  }
  // The process runner loads while the session opens (that waits on the disk), not in the first block.
  // A failure to load surfaces when a block runs, where it can be reported.
  preloadProcessRunner();
  const session = await RunSession.open({ ...sessionOptions, streamOutput: values.output ?? false });
  const print = (line: string) => out.write(`${line}\n`);
  let signalled: string | null = null;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = signal;
    print(`waymark: ${signal} received: stopping the running block (its process group gets TERM, then KILL after 5s)`);
    // No block starts after this, not even one whose start is being written now.
    session.stop();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, onSignal);

  try {
    // The title and the operator are one-line fields: a newline in one must not start a line of the run's output.
    // (\u2014, the dash: a tagged template's text reaches the bundle as written, and the TUI's script must be ASCII.)
    print(
      inertFields`waymark: ${session.runbook.title} \u2014 run ${session.state.run}, operator ${session.operator}${session.state.profile ? `, profile ${session.state.profile}` : ''}`,
    );
    for (const notice of session.notices) print(`notice: ${notice}`);
    // Re-invoking the command that completed a run runs nothing again (migrations included).
    if (session.finished) {
      if (rollback !== undefined)
        throw new OperatorError(
          `--rollback ${rollback}: ${session.finishedNotice()}; a complete run has no failure to roll back`,
          ExitCode.BadInput,
        );
      print(`waymark: ${session.finishedNotice()}`);
      return ExitCode.Complete;
    }
    session.subscribe(printer(out, session, values.output ?? false));
    const flags = {
      yes: values.yes ?? false,
      acceptWarnings: values['accept-warnings'] ?? false,
      rerunInterrupted: values['rerun-interrupted'] ?? false,
      retryHosts: values['retry-hosts'] ?? false,
      checkHosts: values['check-hosts'] ?? false,
      overrides,
      skips,
      acceptDeviations,
    };
    const code =
      rollback !== undefined
        ? await rollBack(session, rollback, flags.yes, sessionOptions.runbookFile, print)
        : await drive(session, flags, sessionOptions.runbookFile, print, () => session.stopped);
    if (signalled) {
      await session.close(session.next().kind === 'run' ? 'interrupted' : undefined);
      return ExitCode.Signal;
    }
    return code;
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
    await session.close();
  }
}

/** `--only` / `--skip-tag` as the session's step filter; none given selects every step. */
function stepSelection(only: string[], skipTags: string[]): { selected?: StepFilter } {
  if (only.length === 0 && skipTags.length === 0) return {};
  return {
    selected: (step) =>
      (only.length === 0 || step.tags.some((tag) => only.includes(tag))) && !step.tags.some((tag) => skipTags.includes(tag)),
  };
}

function validateFlags(runbook: Runbook, overrides: Map<string, string>, skips: Map<string, string>, tags: Record<string, string[]>): void {
  // A mistyped tag would select nothing (or skip nothing) and still look like success.
  const known = new Set(runbook.steps.flatMap((s) => s.tags));
  for (const [flag, values] of Object.entries(tags)) {
    for (const tag of values) {
      if (!known.has(tag))
        throw new UsageError(`${flag} ${tag}: no step of ${runbook.file} has the tag ${tag} (tags: ${[...known].join(', ') || 'none'})`);
    }
  }
  const blocks = runbook.steps.flatMap((s) => s.blocks);
  for (const name of overrides.keys()) {
    const block = blocks.find((b) => b.id === name);
    if (block?.role !== 'check') throw new UsageError(`--override ${name}: there is no check named ${name} in ${runbook.file}`);
    if (block.attrs.override !== 'allowed')
      throw new UsageError(`--override ${name}: check ${name} does not allow an override (it would need override=allowed)`);
  }
  for (const name of skips.keys()) {
    const step = runbook.steps.find((s) => s.id === name);
    if (!step) throw new UsageError(`--skip ${name}: there is no step ${name} in ${runbook.file}`);
    if (!step.optional) throw new UsageError(`--skip ${name}: step ${name} is not optional`);
  }
}

/**
 * How to clear a refused check, as commands to type: re-run it after fixing the cause (a new
 * invocation re-runs it first), override it where allowed, or run a step that declares it fixes it.
 */
function clearGate(d: Decisions, file: string): string[] {
  // A check with `confirm` runs again only once confirmed: the command to type says --yes.
  const again = `waymark run ${file} --headless${d.choices.some((c) => c.kind === 'rerun' && c.confirms) ? ' --yes' : ''}`;
  const block = d.block as Block;
  const refusing = d.gate.filter((check) => check.state.status === 'refused');
  if (refusing.length > 1) {
    const overridable = refusing.filter((check) => check.overridable).map((check) => check.block.id);
    const lines = [`these checks hold every later step, whatever --only or --skip-tag selects`];
    lines.push(`fix the causes and run again (${again}): every check above is re-run first`);
    if (overridable.length > 0)
      lines.push(`or override them, one flag each: ${again} ${overridable.map((id) => `--override ${id}="REASON"`).join(' ')}`);
    if (overridable.length < refusing.length)
      lines.push(
        `${refusing
          .filter((check) => !check.overridable)
          .map((check) => check.block.id)
          .join(', ')} cannot be overridden`,
      );
    for (const fix of d.fixes) {
      const select = fix.tags.length > 0 ? `${again} --only ${fix.tags[0]}` : `the step ${fix.id}`;
      lines.push(`or run step ${fix.id}, which fixes them (fixes=${d.step?.id ?? ''}): ${select}; the checks are re-run after it`);
    }
    return lines;
  }
  const lines = [`this check holds every later step, whatever --only or --skip-tag selects`];
  lines.push(`fix the cause and run again (${again}): the check is re-run first`);
  if (d.choices.some((c) => c.kind === 'override')) lines.push(`or override it: ${again} --override ${block.id}="REASON"`);
  else lines.push('this check cannot be overridden');
  for (const fix of d.fixes) {
    const select = fix.tags.length > 0 ? `${again} --only ${fix.tags[0]}` : `the step ${fix.id}`;
    lines.push(`or run step ${fix.id}, which fixes it (fixes=${d.step?.id ?? ''}): ${select}; the check is re-run after it`);
  }
  return lines;
}

/**
 * A command a person is asked to confirm or approve, as it will run: the program that runs it and
 * its arguments (the runbook's `shell:`, exec/interpreter.ts), the code given to it as `<code>`,
 * then the values of the variables it mentions, one a line, quoted as the TUI shows them.
 */
function printCommand(session: RunSession, block: Block | null, print: (line: string) => void): void {
  if (!block) return;
  const program = session.describeProgram(block);
  const command = session.describeBlock(block);
  if (program) print(`   ${programHeading(program)}`);
  for (const line of command.split('\n')) print(`   > ${line}`);
  Object.entries(usedValues(command, session.shownValuesFor(block))).forEach(([name, value], i) =>
    print(`   ${i === 0 ? 'with' : '    '} ${shownVariable(name, value)}`),
  );
}

/** Say why the run waits here, what was found, and which flag or key answers it. */
function explainWait(session: RunSession, d: Decisions, file: string, print: (line: string) => void): void {
  const { action } = d;
  const allows = (kind: string) => d.choices.some((c) => c.kind === kind);
  switch (action.kind) {
    case 'complete': {
      if (session.complete) return print(`waymark: run ${session.state.run} complete`);
      const left = session.state.steps.filter((s) => !isStepDone(s)).length;
      return print(`waymark: the selected steps of run ${session.state.run} are done; ${left} step(s) not selected remain for a later run`);
    }
    case 'run':
      if (d.blockState?.status === 'paused' && d.fleet) {
        print(`waiting: ${d.summary}`);
        // One line per host as the run printed them: the host line is inert (a host name or reason from outside).
        const batch = d.fleet.lastBatch?.hosts ?? [];
        for (const host of batch) print(hostLine(host, hostNameWidth(batch)));
        return print(
          `   confirm the next batch in the TUI, or re-run with --yes (${d.fleet.budget - d.fleet.failed} of ${d.fleet.budget} failures left in the budget)`,
        );
      }
      print(`waiting: block ${action.block.id} needs confirmation before it runs. It will run:`);
      printCommand(session, d.block, print);
      return print('   confirm it in the TUI, or re-run with --yes');
    case 'refused': {
      // Every problem the gate found, at once: the check holding the run first, then each other
      // refused check and each warning of the step, with its evidence and the runbook's advice.
      const others = d.gate.filter((check) => check.block.id !== action.block.id);
      const more = others.length > 0 ? ` (the step has ${others.length} more: listed below)` : '';
      print(
        `refused: check ${action.block.id} in step ${action.step.id} (${action.step.title}) ${d.blockState?.outcome === 'error' ? 'could not run' : 'failed'}: ${d.reason ?? ''}${more}`,
      );
      for (const line of d.blockState ? evidence(d.blockState) : []) print(`   ${line}`);
      if (d.remedy) print(`   the runbook says: ${withValues(d.remedy, session.shownValues())}`);
      for (const check of others) {
        const how =
          check.state.status === 'warning'
            ? 'WARN check'
            : check.state.outcome === 'error'
              ? 'REFUSED check (could not run)'
              : 'REFUSED check';
        print(`also ${how} ${check.block.id}: ${check.reason ?? ''}`);
        for (const line of evidence(check.state)) print(`   ${line}`);
        if (check.remedy) print(`   the runbook says: ${withValues(check.remedy, session.shownValues())}`);
      }
      for (const line of clearGate(d, file)) print(`   ${line}`);
      return;
    }
    case 'failed':
      print(`failed: block ${action.block.id} in step ${action.step.id} (${action.step.title}): ${d.reason ?? ''}`);
      for (const line of d.blockState ? evidence(d.blockState) : []) print(`   ${line}`);
      if (d.remedy) print(`   the runbook says: ${withValues(d.remedy, session.shownValues())}`);
      if (d.rollbacks.length > 0)
        print(
          `   rollback blocks offered: ${d.rollbacks.map((b) => b.id).join(', ')} (b in the TUI, or --rollback ${action.step.id} --yes)`,
        );
      if (allows('retry-hosts')) print(`   its unreachable hosts can be retried alone with --retry-hosts`);
      if (d.choices.some((c) => c.kind === 'retry' && c.confirms)) {
        print('   it needs a confirmation before it runs again: confirm it in the TUI, or run again with --yes. It will run:');
        printCommand(session, d.block, print);
        return;
      }
      return print('   run again to retry it');
    case 'acknowledge':
      if (d.blockState?.deviation) {
        const { deviation } = d.blockState;
        print(
          `waiting: ${action.block.id} in step ${action.step.id} departs from the rehearsal (${session.state.baseline ? `run ${session.state.baseline.run}` : 'baseline'}): ${deviation.message}`,
        );
        for (const line of evidence(d.blockState)) print(`   ${line}`);
        return print(
          `   look at what it did; if that is right, acknowledge it in the TUI (w) or re-run with --accept-deviation ${action.block.id} (--yes does not accept it)`,
        );
      }
      if (allows('retry-hosts')) print(`   its unreachable hosts can be retried alone with --retry-hosts`);
      if (d.gate.length > 1) {
        print(
          `waiting: ${d.gate.length} checks of step ${action.step.id} ended with a warning; acknowledge them in the TUI (w, one by one) or re-run with --accept-warnings:`,
        );
        for (const check of d.gate) {
          print(`   WARN check ${check.block.id}: ${check.reason ?? ''}`);
          for (const line of evidence(check.state)) print(`      ${line}`);
          if (check.remedy) print(`      the runbook says: ${check.remedy}`);
        }
        return;
      }
      return print(
        `waiting: ${action.block.id} ended with a warning: ${d.reason ?? ''}; acknowledge it in the TUI or re-run with --accept-warnings`,
      );
    case 'interrupted': {
      if (action.block.role === 'rollback') {
        print(`waiting: ${d.summary}; its processes may still run if waymark was killed`);
        return print(
          `   run the step's rollback again with --rollback ${action.step.id} --yes (it stops after it), or decide in the TUI (r re-runs it, m marks it done)`,
        );
      }
      if (d.choices.some((c) => c.kind === 'rerun' && c.confirms)) {
        print(`waiting: ${d.summary}; it needs a confirmation before it runs again. It will run:`);
        printCommand(session, d.block, print);
      }
      const how = allows('override')
        ? `--rerun-interrupted, or override it with --override ${action.block.id}="REASON"`
        : '--rerun-interrupted';
      if (allows('check-hosts'))
        print(`   its interrupted hosts can be checked first with --check-hosts (the step's checks, on those hosts only)`);
      return print(
        `waiting: ${d.summary}; re-run it with ${how}${d.choices.some((c) => c.kind === 'rerun' && c.confirms) ? ' --yes' : ''}, or decide in the TUI`,
      );
    }
    case 'checklist':
      print(
        `waiting: step ${action.step.id} has a checklist to tick${action.precondition ? ' before its first block runs (preconditions)' : ''}:`,
      );
      for (const item of d.items.filter((i) => action.items.some((due) => due.id === i.id))) print(`   [ ] ${item.shown}`);
      return print('   tick it in the TUI, or re-run with --yes');
    case 'confirm-step':
      return print(
        `waiting: step ${action.step.id} (${action.step.title}) needs a confirmation that it was done; confirm it in the TUI or re-run with --yes`,
      );
    case 'blocked':
      print(`refused: step ${action.step.id} (${action.step.title}) needs stage ${action.needs.join(', ')} complete first`);
      print(`   still to do: ${action.waitingFor.map((s) => s.id).join(', ')}`);
      return print(`   run that stage first (e.g. --only ${action.needs[0] ?? ''})`);
    case 'approval': {
      // The approver reads what they approve: the command as it will run, and the hash it has now.
      print(`waiting: ${d.summary}; it will run:`);
      printCommand(session, d.block, print);
      print(`   content hash ${action.standing.hash}; an approval names it, and a change to the block or its values voids it`);
      print(
        `   another operator approves it: waymark approve ${file} --block ${action.block.id} --operator NAME (someone other than ${session.operator}), then run again`,
      );
      return;
    }
    case 'finish-step':
      return;
  }
}

/**
 * `--rollback STEP`: run the step's rollback blocks in document order, each through the answer
 * `rollback` (the engine's rule: after a failure of that step, while it holds the run), and stop.
 * Each needs a confirmation, as in the TUI: `--yes` gives it (recorded as automatic); without it
 * the commands are shown and the run waits (exit 4). A rollback does not end the failure: the
 * exit code is then where the run stands, as the TUI's would be.
 */
async function rollBack(session: RunSession, stepId: string, yes: boolean, file: string, print: (line: string) => void): Promise<number> {
  const request = rollbackRequest(session.runbook, session.state, session.decisions(), stepId);
  if ('message' in request) throw new OperatorError(request.message, request.exitCode);
  if (!yes) {
    print(`waiting: the rollback blocks of step ${stepId} need a confirmation before they run. They will run:`);
    for (const block of request.blocks) {
      print(`   rollback ${block.id}:`);
      printCommand(session, block, print);
    }
    print(`   confirm one in the TUI (b, then yes), or re-run with --rollback ${stepId} --yes (recorded as confirmed automatically)`);
    return ExitCode.Waiting;
  }
  for (const block of request.blocks) {
    if (session.stopped) return ExitCode.Signal;
    const answer: Answer = { kind: 'rollback', block: block.id, confirmed: true, automatic: true };
    const refused = refusal(session.decisions(), answer);
    if (refused) throw new OperatorError(refused.message, refused.exitCode);
    print(`   rollback ${block.id} confirmed automatically (--yes)`);
    const ended = await session.answer(answer);
    if (ended?.status !== 'passed') {
      print(`failed: rollback block ${block.id} of step ${stepId}: ${ended?.reason ?? ended?.status ?? 'it did not run'}`);
      for (const line of ended ? evidence(ended) : []) print(`   ${line}`);
      const rest = request.blocks.slice(request.blocks.indexOf(block) + 1).map((b) => b.id);
      if (rest.length > 0) print(`   not run after it: ${rest.join(', ')}`);
      return session.stopped ? ExitCode.Signal : ExitCode.Failed;
    }
  }
  print(
    `waymark: the rollback blocks of step ${stepId} ran (${request.blocks.map((b) => b.id).join(', ')}); the failure still holds the run:`,
  );
  explainWait(session, session.decisions(), file, print);
  return session.exitCode();
}

/** Answer the session's questions from flags until it completes or needs a person. */
async function drive(
  session: RunSession,
  flags: HeadlessFlags,
  file: string,
  print: (line: string) => void,
  stopped: () => boolean,
): Promise<number> {
  for (;;) {
    if (stopped()) return ExitCode.Signal;
    const decisions = session.decisions();
    const next = headlessPolicy(decisions, flags, { ranHere: (block) => session.executedHere(block), operator: session.operator });
    if (next.kind === 'wait') {
      explainWait(session, decisions, file, print);
      return next.exitCode;
    }
    if (next.note) print(session.mask(next.note));
    await session.answer(next.answer);
  }
}
