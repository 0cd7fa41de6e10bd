/**
 * One run session: the orchestrator both faces drive. It owns the effects — the lock, the
 * checkpoint, the audit trail, the block logs, the executors — and refuses any request the
 * run's rules do not allow, whichever face asks.
 */
import { hostname } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import type { Block, Runbook, Step, VarDecl } from '../runbook/model.js';
import { loadRunbook } from '../runbook/load.js';
import { interpolate, parseConnectionUrl, resolveSocketPath } from '../runbook/connection.js';
import type { ConnectionTarget } from '../runbook/connection.js';
import { ExitCode, OperatorError } from './errors.js';
import { operatorName } from './operator.js';
import { StateError, assertNoSymlinksBelow, ensureDir } from '../state/atomic.js';
import { AuditLog } from '../state/audit.js';
import { auditMac, loadAuditKey, type AuditKey } from '../state/audit-key.js';
import { continueAuditTrail, sealTransition, type DueRecord } from './audit-trail.js';
import { RunCheckpoint, journalPathOf } from './checkpoint.js';
import { readCurrentRun, writeCurrentRun } from '../state/current.js';
import { runPaths, unusedRunId, type RunbookPaths, type RunPaths } from '../state/layout.js';
import { claimRunbookState, unfinishedRuns, unfinishedRunsAfter } from './state-folder.js';
import { acquireLock, type RunLock } from '../state/lock.js';
import { openBlockLog } from '../state/logs.js';
import { createMasker, type Masker } from './exec/mask.js';
import { executeBlock, type BlockExecution } from './exec/run-block.js';
import { describeProgram } from './exec/interpreter.js';
import { runFleet, type FleetResult, type HostSelection } from './fleet-run.js';
import { fleetChecksOf, inventoryFor } from './fleet.js';
import { evidenceCommand } from './evidence-hint.js';
import type { OutputStream } from './exec/output.js';
import { nextAction, type NextAction, type StepFilter } from './plan.js';
import { decisionsFor, describeAction, exitCodeFor, overrideTarget, refusal, type Answer, type Decisions } from './decisions.js';
import { describeReconciliation, initialRunState, reconcile, blockHash } from './reconcile.js';
import type { BlockState, Decision, HostState, RunEvent, RunState, RunStatus, StepState } from './run-state.js';
import { isStepDone, reduce } from './run-state.js';
import {
  changedSecrets,
  fixedValues,
  publicValues,
  recordedVars,
  resolveVars,
  secretDigests,
  settingsConflicts,
  unsetSecrets,
  type ResolvedVars,
  type VarInputs,
} from './vars.js';
import { readVarFile, type VarFileEntry } from './var-file.js';
import { Notifier, type NotifyEvent } from './notify.js';
import type { NotifyEventName } from '../runbook/notify-decl.js';
import { baselineWarnings, judgeAgainstBaseline, loadBaseline, sameBaseline, type Baseline, type BlockResult } from './baseline.js';
import { readApprovals } from '../state/approvals.js';
import { capturedRecord, lostSecretCaptures, shownCapture } from './capture.js';

// loadRunbook lives with the runbook (src/runbook/load.ts); callers that know it from here keep working.
export { loadRunbook } from '../runbook/load.js';

/** How to open a session. */
export interface SessionOptions {
  runbookFile: string;
  stateDir: string;
  operator?: string;
  profile?: string;
  /** `--var NAME=VALUE` flags. */
  varFlags?: string[];
  /** `--var-file FILE`s: `NAME=VALUE` lines, readable by their owner only. */
  varFiles?: string[];
  /**
   * Ask the operator for the secrets no flag, file, environment, profile or default gives (the TUI's
   * hidden prompt); without it such a secret is simply unset, an error if it is required.
   */
  askSecrets?: (secrets: VarDecl[]) => Promise<Record<string, string>>;
  env?: NodeJS.ProcessEnv;
  /** Archive the unfinished run and start over. */
  newRun?: boolean;
  /** Allow includes outside the runbook's folder. */
  allowOutsideIncludes?: boolean;
  /** Emit each output line as an `output` event (the TUI, headless --output); off, output only goes to the log. */
  streamOutput?: boolean;
  /** Grace between SIGTERM and SIGKILL when a block is cancelled (tests shorten it). */
  killGraceMs?: number;
  /** Which steps this invocation works on. */
  selected?: StepFilter;
  /** `--inventory FILE`: the Ansible inventory for fleet blocks, over the runbook's `inventory:`. */
  inventory?: string;
  /** `--baseline RUN_OR_EVIDENCE`: a rehearsal whose figures each block is compared with (docs/baseline.md). */
  baseline?: string;
  /**
   * Checks the face's own flags against the runbook (tags, check and step names) before anything
   * on disk changes; it throws the face's error when one does not fit.
   */
  validate?: (runbook: Runbook) => void;
}

/** The options once the var files are read (their lines, not their names) and the baseline is loaded. */
type StartOptions = SessionOptions & { files: VarFileEntry[]; rehearsal?: Baseline };

/** What a face hears from the session. */
export type SessionEvent =
  | { type: 'notice'; message: string }
  | { type: 'step-started'; step: Step; index: number; total: number }
  | { type: 'block-started'; step: Step; block: Block; execution: number }
  /** Output of the running block as it arrives, masked (a line may be cut between two chunks). */
  | { type: 'output'; block: Block; stream: OutputStream; chunk: Buffer }
  /**
   * A block with `retries=` (or `rerun-on-exit=`) will run again: attempt `attempt` of at most `of`
   * starts in `nextInMs`, because the one before ended with `reason` (masked).
   */
  | { type: 'attempt'; step: Step; block: Block; attempt: number; of: number; nextInMs: number; reason: string }
  /** `captured`: what this execution captured (`capture=`), as faces show it (a secret masked); absent when it captured nothing. */
  | { type: 'block-finished'; step: Step; block: Block; state: BlockState; captured?: { name: string; shown: string } }
  /** One host of a fleet block has a result, as checkpointed (masked): emitted after its `host-finished` transition. */
  | { type: 'host-finished'; step: Step; block: Block; host: HostState }
  | { type: 'step-finished'; step: Step; state: StepState }
  /** The runbook's notifier failed, hung past its timeout or could not log (docs/notify.md); the run goes on. */
  | { type: 'notify-failed'; message: string }
  | { type: 'state'; state: RunState };

export { describeAction };

/** Run status for each kind of next action; `run` and `finish-step` mean the run is simply going. */
export function runStatusFor(action: NextAction): RunStatus {
  switch (action.kind) {
    case 'complete':
      return 'complete';
    case 'refused':
    case 'blocked':
      return 'refused';
    case 'failed':
      return 'failed';
    case 'interrupted':
      return 'interrupted';
    case 'acknowledge':
    case 'checklist':
    case 'confirm-step':
    case 'approval':
      return 'waiting';
    case 'run':
    case 'finish-step':
      return 'running';
  }
}

/**
 * Mark an unfinished run abandoned, for --new-run. Its trail was already checked and caught up
 * (continueAuditTrail), so nothing here can refuse before the first write.
 */
async function abandonRun(checkpoint: RunCheckpoint, audit: AuditLog, previous: RunState, at: string): Promise<void> {
  try {
    await checkpoint.snapshot(reduce(previous, { type: 'run-status', status: 'abandoned', at }));
    await audit.append('run-abandoned', { reason: 'a new run was started with --new-run' });
  } finally {
    await audit.close();
    await checkpoint.close();
  }
}

/**
 * A secret given again on resume must be the one the run started with: its checks passed against
 * that value (a database URL, say), not this one. Only a keyed digest of it was recorded.
 */
function refuseChangedSecrets(previous: RunState, vars: ResolvedVars, key: AuditKey): void {
  const changed = changedSecrets(vars, previous.secretDigests, (text) => auditMac(key, text));
  if (changed.length === 0) return;
  throw new OperatorError(
    [
      `run ${previous.run} was started with other settings, and a run's settings are fixed at its start:`,
      ...changed.map((name) => `  secret ${name}: its value is not the one the run started with`),
      'resume with the secrets the run started with, or start a new run with --new-run',
    ].join('\n'),
    ExitCode.BadInput,
  );
}

/**
 * A run's `--inventory` is fixed at its start, as its profile is: a fleet block's hosts are known by
 * name, so a host done against one inventory (the testbed's cmp-1) would count as done against
 * another (production's cmp-1), and never run there. Resuming with an `--inventory` that is not the
 * one the run uses is refused; naming the same file is not. A run an older waymark started recorded
 * none (undefined): not compared.
 */
function refuseOtherInventory(runbook: Runbook, previous: RunState, vars: ResolvedVars, flag: string | undefined): void {
  if (flag === undefined || previous.inventory === undefined) return;
  if (!runbook.steps.some((step) => step.blocks.some((block) => block.attrs.fleet !== undefined))) return;
  const given = resolve(flag);
  const uses = inventoryFor(runbook, previous.profile, vars.values, previous.inventory ?? undefined);
  if (typeof uses === 'string' && uses === given) return;
  const had =
    previous.inventory !== null
      ? `with --inventory ${previous.inventory}`
      : `without --inventory, so its fleet blocks use the runbook's own inventory${typeof uses === 'string' ? ` (${uses})` : ''}`;
  throw new OperatorError(
    [
      `run ${previous.run} was started with other settings, and a run's settings are fixed at its start:`,
      `  --inventory ${given}: the run was started ${had}`,
      "resume without --inventory to go on with the run's own inventory, or start a new run with --new-run",
    ].join('\n'),
    ExitCode.BadInput,
  );
}

/**
 * A run's baseline is fixed at its start, as its settings are: its blocks that passed were judged
 * against that rehearsal. Resuming with another one (or one where there was none) is refused.
 */
function refuseOtherBaseline(previous: RunState, given: Baseline | undefined): void {
  if (given === undefined || (previous.baseline && sameBaseline(previous.baseline, given))) return;
  const had = previous.baseline ? `rehearsal run ${previous.baseline.run}` : 'no baseline';
  throw new OperatorError(
    `run ${previous.run} was started with ${had}, and a run's baseline is fixed at its start: resume without --baseline to keep ${previous.baseline ? 'it' : 'none'}, or start a new run with --new-run --baseline ${given.source}`,
    ExitCode.BadInput,
  );
}

/** One live run of one runbook. */
export class RunSession {
  readonly runbook: Runbook;
  readonly vars: ResolvedVars;
  readonly operator: string;
  readonly paths: RunPaths;
  readonly notices: string[] = [];
  /** True when this session continues an unfinished run (the TUI shows a resume screen first). */
  resumed = false;
  #state: RunState;
  readonly #checkpoint: RunCheckpoint;
  readonly #audit: AuditLog;
  readonly #key: AuditKey;
  readonly #lock: RunLock;
  /** Rebuilt when a block captures a secret value: from then on it is masked too. */
  #masker: Masker;
  /** Captured values this session has (docs/capture.md): a secret one only if it was captured in this session. */
  readonly #captured = new Map<string, { value: string; secret: boolean }>();
  readonly #options: SessionOptions;
  readonly #listeners = new Set<(event: SessionEvent) => void>();
  /** Blocks executed by this session: a face uses it to tell "failed just now" from "failed last time". */
  readonly #executedHere = new Set<string>();
  #abort: AbortController | null = null;
  #closed = false;
  /** Set once the trail and checkpoint are being closed: nothing may be written after it. */
  #shut = false;
  /** The block execution in flight, so close() can wait for its record. */
  #running: Promise<unknown> | null = null;
  /** The write in flight: transitions are written one at a time, and close() waits for the last. */
  #writes: Promise<void> = Promise.resolve();
  /** The first state file that could not be written: the run stops, and nothing more is written. */
  #failure: StateError | null = null;
  /** Set by stop(): runBlock refuses from then on. */
  #stopped = false;
  /** Holding a complete run: it is shown, never written to (its trail stays as it ended). */
  #finished = false;
  /**
   * Fix steps the operator chose to run in place at a refused check (the answer `run-fix`): while
   * one is not done, the run works on them only, as `--only` would; then on its selection again.
   */
  readonly #fixingInPlace = new Set<string>();
  /** The runbook's `notify:` command, when it has one (docs/notify.md). */
  readonly #notifier: Notifier | null;
  /**
   * A wait was told and the run has not moved since: the same wait is not told twice. Any other
   * transition (a block started, an approval taken in, a step skipped) ends the wait told.
   */
  #toldWaiting = false;
  /** The approvals being taken in (refreshApprovals), so two askers do not record one twice. */
  #intake: Promise<number> | null = null;

  private constructor(init: {
    runbook: Runbook;
    vars: ResolvedVars;
    operator: string;
    paths: RunPaths;
    state: RunState;
    checkpoint: RunCheckpoint;
    audit: AuditLog;
    key: AuditKey;
    lock: RunLock;
    options: SessionOptions;
  }) {
    this.runbook = init.runbook;
    this.vars = init.vars;
    this.operator = init.operator;
    this.paths = init.paths;
    this.#state = init.state;
    this.#checkpoint = init.checkpoint;
    this.#audit = init.audit;
    this.#key = init.key;
    this.#lock = init.lock;
    this.#options = init.options;
    this.#masker = createMasker(init.vars.secretValues);
    for (const [name, captured] of Object.entries(init.state.captures ?? {})) {
      if (!captured.secret && captured.value !== undefined) this.#captured.set(name, { value: captured.value, secret: false });
    }
    const notify = init.runbook.notify;
    this.#notifier = notify
      ? new Notifier({
          decl: notify,
          shell: init.runbook.shell,
          // The runbook's folder, and the environment without the secret variables (shellSetting).
          ...this.#notifierSetting(init.options.env ?? process.env),
          logPath: join(init.paths.dir, 'notify.log'),
          onFailed: (message) => this.#emit({ type: 'notify-failed', message: this.mask(message) }),
        })
      : null;
  }

  #notifierSetting(base: NodeJS.ProcessEnv): { cwd: string; env: NodeJS.ProcessEnv } {
    const env: NodeJS.ProcessEnv = { ...base };
    for (const decl of this.runbook.vars) {
      if (!decl.secret) continue;
      delete env[decl.name];
      if (decl.env !== undefined) delete env[decl.env];
    }
    return { cwd: dirname(resolve(this.runbook.file)), env };
  }

  /**
   * The notifier's event for an audit record, if the record is one of the events it can be told
   * about: a check refused (gate refused), a block failed, the run waiting for the operator, the
   * run complete. "Batch finished" comes from the fleet run itself (runFleet's batchFinished).
   */
  #notifyFor(type: string, data: Record<string, unknown>, at: string): void {
    if (!this.#notifier) return;
    let event: NotifyEventName | undefined;
    if (type === 'block-finished' && (data.outcome === 'failure' || data.outcome === 'error'))
      event = data.role === 'check' ? 'gate-refused' : 'block-failed';
    else if (type === 'block-paused') event = 'waiting';
    else if (type === 'run-paused' && data.status === 'waiting') event = 'waiting';
    else if (type === 'run-complete') event = 'run-complete';
    // A fleet pause, then the face stopping at it: one wait, told once. Any other transition moved
    // the run on, so the next wait is a new one (a skip leads to another approval= block, say).
    const toldAlready = this.#toldWaiting;
    this.#toldWaiting = event === 'waiting';
    if (event === undefined || (event === 'waiting' && toldAlready)) return;
    const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
    const sent: NotifyEvent = {
      event,
      runbook: this.runbook.title,
      run: this.#state.run,
      step: text(data.step),
      block: text(data.block),
      operator: this.operator,
      reason: text(data.reason),
      at,
    };
    this.#notifier.send(sent);
  }

  /** Read the runbook, resolve variables, take the lock, and start or resume the run. */
  static async open(options: SessionOptions): Promise<RunSession> {
    const runbook = await loadRunbook(options.runbookFile, { allowOutsideRoot: options.allowOutsideIncludes ?? false });
    options.validate?.(runbook);
    const operator = operatorName(options.operator, options.env ?? process.env);
    // Var files are read (and refused) before anything on disk changes.
    const files: VarFileEntry[] = [];
    for (const file of options.varFiles ?? []) files.push(...(await readVarFile(file)));
    // The runbook's own state folder: one that belongs to another runbook is refused here, before anything changes.
    const { book, notices } = await claimRunbookState(options.stateDir, runbook);
    // A baseline that cannot be read is refused before the run starts or resumes.
    const rehearsal =
      options.baseline === undefined ? undefined : await loadBaseline(options.baseline, { stateDir: options.stateDir, runbook });

    const previousId = await readCurrentRun(book.current);
    const lock = await acquireLock(book.dir, { runId: previousId, operator });
    try {
      const session = await RunSession.#start(
        runbook,
        operator,
        { ...options, files, ...(rehearsal ? { rehearsal } : {}) },
        book,
        previousId,
        lock,
      );
      session.notices.unshift(...notices);
      session.notices.push(...session.vars.warnings);
      return session;
    } catch (error) {
      await lock.release();
      throw error;
    }
  }

  /**
   * The run's variables from every source, the TUI's prompt last. A new run takes its settings
   * from the options; a resumed run keeps the profile and non-secret values it started with
   * (secrets are read again), and a `--profile`, `--var` or `--var-file` value that contradicts
   * them is refused: the checks passed under those settings only. Every problem is one
   * OperatorError (exit 2).
   */
  static async #settings(runbook: Runbook, options: StartOptions, resumed: RunState | null): Promise<ResolvedVars> {
    const files = options.files;
    const given = { flags: options.varFlags ?? [], files, env: options.env ?? process.env };
    let inputs: VarInputs;
    if (resumed) {
      const conflicts = settingsConflicts(runbook, resumed, { profile: options.profile, flags: given.flags, files });
      if (conflicts.length > 0) {
        throw new OperatorError(
          [
            `run ${resumed.run} was started with other settings, and a run's settings are fixed at its start:`,
            ...conflicts.map((c) => `  ${c}`),
            "resume without them to go on with the run's own settings, or start a new run with --new-run",
          ].join('\n'),
          ExitCode.BadInput,
        );
      }
      inputs = { ...given, ...(resumed.profile === null ? {} : { profile: resumed.profile }), fixed: fixedValues(runbook, resumed) };
    } else {
      inputs = { ...given, ...(options.profile === undefined ? {} : { profile: options.profile }) };
    }
    const unset = options.askSecrets ? unsetSecrets(runbook, inputs) : [];
    if (unset.length > 0 && options.askSecrets) inputs.prompted = await options.askSecrets(unset);
    const vars = resolveVars(runbook, inputs);
    if ('errors' in vars) throw new OperatorError(vars.errors.join('\n'), ExitCode.BadInput);
    return vars;
  }

  static async #start(
    runbook: Runbook,
    operator: string,
    options: StartOptions,
    book: RunbookPaths,
    previousId: string | null,
    lock: RunLock,
  ): Promise<RunSession> {
    const at = new Date().toISOString();
    const key = await loadAuditKey();
    const notices: string[] = [];
    const auditEntries: [string, Record<string, unknown>][] = [];
    if (lock.takenOver) {
      notices.push(lock.takenOver.notice);
      auditEntries.push(['lock-taken-over', { notice: lock.takenOver.notice }]);
    }

    let resumed: { state: RunState; checkpoint: RunCheckpoint; paths: RunPaths; audit: AuditLog } | undefined;
    let vars: ResolvedVars | undefined;
    if (previousId === null && !options.newRun) {
      // No current run named, yet a run never ended: current.json was lost or moved away. Starting
      // over would run again what that run passed.
      const left = (await unfinishedRuns(book, runbook.file)).at(-1);
      if (left !== undefined) {
        throw new OperatorError(
          `run ${left} of ${runbook.file} did not end, but ${book.current} does not name it (it is missing); nothing was run. ` +
            `To resume it, restore that file: echo '{"runId":"${left}"}' > ${book.current}; to leave it unfinished and start a new run, add --new-run`,
          ExitCode.BadInput,
        );
      }
    }
    if (previousId !== null) {
      const paths = runPaths(book, previousId);
      await assertNoSymlinksBelow(options.stateDir, paths.logs);
      // A missing or unreadable checkpoint is refused (exit 2): it never means "start from step 1".
      const { checkpoint, state: previous } = await RunCheckpoint.resume(paths, {
        runId: previousId,
        runbookFile: runbook.file,
        current: book.current,
      });
      if ((previous.status === 'complete' || previous.status === 'abandoned') && !options.newRun) {
        // current.json went back in time (restored from a backup, copied from another state folder):
        // it names an ended run while a later one never ended. Showing "complete", or starting over,
        // would lose track of what that later run did.
        const later = (await unfinishedRunsAfter(book, runbook.file, previous)).at(-1);
        if (later !== undefined) {
          await checkpoint.close();
          throw new OperatorError(
            `${book.current} names run ${previousId}, which is ${previous.status}, but the later run ${later} of ${runbook.file} did not end; nothing was run. ` +
              `To resume ${later}, restore that file: echo '{"runId":"${later}"}' > ${book.current}; to leave it unfinished and start a new run, add --new-run`,
            ExitCode.BadInput,
          );
        }
      }
      if (previous.status === 'complete' && !options.newRun) {
        // A complete run is not run again by re-invoking the same command: the session holds it
        // (and the lock) to show it, and writes nothing to it. --new-run starts another.
        const audit = await AuditLog.open(paths.audit, { operator, key }).catch(async (error: unknown) => {
          await checkpoint.close();
          throw error;
        });
        const session = new RunSession({
          runbook,
          vars: recordedVars(runbook, previous),
          operator,
          paths,
          state: previous,
          checkpoint,
          audit,
          key,
          lock,
          options,
        });
        session.#finished = true;
        session.notices.push(...notices);
        return session;
      }
      const finished = previous.status === 'complete' || previous.status === 'abandoned';
      if (finished) {
        await checkpoint.close();
      } else {
        // Settings are checked and the trail caught up (or refused) before anything else is
        // written: a refused resume or --new-run leaves the old run as it was.
        let trail: Awaited<ReturnType<typeof continueAuditTrail>>;
        try {
          vars = await RunSession.#settings(runbook, options, options.newRun ? null : previous);
          if (!options.newRun) refuseChangedSecrets(previous, vars, key);
          if (!options.newRun) refuseOtherInventory(runbook, previous, vars, options.inventory);
          if (!options.newRun) refuseOtherBaseline(previous, options.rehearsal);
          trail = await continueAuditTrail(trailOf(paths, checkpoint, previous, key, operator));
        } catch (error) {
          await checkpoint.close();
          throw error;
        }
        notices.push(...trail.notices);
        if (options.newRun) {
          await abandonRun(checkpoint, trail.audit, previous, at);
          notices.push(`run ${previousId} (unfinished) was archived; starting a new run`);
        } else {
          resumed = { state: previous, checkpoint, paths, audit: trail.audit };
        }
      }
    }

    vars ??= await RunSession.#settings(runbook, options, null);
    let session: RunSession;
    if (resumed) {
      const { state: fitted, changes } = reconcile(runbook, resumed.state, at);
      const state: RunState = { ...fitted, status: 'running', updatedAt: at };
      session = new RunSession({
        runbook,
        vars,
        operator,
        paths: resumed.paths,
        state,
        checkpoint: resumed.checkpoint,
        audit: resumed.audit,
        key,
        lock,
        options,
      });
      session.notices.push(...notices);
      session.resumed = true;
      for (const [type, data] of auditEntries) await session.#record(type, data);
      await session.#record('run-resumed', { profile: state.profile, pid: process.pid });
      if (state.baseline) session.notices.push(...session.#baselineNotices(state.baseline));
      for (const change of changes) {
        const message = describeReconciliation(change);
        session.notices.push(message);
        await session.#record(change.kind === 'interrupted' ? 'interrupted-found' : 'drift', { ...change, message });
      }
      // Audit first: a crash before this write finds the same changes again and records them again,
      // whereas the other order would lose them (the checkpoint would no longer show them).
      await session.#persist();
      // Approvals given with `waymark approve` since the last invocation are recorded before anything runs.
      await session.refreshApprovals();
      await session.#recaptureSecrets();
      // A crash between a step's last answer and its closing left it done but open: close it now.
      await session.#settle();
    } else {
      const runId = unusedRunId(book.runs);
      const paths = runPaths(book, runId);
      await assertNoSymlinksBelow(options.stateDir, paths.logs);
      await ensureDir(paths.dir);
      const state = initialRunState(runbook, {
        id: runId,
        operator,
        host: hostname(),
        profile: options.profile ?? null,
        vars: publicValues(vars),
        at,
      });
      state.secretDigests = secretDigests(vars, (text) => auditMac(key, text));
      state.inventory = options.inventory === undefined ? null : resolve(options.inventory);
      const checkpoint = await RunCheckpoint.create(paths.checkpoint, state);
      const audit = await AuditLog.open(paths.audit, { operator, key });
      session = new RunSession({ runbook, vars, operator, paths, state, checkpoint, audit, key, lock, options });
      session.notices.push(...notices);
      await session.#persist();
      await writeCurrentRun(book.current, runId);
      await session.#record('run-started', {
        runbook: runbook.id,
        file: runbook.file,
        title: runbook.title,
        profile: options.profile ?? null,
        inventory: state.inventory,
        vars: publicValues(vars),
        pid: process.pid,
      });
      for (const [type, data] of auditEntries) await session.#record(type, data);
      if (options.rehearsal) await session.#chooseBaseline(options.rehearsal);
    }
    return session;
  }

  /** What the operator is told about the run's baseline: which rehearsal, and what to be wary of. */
  #baselineNotices(baseline: Baseline): string[] {
    const from = baseline.from === 'evidence' ? `evidence bundle ${baseline.source}` : 'this state directory';
    return [
      `baseline: rehearsal run ${baseline.run} (from ${from}): ${baseline.blocks.length} blocks with figures`,
      ...baselineWarnings(baseline, this.runbook),
    ];
  }

  /** Record the baseline a new run was started with: in the checkpoint (a resume keeps it) and the trail. */
  async #chooseBaseline(baseline: Baseline): Promise<void> {
    const notices = this.#baselineNotices(baseline);
    this.notices.push(...notices);
    await this.#dispatch({ type: 'baseline-chosen', baseline, at: new Date().toISOString() }, [
      'baseline-chosen',
      // The figures themselves too: a checkpoint rebuilt from the trail (waymark repair) keeps its baseline.
      {
        rehearsal: baseline.run,
        from: baseline.from,
        source: baseline.source,
        blocks: baseline.blocks.length,
        warnings: notices.slice(1),
        baseline,
      },
    ]);
  }

  /**
   * A block that passed, judged against the rehearsal: one that departs from its figures ends
   * with a warning instead, which needs an acknowledgement (docs/baseline.md).
   */
  #judged(step: Step, block: Block, event: Extract<RunEvent, { type: 'block-finished' }>, hosts?: HostState[]): void {
    if (event.outcome !== 'success' || !this.#state.baseline) return;
    const result: BlockResult = { durationMs: event.durationMs };
    // A fleet block's figures are its duration and its hosts' (its rows are its hosts, not data).
    if (event.rowCount !== undefined && !hosts) result.rowCount = event.rowCount;
    if (hosts)
      result.hosts = hosts.map((h) => (h.durationMs === undefined ? { host: h.host } : { host: h.host, durationMs: h.durationMs }));
    const deviation = judgeAgainstBaseline(this.#state, step, block, result);
    if (!deviation) return;
    event.outcome = 'warning';
    event.reason = `departs from the rehearsal: ${deviation.message}`;
    event.deviation = deviation;
  }

  /**
   * A secret capture is never stored in clear, so a resumed run does not have it: when a block or
   * a step's text still to come uses it, the block that captured it runs again (docs/capture.md).
   */
  async #recaptureSecrets(): Promise<void> {
    for (const lost of lostSecretCaptures(this.runbook, this.#state, new Set(this.#captured.keys()))) {
      const message = `secret capture ${lost.name} of block ${lost.block.id} is not kept between sessions (a secret never reaches disk in clear): block ${lost.block.id} runs again to capture it`;
      this.notices.push(message);
      await this.#dispatch({ type: 'block-reset', step: lost.step, block: lost.block.id, hash: blockHash(lost.block) }, [
        'capture-lost',
        { step: lost.step, block: lost.block.id, name: lost.name, message },
      ]);
    }
  }

  /** The checkpointed state as it is now. */
  get state(): RunState {
    return this.#state;
  }

  /** True while a block is executing. */
  get busy(): boolean {
    return this.#abort !== null;
  }

  /**
   * Settles when the answer in flight (a block's run, its records, the step it closes) has; at
   * once when there is none. Never rejects: the answer's own caller hears its error.
   */
  get idle(): Promise<void> {
    return (this.#running ?? Promise.resolve()).then(
      () => undefined,
      () => undefined,
    );
  }

  subscribe(listener: (event: SessionEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * True when the session holds a complete run (its runbook's last run, opened without --new-run):
   * it runs nothing, and closing it writes nothing.
   */
  get finished(): boolean {
    return this.#finished;
  }

  /** What to tell the operator about a finished run: which, when it ended, how to bundle its evidence and how to start another. */
  finishedNotice(): string {
    return `${this.finishedHeadline()}. ${this.evidenceNotice()}. --new-run starts another run`;
  }

  /** Which run is complete and when it ended: the finished notice's first part (the TUI's summary shows the parts on their own lines). */
  finishedHeadline(): string {
    const state = this.#state;
    const ended = (state.finishedAt ?? state.updatedAt).replace('T', ' ').slice(0, 19);
    return `run ${state.run} of ${this.runbook.file} is complete (finished ${ended} UTC); nothing was run`;
  }

  /** The command that bundles the finished run's evidence for the change ticket, as one short line. */
  evidenceNotice(): string {
    return `evidence: ${evidenceCommand(this.runbook.file)}`;
  }

  /** What the run needs next, among the steps this invocation works on. */
  next(): NextAction {
    // A finished run is shown as it was recorded, not fitted to the runbook as it is now.
    if (this.#finished) return { kind: 'complete' };
    return nextAction(this.runbook, this.#state, this.#fixing() ?? this.#options.selected, this.operator);
  }

  /**
   * The fix steps chosen in place that are not done yet, as a selection; null when there are none.
   * Once they are done, the refused check holds the run again (plan.ts) until it is re-run.
   */
  #fixing(): StepFilter | null {
    const pending = this.runbook.steps.filter((step) => this.#fixingInPlace.has(step.id) && !isStepDone(this.#stepState(step)));
    return pending.length > 0 ? (step) => pending.includes(step) : null;
  }

  /** The fix steps this session works on in place (the answer `run-fix`), done or not. */
  get fixingInPlace(): string[] {
    return [...this.#fixingInPlace];
  }

  /** True when every step of the run is done, selected for this invocation or not. */
  get complete(): boolean {
    if (this.#finished) return true;
    return nextAction(this.runbook, this.#state, undefined, this.operator).kind === 'complete';
  }

  /** True when the block was executed by this session (not only in an earlier one). */
  executedHere(block: Block): boolean {
    return this.#executedHere.has(block.id);
  }

  /** Mask secret values in text meant for a screen, a file or the audit trail. */
  mask(text: string): string {
    return this.#masker.mask(text);
  }

  /** The command as it will run, for confirmation prompts: variables are shown by name, never spliced. */
  describeBlock(block: Block): string {
    return this.mask(block.code);
  }

  /**
   * What runs that command: the program and its arguments exactly as executed, the code being the
   * last one (`./wrapper -c <code>`), or an sql block's connection. The executors take it from the
   * same place (exec/interpreter.ts), so a runbook's `shell:` is never a program the operator did not see.
   */
  describeProgram(block: Block): string {
    return this.mask(describeProgram(block, this.runbook) ?? '');
  }

  #emit(event: SessionEvent): void {
    for (const listener of this.#listeners) listener(event);
  }

  /** Write the whole state (at the start, on resume, at the end); transitions go through #dispatch. */
  async #persist(event?: RunEvent, due?: DueRecord): Promise<number> {
    this.#state = { ...this.#state, auditHead: this.#audit.head };
    return this.#writing(async () => {
      try {
        if (event)
          return await this.#checkpoint.commit(event, this.#state, (seq) =>
            due ? { due, seal: sealTransition(this.#key, seq, event, due) } : {},
          );
        await this.#checkpoint.snapshot(this.#state);
        return 0;
      } catch (error) {
        // If a transition cannot be written, waymark stops (docs/running.md#if-the-checkpoint-cannot-be-written).
        if (error instanceof StateError) throw error;
        throw new StateError(
          this.paths.checkpoint,
          `checkpoint ${this.paths.checkpoint} cannot be written: ${(error as Error).message}; the run stops here`,
        );
      }
    });
  }

  /**
   * Run one write to the state directory. After a write has failed (a full disk fills every file
   * in turn), no other is attempted: the operator hears about the file that failed first.
   */
  async #writing<T>(write: () => Promise<T>): Promise<T> {
    if (this.#failure) throw this.#failure;
    try {
      return await write();
    } catch (error) {
      if (error instanceof StateError) this.#failure ??= error;
      throw error;
    }
  }

  #maskDeep(value: unknown): unknown {
    if (typeof value === 'string') return this.#masker.mask(value);
    if (Array.isArray(value)) return value.map((v) => this.#maskDeep(v));
    if (value && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.#maskDeep(v)]));
    }
    return value;
  }

  async #record(type: string, data: Record<string, unknown>): Promise<void> {
    if (this.#shut) throw new OperatorError('this session is closed', ExitCode.BadInput);
    if (this.#finished) throw new OperatorError(this.finishedNotice(), ExitCode.BadInput);
    const record = this.#maskDeep({ run: this.#state.run, ...data }) as Record<string, unknown>;
    await this.#serially(async () => {
      await this.#writing(() => this.#audit.append(type, record));
    });
  }

  /**
   * Run one write after the ones already in flight. A face may still be closing a step when the
   * operator quits; without this, close() could shut the trail under that step's record.
   */
  #serially(write: () => Promise<void>): Promise<void> {
    const next = this.#writes.then(write);
    this.#writes = next.catch(() => undefined);
    return next;
  }

  /**
   * Apply a transition: reduce, checkpoint, then audit — all on disk before anything else runs.
   * The journal line carries the audit record it is due, so a crash between the two writes
   * loses no record: the next session appends it (audit-trail.ts).
   */
  async #dispatch(event: RunEvent, audit: [string, Record<string, unknown>]): Promise<void> {
    if (this.#shut) throw new OperatorError('this session is closed', ExitCode.BadInput);
    if (this.#finished) throw new OperatorError(this.finishedNotice(), ExitCode.BadInput);
    await this.#serially(async () => {
      this.#state = reduce(this.#state, event);
      const due: DueRecord = {
        type: audit[0],
        data: this.#maskDeep({ run: this.#state.run, ...audit[1] }) as Record<string, unknown>,
        operator: this.operator,
        host: hostname(),
        at: new Date().toISOString(),
      };
      const transition = await this.#persist(event, due);
      await this.#writing(() => this.#audit.append(due.type, { ...due.data, transition }));
      await this.#writing(() => this.#checkpoint.compactIfDue(this.#state));
      // On disk first: the notifier tells of what the trail holds (masked), and is not awaited.
      this.#notifyFor(due.type, due.data, due.at);
    });
    this.#emit({ type: 'state', state: this.#state });
  }

  #stepState(step: Step): StepState {
    const found = this.#state.steps.find((s) => s.id === step.id);
    if (!found) throw new OperatorError(`step ${step.id} is not part of this run`, ExitCode.BadInput);
    return found;
  }

  #decision(reason?: string, automatic?: boolean): Decision {
    const decision: Decision = { by: this.operator, at: new Date().toISOString() };
    if (reason !== undefined) decision.reason = this.mask(reason);
    if (automatic) decision.automatic = true;
    return decision;
  }

  /** The answers allowed now, and what a face needs to show the run's question. */
  decisions(): Decisions {
    return decisionsFor(this.runbook, this.#state, this.next(), {
      busy: this.busy,
      mask: (text) => this.mask(text),
      shown: this.shownValues(),
    });
  }

  /**
   * Answer the run's question. The answer is checked against the answers allowed now
   * (decisions.ts): one that is not allowed is refused with the reason, and nothing changes.
   * A step whose work is all done is closed here, so no face has to. Resolves with the state of
   * the block the answer ran, if it ran one.
   */
  answer(answer: Answer): Promise<BlockState | null> {
    const answering = this.#answer(answer);
    // close() waits for it: the answer's transitions, and the step it closes, are written first.
    this.#running = answering;
    return answering;
  }

  async #answer(answer: Answer): Promise<BlockState | null> {
    if (this.#closed) throw new OperatorError('this session is closed', ExitCode.BadInput);
    if (answer.kind === 'stop') {
      this.stop();
      return null;
    }
    if (this.#stopped) throw new OperatorError(`nothing more starts: the run is stopping (${answer.kind} was not done)`, ExitCode.Signal);
    const decisions = this.decisions();
    const refused = refusal(decisions, answer);
    if (refused) throw new OperatorError(refused.message, refused.exitCode);
    const result = await this.#apply(answer, decisions);
    await this.#settle();
    return result;
  }

  /** Carry out an answer already checked against the decisions it answers. */
  async #apply(answer: Exclude<Answer, { kind: 'stop' }>, d: Decisions): Promise<BlockState | null> {
    const step = d.step as Step;
    const block = d.block as Block;
    switch (answer.kind) {
      case 'run':
        return this.#runBlock(step, block);
      case 'confirm-run':
        return this.#runBlock(step, block, this.#decision(undefined, answer.automatic));
      case 'rerun':
        if (d.action.kind === 'refused')
          return this.#rerunGate(step, d, answer.confirmed ? this.#decision(undefined, answer.automatic) : undefined);
        return this.#runBlock(step, block, answer.confirmed ? this.#decision(undefined, answer.automatic) : undefined);
      case 'retry':
        return this.#runBlock(step, block, answer.confirmed ? this.#decision(undefined, answer.automatic) : undefined);
      case 'retry-hosts':
        return this.#runBlock(step, block, answer.confirmed ? this.#decision(undefined, answer.automatic) : undefined, 'unreachable');
      case 'check-hosts': {
        // The step's fleet checks on the hosts that were in flight: a check that now fails there
        // refuses the step as any check does; one that passes leaves the decision to the operator.
        const hosts = (d.blockState?.hosts ?? []).filter((h) => h.status === 'interrupted').map((h) => h.host);
        await this.#record('hosts-checked', { step: step.id, block: block.id, targets: hosts });
        let last: BlockState | null = null;
        for (const check of fleetChecksOf(step)) {
          last = await this.#runBlock(step, check, undefined, hosts);
          if (last.status !== 'passed') break;
        }
        return last;
      }
      case 'rollback':
        return this.#runBlock(step, d.rollbacks.find((b) => b.id === answer.block) as Block, this.#decision(undefined, answer.automatic));
      case 'run-fix':
        // No transition: the checkpoint is as it was, and a later invocation finds the refused
        // check (it re-runs it first) and offers the fix again if it is not done.
        await this.#record('fix-in-place', { step: answer.step, gate: step.id, check: block.id });
        this.#fixingInPlace.add(answer.step);
        return null;
      case 'override': {
        const check = overrideTarget(d, answer.block) as Block;
        const decision = this.#decision(answer.reason.trim());
        await this.#dispatch({ type: 'check-overridden', step: step.id, block: check.id, decision }, [
          'check-overridden',
          { step: step.id, block: check.id, reason: decision.reason ?? '' },
        ]);
        return null;
      }
      case 'mark-done': {
        const decision = this.#decision(answer.reason.trim());
        await this.#dispatch({ type: 'interrupted-marked-done', step: step.id, block: block.id, decision }, [
          'interrupted-marked-done',
          { step: step.id, block: block.id, reason: decision.reason ?? '' },
        ]);
        return null;
      }
      case 'acknowledge': {
        const decision = this.#decision(answer.reason, answer.automatic);
        const deviation = d.blockState?.deviation;
        await this.#dispatch({ type: 'warning-acknowledged', step: step.id, block: block.id, decision }, [
          'warning-acknowledged',
          {
            step: step.id,
            block: block.id,
            reason: decision.reason ?? null,
            automatic: answer.automatic ?? false,
            ...(deviation ? { deviation } : {}),
          },
        ]);
        return null;
      }
      case 'tick': {
        const item = d.items.find((i) => i.id === answer.item) as { id: string; text: string };
        if (answer.ticked === false) {
          await this.#dispatch({ type: 'item-unticked', step: step.id, item: item.id }, [
            'item-unticked',
            { step: step.id, item: item.id, text: item.text },
          ]);
          return null;
        }
        const decision = this.#decision(undefined, answer.automatic);
        await this.#dispatch({ type: 'item-ticked', step: step.id, item: item.id, decision }, [
          'item-ticked',
          { step: step.id, item: item.id, text: item.text, automatic: answer.automatic ?? false },
        ]);
        return null;
      }
      case 'confirm-step': {
        const decision = this.#decision(undefined, answer.automatic);
        await this.#dispatch({ type: 'step-confirmed', step: step.id, decision }, [
          'step-confirmed',
          { step: step.id, automatic: answer.automatic ?? false },
        ]);
        return null;
      }
      case 'skip': {
        const decision = this.#decision(answer.reason.trim());
        await this.#dispatch({ type: 'step-skipped', step: step.id, decision }, [
          'step-skipped',
          { step: step.id, reason: decision.reason ?? '' },
        ]);
        this.#emit({ type: 'step-finished', step, state: this.#stepState(step) });
        return null;
      }
    }
  }

  /**
   * The answer `rerun` at a refused gate: every check of it that has not passed runs again, in
   * document order, whatever the one before found, so one round of fixes is checked at once. A
   * check that says `after-failure=stop` and refuses again keeps the later ones from running.
   * Only a confirm check gets the confirmation. Resolves with the last check's state.
   */
  async #rerunGate(step: Step, d: Decisions, confirmation: Decision | undefined): Promise<BlockState | null> {
    let last: BlockState | null = null;
    for (const check of d.gate) {
      if (this.#stopped) break;
      last = await this.#runBlock(step, check.block, check.block.attrs.confirm ? confirmation : undefined);
      if (last.status === 'interrupted') break;
      if (last.status === 'refused' && check.block.attrs.afterFailure === 'stop') break;
    }
    return last;
  }

  /**
   * Run one block, as the answers `run`, `confirm-run`, `rerun`, `retry` or `rollback` (which one
   * follows from where the run stands); `confirmation` is the operator's, for `confirm` blocks and
   * rollbacks. Refused, like any answer, when the run does not allow that block now.
   */
  runBlock(step: Step, block: Block, confirmation?: Decision): Promise<BlockState> {
    const d = this.decisions();
    const confirmed = confirmation !== undefined;
    const automatic = confirmation?.automatic ?? false;
    let answer: Answer;
    if (d.rollbacks.some((b) => b.id === block.id) && d.step?.id === step.id) answer = { kind: 'rollback', block: block.id, confirmed };
    else if (d.block?.id !== block.id || d.step?.id !== step.id) {
      return Promise.reject(new OperatorError(`block ${block.id} is not next in the run: ${d.summary}`, ExitCode.BadInput));
    } else if (d.action.kind === 'failed') answer = { kind: 'retry', confirmed, automatic };
    else if (d.action.kind === 'refused' || d.action.kind === 'interrupted') answer = { kind: 'rerun', confirmed, automatic };
    else answer = confirmed ? { kind: 'confirm-run', automatic } : { kind: 'run' };
    return this.answer(answer).then((state) => state as BlockState);
  }

  /** Execute one block the run's decisions allowed. */
  async #runBlock(step: Step, block: Block, confirmation?: Decision, only?: HostSelection): Promise<BlockState> {
    if (this.#stopped) throw new OperatorError(`block ${block.id} does not start: the run is stopping`, ExitCode.Signal);
    const stepState = this.#stepState(step);
    const blockState = stepState.blocks.find((b) => b.id === block.id);
    if (!blockState) throw new OperatorError(`block ${block.id} is not runnable`, ExitCode.BadInput);

    // From here the block counts as running: a cancel or a stop while its start is written
    // keeps its command from starting at all.
    const abort = new AbortController();
    this.#abort = abort;
    try {
      return await this.#startAndRun(step, block, blockState, abort, confirmation, only);
    } finally {
      this.#abort = null;
    }
  }

  async #startAndRun(
    step: Step,
    block: Block,
    blockState: BlockState,
    abort: AbortController,
    confirmation: Decision | undefined,
    only: HostSelection | undefined,
  ): Promise<BlockState> {
    const stepState = this.#stepState(step);
    const index = this.runbook.steps.indexOf(step);
    if (stepState.status === 'pending') {
      // No checkpoint write of its own: the block-started transition below marks the step running.
      await this.#record('step-started', { step: step.id, title: step.title });
      this.#emit({ type: 'step-started', step, index, total: this.runbook.steps.length });
    }
    if (confirmation) {
      await this.#record('block-confirmed', {
        step: step.id,
        block: block.id,
        by: confirmation.by,
        automatic: confirmation.automatic ?? false,
        command: this.describeBlock(block),
        program: this.describeProgram(block),
      });
    }
    // Stopped before its start was recorded: the block did not start, and nothing says it did.
    if (abort.signal.aborted) return blockState;
    const execution = blockState.executions + 1;
    const log = await openBlockLog(this.paths.logs, block.id, execution);
    const logPath = relative(this.paths.dir, log.path);
    await this.#dispatch(
      {
        type: 'block-started',
        step: step.id,
        block: block.id,
        hash: blockHash(block),
        log: logPath,
        at: new Date().toISOString(),
        ...(confirmation ? { confirmed: confirmation } : {}),
      },
      [
        'block-started',
        { step: step.id, block: block.id, role: block.role, execution, log: logPath, ...(only !== undefined ? { hosts: only } : {}) },
      ],
    );
    this.#emit({ type: 'block-started', step, block, execution });
    this.#executedHere.add(block.id);
    const started = performance.now();

    let captured: { name: string; shown: string } | undefined;
    if (block.attrs.fleet) {
      let fleetResult: FleetResult;
      try {
        fleetResult = abort.signal.aborted
          ? { kind: 'canceled' }
          : await this.#runFleet(step, block, execution, abort.signal, only, (line) => void log.write(line));
      } finally {
        await log.close();
      }
      await this.#recordFleetEnd(step, block, fleetResult, performance.now() - started);
    } else {
      let result: BlockExecution | null;
      try {
        // Stopped while its start was being recorded: its command never runs, and it is interrupted.
        result = abort.signal.aborted
          ? null
          : await executeBlock(block, {
              shell: this.runbook.shell,
              // A fragment's blocks run in the fragment's folder; foreach values are variables of their step.
              cwd: dirname(resolve(step.file)),
              vars: this.#blockVars(step),
              timeoutMs: this.runbook.timeoutMs,
              masker: this.#masker,
              signal: abort.signal,
              ...(this.#options.killGraceMs !== undefined ? { killGraceMs: this.#options.killGraceMs } : {}),
              resolveConnection: (name) => this.#connection(name),
              // One log file per execution; retries of the same execution are marked inside it.
              openLog: (attempt) => {
                if (attempt > 1) log.write(`--- waymark: attempt ${attempt} ---`);
                return { write: (line) => void log.write(line), writeChunk: (chunk) => void log.writeChunk(chunk) };
              },
              ...(this.#options.streamOutput === false
                ? {}
                : { onOutput: (stream: OutputStream, chunk: Buffer) => this.#emit({ type: 'output', block, stream, chunk }) }),
              onAttempt: (report) => {
                if (report.next === 'done') return;
                this.#emit({
                  type: 'attempt',
                  step,
                  block,
                  attempt: report.attempt + 1,
                  of: report.maxAttempts,
                  nextInMs: report.delayMs,
                  reason: this.mask(report.verdict.reason),
                });
              },
            });
      } finally {
        await log.close();
      }
      captured = await this.#recordBlockEnd(step, block, result);
    }
    const finished = this.#stepState(step).blocks.find((b) => b.id === block.id) as BlockState;
    this.#emit({ type: 'block-finished', step, block, state: finished, ...(captured ? { captured } : {}) });
    return finished;
  }

  /** Record how a local block's execution ended: finished with its verdict, or interrupted. Returns what it captured, as shown. */
  async #recordBlockEnd(step: Step, block: Block, result: BlockExecution | null): Promise<{ name: string; shown: string } | undefined> {
    const at = new Date().toISOString();
    if (result === null || result.canceled) {
      await this.#dispatch({ type: 'block-interrupted', step: step.id, block: block.id, at }, [
        'block-interrupted',
        {
          step: step.id,
          block: block.id,
          reason: result === null ? 'stopped before its command started' : 'cancelled by the operator or a signal',
        },
      ]);
    } else {
      const event: RunEvent = {
        type: 'block-finished',
        step: step.id,
        block: block.id,
        outcome: result.outcome,
        exitCode: result.result.kind === 'process' ? result.result.exitCode : null,
        attempts: result.attempts,
        durationMs: Math.round(result.durationMs),
        at,
      };
      if (result.reason) event.reason = this.mask(result.reason);
      const raw = result.result;
      if (raw.kind === 'process') {
        event.tail = [...raw.stdoutTail.slice(-15), ...raw.stderrTail.slice(-5)];
      } else if (raw.columns.length > 0) {
        event.columns = raw.columns;
        event.rows = raw.rows.slice(0, 50).map((row) => raw.columns.map((column) => row[column] ?? ''));
        event.rowCount = raw.rows.length;
      } else if (block.executor === 'sql' && raw.error === undefined) {
        // A statement without a result set: the rows it changed are its figure (0 migrated is news).
        event.rowCount = raw.affectedRows ?? 0;
      }
      const capture = block.attrs.capture;
      if (capture && result.captured) {
        event.capture = {
          name: capture.name,
          captured: capturedRecord(step.id, block.id, result.captured, at, (text) => auditMac(this.#key, text), capture.name),
        };
      }
      this.#judged(step, block, event);
      await this.#dispatch(event, [
        'block-finished',
        {
          step: step.id,
          block: block.id,
          role: block.role,
          outcome: event.outcome,
          exitCode: event.exitCode,
          reason: event.reason ?? null,
          attempts: result.attempts,
          ...(event.deviation ? { deviation: event.deviation } : {}),
          ...(capture && result.captured
            ? { capture: { name: capture.name, value: shownCapture(result.captured), secret: result.captured.secret } }
            : {}),
        },
      ]);
      if (capture && result.captured) {
        this.#keepCapture(capture.name, result.captured);
        return { name: capture.name, shown: shownCapture(result.captured) };
      }
    }
    return undefined;
  }

  /** A captured value, for the blocks after this one; a secret one is masked from now on. */
  #keepCapture(name: string, captured: { value: string; secret: boolean }): void {
    this.#captured.set(name, captured);
    if (captured.secret)
      this.#masker = createMasker([...this.vars.secretValues, ...[...this.#captured.values()].filter((c) => c.secret).map((c) => c.value)]);
  }

  /** A block's variables: the run's, then what earlier blocks captured, then its step's own (foreach). */
  #blockVars(step: Step): Record<string, string> {
    const captured = Object.fromEntries([...this.#captured].map(([name, c]) => [name, c.value]));
    return { ...this.vars.values, ...captured, ...step.vars };
  }

  /**
   * The run's variables as a face shows them (a step's text, the variables of a block): secrets
   * masked, captured values once their block has run in this run (docs/capture.md).
   */
  shownValues(): Record<string, string> {
    const shown = publicValues(this.vars);
    for (const [name, captured] of Object.entries(this.#state.captures ?? {})) shown[name] = shownCapture(captured);
    return shown;
  }

  /**
   * The values `block` runs with, as a face shows them: the run's (shownValues), then its step's own
   * (foreach), which win as they do in the block's environment (#blockVars). Without them the
   * confirmation of a foreach step showed a runbook variable's default for the name the step binds.
   */
  shownValuesFor(block: Block): Record<string, string> {
    const step = this.runbook.steps.find((s) => s.blocks.includes(block));
    const own = Object.entries(step?.vars ?? {}).map(([name, value]) => [name, this.mask(value)]);
    return { ...this.shownValues(), ...Object.fromEntries(own) };
  }

  /** Record how a fleet block's execution ended: finished with its hosts' verdict, paused between batches, or interrupted. */
  async #recordFleetEnd(step: Step, block: Block, result: FleetResult, durationMs: number): Promise<void> {
    const at = new Date().toISOString();
    if (result.kind === 'canceled') {
      await this.#dispatch({ type: 'block-interrupted', step: step.id, block: block.id, at }, [
        'block-interrupted',
        { step: step.id, block: block.id, reason: 'cancelled by the operator or a signal; the hosts in flight are interrupted' },
      ]);
      return;
    }
    if (result.kind === 'paused') {
      await this.#dispatch({ type: 'block-paused', step: step.id, block: block.id, at }, [
        'block-paused',
        { step: step.id, block: block.id },
      ]);
      return;
    }
    const event: RunEvent = {
      type: 'block-finished',
      step: step.id,
      block: block.id,
      outcome: result.outcome,
      exitCode: null,
      attempts: 1,
      durationMs: Math.round(durationMs),
      at,
      reason: this.mask(result.reason),
      tail: result.tail,
      ...(result.columns.length > 0 ? { columns: result.columns, rows: result.rows, rowCount: result.rowCount } : {}),
    };
    this.#judged(step, block, event, this.#stepState(step).blocks.find((b) => b.id === block.id)?.hosts ?? []);
    await this.#dispatch(event, [
      'block-finished',
      {
        step: step.id,
        block: block.id,
        role: block.role,
        outcome: event.outcome,
        exitCode: null,
        reason: event.reason ?? null,
        attempts: 1,
        ...(event.deviation ? { deviation: event.deviation } : {}),
      },
    ]);
  }

  /** A fleet block's execution: its hosts through Ansible, batch by batch (fleet-run.ts). */
  #runFleet(
    step: Step,
    block: Block,
    execution: number,
    signal: AbortSignal,
    only: HostSelection | undefined,
    log: (line: string) => void,
  ): Promise<FleetResult> {
    return runFleet({
      stepId: step.id,
      block,
      execution,
      state: () => this.#stepState(step).blocks.find((b) => b.id === block.id) as BlockState,
      inventory: this.inventoryPath(),
      ...(only !== undefined ? { only } : {}),
      vars: this.#blockVars(step),
      secretNames: [...this.vars.secretNames, ...[...this.#captured].filter(([, c]) => c.secret).map(([name]) => name)],
      masker: this.#masker,
      shell: this.runbook.shell,
      timeoutMs: this.runbook.timeoutMs,
      cwd: dirname(resolve(step.file)),
      signal,
      ...(this.#options.killGraceMs !== undefined ? { killGraceMs: this.#options.killGraceMs } : {}),
      dispatch: async (event, audit) => {
        await this.#dispatch(event, audit);
        if (event.type !== 'host-finished') return;
        const host = this.#stepState(step)
          .blocks.find((b) => b.id === block.id)
          ?.hosts?.find((h) => h.host === event.host);
        if (host) this.#emit({ type: 'host-finished', step, block, host });
      },
      batchFinished: (summary) =>
        this.#notifier?.send({
          event: 'batch-finished',
          runbook: this.runbook.title,
          run: this.#state.run,
          step: step.id,
          block: block.id,
          operator: this.operator,
          reason: this.mask(summary),
          at: new Date().toISOString(),
        }),
      log,
    });
  }

  /**
   * The Ansible inventory fleet blocks run against: `--inventory` (relative to where waymark was
   * started; a resumed run's own, recorded at its start), else the profile's `inventory:`, else the
   * front matter's (with its variables), both relative to the file that declares them.
   */
  inventoryPath(): string | { error: string } {
    // A resumed run keeps the --inventory it was started with (a different one was refused at the start).
    const flag = this.#options.inventory ?? this.#state.inventory ?? undefined;
    return inventoryFor(this.runbook, this.#state.profile, this.vars.values, flag);
  }

  #connection(name?: string): ConnectionTarget | { error: string } {
    const decl =
      name === undefined
        ? this.runbook.connections.length === 1
          ? this.runbook.connections[0]
          : undefined
        : this.runbook.connections.find((c) => c.name === name);
    if (!decl)
      return {
        error: name === undefined ? 'no connection= given and the runbook does not declare exactly one' : `no connection named ${name}`,
      };
    const target = parseConnectionUrl(interpolate(decl.url, this.vars.values));
    if ('error' in target) return { error: `connection ${decl.name}: ${target.error}` };
    if (decl.password !== undefined) target.password = interpolate(decl.password, this.vars.values);
    return resolveSocketPath(target, dirname(resolve(decl.file ?? this.runbook.file)));
  }

  /**
   * Stop the run (a signal, or the operator quitting): cancel the running block, and start no
   * block after this, not even one whose start is being written right now.
   */
  stop(): void {
    this.#stopped = true;
    this.cancel();
  }

  /** True once the run was stopped: no block starts in this session any more. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Cancel the running block (its whole process group); it is recorded as interrupted. */
  cancel(): boolean {
    if (!this.#abort) return false;
    this.#abort.abort();
    return true;
  }

  /**
   * Where and with what an operator's shell opens from the run (the TUI's `!`): the runbook's
   * folder, and `base` (the face's own environment) with the run's variables that are not secret.
   * A secret is left out under its name and under the environment variable it may come from, so
   * the shell holds no secret of the run.
   */
  shellSetting(base: NodeJS.ProcessEnv): { cwd: string; env: NodeJS.ProcessEnv } {
    const env: NodeJS.ProcessEnv = { ...base };
    const secrets = new Set(this.vars.secretNames);
    for (const decl of this.runbook.vars) {
      if (!decl.secret) continue;
      delete env[decl.name];
      if (decl.env !== undefined) delete env[decl.env];
    }
    for (const [name, value] of Object.entries(this.vars.values)) if (!secrets.has(name)) env[name] = value;
    for (const [name, captured] of this.#captured) if (!captured.secret) env[name] = captured.value;
    return { cwd: dirname(resolve(this.runbook.file)), env };
  }

  /**
   * Record in the audit trail that the operator worked in a shell opened from the run, and for
   * how long: what they did there is theirs, but the trail shows the run was left for it.
   */
  async recordShell(startedAt: Date, durationMs: number): Promise<void> {
    if (this.#closed) throw new OperatorError('this session is closed', ExitCode.BadInput);
    await this.#record('shell-opened', {
      startedAt: startedAt.toISOString(),
      durationMs: Math.round(durationMs),
      cwd: dirname(resolve(this.runbook.file)),
    });
  }

  /** Accept a warning from a check or block so the run can go on (the answer `acknowledge`). */
  async acknowledge(stepId: string, blockId: string, options: { reason?: string; automatic?: boolean } = {}): Promise<void> {
    this.#expect(stepId, blockId);
    await this.answer({ kind: 'acknowledge', ...options });
  }

  /** Override one check holding the run, by name, with a reason (the answer `override`). */
  async override(blockId: string, reason: string): Promise<void> {
    const d = this.decisions();
    if (!d.gate.some((check) => check.block.id === blockId) && d.block?.id !== blockId) {
      throw new OperatorError(`check ${blockId} is not a failed check holding the run (${d.summary})`, ExitCode.BadInput);
    }
    await this.answer({ kind: 'override', reason, block: blockId });
  }

  /** Count an interrupted run, verify or rollback block as done, with a reason (the answer `mark-done`). */
  async markDone(stepId: string, blockId: string, reason: string): Promise<void> {
    this.#expect(stepId, blockId);
    await this.answer({ kind: 'mark-done', reason });
  }

  /** Tick (or untick) a checklist item of the current step (the answer `tick`). */
  async tick(stepId: string, itemId: string, options: { ticked?: boolean; automatic?: boolean } = {}): Promise<void> {
    this.#expect(stepId);
    await this.answer({ kind: 'tick', item: itemId, ...options });
  }

  /** Confirm a step that has nothing to run and no checklist (the answer `confirm-step`). */
  async confirmStep(stepId: string, options: { automatic?: boolean } = {}): Promise<void> {
    this.#expect(stepId);
    await this.answer({ kind: 'confirm-step', ...options });
  }

  /** Skip the current step, if it is optional, with a recorded reason (the answer `skip`). */
  async skipStep(stepId: string, reason: string): Promise<void> {
    this.#expect(stepId);
    await this.answer({ kind: 'skip', reason });
  }

  /** Refuse an answer meant for another step or block than the one the run is on. */
  #expect(stepId: string, blockId?: string): void {
    if (this.#closed) throw new OperatorError('this session is closed', ExitCode.BadInput);
    const d = this.decisions();
    if (d.step?.id !== stepId) throw new OperatorError(`step ${stepId} is not the current step: ${d.summary}`, ExitCode.BadInput);
    if (blockId !== undefined && d.block?.id !== blockId)
      throw new OperatorError(`cannot do that to ${blockId} now: ${d.summary}`, ExitCode.BadInput);
  }

  /** Close the steps whose work is all done: the session does this itself after every answer. */
  async #settle(): Promise<void> {
    for (let next = this.next(); next.kind === 'finish-step'; next = this.next()) await this.#finishStep(next.step);
    // A skip of the last step leaves no step to close, yet it completes the run.
    if (this.#state.status !== 'complete' && this.complete) await this.#completeRun();
    // Reaching an approve= block: an approval given while the blocks before it ran counts at once.
    if (this.next().kind === 'approval') await this.refreshApprovals();
  }

  /**
   * Take in the approvals `waymark approve` wrote into the run's folder (state/approvals.ts) that
   * the run has not recorded yet: each becomes a transition and an audit record (who approved
   * which block's content, and when). The rule of what counts is approval.ts's. The TUI calls this
   * every second while an approval is awaited; a resume calls it once. Resolves with how many were new.
   */
  refreshApprovals(): Promise<number> {
    // The TUI's poll and an answer reaching the block may ask at once: one intake, one record each.
    this.#intake ??= this.#takeInApprovals().finally(() => {
      this.#intake = null;
    });
    return this.#intake;
  }

  async #takeInApprovals(): Promise<number> {
    if (this.#closed || this.#finished || this.#stopped || this.busy) return 0;
    const { approvals, problems } = await readApprovals(this.#options.stateDir, this.paths);
    let taken = 0;
    for (const problem of problems) if (!this.notices.includes(problem)) this.notices.push(problem);
    for (const given of approvals) {
      const step = this.runbook.steps.find((s) => s.id === given.step);
      const block = step?.blocks.find((b) => b.id === given.block);
      if (!step || !block || block.attrs.approve === undefined) continue;
      const stepState = this.#stepState(step);
      const known = stepState.blocks.find((b) => b.id === block.id)?.approvals ?? [];
      if (known.some((a) => a.by === given.by && a.hash === given.hash && a.at === given.at)) continue;
      const approval = { by: this.mask(given.by), at: given.at, hash: given.hash };
      await this.#dispatch({ type: 'block-approved', step: step.id, block: block.id, approval }, [
        'block-approved',
        {
          step: step.id,
          block: block.id,
          approver: approval.by,
          approvedAt: approval.at,
          contentHash: approval.hash,
          needed: block.attrs.approve,
          runner: this.operator,
        },
      ]);
      taken += 1;
      this.notices.push(`block ${block.id} approved by ${approval.by} at ${approval.at} (content hash ${approval.hash})`);
    }
    // Each approval taken in was a transition: a wait still left is told again, with who approved.
    this.#tellApprovalWait();
    return taken;
  }

  /** Tell the notifier, once, that the run waits for another operator's approval (docs/notify.md's `waiting`). */
  #tellApprovalWait(): void {
    const next = this.next();
    if (next.kind !== 'approval' || !this.#notifier || this.#toldWaiting) return;
    this.#toldWaiting = true;
    this.#notifier.send({
      event: 'waiting',
      runbook: this.runbook.title,
      run: this.#state.run,
      step: next.step.id,
      block: next.block.id,
      operator: this.operator,
      reason: this.mask(describeAction(next)),
      at: new Date().toISOString(),
    });
  }

  async #finishStep(step: Step): Promise<void> {
    const at = new Date().toISOString();
    if (this.#stepState(step).status === 'pending') {
      await this.#dispatch({ type: 'step-started', step: step.id, at }, ['step-started', { step: step.id, title: step.title }]);
    }
    await this.#dispatch({ type: 'step-finished', step: step.id, at }, ['step-finished', { step: step.id }]);
    this.#emit({ type: 'step-finished', step, state: this.#stepState(step) });
  }

  /** Every step of the run is done (with --only/--skip-tag, finishing the selected ones is not enough). */
  async #completeRun(): Promise<void> {
    await this.#dispatch({ type: 'run-status', status: 'complete', at: new Date().toISOString() }, ['run-complete', {}]);
  }

  /**
   * The exit code for where the run stands as a face leaves it (docs/running.md#exit-codes), the same for every face:
   * 130 after a signal, 0 when the selected steps are done, else what the run waits for.
   */
  exitCode(options: { signalled?: boolean } = {}): ExitCode {
    if (options.signalled) return ExitCode.Signal;
    return exitCodeFor(this.next());
  }

  /** Record where the run stands and release the lock. Safe to call twice. */
  async close(status?: RunStatus): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      // A block still running is stopped and recorded as interrupted; an answer a face gave before
      // closing (its transitions, the step it closes) is written before the run's final status.
      this.cancel();
      await this.#running?.catch(() => undefined);
      await this.#writes;
      // A write already failed: the error the operator sees names that file, and nothing more is written.
      if (this.#failure) return;
      if (this.#finished) {
        // Only looked at: the finished run's checkpoint and trail stay exactly as they ended.
        this.#shut = true;
        await this.#audit.close();
        await this.#checkpoint.close();
        return;
      }
      const next = this.next();
      // The selected steps are done but others are not: the run waits for a later invocation.
      // Stopped where a block would run next (a confirmation, a quit between blocks): nothing is
      // running any more, the run waits for the operator.
      const going = runStatusFor(next);
      const final = status ?? (next.kind === 'complete' && !this.complete ? 'waiting' : going === 'running' ? 'waiting' : going);
      if (this.#state.status !== final) {
        await this.#dispatch({ type: 'run-status', status: final, at: new Date().toISOString() }, ['run-paused', { status: final }]);
      }
      await this.#record('session-closed', { status: final });
      // The checkpoint learns the trail's last record, so cutting records from its end is noticed.
      await this.#serially(async () => {
        await this.#persist();
      });
      this.#shut = true;
      await this.#writes;
      await this.#audit.close();
      await this.#checkpoint.close();
    } finally {
      await this.#lock.release();
      // `run complete` and the others still in flight are delivered: each ends by its timeout at the latest.
      await this.#notifier?.drain();
    }
  }
}

/** Where a run's audit trail and checkpoint are, for continueAuditTrail. */
function trailOf(paths: RunPaths, checkpoint: RunCheckpoint, state: RunState, key: AuditKey, operator: string) {
  return {
    path: paths.audit,
    journalPath: journalPathOf(paths.checkpoint),
    snapshotSeq: checkpoint.snapshotSeq,
    head: state.auditHead,
    key,
    operator,
    run: state.run,
  };
}
