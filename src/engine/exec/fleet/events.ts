/**
 * A batch's per-host results, put together from two sources: the waymark_jsonl callback's lines on
 * ansible-playbook's stdout (each host's start, its status as Ansible decided it, its duration), and the
 * waymark_run action's raw results over waymark's socket (rc, stdout, stderr, message), which reach
 * waymark before the host's status line (the action waits for waymark's acknowledgement).
 */
import type { Masker } from '../mask.js';
import { HOST_TAIL_BYTES } from './playbook.js';

/** One host's outcome in a batch, as Ansible saw it; every string already masked. */
export interface HostResult {
  host: string;
  status: 'ok' | 'failed' | 'unreachable' | 'skipped';
  /** The script's exit code; null when it never ran (unreachable, skipped). */
  rc: number | null;
  /** The last `HOST_TAIL_BYTES` of the host's stdout. */
  stdout: string;
  /** How much of the host's stdout came before `stdout` and never reached waymark: 0 when it is all there. */
  stdoutDropped: number;
  stderr: string;
  /** Ansible's message: why a host is unreachable, `non-zero return code 3`, … */
  msg?: string;
  durationMs: number;
}

/** What the action sends over the socket for one host. */
export interface HostDetail {
  host: string;
  rc: number | null;
  stdout: string;
  /** Bytes of stdout the module kept back (it sends only the tail). */
  stdoutDropped: number;
  stderr: string;
  msg: string;
}

/** Where the assembled events go. */
export interface HostEventSink {
  onHostStart?(host: string): void;
  onHostResult(result: HostResult): void;
  log?(line: string): void;
}

const STATUSES = new Set(['ok', 'failed', 'unreachable', 'skipped']);
// Ansible's notice in place of a no_log result: the action's detail has the real message.
const CENSORED = /output has been hidden due to the fact that 'no_log: true'/;

/** Collects a batch's events and turns them into `HostResult`s, each host at most once. */
export class BatchEvents {
  readonly #sink: HostEventSink;
  readonly #masker: Masker;
  readonly #details = new Map<string, HostDetail>();
  readonly #reported = new Set<string>();
  readonly #started = new Set<string>();

  constructor(sink: HostEventSink, masker: Masker) {
    this.#sink = sink;
    this.#masker = masker;
  }

  /** True once any host has started or has a result. */
  get heard(): boolean {
    return this.#started.size > 0 || this.#reported.size > 0;
  }

  /** Hosts that have a result. */
  get reported(): ReadonlySet<string> {
    return this.#reported;
  }

  /** A host's raw result from the action (not yet masked). */
  detail(detail: HostDetail): void {
    this.#details.set(detail.host, detail);
  }

  /** One line of ansible-playbook's stdout (already masked as text): an event, or Ansible's own words. */
  line(text: string): void {
    const event = parseEvent(text);
    if (event === undefined) {
      if (text.trim() !== '') this.#log(`ansible: ${text}`);
      return;
    }
    const host = typeof event.host === 'string' ? event.host : undefined;
    if (event.event === 'start' && host !== undefined) {
      this.#started.add(host);
      this.#sink.onHostStart?.(this.#masker.empty ? host : this.#masker.mask(host));
    } else if (typeof event.event === 'string' && STATUSES.has(event.event) && host !== undefined) {
      this.#result(host, event.event as HostResult['status'], event);
    } else if (event.event === 'no_hosts_matched') {
      this.#log('ansible: no host of the batch matched in the inventory');
    }
  }

  /** A result for a host Ansible never reported (not in the inventory, or the play ended early). */
  missing(host: string, msg: string): void {
    if (this.#reported.has(host)) return;
    this.#emit({ host, status: 'failed', rc: null, stdout: '', stdoutDropped: 0, stderr: '', msg, durationMs: 0 });
  }

  #result(host: string, status: HostResult['status'], event: Record<string, unknown>): void {
    if (this.#reported.has(host)) return;
    const detail = this.#details.get(host);
    const said = typeof event.msg === 'string' && !CENSORED.test(event.msg) ? event.msg : undefined;
    const msg = detail?.msg || said;
    const stdout = detail?.stdout ?? stringField(event.stdout);
    const dropped = detail !== undefined ? detail.stdoutDropped : countField(event.stdout_dropped);
    const result: HostResult = {
      host,
      status,
      rc: detail !== undefined ? detail.rc : typeof event.rc === 'number' ? event.rc : null,
      stdout: tail(stdout),
      // What the module kept back, and what is cut here from a stdout longer than the tail.
      stdoutDropped: dropped + Math.max(0, stdout.length - HOST_TAIL_BYTES),
      stderr: tail(detail?.stderr ?? stringField(event.stderr)),
      durationMs: typeof event.durationMs === 'number' ? event.durationMs : 0,
    };
    if (msg !== undefined && msg !== '') result.msg = msg;
    this.#emit(result);
  }

  #emit(raw: HostResult): void {
    const mask = (text: string): string => (this.#masker.empty ? text : this.#masker.mask(text));
    const result: HostResult = { ...raw, host: mask(raw.host), stdout: mask(raw.stdout), stderr: mask(raw.stderr) };
    if (raw.msg !== undefined) result.msg = mask(raw.msg);
    this.#reported.add(raw.host);
    this.#sink.onHostResult(result);
    this.#log(
      `${result.host}: ${result.status}${result.rc === null ? '' : ` rc=${result.rc}`} ${Math.round(result.durationMs)}ms${result.msg === undefined ? '' : ` — ${result.msg}`}`,
    );
    for (const [stream, text] of [
      ['stdout', result.stdout],
      ['stderr', result.stderr],
    ] as const) {
      if (text === '') continue;
      for (const line of text.replace(/\n$/, '').split('\n')) this.#log(`${result.host} ${stream}| ${line}`);
    }
  }

  #log(line: string): void {
    this.#sink.log?.(this.#masker.empty ? line : this.#masker.mask(line));
  }
}

function parseEvent(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{"event"')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    // Not one of the callback's lines (another plugin printed it): the caller logs it as Ansible's.
    return undefined;
  }
}

function stringField(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function countField(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/** The last `HOST_TAIL_BYTES` (counted as UTF-16 units here) of a stream. */
function tail(text: string): string {
  return text.length > HOST_TAIL_BYTES ? text.slice(-HOST_TAIL_BYTES) : text;
}

/** A detail line from the action, or undefined when it is not one. */
export function parseDetail(line: string): HostDetail | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const fields = value as Record<string, unknown>;
  if (typeof fields.host !== 'string') return undefined;
  return {
    host: fields.host,
    rc: typeof fields.rc === 'number' ? fields.rc : null,
    stdout: stringField(fields.stdout),
    stdoutDropped: countField(fields.stdout_dropped),
    stderr: stringField(fields.stderr),
    msg: stringField(fields.msg),
  };
}
