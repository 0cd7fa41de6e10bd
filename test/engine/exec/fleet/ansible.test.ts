import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ansibleAvailable } from '../../../../src/engine/exec/fleet/ansible-available.js';
import {
  ANSIBLE_MISSING,
  runBatch,
  type BatchOutcome,
  type BatchRequest,
  type HostResult,
} from '../../../../src/engine/exec/fleet/ansible.js';
import { createMasker, MASK } from '../../../../src/engine/exec/mask.js';
import { removeScratchDirs, scratchDir } from '../../../support/workspace.js';
import { startSshFleet, type SshFleet } from '../../../support/sshd-fleet.js';
import { waitFor } from '../../../support/wait.js';

const LOCAL = 'ansible_connection=local ansible_python_interpreter=/usr/bin/python3';

let dir: string;
let inventory: string;

beforeAll(() => {
  dir = scratchDir();
  inventory = path.join(dir, 'hosts.ini');
  const hosts = Array.from({ length: 6 }, (_, i) => `h${i + 1} ${LOCAL}`);
  // Nothing listens on port 1 of 127.0.0.250: a real SSH connection that is refused.
  writeFileSync(
    inventory,
    `${hosts.join('\n')}\n[gone]\ndown ansible_host=127.0.0.250 ansible_port=1 ansible_user=root ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5'\n`,
  );
});

afterAll(removeScratchDirs);

interface Ran {
  outcome: BatchOutcome;
  results: HostResult[];
  started: string[];
  log: string[];
  wallMs: number;
}

async function run(overrides: Partial<BatchRequest> & Pick<BatchRequest, 'hosts' | 'code'>): Promise<Ran> {
  const results: HostResult[] = [];
  const started: string[] = [];
  const log: string[] = [];
  const begin = performance.now();
  const outcome = await runBatch({
    inventory: 'hosts.ini',
    batch: 1,
    interpreter: 'shell',
    shell: 'bash',
    vars: {},
    secretNames: [],
    masker: createMasker([]),
    timeoutMs: 120_000,
    cwd: dir,
    onHostStart: (host) => started.push(host),
    onHostResult: (result) => results.push(result),
    log: (line) => log.push(line),
    ...overrides,
  });
  return { outcome, results, started, log, wallMs: performance.now() - begin };
}

const byHost = (results: HostResult[]): Record<string, HostResult> => Object.fromEntries(results.map((result) => [result.host, result]));

/** This process's batch folders under the temp dir (others may be running fleet batches too). */
const fleetFolders = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith(`waymark-fleet-${process.pid}-`));

describe('runBatch on local-connection hosts', () => {
  it('runs the script once per host with WAYMARK_HOST and WAYMARK_BATCH, and reports each host as Ansible saw it', async () => {
    const hosts = ['h1', 'h2', 'h3', 'h4', 'h5', 'h6'];
    const ran = await run({
      hosts,
      batch: 3,
      forks: 6,
      code: 'echo "on $WAYMARK_HOST in batch $WAYMARK_BATCH"; echo warn >&2; [ "$WAYMARK_HOST" != h2 ] || exit 3',
    });
    console.log(`one batch of 6 local hosts: ${Math.round(ran.wallMs)} ms wall`);
    expect(ran.outcome).toEqual({ canceled: false, timedOut: false, exitCode: 2 });
    expect([...ran.started].sort()).toEqual(hosts);
    expect(ran.results.map((result) => result.host).sort()).toEqual(hosts);
    const results = byHost(ran.results);
    expect(results.h1).toMatchObject({ status: 'ok', rc: 0, stdout: 'on h1 in batch 3\n', stderr: 'warn\n' });
    expect(results.h2).toMatchObject({ status: 'failed', rc: 3, stdout: 'on h2 in batch 3\n', msg: 'non-zero return code 3' });
    expect(results.h6?.durationMs).toBeGreaterThan(0);
    expect(ran.log).toContain(`h2: failed rc=3 ${Math.round(results.h2?.durationMs ?? 0)}ms — non-zero return code 3`);
    expect(ran.log).toContain('h1 stdout| on h1 in batch 3');
  }, 60_000);

  it('removes the extra vars once Ansible has read them, keeps its folder 0700, and the result socket away from the script', async () => {
    // A local host's script inherits ansible-playbook's environment, which names Ansible's temp folder in ours.
    const ran = await run({
      hosts: ['h1'],
      vars: { A: 'x' },
      code: 'cd "$ANSIBLE_LOCAL_TEMP/.." && stat -c "%n %a" . && ls && echo "socket=${WAYMARK_FLEET_SOCKET:-none} A=$A"',
    });
    expect(ran.results[0]).toMatchObject({ status: 'ok', stdout: expect.stringMatching(/^\. 700\n/) });
    expect(ran.results[0]?.stdout).toContain('batch.yml');
    expect(ran.results[0]?.stdout).not.toContain('vars.yml');
    expect(ran.results[0]?.stdout).toContain('socket=none A=x\n');
  }, 60_000);

  it('removes the folder a waymark killed outright left behind, and only such folders', async () => {
    const dead = execFileSync('sh', ['-c', 'sh -c "echo \\$\\$"'], { encoding: 'utf8' }).trim();
    const abandoned = path.join(tmpdir(), `waymark-fleet-${dead}-test`);
    const alive = path.join(tmpdir(), `waymark-fleet-${process.pid}-test`);
    mkdirSync(abandoned, { mode: 0o700 });
    mkdirSync(alive, { mode: 0o700 });
    writeFileSync(path.join(abandoned, 'vars.yml'), 'secret: x\n', { mode: 0o600 });
    try {
      const ran = await run({ hosts: ['h1'], code: 'true' });
      expect(existsSync(abandoned)).toBe(false);
      expect(existsSync(alive)).toBe(true);
      expect(ran.log).toContain(`waymark: removed ${abandoned}, left by a waymark that is no longer running`);
    } finally {
      rmSync(abandoned, { recursive: true, force: true });
      rmSync(alive, { recursive: true, force: true });
    }
  }, 60_000);

  it('runs python blocks with python3', async () => {
    const ran = await run({ hosts: ['h1'], interpreter: 'python', code: 'import os\nprint("py", os.environ["WAYMARK_HOST"])' });
    expect(ran.results).toEqual([expect.objectContaining({ host: 'h1', status: 'ok', rc: 0, stdout: 'py h1\n' })]);
  }, 60_000);

  it('passes variables as data: shell syntax and Jinja in a value or the script are never run', async () => {
    const value =
      "a $(touch X1) ; touch X2 `touch X3` 'q' \"dq\" \\ back\nnew line {{ lookup('pipe','touch Y1') }} {% if true %}Y2{% endif %} é ✓ \u2028 end";
    const ran = await run({
      hosts: ['h1', 'h2'],
      vars: { TRICKY: value, '{{ lookup("pipe","touch Y3") }}': 'key' },
      code: "# {{ lookup('pipe','touch Y4') }}\nprintf '%s' \"$TRICKY\"",
    });
    for (const result of ran.results) expect(result).toMatchObject({ status: 'ok', stdout: value });
    for (const name of ['X1', 'X2', 'X3', 'Y1', 'Y2', 'Y3', 'Y4']) expect(existsSync(path.join(dir, name)), name).toBe(false);
  }, 60_000);

  it('bounds what it keeps of a host output to its last 64 KiB', async () => {
    const ran = await run({ hosts: ['h1'], code: 'for i in $(seq 1 20000); do echo "line $i of the output"; done' });
    const stdout = ran.results[0]?.stdout ?? '';
    expect(stdout.length).toBeLessThanOrEqual(64 * 1024);
    expect(stdout.endsWith('line 20000 of the output\n')).toBe(true);
  }, 60_000);

  it('reports a host Ansible never ran (not in the inventory) as failed with the reason', async () => {
    const ran = await run({ hosts: ['h1', 'ghost'], code: 'true' });
    expect(byHost(ran.results).ghost).toMatchObject({ status: 'failed', rc: null, msg: expect.stringContaining('no result') });
    expect(byHost(ran.results).h1).toMatchObject({ status: 'ok' });
  }, 60_000);
});

describe('runBatch with secrets', () => {
  const secret = 'sw0rdfish-Secret-41';

  it('masks them in every result and log line, and no_log keeps them out of Ansible output, its log and callbacks', async () => {
    const before = new Set(fleetFolders());
    const audit = scratchDir();
    const saved = { ...process.env };
    // What an operator may have configured: a log_path and an extra callback that writes every result to disk.
    process.env.ANSIBLE_LOG_PATH = path.join(audit, 'ansible.log');
    process.env.ANSIBLE_CALLBACKS_ENABLED = 'community.general.log_plays';
    process.env.ANSIBLE_LOG_FOLDER = path.join(audit, 'plays');
    let ran: Ran;
    let control: Ran;
    try {
      ran = await run({
        hosts: ['h1', 'h2', 'down'],
        vars: { PASSWORD: secret, PLAIN: 'visible' },
        secretNames: ['PASSWORD'],
        masker: createMasker([secret]),
        code: 'echo "pw=$PASSWORD plain=$PLAIN"; echo "err $PASSWORD" >&2; [ "$WAYMARK_HOST" = h1 ]',
      });
      // The same batch without secrets writes the value to those files: the check below can fail.
      control = await run({ hosts: ['h1'], vars: { PLAIN: 'control-value-77' }, code: 'echo "$PLAIN"' });
    } finally {
      process.env = saved;
    }
    // A failed host and an unreachable one: ansible-playbook says 4 (unreachable wins).
    expect(ran.outcome).toEqual({ canceled: false, timedOut: false, exitCode: 4 });
    const results = byHost(ran.results);
    expect(results.h1).toMatchObject({ status: 'ok', rc: 0, stdout: `pw=${MASK} plain=visible\n`, stderr: `err ${MASK}\n` });
    expect(results.h2).toMatchObject({ status: 'failed', rc: 1, stdout: `pw=${MASK} plain=visible\n` });
    // The action's own report: no_log would have replaced Ansible's message with its notice.
    expect(results.down).toMatchObject({ status: 'unreachable', rc: null, msg: expect.stringMatching(/127\.0\.0\.250/) });
    expect(JSON.stringify(ran.results)).not.toContain(secret);
    expect(ran.log.join('\n')).not.toContain(secret);
    expect(ran.log).toContain(`h1 stdout| pw=${MASK} plain=visible`);

    const written = readdirSync(audit, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile())
      .map((entry) => readFileSync(path.join(entry.parentPath, entry.name), 'utf8'))
      .join('\n');
    expect(written).toContain('control-value-77');
    expect(written).not.toContain(secret);
    expect(control.results[0]).toMatchObject({ stdout: 'control-value-77\n' });

    // Nothing left in the temp dir (playbook, extra vars, Ansible's temp files), no retry file.
    expect(fleetFolders().filter((name) => !before.has(name))).toEqual([]);
    expect(existsSync(path.join(dir, 'batch.retry'))).toBe(false);
    expect(existsSync(path.join(homedir(), '.ansible', 'retry'))).toBe(false);
  }, 90_000);
});

describe('runBatch with secrets: never in a file', () => {
  // Reproduced: the secrets were written, with the other variables, to the batch's 0600 extra-vars
  // file (removed once a host started, or by the next batch after a waymark killed outright). Now the
  // action asks waymark for them over the result socket; the file holds the others only.
  it('keeps them out of the extra vars, and the script still gets them exactly', async () => {
    const secret = 'file-Secret-"q\\-ü-93';
    const digest = createHash('sha256').update(secret).digest('hex');
    const seen = new Set<string>();
    const watch = setInterval(() => {
      for (const folder of fleetFolders()) {
        try {
          seen.add(readFileSync(path.join(tmpdir(), folder, 'vars.yml'), 'utf8'));
        } catch {
          // Not written yet, or already removed.
        }
      }
    }, 5);
    let ran: Ran;
    try {
      ran = await run({
        hosts: ['h1', 'h2'],
        vars: { PASSWORD: secret, PLAIN: 'plain-in-file-31' },
        secretNames: ['PASSWORD'],
        masker: createMasker([secret]),
        // Compared by its digest: the secret itself in the script would be in the file (as the command line).
        code: 'echo "$(printf %s "$PASSWORD" | sha256sum | cut -c1-64) plain=$PLAIN"',
      });
    } finally {
      clearInterval(watch);
    }
    expect(ran.results.map((r) => [r.host, r.status, r.stdout]).sort()).toEqual([
      ['h1', 'ok', `${digest} plain=plain-in-file-31\n`],
      ['h2', 'ok', `${digest} plain=plain-in-file-31\n`],
    ]);
    const files = [...seen].join('\n');
    // The watch did see the file: the plain value is there.
    expect(files).toContain('plain-in-file-31');
    expect(files).toContain('!unsafe "PLAIN": ');
    expect(files).not.toContain('!unsafe "PASSWORD": ');
    for (const piece of ['file-Secret', '\\u00fc-93']) expect(files).not.toContain(piece);
  }, 60_000);
});

describe('runBatch with secrets under Ansible debug mode', () => {
  // Reproduced: with ANSIBLE_DEBUG=True (or `debug = True` in an ansible.cfg beside the runbook),
  // Ansible printed each host's raw module result, no_log notwithstanding, with the variables echoed
  // back as its invocation: a secret holding a quote or a backslash appeared there JSON-escaped
  // (S3cr\"et\\zz), which the masker does not know, and was written to the block's log on disk.
  const secret = 'S3cr"et\\zz-ünï-41';
  const forms = [
    secret,
    JSON.stringify(secret).slice(1, -1),
    JSON.stringify(secret)
      .slice(1, -1)
      .replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`),
  ];

  it.each([
    ['ANSIBLE_DEBUG in the environment', true],
    ['debug = True in an ansible.cfg', false],
  ])(
    'keeps every form of a secret out of the batch log: %s',
    async (_how, viaEnvironment) => {
      const folder = scratchDir();
      writeFileSync(path.join(folder, 'hosts.ini'), `h1 ${LOCAL}\n`);
      if (!viaEnvironment) writeFileSync(path.join(folder, 'ansible.cfg'), '[defaults]\ndebug = True\n');
      const saved = process.env.ANSIBLE_DEBUG;
      if (viaEnvironment) process.env.ANSIBLE_DEBUG = 'True';
      let ran: Ran;
      let control: Ran;
      try {
        const code = 'echo "pw=$PASSWORD plain=$PLAIN"';
        ran = await run({
          hosts: ['h1'],
          cwd: folder,
          vars: { PASSWORD: secret, PLAIN: 'visible-debug-55' },
          secretNames: ['PASSWORD'],
          masker: createMasker([secret]),
          code,
        });
        // Without secrets, debug mode stays as the operator set it: Ansible's own lines show the raw result.
        control = await run({ hosts: ['h1'], cwd: folder, vars: { PLAIN: 'control-debug-77' }, code: 'echo "plain=$PLAIN"' });
      } finally {
        if (saved === undefined) delete process.env.ANSIBLE_DEBUG;
        else process.env.ANSIBLE_DEBUG = saved;
      }
      expect(ran.results[0]).toMatchObject({ status: 'ok', rc: 0, stdout: `pw=${MASK} plain=visible-debug-55\n` });
      const ansibleLines = (log: string[]): string => log.filter((line) => line.startsWith('ansible: ')).join('\n');
      expect(ansibleLines(control.log)).toContain('plain=control-debug-77');
      const everything = [...ran.log, JSON.stringify(ran.results)].join('\n');
      for (const form of forms) expect(everything).not.toContain(form);
    },
    90_000,
  );
});

/** Command lines of running processes that hold `text`. */
function commandLinesHolding(text: string): string[] {
  const found: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (cmdline.includes(text)) found.push(cmdline.replaceAll('\0', ' '));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

describe('runBatch over SSH (real sshd)', () => {
  let fleet: SshFleet | undefined;
  let sshDir: string;

  beforeAll(async () => {
    sshDir = scratchDir();
    fleet = await startSshFleet(sshDir, 2);
    writeFileSync(path.join(dir, 'ssh.ini'), `${fleet.inventoryLines.join('\n')}\n`);
  }, 30_000);

  afterAll(async () => {
    await fleet?.stop();
  });

  it('runs on each host with the variables, and a secret is on no command line while it runs', async () => {
    const secret = `ssh-secret-${process.pid}-value`;
    const seen: string[] = [];
    const watch = setInterval(() => seen.push(...commandLinesHolding(secret)), 50);
    let ran: Ran;
    try {
      ran = await run({
        inventory: 'ssh.ini',
        hosts: ['s1', 's2'],
        vars: { TOKEN: secret },
        secretNames: ['TOKEN'],
        masker: createMasker([secret]),
        code: 'sleep 1; echo "$WAYMARK_HOST got ${#TOKEN} chars"',
      });
    } finally {
      clearInterval(watch);
    }
    expect(ran.outcome.exitCode).toBe(0);
    expect(byHost(ran.results).s1).toMatchObject({ status: 'ok', rc: 0, stdout: `s1 got ${secret.length} chars\n` });
    expect(byHost(ran.results).s2).toMatchObject({ status: 'ok', rc: 0 });
    expect(seen).toEqual([]);
  }, 60_000);

  it('on cancel, the scripts on the hosts end too', async () => {
    const seconds = `30.${process.pid}3`;
    const controller = new AbortController();
    const running = run({
      inventory: 'ssh.ini',
      hosts: ['s1', 's2'],
      code: `sleep ${seconds}`,
      signal: controller.signal,
      killGraceMs: 2000,
    });
    try {
      await waitFor(() => sleepers(seconds).length === 2, { timeout: 30_000, interval: 100, what: 'two hosts sleeping' });
      controller.abort();
      expect((await running).outcome.canceled).toBe(true);
      await waitFor(() => sleepers(seconds).length === 0, { timeout: 10_000, interval: 100, what: 'every sleeper ending' });
    } finally {
      controller.abort();
      await running;
      for (const { pid } of sleepers(seconds)) process.kill(pid, 'SIGKILL');
    }
  }, 60_000);

  it('reports a host whose SSH port refuses as unreachable, with the reason; ansible-playbook exits 4', async () => {
    const ran = await run({ hosts: ['down'], code: 'true' });
    expect(ran.outcome).toEqual({ canceled: false, timedOut: false, exitCode: 4 });
    expect(ran.results).toEqual([
      expect.objectContaining({
        host: 'down',
        status: 'unreachable',
        rc: null,
        msg: expect.stringMatching(/127\.0\.0\.250.*(refused|port 1)/s),
      }),
    ]);
  }, 60_000);
});

/** Processes running `sleep SECONDS`, with their process groups. */
function sleepers(seconds: string): { pid: number; pgid: number }[] {
  const table = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' });
  return table
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields[2]?.[0] !== 'Z' && fields[3] === 'sleep' && fields[4] === seconds)
    .map((fields) => ({ pid: Number(fields[0]), pgid: Number(fields[1]) }));
}

/** Processes, zombies aside, in one of these groups. */
function membersOf(groups: Set<number>): string[] {
  const table = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' });
  return table
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => {
      const fields = line.split(/\s+/);
      return groups.has(Number(fields[1])) && fields[2]?.[0] !== 'Z';
    });
}

describe('runBatch ends ansible-playbook and everything it started', () => {
  it('on cancel: no worker, module or script is left', async () => {
    const seconds = `30.${process.pid}1`;
    const controller = new AbortController();
    const running = run({ hosts: ['h1', 'h2', 'h3'], code: `sleep ${seconds}`, signal: controller.signal, killGraceMs: 2000 });
    let groups = new Set<number>();
    try {
      await waitFor(() => sleepers(seconds).length === 3, { timeout: 30_000, interval: 100, what: 'three hosts sleeping' });
      groups = new Set(sleepers(seconds).map((sleeper) => sleeper.pgid));
      controller.abort();
      const ran = await running;
      expect(ran.outcome.canceled).toBe(true);
      expect(ran.results).toEqual([]);
      expect(sleepers(seconds)).toEqual([]);
      expect(membersOf(groups)).toEqual([]);
    } finally {
      controller.abort();
      await running;
      for (const { pid } of sleepers(seconds)) process.kill(pid, 'SIGKILL');
    }
  }, 60_000);

  it('on timeout likewise', async () => {
    const seconds = `30.${process.pid}2`;
    const ran = await run({ hosts: ['h1', 'h2', 'h3'], code: `sleep ${seconds}`, timeoutMs: 4000, killGraceMs: 2000 });
    try {
      expect(ran.outcome).toMatchObject({ timedOut: true, canceled: false });
      expect(sleepers(seconds)).toEqual([]);
    } finally {
      for (const { pid } of sleepers(seconds)) process.kill(pid, 'SIGKILL');
    }
  }, 60_000);
});

describe('runBatch when Ansible cannot run', () => {
  it('names the package when ansible-playbook is missing, without throwing', async () => {
    const empty = scratchDir();
    mkdirSync(path.join(empty, 'bin'));
    const saved = process.env.PATH;
    process.env.PATH = path.join(empty, 'bin');
    try {
      expect(await ansibleAvailable()).toBe(false);
      const ran = await run({ hosts: ['h1'], code: 'true' });
      expect(ran.outcome.error).toBe(ANSIBLE_MISSING);
      expect(ran.outcome.error).toMatch(/apt-get install -y ansible/);
    } finally {
      process.env.PATH = saved;
    }
    expect(await ansibleAvailable()).toBe(true);
  });

  it('gives Ansible’s reason when it rejects the inventory', async () => {
    const ran = await run({ hosts: ['h1'], inventory: 'no-such-inventory.ini', code: 'true' });
    expect(ran.results).toEqual([]);
    expect(ran.outcome.error).toMatch(
      /ansible-playbook could not run batch 1 with the inventory no-such-inventory.ini \(exit \d+\): .*Unable to parse .*no-such-inventory.ini.*ERROR!/,
    );
    expect(ran.outcome.error).toContain('no-such-inventory.ini');
  }, 60_000);
});
