/**
 * Running one batch of a fleet block with ansible-playbook: a generated one-play playbook, waymark's
 * plugins beside it, the variables in a 0600 extra-vars file, all in a private 0700 directory that is
 * removed afterwards. ansible-playbook runs in its own process group (as a shell block does), so a
 * cancel or a timeout ends its workers and connections with it.
 *
 * ansible-playbook's exit codes, measured here with ansible-core 2.14.18 (the table is
 * executor/task_queue_manager.py's RUN_*): 0 every host ok; 2 a host failed (RUN_FAILED_HOSTS);
 * 4 a host unreachable (RUN_UNREACHABLE_HOSTS), and 4 too when hosts both failed and were unreachable
 * (strategy/__init__.py checks unreachable first). Before any host runs: 4 for a playbook it rejects
 * (AnsibleParserError), 1 for other errors (an inventory it cannot parse), 5 for bad options.
 * So per-host outcomes come from the events only; the exit code and whether any host was heard of only
 * tell whether Ansible ran the play at all.
 */
import { chmod, mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Masker } from '../mask.js';
import { LineChunker } from '../output.js';
import { runProcess, type ProcessResult } from '../shell.js';
import { blockCommand } from '../interpreter.js';
import { BatchEvents, parseDetail, type HostResult } from './events.js';
import { ANSIBLE_PACKAGE_HINT } from './inventory.js';
import { extraVarsText, limitText, playbookText } from './playbook.js';
import { PLUGIN_FILES, pluginSources } from './plugins.js';
import { ansibleAvailable } from './ansible-available.js';

export type { HostResult } from './events.js';

/** One batch of a fleet block: which hosts, what to run there, and where the results go. */
export interface BatchRequest {
  /** The inventory file, as ansible-playbook's `-i` (relative to `cwd`). */
  inventory: string;
  hosts: string[];
  /** 1-based; the script sees it as $WAYMARK_BATCH. */
  batch: number;
  /** The block's script. */
  code: string;
  interpreter: 'shell' | 'python';
  /** The runbook's shell for `interpreter: 'shell'`, e.g. `bash`. */
  shell: string;
  /** Every variable; they reach the script as its environment only. */
  vars: Record<string, string>;
  /** The names in `vars` that are secrets: the task then has no_log. */
  secretNames: string[];
  masker: Masker;
  forks?: number;
  /** The whole batch; 0 or less means no limit. */
  timeoutMs: number;
  /** Where ansible-playbook runs (the runbook's folder). */
  cwd: string;
  signal?: AbortSignal;
  killGraceMs?: number;
  onHostStart?(host: string): void;
  /** Each host's result as it arrives, masked. */
  onHostResult(result: HostResult): void;
  /** Lines for the block's log, masked: per-host results and output, Ansible's own messages. */
  log?(line: string): void;
}

/** How the batch's ansible-playbook ended. Hosts' outcomes are the `onHostResult` calls. */
export interface BatchOutcome {
  canceled: boolean;
  timedOut: boolean;
  exitCode: number | null;
  /** Ansible could not run the batch at all: not installed, or it rejected the playbook or inventory. */
  error?: string;
}

/** The message when ansible-playbook is not on PATH. */
export const ANSIBLE_MISSING = `ansible-playbook is not installed: ${ANSIBLE_PACKAGE_HINT}`;

/**
 * ansible-playbook runs under this wrapper, in its own process group, with a lifeline on stdin: a
 * pipe waymark holds open and never writes. When waymark dies outright (SIGKILL, a crash), the
 * pipe ends, and the wrapper's watcher ends the whole group (TERM, then KILL after 5 s) and removes
 * the batch folder with the extra vars: nothing of the batch keeps running unrecorded, and the
 * hosts in flight are found interrupted on resume. ($1: the batch folder; the rest: the command.)
 */
const LIFELINE_WRAPPER = [
  'dir=$1; shift',
  'exec 3<&0',
  '"$@" </dev/null &',
  'child=$!',
  // The watcher ignores the TERM it sends its own group, so that it can follow up with KILL.
  '( trap "" TERM; while read -r _; do :; done; kill -TERM 0 2>/dev/null; sleep 5; rm -rf "$dir"; kill -KILL 0 2>/dev/null ) <&3 >/dev/null 2>&1 &',
  'watcher=$!',
  'exec 3<&-',
  'wait "$child"; status=$?',
  'kill -KILL "$watcher" 2>/dev/null',
  'exit "$status"',
].join('\n');

/** Exit codes after which the events tell each host's outcome (see the header). */
const RAN_EXIT_CODES = new Set([0, 2, 4]);
/** The private folders' names: the prefix, then the pid of the waymark that made it. */
const FOLDER_PREFIX = 'waymark-fleet-';
const MAX_DETAIL_BYTES = 8 * 1024 * 1024;

/** Run the block's script on every host of the batch; never throws for what the runbook, the inventory or the hosts cause. */
export async function runBatch(request: BatchRequest): Promise<BatchOutcome> {
  if (request.signal?.aborted) return { canceled: true, timedOut: false, exitCode: null };
  if (request.hosts.length === 0) return { canceled: false, timedOut: false, exitCode: null, error: `batch ${request.batch} has no hosts` };
  // Checked here: under its wrapper (LIFELINE_WRAPPER), a missing ansible-playbook would only be an exit 127.
  if (!(await ansibleAvailable())) return { canceled: false, timedOut: false, exitCode: null, error: ANSIBLE_MISSING };
  let dir: string;
  try {
    await removeAbandonedFolders(request.log);
    dir = await mkdtemp(path.join(tmpdir(), `${FOLDER_PREFIX}${process.pid}-`));
  } catch (error) {
    return {
      canceled: false,
      timedOut: false,
      exitCode: null,
      error: `cannot make a private folder for the batch under ${tmpdir()}: ${(error as Error).message}`,
    };
  }
  try {
    return await runInFolder(dir, request);
  } finally {
    // Holds the extra vars (secrets) and anything Ansible left in its temp folders: gone, whatever happened.
    await rm(dir, { recursive: true, force: true });
  }
}

async function runInFolder(dir: string, request: BatchRequest): Promise<BatchOutcome> {
  const files = await writeBatchFiles(dir, request);
  if ('error' in files) return { canceled: false, timedOut: false, exitCode: null, error: files.error };
  const events = new BatchEvents(request, request.masker);
  const channel = await openResultChannel(files.socket, events, request);
  if ('error' in channel) return { canceled: false, timedOut: false, exitCode: null, error: channel.error };

  // Ansible reads the extra vars once, before the play: once a host has started, the secrets need not
  // stay on disk for the rest of the batch.
  let varsRemoved = false;
  const onStdoutLine = (line: string): void => {
    events.line(line);
    if (varsRemoved || !events.heard) return;
    varsRemoved = true;
    rm(files.vars, { force: true }).catch((error: Error) =>
      request.log?.(`waymark: cannot remove the batch's extra vars early (${error.message}); they go with the folder`),
    );
  };
  const lines = {
    stdout: new LineChunker((text) => splitInto(text, onStdoutLine)),
    stderr: new LineChunker((text) => splitInto(text, (line) => request.log?.(`ansible: ${line}`))),
  };
  let result: ProcessResult;
  try {
    result = await runProcess({
      command: [
        '/bin/sh',
        '-c',
        LIFELINE_WRAPPER,
        'waymark-batch',
        dir,
        'ansible-playbook',
        '-i',
        request.inventory,
        '--limit',
        `@${files.limit}`,
        '-e',
        `@${files.vars}`,
        ...(request.forks === undefined ? [] : ['--forks', String(request.forks)]),
        files.playbook,
      ],
      lifeline: true,
      cwd: request.cwd,
      env: ansibleEnvironment(dir, files.socket, request.secretNames.length > 0),
      timeoutMs: request.timeoutMs,
      signal: request.signal,
      masker: request.masker,
      onOutput: (stream, chunk) => lines[stream].push(chunk),
      killGraceMs: request.killGraceMs,
      tailLines: 50,
      tailBytes: 16 * 1024,
    });
  } finally {
    await channel.close();
  }
  lines.stdout.end();
  lines.stderr.end();

  const outcome: BatchOutcome = { canceled: result.canceled, timedOut: result.timedOut, exitCode: result.exitCode };
  if (result.spawnError !== undefined) {
    outcome.error = result.spawnError.startsWith('command not found') ? ANSIBLE_MISSING : result.spawnError;
    return outcome;
  }
  if (result.canceled || result.timedOut) return outcome;
  // No host event at all: Ansible stopped before the play (an inventory or playbook it rejected).
  const ran = result.exitCode !== null && RAN_EXIT_CODES.has(result.exitCode) && events.heard;
  if (!ran) {
    outcome.error = `ansible-playbook could not run batch ${request.batch} with the inventory ${request.inventory} (exit ${result.exitCode ?? result.signal ?? 'unknown'}): ${ansibleError(result.stderrTail)}`;
    return outcome;
  }
  for (const host of request.hosts) events.missing(host, 'Ansible gave no result for this host: is it in the inventory?');
  return outcome;
}

/**
 * A waymark killed outright (SIGKILL, a power cut) cannot remove its batch folder, which may hold the
 * extra vars: the next batch removes the folders of waymarks that are no longer running (ours only).
 */
async function removeAbandonedFolders(log: ((line: string) => void) | undefined): Promise<void> {
  const folder = tmpdir();
  for (const name of await readdir(folder)) {
    const owner = /^waymark-fleet-(\d+)-/.exec(name)?.[1];
    if (owner === undefined || Number(owner) === process.pid || processRuns(Number(owner))) continue;
    const where = path.join(folder, name);
    try {
      if ((await stat(where)).uid !== process.getuid?.()) continue;
      await rm(where, { recursive: true, force: true });
      log?.(`waymark: removed ${where}, left by a waymark that is no longer running`);
    } catch (error) {
      log?.(`waymark: cannot remove ${where}, left by a waymark that is no longer running: ${(error as Error).message}`);
    }
  }
}

function processRuns(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The action's request for the batch's secret variables: `{"want": "secrets"}`. */
function isSecretsRequest(line: string): boolean {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && (value as Record<string, unknown>).want === 'secrets';
  } catch {
    // Not JSON: not a request (parseDetail says it is not a result either).
    return false;
  }
}

/** LineChunker hands over runs of whole lines; each line on its own. */
function splitInto(text: string, each: (line: string) => void): void {
  for (const line of text.slice(0, -1).split('\n')) each(line.endsWith('\r') ? line.slice(0, -1) : line);
}

/** The end of what Ansible said (its warnings name the file it could not parse, then `ERROR! …`). */
function ansibleError(stderr: string[]): string {
  const said = stderr
    .map((line) => line.replace(/^\[WARNING\]:\s*/, '').trim())
    .filter((line) => line !== '')
    .slice(-6)
    .join(' ');
  return said === '' ? 'it gave no reason' : said;
}

interface BatchFiles {
  playbook: string;
  vars: string;
  limit: string;
  socket: string;
}

/** The playbook, the 0600 extra vars, the limit file and the plugins, in the private folder. */
async function writeBatchFiles(dir: string, request: BatchRequest): Promise<BatchFiles | { error: string }> {
  const input = {
    hosts: request.hosts,
    batch: request.batch,
    argv: blockCommand(request.interpreter, request.shell, request.code),
    // Secrets never go in a file: the action asks waymark for them over the result socket (secretVars).
    vars: Object.fromEntries(Object.entries(request.vars).filter(([name]) => !request.secretNames.includes(name))),
    noLog: request.secretNames.length > 0,
  };
  const files: BatchFiles = {
    playbook: path.join(dir, 'batch.yml'),
    vars: path.join(dir, 'vars.yml'),
    limit: path.join(dir, 'hosts.limit'),
    socket: path.join(dir, 'results.sock'),
  };
  try {
    await writeFile(files.vars, extraVarsText(input), { mode: 0o600 });
    await writeFile(files.playbook, playbookText(input), { mode: 0o600 });
    await writeFile(files.limit, limitText(request.hosts), { mode: 0o600 });
    const sources = await pluginSources();
    for (const file of PLUGIN_FILES) {
      const source = sources[file];
      if (source === undefined)
        return { error: `waymark's Ansible plugin ${file} is missing from this install: reinstall waymark (npm ci && npm run build)` };
      await mkdir(path.join(dir, path.dirname(file)), { recursive: true, mode: 0o700 });
      await writeFile(path.join(dir, file), source, { mode: 0o600 });
    }
    for (const temp of ['local-tmp', 'remote-tmp']) await mkdir(path.join(dir, temp), { mode: 0o700 });
    // mkdtemp makes it 0700 already; said again so that a umask or a future change cannot widen it.
    await chmod(dir, 0o700);
  } catch (error) {
    return { error: `cannot write the batch's playbook in ${dir}: ${(error as Error).message}` };
  }
  return files;
}

/**
 * ansible-playbook's environment: waymark's callback on stdout, no retry files, Ansible's temp files in
 * the private folder, pipelining (module arguments, and so the variables, travel on the connection's
 * stdin rather than in a file on the host; an inventory's own ansible_pipelining still wins), and the
 * socket the action reports on. Host key checking and the operator's other settings are left alone,
 * but for Ansible's debug mode when the run has secrets: it prints each host's raw result, no_log or
 * not (Ansible's own description of DEFAULT_DEBUG says so), JSON-escaped, where a secret with a quote,
 * a backslash or a non-ASCII character is no longer the text the masker looks for. The environment
 * wins over an ansible.cfg's `debug = True`.
 */
function ansibleEnvironment(dir: string, socket: string, secrets: boolean): Record<string, string> {
  return {
    ...(secrets ? { ANSIBLE_DEBUG: 'False' } : {}),
    ANSIBLE_STDOUT_CALLBACK: 'waymark_jsonl',
    ANSIBLE_RETRY_FILES_ENABLED: 'False',
    ANSIBLE_LOCAL_TEMP: path.join(dir, 'local-tmp'),
    ANSIBLE_REMOTE_TEMP: path.join(dir, 'remote-tmp'),
    ANSIBLE_PIPELINING: 'True',
    ANSIBLE_NOCOLOR: 'True',
    // An inventory Ansible cannot parse is the batch's error, not a warning and no hosts.
    ANSIBLE_INVENTORY_UNPARSED_FAILED: 'True',
    PYTHONDONTWRITEBYTECODE: '1',
    WAYMARK_FLEET_SOCKET: socket,
  };
}

/**
 * The secret variables of the batch, as the action asks for them for each host: they reach the
 * host inside the module's arguments (over the connection's stdin), and never a file, not even the
 * 0600 extra vars that Ansible reads from the private folder. A lone surrogate, which no UTF-8 text can
 * hold, is U+FFFD (as unsafeString writes it).
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function secretVars(request: BatchRequest): string {
  const secrets = Object.fromEntries(
    Object.entries(request.vars)
      .filter(([name]) => request.secretNames.includes(name))
      .map(([name, value]) => [name, value.replace(LONE_SURROGATE, '\uFFFD')]),
  );
  return `${JSON.stringify({ secrets })}\n`;
}

/**
 * waymark's end of the action's socket: one connection per message. A host result is acknowledged
 * once kept; `{"want": "secrets"}` is answered with the batch's secret variables.
 */
async function openResultChannel(
  socketPath: string,
  events: BatchEvents,
  request: BatchRequest,
): Promise<{ close(): Promise<void> } | { error: string }> {
  const connections = new Set<Socket>();
  const server: Server = createServer((connection) => {
    connections.add(connection);
    let received = '';
    let answered = false;
    connection.setEncoding('utf8');
    connection.on('data', (text: string) => {
      if (answered) return;
      received += text;
      if (received.length > MAX_DETAIL_BYTES) {
        request.log?.('waymark: a host result over the result socket was too long and was dropped');
        connection.destroy();
        return;
      }
      const end = received.indexOf('\n');
      if (end === -1) return;
      answered = true;
      if (isSecretsRequest(received.slice(0, end))) {
        connection.end(secretVars(request));
        return;
      }
      const detail = parseDetail(received.slice(0, end));
      if (detail === undefined) request.log?.('waymark: a message on the result socket was not a host result');
      else events.detail(detail);
      connection.end('k');
    });
    connection.on('error', (error) => request.log?.(`waymark: the result socket failed: ${error.message}`));
    connection.on('close', () => connections.delete(connection));
  });
  const listening = await new Promise<true | Error>((resolve) => {
    server.once('error', resolve);
    server.listen(socketPath, () => resolve(true));
  });
  if (listening !== true) return { error: `cannot open waymark's result socket ${socketPath}: ${listening.message}` };
  return {
    close: () =>
      new Promise<void>((resolve) => {
        for (const connection of connections) connection.destroy();
        server.close(() => resolve());
      }),
  };
}
