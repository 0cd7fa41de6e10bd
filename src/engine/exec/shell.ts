/** Running a shell or python block as a child process in its own process group. */
import { statSync } from 'node:fs';
import { MASK, type Masker } from './mask.js';
import { StringDecoder } from 'node:string_decoder';
import { RawTail, type OutputStream } from './output.js';
import { guardAttempt } from './deadline.js';
import { DEFAULT_KILL_GRACE_MS, terminateGroup } from './process-group.js';

/** Where all the output of one attempt goes, in full (the per-block log file). */
export interface LogSink {
  /** One line of waymark's own (an attempt marker, an SQL result line); the newline is added. */
  write(line: string, stream: OutputStream): void;
  /** Output as the block printed it (masked when there are secrets): whole chunks, newlines included. */
  writeChunk(chunk: Buffer, stream: OutputStream): void;
  /** Called once after the attempt's last line. */
  close?(): void | Promise<void>;
}

/** Lines of each stream kept for display. */
export const TAIL_LINES = 1000;
/** Bytes of each stream kept for display. */
export const TAIL_BYTES = 256 * 1024;

/**
 * Receives a block's output as it arrives, already masked: bytes as the pipe delivered them, lines
 * cut between chunks (with secrets, the end of a chunk may come with the next one).
 */
export type OutputListener = (stream: OutputStream, chunk: Buffer) => void;

/** What to run and how. */
export interface ProcessOptions {
  /** Program and arguments, e.g. `['bash', '-c', script]`; no shell interprets this list. */
  command: readonly string[];
  cwd: string;
  /** Extra environment variables (the runbook's variables); added to waymark's own environment. */
  env?: Record<string, string>;
  /** Kill the process group after this long; 0 or less means no limit. */
  timeoutMs: number;
  signal?: AbortSignal;
  /** Output as it arrives, already masked. */
  onOutput?: OutputListener;
  log?: LogSink;
  masker?: Masker;
  /** Between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  tailLines?: number;
  tailBytes?: number;
  /**
   * Give the process a lifeline on its stdin: a pipe waymark holds open and never writes. When
   * waymark dies, even by SIGKILL, the pipe reaches end of file, and a process that watches it
   * (the fleet's batch wrapper) ends its group. Without it, stdin is /dev/null.
   */
  lifeline?: boolean;
  /**
   * Keep stdout as the block printed it, unmasked, up to this many bytes (`capture=`, see
   * engine/capture.ts): it is kept in memory only, never logged or shown.
   */
  keepStdoutBytes?: number;
}

/** A block's stdout kept whole for `capture=`: unmasked, in memory only. */
export interface KeptStdout {
  text: string;
  /** It printed more than it was allowed to keep: `text` is its start only. */
  cut: boolean;
}

/** How a process ended, with the bounded part of its output kept in memory. */
export interface ProcessResult {
  /** Null when it was killed by a signal or never started. */
  exitCode: number | null;
  /** The signal that ended it, e.g. `SIGTERM`. */
  signal?: string;
  timedOut: boolean;
  canceled: boolean;
  /** The time limit that applied (0: none). */
  timeoutMs: number;
  durationMs: number;
  /** Last lines of stdout (masked), at most `TAIL_LINES` / `TAIL_BYTES`. */
  stdoutTail: string[];
  stderrTail: string[];
  /** Lines of stdout and stderr not in the tails (the log has them all). */
  droppedLines: number;
  /** Why the command could not start (missing cwd, interpreter not found). */
  spawnError?: string;
  /** Its stdout, unmasked, when `keepStdoutBytes` asked for it. */
  stdout?: KeptStdout;
  /** True when a secret was masked in its stdout or stderr. */
  masked?: boolean;
}

/** One stream of a block on its way to the tail, the log and the listener: `push` each chunk, then `end`. */
export interface OutputPath {
  push(chunk: Buffer): void;
  end(): void;
}

/**
 * The way one stream's output goes. Output is handled a chunk at a time, never a line at a time: a
 * block printing a million lines costs a hundred 64 KiB chunks. With secrets, each chunk is masked
 * before anything keeps or shows it, by a masking stream that holds back the end of a chunk until it
 * knows whether a secret starts there, so a secret cut between two chunks, however long its line, is
 * masked whole. Without, chunks pass as the pipe delivered them.
 */
export function outputPath(
  stream: OutputStream,
  to: {
    tail: RawTail;
    log?: LogSink | undefined;
    onOutput?: OutputListener | undefined;
    masker?: Masker | undefined;
    onMasked?: (() => void) | undefined;
  },
): OutputPath {
  const { tail, log, onOutput, masker, onMasked } = to;
  const keep = (chunk: Buffer): void => {
    tail.push(chunk);
    log?.writeChunk(chunk, stream);
    onOutput?.(stream, chunk);
  };
  if (masker === undefined || masker.empty) return { push: keep, end: () => undefined };
  const decoder = new StringDecoder('utf8');
  const masking = masker.stream();
  const pass = (text: string): void => {
    if (text.includes(MASK)) onMasked?.();
    if (text !== '') keep(Buffer.from(text));
  };
  return {
    push: (chunk) => pass(masking.push(decoder.write(chunk))),
    end: () => pass(masking.push(decoder.end()) + masking.end()),
  };
}

let execaModule: Promise<typeof import('execa')> | undefined;

/**
 * Start loading execa (and its signal tables, ~15 ms) if nothing has yet. It is not loaded at
 * start-up, where it would delay the TUI's first frame and lint never needs it; a face calls this
 * once it is idle, so that the first block does not wait for it either.
 */
export function loadExeca(): Promise<typeof import('execa')> {
  execaModule ??= import('execa');
  return execaModule;
}

/** Run a command to completion; never throws for anything the runbook or the system can cause. */
export async function runProcess(options: ProcessOptions): Promise<ProcessResult> {
  const started = performance.now();
  const [file, ...args] = options.command;
  if (file === undefined || file === '') return notStarted(started, options.timeoutMs, 'no command to run');
  const cwdProblem = checkCwd(options.cwd);
  if (cwdProblem !== undefined) return notStarted(started, options.timeoutMs, cwdProblem);
  // Canceled before it started: nothing to start and nothing to kill.
  if (options.signal?.aborted) return { ...notStarted(started, options.timeoutMs), canceled: true };

  const tailLimits = { maxLines: options.tailLines ?? TAIL_LINES, maxBytes: options.tailBytes ?? TAIL_BYTES };
  const { log, onOutput, masker } = options;
  // Only the kept end of each stream is ever split into lines.
  const tails = { stdout: new RawTail(tailLimits.maxBytes), stderr: new RawTail(tailLimits.maxBytes) };
  let masked = false;
  const sink = (stream: OutputStream): OutputPath =>
    outputPath(stream, { tail: tails[stream], log, onOutput, masker, onMasked: () => (masked = true) });
  const kept = options.keepStdoutBytes === undefined ? undefined : new KeptBytes(options.keepStdoutBytes);
  const sinks = { stdout: sink('stdout'), stderr: sink('stderr') };

  let execa: typeof import('execa').execa;
  try {
    ({ execa } = await loadExeca());
  } catch (error) {
    // A broken install, not the runbook: the block fails with the reason rather than the run crashing.
    return notStarted(
      started,
      options.timeoutMs,
      `the process runner (execa) cannot be loaded: ${(error as Error).message}; reinstall waymark (npm ci)`,
    );
  }
  const subprocess = execa(file, args, {
    cwd: options.cwd,
    env: options.env ?? {},
    extendEnv: true,
    stdin: options.lifeline ? 'pipe' : 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    // execa must not keep the output: a block may print millions of lines; we keep only the tails.
    buffer: false,
    // A process group of its own, so a timeout or a cancel reaches the children it started too.
    detached: true,
    reject: false,
    // Timeout, cancel and cleanup are ours: execa's would signal the leader only, not the group.
    cleanup: false,
  });
  subprocess.stdout?.on('data', (chunk: Buffer) => {
    kept?.push(chunk);
    sinks.stdout.push(chunk);
  });
  subprocess.stderr?.on('data', (chunk: Buffer) => sinks.stderr.push(chunk));

  const pid = subprocess.pid;
  let termination: Promise<void> | undefined;
  const terminate = (): void => {
    if (pid !== undefined) termination ??= terminateGroup(pid, options.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  };
  // A timeout and a cancel both end the whole group; the result says which came (both, if both did).
  const guard = guardAttempt(options, terminate);
  // What the block left behind in the background belongs to the block: end it when the block ends,
  // otherwise it outlives the run (and, holding our pipes, keeps the block from finishing).
  subprocess.once('exit', terminate);

  const result = await subprocess;
  // The lifeline (if any) has done its work: let go of our end of it.
  subprocess.stdin?.destroy();
  guard.release();
  await termination;
  sinks.stdout.end();
  sinks.stderr.end();

  const { stdout, stderr } = tails;
  const stdoutTail = stdout.lines(tailLimits.maxLines, tailLimits.maxBytes);
  const stderrTail = stderr.lines(tailLimits.maxLines, tailLimits.maxBytes);
  const base: ProcessResult = {
    exitCode: typeof result.exitCode === 'number' ? result.exitCode : null,
    timedOut: guard.timedOut,
    canceled: guard.canceled,
    timeoutMs: options.timeoutMs,
    durationMs: performance.now() - started,
    stdoutTail,
    stderrTail,
    droppedLines: stdout.lineCount + stderr.lineCount - stdoutTail.length - stderrTail.length,
  };
  if (result.signal !== undefined) base.signal = result.signal;
  if (kept !== undefined) base.stdout = kept.result();
  if (masked) base.masked = true;
  if (
    pid === undefined ||
    (result.failed && result.exitCode === undefined && result.signal === undefined && guard.stoppedBy === undefined)
  ) {
    base.spawnError = spawnMessage(file, result.code, result.originalMessage ?? result.shortMessage);
  }
  return base;
}

/** The first `limit` bytes of a stream, and whether there was more. */
class KeptBytes {
  readonly #limit: number;
  readonly #chunks: Buffer[] = [];
  #bytes = 0;
  #cut = false;

  constructor(limit: number) {
    this.#limit = limit;
  }

  push(chunk: Buffer): void {
    const room = this.#limit - this.#bytes;
    if (chunk.length > room) this.#cut = true;
    if (room <= 0) return;
    const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
    this.#chunks.push(Buffer.from(part));
    this.#bytes += part.length;
  }

  result(): KeptStdout {
    return { text: Buffer.concat(this.#chunks).toString('utf8'), cut: this.#cut };
  }
}

function checkCwd(cwd: string): string | undefined {
  try {
    if (!statSync(cwd).isDirectory()) return `working directory is not a directory: ${cwd}`;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `working directory does not exist: ${cwd}`;
    return `working directory cannot be used: ${cwd} (${code ?? (error as Error).message})`;
  }
  return undefined;
}

function spawnMessage(file: string, code: string | undefined, detail: string | undefined): string {
  if (code === 'ENOENT') return `command not found: ${file}`;
  if (code === 'EACCES') return `permission denied: ${file}`;
  return `cannot start ${file}: ${code ?? detail ?? 'unknown error'}`;
}

/** The result of a command that was never started, with the reason as `spawnError`. */
export function notStartedResult(spawnError: string, timeoutMs = 0): ProcessResult {
  return notStarted(performance.now(), timeoutMs, spawnError);
}

function notStarted(started: number, timeoutMs: number, spawnError?: string): ProcessResult {
  const result: ProcessResult = {
    exitCode: null,
    timedOut: false,
    canceled: false,
    timeoutMs,
    durationMs: performance.now() - started,
    stdoutTail: [],
    stderrTail: [],
    droppedLines: 0,
  };
  if (spawnError !== undefined) result.spawnError = spawnError;
  return result;
}
