/**
 * One face's scratch folder for a parity scenario: the runbook, the flag files blocks look at,
 * the state directory; and what the run left there, as the parity table compares it.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { statusCommand, type StatusJson } from '../../src/cli/status.js';
import { isOperatorError } from '../../src/engine/errors.js';

/** The operator both faces run as. */
export const OPERATOR = 'parity';

export class Workspace {
  readonly dir: string;
  readonly runbook: string;
  readonly stateDir: string;
  /** Audit lines already read, per trail file: each invocation is compared on what it added. */
  #seen = new Map<string, number>();

  constructor(face: string, text: string) {
    this.dir = mkdtempSync(join(tmpdir(), `wm-parity-${face}-`));
    this.runbook = join(this.dir, 'runbook.md');
    this.stateDir = join(this.dir, 'state');
    writeFileSync(this.runbook, text);
  }

  /** Create a flag file next to the runbook ("fix the cause"). */
  touch(name: string): void {
    writeFileSync(join(this.dir, name), '');
  }

  /** Edit the runbook between two invocations. */
  edit(from: string, to: string): void {
    const text = readFileSync(this.runbook, 'utf8');
    if (!text.includes(from)) throw new Error(`scenario edit: "${from}" is not in the runbook`);
    writeFileSync(this.runbook, text.replace(from, to));
  }

  /** Lines of a file next to the runbook. */
  lines(name: string): string[] {
    const file = join(this.dir, name);
    return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  }

  /** The argv of `waymark run` for this workspace, before the face's own flags. */
  argv(flags: string[]): string[] {
    return [this.runbook, '--state-dir', this.stateDir, '--operator', OPERATOR, ...flags];
  }

  /** The transitions recorded since the last call, normalised (see `transition`). */
  newTransitions(): string[] {
    const records: { ts: string; line: string }[] = [];
    for (const file of auditFiles(this.stateDir)) {
      const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
      const seen = this.#seen.get(file) ?? 0;
      this.#seen.set(file, lines.length);
      for (const line of lines.slice(seen)) {
        const record = JSON.parse(line) as Record<string, unknown>;
        records.push({ ts: String(record.ts), line: transition(record) });
      }
    }
    // Two trails get lines in one invocation only with --new-run (the old run's last record, the new run's): by time.
    return records.sort((a, b) => a.ts.localeCompare(b.ts)).map((r) => r.line);
  }

  /** `waymark status --json`, in process: what the operator is told about the run and its steps. */
  async status(): Promise<StatusJson> {
    const out = collector();
    await statusCommand([this.runbook, '--state-dir', this.stateDir, '--json'], out.stream);
    return JSON.parse(out.text()) as StatusJson;
  }

  /** Every file under the state directory, as text (for secrets that must not be there). */
  stateText(): string {
    return filesUnder(this.stateDir)
      .map((file) => readFileSync(file, 'utf8'))
      .join('\n');
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

function auditFiles(stateDir: string): string[] {
  return filesUnder(stateDir)
    .filter((file) => file.endsWith('audit.jsonl'))
    .sort();
}

/**
 * One audit record as a parity transition: `type step/block:item outcome status kind profile "reason"`,
 * each part only when the record has it. Kept: what the run did and decided. Dropped, and why:
 * - seq, ts, prev, hash, key, mac, transition: the trail's own bookkeeping (times, hashes, journal
 *   sequence numbers), different in every state directory;
 * - run, pid, host, operator: the run id is new in each state directory, the process is the test's;
 * - file, log, title, text, command, message, notice, vars: paths of the face's own scratch folder, or
 *   text copied from the runbook that the step/block/item ids already name;
 * - automatic, by: headless answers from flags (automatic), the TUI from the operator's keys;
 *   that is the one thing the faces are meant to differ in;
 * - reason of a warning acknowledgement: headless writes "accepted by --accept-warnings", the TUI
 *   asks none. Reasons of overrides, skips and mark-done are the operator's words, typed or given
 *   as a flag: kept;
 * - role, execution, exitCode, attempts: follow from the block and its outcome.
 */
export function transition(record: Record<string, unknown>): string {
  const type = String(record.type);
  let text = type;
  if (typeof record.step === 'string') text += ` ${record.step}`;
  if (typeof record.block === 'string') text += `/${record.block}`;
  if (typeof record.item === 'string') text += `:${record.item}`;
  if (typeof record.outcome === 'string') text += ` ${record.outcome}`;
  if (typeof record.status === 'string') text += ` ${record.status}`;
  if (type === 'drift' && typeof record.kind === 'string') text += ` ${record.kind}`;
  if ((type === 'run-started' || type === 'run-resumed') && 'profile' in record) text += ` profile=${String(record.profile)}`;
  if (['check-overridden', 'step-skipped', 'interrupted-marked-done'].includes(type) && typeof record.reason === 'string')
    text += ` "${record.reason}"`;
  return text;
}

/** The exit code of a `waymark run` that threw, as the entry point (cli/main.ts) gives it. */
export function exitCodeOf(error: unknown): number {
  if (isOperatorError(error)) return error.exitCode;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) return 2;
  throw error;
}

/** A stream that keeps what is written to it. */
export function collector(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, text: () => text };
}
