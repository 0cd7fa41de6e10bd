/**
 * Preflight: every `check` block of every step, now, in document order, and nothing else. No
 * `run`, `verify` or `rollback` block runs, and the run's checkpoint is not touched: a preflight
 * has its own folder (`<runbook state>/preflights/<id>/`) with its own audit trail, block logs and
 * report. Checks are judged by the engine's own executeBlock (outcome rules, expectations, oslo
 * codes, severity, retries), so a preflight refuses exactly what a gate would refuse.
 */
import { dirname, join, relative, resolve } from 'node:path';
import type { Block, Runbook, Step } from '../runbook/model.js';
import { interpolate, parseConnectionUrl, resolveSocketPath, type ConnectionTarget } from '../runbook/connection.js';
import { AuditLog } from '../state/audit.js';
import { loadAuditKey } from '../state/audit-key.js';
import { ensureDir, writeFileAtomic } from '../state/atomic.js';
import { claimRunFolder } from '../state/layout.js';
import { openBlockLog } from '../state/logs.js';
import { ExitCode, OperatorError } from './errors.js';
import { executeBlock } from './exec/run-block.js';
import { createMasker } from './exec/mask.js';
import { claimRunbookState } from './state-folder.js';
import { readVarFile, type VarFileEntry } from './var-file.js';
import { publicValues, resolveVars } from './vars.js';
import { inventoryFor } from './fleet.js';
import { preflightFleetCheck } from './preflight-fleet.js';
import type { HostState } from './run-state.js';

export interface PreflightOptions {
  stateDir: string;
  operator: string;
  profile?: string;
  varFlags?: string[];
  varFiles?: string[];
  env?: NodeJS.ProcessEnv;
  /** `--inventory FILE`: the Ansible inventory for fleet checks, over the runbook's `inventory:`. */
  inventory?: string;
  /** Stops the preflight (a signal): the running check is cut short, and it and the rest are listed as not run. */
  signal?: AbortSignal;
  /** Called as each check starts and ends (the headless progress lines). */
  onCheck?: (row: PreflightCheck, phase: 'started' | 'finished') => void;
}

/** One check of one step, as the preflight found it. */
export interface PreflightCheck {
  step: string;
  stepTitle: string;
  block: string;
  /** `passed`/`warned`/`refused`, `skipped` (preflight=skip) or `not-run` (stopped by after-failure=stop, or interrupted). */
  status: 'passed' | 'warned' | 'refused' | 'skipped' | 'not-run';
  reason: string;
  /** The source of the block, as `file:line`. */
  source: string;
  columns?: string[];
  rows?: string[][];
  rowCount?: number;
  tail?: string[];
  log?: string;
  durationMs?: number;
  /** A fleet check's hosts as they ended (its `columns`/`rows` are the gate's host table). */
  hosts?: HostState[];
}

export interface PreflightResult {
  id: string;
  runbook: string;
  title: string;
  profile: string | null;
  startedAt: string;
  finishedAt: string;
  dir: string;
  checks: PreflightCheck[];
  /** Steps that would refuse today: a check of theirs refused. */
  refusing: string[];
  /** A signal stopped it: the checks after the one running then were not run. */
  interrupted?: boolean;
}

/** Why a check has no verdict after a signal stopped the preflight. */
const INTERRUPTED = 'the preflight was stopped by a signal';

const sourceOf = (step: Step, block: Block) => `${relative(process.cwd(), step.file) || step.file}:${block.line}`;

/** Run every check of `runbook` read-only under its own record; the checkpoint of any run is left alone. */
export async function runPreflight(runbook: Runbook, options: PreflightOptions): Promise<PreflightResult> {
  const files: VarFileEntry[] = [];
  for (const file of options.varFiles ?? []) files.push(...(await readVarFile(file)));
  const resolved = resolveVars(runbook, {
    flags: options.varFlags ?? [],
    files,
    env: options.env ?? process.env,
    ...(options.profile === undefined ? {} : { profile: options.profile }),
  });
  if ('errors' in resolved) throw new OperatorError(resolved.errors.join('\n'), ExitCode.BadInput);
  const vars = resolved;
  const masker = createMasker(vars.secretValues);

  const { book } = await claimRunbookState(options.stateDir, runbook);
  const id = await claimRunFolder(join(book.dir, 'preflights'));
  const dir = join(book.dir, 'preflights', id);
  const logs = join(dir, 'logs');
  await ensureDir(logs);
  const audit = await AuditLog.open(join(dir, 'audit.jsonl'), {
    operator: options.operator,
    key: await loadAuditKey(options.env ?? process.env),
  });
  const startedAt = new Date().toISOString();
  await audit.append('preflight-started', {
    preflight: id,
    runbook: runbook.id,
    file: runbook.file,
    profile: options.profile ?? null,
    vars: publicValues(vars),
  });

  const connection = (name?: string): ConnectionTarget | { error: string } => {
    const decl =
      name === undefined
        ? runbook.connections.length === 1
          ? runbook.connections[0]
          : undefined
        : runbook.connections.find((c) => c.name === name);
    if (!decl)
      return {
        error: name === undefined ? 'no connection= given and the runbook does not declare exactly one' : `no connection named ${name}`,
      };
    const target = parseConnectionUrl(interpolate(decl.url, vars.values));
    if ('error' in target) return { error: `connection ${decl.name}: ${target.error}` };
    if (decl.password !== undefined) target.password = interpolate(decl.password, vars.values);
    return resolveSocketPath(target, dirname(resolve(decl.file ?? runbook.file)));
  };

  const checks: PreflightCheck[] = [];
  try {
    for (const step of runbook.steps) await preflightStep(step);
  } finally {
    const refusing = [...new Set(checks.filter((c) => c.status === 'refused').map((c) => c.step))];
    await audit.append('preflight-finished', {
      preflight: id,
      refusing,
      ...(options.signal?.aborted ? { interrupted: true } : {}),
      checks: checks.map((c) => ({ step: c.step, block: c.block, status: c.status, reason: c.reason })),
    });
    await audit.close();
  }

  async function preflightStep(step: Step): Promise<void> {
    let stopped = false;
    for (const block of step.blocks.filter((b) => b.role === 'check' && b.executor !== null)) {
      const row: PreflightCheck = {
        step: step.id,
        stepTitle: step.title,
        block: block.id,
        status: 'not-run',
        reason: '',
        source: sourceOf(step, block),
      };
      checks.push(row);
      if (block.attrs.preflight === 'skip') {
        row.status = 'skipped';
        row.reason = "preflight=skip: it depends on an earlier step's effect, so it runs only in the run";
      } else if (stopped) {
        row.reason = 'an earlier check of this step refused and says after-failure=stop';
      } else if (options.signal?.aborted) {
        row.reason = INTERRUPTED;
      } else if (block.attrs.fleet) {
        options.onCheck?.(row, 'started');
        await fleetCheck(step, block, row);
        if (row.status === 'refused' && block.attrs.afterFailure === 'stop') stopped = true;
      } else {
        options.onCheck?.(row, 'started');
        const log = await openBlockLog(logs, block.id, 1);
        let result: Awaited<ReturnType<typeof executeBlock>>;
        try {
          result = await executeBlock(block, {
            shell: runbook.shell,
            cwd: dirname(resolve(step.file)),
            vars: { ...vars.values, ...step.vars },
            timeoutMs: runbook.timeoutMs,
            masker,
            resolveConnection: connection,
            ...(options.signal ? { signal: options.signal } : {}),
            openLog: (attempt) => {
              if (attempt > 1) log.write(`--- waymark: attempt ${attempt} ---`);
              return { write: (line) => void log.write(line), writeChunk: (chunk) => void log.writeChunk(chunk) };
            },
          });
        } finally {
          await log.close();
        }
        row.durationMs = Math.round(result.durationMs);
        row.log = relative(dir, log.path);
        const raw = result.result;
        // Cut short by a signal, a check tells nothing: it is not run, not refused.
        const cut = options.signal?.aborted === true;
        row.status = cut ? 'not-run' : result.outcome === 'success' ? 'passed' : result.outcome === 'warning' ? 'warned' : 'refused';
        row.reason = cut ? INTERRUPTED : masker.mask(result.reason);
        if (raw.kind === 'process') row.tail = [...raw.stdoutTail.slice(-15), ...raw.stderrTail.slice(-5)];
        else if (raw.columns.length > 0) {
          row.columns = raw.columns;
          row.rows = raw.rows.slice(0, 50).map((r) => raw.columns.map((c) => r[c] ?? ''));
          row.rowCount = raw.rows.length;
        }
        if (row.status === 'refused' && block.attrs.afterFailure === 'stop') stopped = true;
      }
      options.onCheck?.(row, 'finished');
      await audit.append('preflight-check', {
        step: row.step,
        block: row.block,
        status: row.status,
        reason: row.reason,
        ...(row.log ? { log: row.log } : {}),
      });
    }
  }

  /** A fleet check on its hosts, through Ansible as in a run; its hosts and their table go on the row. */
  async function fleetCheck(step: Step, block: Block, row: PreflightCheck): Promise<void> {
    const log = await openBlockLog(logs, block.id, 1);
    const started = performance.now();
    let ended: Awaited<ReturnType<typeof preflightFleetCheck>>;
    try {
      ended = await preflightFleetCheck({
        runbook,
        step,
        block,
        id,
        operator: options.operator,
        profile: options.profile ?? null,
        inventory: inventoryFor(runbook, options.profile ?? null, vars.values, options.inventory),
        vars: vars.values,
        secretNames: vars.secretNames,
        masker,
        cwd: dirname(resolve(step.file)),
        signal: options.signal ?? new AbortController().signal,
        audit: async (type, payload) => {
          await audit.append(type, payload);
        },
        log: (line) => void log.write(line),
      });
    } finally {
      await log.close();
    }
    row.durationMs = Math.round(performance.now() - started);
    row.log = relative(dir, log.path);
    row.hosts = ended.hosts;
    const result = ended.result;
    if (result.kind === 'canceled') {
      row.reason = `${INTERRUPTED} before every host had a result`;
      return;
    }
    row.status = result.outcome === 'success' ? 'passed' : result.outcome === 'warning' ? 'warned' : 'refused';
    row.reason = masker.mask(result.reason);
    row.tail = result.tail;
    if (result.columns.length > 0) {
      row.columns = result.columns;
      row.rows = result.rows;
      row.rowCount = result.rowCount;
    }
  }

  const result: PreflightResult = {
    id,
    runbook: runbook.id,
    title: runbook.title,
    profile: options.profile ?? null,
    startedAt,
    finishedAt: new Date().toISOString(),
    dir,
    checks,
    refusing: [...new Set(checks.filter((c) => c.status === 'refused').map((c) => c.step))],
    ...(options.signal?.aborted ? { interrupted: true } : {}),
  };
  await writeFileAtomic(join(dir, 'preflight.json'), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

/** 130 when a signal stopped it, else exit 3 when a step would refuse today, else 0. */
export const preflightExit = (result: PreflightResult): number =>
  result.interrupted ? ExitCode.Signal : result.refusing.length > 0 ? ExitCode.Refused : ExitCode.Complete;
