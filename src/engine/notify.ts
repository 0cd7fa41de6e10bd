/**
 * The runbook's notifier (front matter `notify:`, docs/notify.md): a command run on chosen run
 * events with the event as JSON on stdin. It is never awaited on the run's path: each call is
 * bounded by its timeout, killed after it, and its output and exit go to `notify.log` in the run's
 * folder. A notifier that fails or hangs is reported through `onFailed`, and the run goes on.
 */
import { spawn } from 'node:child_process';
import { appendFile } from 'node:fs/promises';
import type { NotifyDecl, NotifyEventName } from '../runbook/notify-decl.js';

/** What the notifier reads on stdin. Values are already masked by the session. */
export interface NotifyEvent {
  event: NotifyEventName;
  runbook: string;
  run: string;
  step: string | null;
  block: string | null;
  operator: string;
  reason: string | null;
  at: string;
}

export interface NotifierOptions {
  decl: NotifyDecl;
  shell: string;
  cwd: string;
  /** The environment the notifier gets: the session removes the secret variables from it. */
  env: NodeJS.ProcessEnv;
  logPath: string;
  onFailed: (message: string) => void;
}

export class Notifier {
  readonly #options: NotifierOptions;
  readonly #running = new Set<Promise<void>>();
  /** Log lines are appended one after the other, in the order the notifiers ended. */
  #log: Promise<void> = Promise.resolve();
  /** The notifier last started: the next one starts when it has ended. */
  #queue: Promise<void> = Promise.resolve();

  constructor(options: NotifierOptions) {
    this.#options = options;
  }

  /** Start the notifier for `event` if the runbook asked for it; returns at once. */
  send(event: NotifyEvent): void {
    if (!this.#options.decl.events.includes(event.event)) return;
    // One after the other, in the order of the events: a receiver (a chat channel, a pager) reads
    // "batch 1 finished" before "waiting for the next batch". Each is bounded by its timeout.
    const done = this.#queue.then(() => this.#run(event));
    this.#queue = done;
    this.#running.add(done);
    void done.finally(() => this.#running.delete(done));
  }

  /** Wait for the notifiers still running; each ends by its timeout at the latest. */
  async drain(): Promise<void> {
    while (this.#running.size > 0) await Promise.all([...this.#running]);
    await this.#log;
  }

  #run(event: NotifyEvent): Promise<void> {
    const { decl, shell, cwd, env } = this.#options;
    const started = Date.now();
    return new Promise<void>((resolvePromise) => {
      const output: Buffer[] = [];
      let size = 0;
      const keep = (chunk: Buffer) => {
        // Bounded: a chatty notifier cannot fill the memory or the log.
        if (size < 64 * 1024) output.push(chunk);
        size += chunk.length;
      };
      let timedOut = false;
      // Its own process group, so a timeout kills the shell and what it started (curl, sleep).
      const child = spawn(shell, ['-c', decl.command], { cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
      const timer = setTimeout(() => {
        timedOut = true;
        if (child.pid !== undefined) {
          try {
            process.kill(-child.pid, 'SIGKILL');
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
          }
        }
      }, decl.timeoutMs);
      child.stdout.on('data', keep);
      child.stderr.on('data', keep);
      // A notifier that does not read stdin closes it early: that is its business, not an error of the run.
      child.stdin.on('error', () => undefined);
      child.stdin.end(`${JSON.stringify(event)}\n`);
      let ended = false;
      const finish = (outcome: string, failed: boolean) => {
        if (ended) return;
        ended = true;
        clearTimeout(timer);
        const text = Buffer.concat(output)
          .toString('utf8')
          .slice(0, 64 * 1024);
        const took = Date.now() - started;
        const entry = `${new Date().toISOString()} ${event.event} ${outcome} in ${took}ms\n${text === '' ? '' : `${text.replace(/\n$/, '').replace(/^/gm, '  | ')}\n`}`;
        this.#log = this.#log
          .then(() => appendFile(this.#options.logPath, entry, { mode: 0o600 }))
          .catch((error: unknown) => {
            this.#options.onFailed(`notify log ${this.#options.logPath} cannot be written: ${(error as Error).message}`);
          });
        if (failed) this.#options.onFailed(`notify-failed: ${event.event}: ${outcome} (see ${this.#options.logPath})`);
        resolvePromise();
      };
      child.on('error', (error) => finish(`could not start: ${error.message}`, true));
      child.on('close', (code, signal) => {
        if (timedOut) finish(`killed after its timeout of ${decl.timeoutMs}ms`, true);
        else if (code === 0) finish('sent (exit 0)', false);
        else finish(code !== null ? `exit ${code}` : `killed by ${signal ?? 'a signal'}`, true);
      });
    });
  }
}
