/**
 * `expect=` matching, off the main thread. A regular expression can backtrack for longer than the
 * universe exists (`^(a+)+$` on 36 a's), and while it runs nothing else in a thread runs: not the
 * block's timeout, not SIGTERM. So every match runs in a worker thread that can be terminated, under
 * the block's time limit, and a match that does not finish is an `error` with the reason.
 *
 * The worker sees stdout as it arrives (masked, as everything does). A pattern that cannot match
 * a newline is matched line by line over the whole output, in bounded memory; any other pattern is
 * matched against the whole output, which may be at most `MATCH_WINDOW_BYTES` long.
 *
 * Output whose beginning never arrived (a fleet host sends back only the end of its stdout) is
 * never judged as if it were all of it: a line pattern may still find a whole line in it, but
 * finding none, or a pattern that can span lines, is an error that says the output was too long
 * to check.
 */
import type { StringDecoder } from 'node:string_decoder';
import { Worker, type MessagePort } from 'node:worker_threads';
import { patternShape } from '../../runbook/pattern.js';
import { describeLimit } from './deadline.js';

/**
 * The most stdout a pattern that can span lines is matched against; for a line pattern, a line this
 * long (in characters) or longer is refused, since masking cuts lines at that length (`MAX_LINE_CHARS`).
 */
export const MATCH_WINDOW_BYTES = 1024 * 1024;
/** Output the worker may fall behind by before matching gives up (memory stays bounded). */
export const MATCH_BACKLOG_BYTES = 64 * 1024 * 1024;
/** Matching that starts after the block's time is used up still gets this long. */
export const MATCH_GRACE_MS = 1000;

/** What matching stdout found: whether it matched, or why it could not tell. */
export type StdoutMatch = { matched: boolean } | { error: string };

// Messages to the worker, and its answers.
type Request =
  | { type: 'start'; id: number; pattern: string; lines: boolean; windowBytes: number; cut: boolean }
  | { type: 'chunk'; id: number; chunk: Uint8Array }
  | { type: 'end'; id: number };
/** The worker's verdict: matched or not, or the window (`output`, or one `line`) was exceeded. */
type WorkerMatch = { matched: boolean } | { overflow: 'output' | 'line' };
type Answer = { type: 'ack'; id: number; bytes: number } | { type: 'result'; id: number; match: WorkerMatch };

/**
 * The worker's whole program. It runs in a worker thread from its source text, so it uses only
 * what it is given and JavaScript itself: nothing else of this module exists there.
 */
function serveMatches(port: MessagePort, Decoder: typeof StringDecoder): void {
  interface Job {
    regex: RegExp;
    lines: boolean;
    windowBytes: number;
    /** Lines mode, output whose beginning was cut off: its first line is a part of one, and is not matched. */
    skipping: boolean;
    decoder: StringDecoder;
    /** Lines mode: the line not yet ended. Whole mode: all of the text so far. */
    text: string;
    bytes: number;
    tested: boolean;
    matched: boolean;
    overflow: 'output' | 'line' | undefined;
  }
  const jobs = new Map<number, Job>();
  const withoutCarriageReturns = (text: string): string => (text.includes('\r') ? text.replace(/\r(?=\n|$)/g, '') : text);
  const test = (job: Job, text: string): void => {
    job.tested = true;
    if (job.regex.test(withoutCarriageReturns(text))) job.matched = true;
  };
  const feed = (job: Job, chunk: Uint8Array): void => {
    if (job.matched || job.overflow !== undefined) return;
    job.bytes += chunk.length;
    const text = job.text + job.decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
    if (!job.lines) {
      if (job.bytes > job.windowBytes) job.overflow = 'output';
      job.text = job.overflow === undefined ? text : '';
      return;
    }
    if (job.skipping) {
      const end = text.indexOf('\n');
      job.text = '';
      if (end === -1) return;
      job.skipping = false;
      // The output was not empty: the rule for an empty one ('' is matched) does not apply.
      job.tested = true;
      return feedLines(job, text.slice(end + 1));
    }
    feedLines(job, text);
  };
  const feedLines = (job: Job, text: string): void => {
    // Complete lines are matched as one text: a pattern that cannot match a newline finds the same there.
    const last = text.lastIndexOf('\n');
    const lines = last === -1 ? '' : text.slice(0, last);
    job.text = last === -1 ? text : text.slice(last + 1);
    // A line of a window or more may arrive already cut into pieces (masking cuts lines at 1 MiB).
    if (job.text.length >= job.windowBytes || (lines.length >= job.windowBytes && longestLine(lines) >= job.windowBytes))
      job.overflow = 'line';
    else if (last !== -1) test(job, lines);
  };
  const longestLine = (text: string): number => {
    let longest = 0;
    for (let start = 0; start <= text.length; ) {
      const end = text.indexOf('\n', start);
      const stop = end === -1 ? text.length : end;
      longest = Math.max(longest, stop - start);
      start = stop + 1;
    }
    return longest;
  };
  const finish = (job: Job): WorkerMatch => {
    if (job.matched) return { matched: true };
    // Not one whole line arrived.
    if (job.skipping) return { matched: false };
    const rest = job.text + job.decoder.end();
    if (job.lines && rest.length >= job.windowBytes) job.overflow = 'line';
    if (job.overflow !== undefined) return { overflow: job.overflow };
    // As the whole output is matched: without its one final newline, and '' when there was none.
    if (!job.lines) test(job, rest.endsWith('\n') ? rest.slice(0, -1) : rest);
    else if (rest !== '' || !job.tested) test(job, rest);
    return { matched: job.matched };
  };
  port.on('message', (request: Request) => {
    if (request.type === 'start') {
      const { id, pattern, lines, windowBytes, cut } = request;
      const job: Job = {
        regex: new RegExp(pattern, 'm'),
        lines,
        windowBytes,
        skipping: lines && cut,
        decoder: new Decoder('utf8'),
        text: '',
        bytes: 0,
        tested: false,
        matched: false,
        overflow: undefined,
      };
      jobs.set(id, job);
    } else if (request.type === 'chunk') {
      const job = jobs.get(request.id);
      if (job !== undefined) feed(job, request.chunk);
      port.postMessage({ type: 'ack', id: request.id, bytes: request.chunk.length });
    } else {
      const job = jobs.get(request.id);
      jobs.delete(request.id);
      const outcome: WorkerMatch = job === undefined ? { matched: false } : finish(job);
      port.postMessage({ type: 'result', id: request.id, match: outcome });
    }
  });
}

const WORKER_SOURCE = `const { parentPort } = require('node:worker_threads');
const { StringDecoder } = require('node:string_decoder');
(${serveMatches.toString()})(parentPort, StringDecoder);`;

// One idle worker is kept for the next block with `expect=` (starting one costs tens of ms).
let idleWorker: Worker | undefined;
let nextId = 1;

function takeWorker(): Worker {
  let worker = idleWorker;
  idleWorker = undefined;
  if (worker === undefined) {
    const created = new Worker(WORKER_SOURCE, { eval: true });
    // An idle worker that fails (out of memory) is not handed out again; while a match holds the
    // worker, that match reports the failure. An 'error' with no listener would end waymark.
    created.on('error', () => undefined);
    created.once('exit', () => {
      if (idleWorker === created) idleWorker = undefined;
    });
    worker = created;
  }
  worker.ref();
  return worker;
}

function returnWorker(worker: Worker): void {
  if (idleWorker !== undefined) {
    void worker.terminate();
    return;
  }
  // An idle worker must not keep waymark running.
  worker.unref();
  idleWorker = worker;
}

function windowExceeded(what: 'output' | 'line'): string {
  const window = `${MATCH_WINDOW_BYTES / 1024 / 1024} MiB`;
  if (what === 'line') return `a line of stdout exceeded the matching window (${window})`;
  return `output exceeded the matching window (${window}): a pattern that can match across lines (\\s, [^...], \\n) sees at most that much; match single lines instead`;
}

function outputCut(dropped: number, seen: number, spansLines: boolean): string {
  const kib = (bytes: number): string => `${Math.max(1, Math.round(bytes / 1024))} KiB`;
  const what = `stdout was too long to check: only its last ${kib(seen)} arrived (${kib(dropped)} before them did not)`;
  if (spansLines)
    return `${what}, and a pattern that can match across lines (\\s, [^...], \\n) must see all of the output; match single lines instead`;
  return `${what}, and no whole line of them matches`;
}

/** What compiling `pattern` as `expect=` does: undefined, or why it is not a valid regular expression. */
export function patternError(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'm');
    return undefined;
  } catch (error) {
    return `expect= is not a valid regular expression: ${(error as Error).message}`;
  }
}

/** How a match ended for the caller: an answer, or canceled before there was one. */
export type Settled = { match: StdoutMatch } | { canceled: true };

/**
 * Matching one attempt's stdout against `expect=`. Feed it every stdout chunk as it arrives, then
 * ask for the answer with `result()`, or `abandon()` it when the answer no longer matters.
 */
export class StdoutMatcher {
  readonly #pattern: string;
  readonly #id = nextId++;
  /** Bytes of the output before what is pushed, which never arrived (see the constructor). */
  readonly #dropped: number;
  readonly #spansLines: boolean;
  #seen = 0;
  #worker: Worker | undefined;
  #backlog = 0;
  #behind = false;
  #settle: ((answer: StdoutMatch) => void) | undefined;
  #answer: StdoutMatch | undefined;
  readonly #onMessage = (answer: Answer): void => {
    if (answer.id !== this.#id) return;
    if (answer.type === 'ack') this.#backlog -= answer.bytes;
    else if (!('matched' in answer.match)) this.#finish({ error: windowExceeded(answer.match.overflow) }, true);
    else if (!answer.match.matched && this.#dropped > 0) this.#finish({ error: outputCut(this.#dropped, this.#seen, false) }, true);
    else this.#finish(answer.match, true);
  };
  readonly #onError = (error: Error): void => this.#finish({ error: `expect= matching failed: ${error.message}` }, false);
  readonly #onExit = (): void => this.#finish({ error: 'expect= matching stopped unexpectedly' }, false);

  /**
   * `pattern` must compile (`new RegExp(pattern, 'm')`): check that first. `dropped`: bytes of the
   * output that came before what will be pushed and never arrived (0: the output is whole).
   */
  constructor(pattern: string, dropped = 0) {
    this.#pattern = pattern;
    this.#dropped = dropped;
    this.#spansLines = patternShape(pattern).spansLines;
    // Nothing to match: the answer is known, once the output has ended (see result()).
    if (dropped > 0 && this.#spansLines) return;
    const worker = takeWorker();
    this.#worker = worker;
    worker.on('message', this.#onMessage);
    worker.once('error', this.#onError);
    worker.once('exit', this.#onExit);
    this.#post({ type: 'start', id: this.#id, pattern, lines: !this.#spansLines, windowBytes: MATCH_WINDOW_BYTES, cut: dropped > 0 });
  }

  /** A chunk of stdout, masked. */
  push(chunk: Buffer): void {
    this.#seen += chunk.length;
    if (this.#worker === undefined || this.#behind || chunk.length === 0) return;
    if (this.#backlog + chunk.length > MATCH_BACKLOG_BYTES) {
      // The pattern cannot keep up: rather than hold the output in memory, give up on it.
      this.#behind = true;
      return;
    }
    this.#backlog += chunk.length;
    this.#post({ type: 'chunk', id: this.#id, chunk: new Uint8Array(chunk) });
  }

  /**
   * The answer, once stdout has ended. Matching gets `limitMs` more (0: no limit); past it, or
   * when `signal` aborts, the worker is terminated.
   */
  async result(limitMs: number, signal?: AbortSignal): Promise<Settled> {
    if (this.#dropped > 0 && this.#spansLines) return { match: { error: outputCut(this.#dropped, this.#seen, true) } };
    if (this.#behind) {
      this.abandon();
      return { match: { error: `matching expect= fell more than ${MATCH_BACKLOG_BYTES / 1024 / 1024} MiB behind the output` } };
    }
    if (signal?.aborted) {
      this.abandon();
      return { canceled: true };
    }
    const answer = new Promise<StdoutMatch>((resolve) => {
      if (this.#answer !== undefined) resolve(this.#answer);
      else this.#settle = resolve;
    });
    this.#post({ type: 'end', id: this.#id });
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const stopped = new Promise<'timeout' | 'canceled'>((resolve) => {
      if (limitMs > 0) timer = setTimeout(() => resolve('timeout'), limitMs);
      onAbort = () => resolve('canceled');
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    const first = await Promise.race([answer, stopped]);
    clearTimeout(timer);
    if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    if (first === 'canceled') {
      this.abandon();
      return { canceled: true };
    }
    if (first === 'timeout') {
      this.abandon();
      const hint = patternShape(this.#pattern).nestedQuantifier;
      const why = hint === undefined ? '' : `; its nested quantifier ${hint} can make matching take exponential time`;
      return {
        match: {
          error: `matching stdout against /${this.#pattern}/ did not finish within the block's time limit (${describeLimit(limitMs)} left)${why}`,
        },
      };
    }
    return { match: first };
  }

  /** The answer is not needed: a worker still busy with this match is terminated, an idle one kept. */
  abandon(): void {
    const worker = this.#detach();
    if (worker === undefined) return;
    if (this.#answer !== undefined) returnWorker(worker);
    else void worker.terminate();
  }

  #post(request: Request): void {
    this.#worker?.postMessage(request);
  }

  #finish(answer: StdoutMatch, workerUsable: boolean): void {
    if (this.#answer !== undefined) return;
    this.#answer = answer;
    this.#settle?.(answer);
    const worker = this.#detach();
    if (worker === undefined) return;
    if (workerUsable) returnWorker(worker);
    else void worker.terminate();
  }

  #detach(): Worker | undefined {
    const worker = this.#worker;
    if (worker === undefined) return undefined;
    this.#worker = undefined;
    worker.off('message', this.#onMessage);
    worker.off('error', this.#onError);
    worker.off('exit', this.#onExit);
    return worker;
  }
}
