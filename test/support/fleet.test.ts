import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HOST_TOOLS, HOST_UPGRADE, describeWithFleet, shouldRunFleetTests, startFleet, type Fleet } from './fleet.js';

interface AnsibleRun {
  status: number | null;
  output: string;
  ms: number;
}

function ansible(fleet: Fleet, program: 'ansible' | 'ansible-playbook', args: string[]): AnsibleRun {
  const began = Date.now();
  const done = spawnSync(program, ['-i', fleet.inventory, ...args], {
    cwd: fleet.dir,
    env: { ...process.env, ...fleet.ansibleEnv },
    encoding: 'utf8',
    timeout: 120_000,
    killSignal: 'SIGKILL',
  });
  return { status: done.status, output: `${done.stdout}${done.stderr}`, ms: Date.now() - began };
}

/** `ansible -o` prints one line a host: `NAME | CHANGED | rc=0 | (stdout) ...` or `NAME | UNREACHABLE! => ...`. */
function outcomes(output: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const line of output.split('\n')) {
    const match = /^(\S+) \| (CHANGED|SUCCESS|FAILED|UNREACHABLE)!?/.exec(line);
    if (match?.[1] && match[2]) found.set(match[1], line);
  }
  return found;
}

/** Whether `pid` runs (a killed process its parent has not reaped yet is a zombie: not running). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !['Z', 'X'].includes(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '');
  } catch {
    return false;
  }
}

function pgrep(pattern: string): string {
  return spawnSync('pgrep', ['-af', pattern], { encoding: 'utf8' }).stdout.trim();
}

describe.skipIf(!shouldRunFleetTests())('a fleet of real sshd hosts driven by Ansible', () => {
  let fleet: Fleet | undefined;
  afterAll(async () => {
    await fleet?.stop();
  }, 30_000);

  it('answers Ansible on every host, each in its own root; a killed host is unreachable at once; stop leaves no sshd', async () => {
    const began = Date.now();
    fleet = await startFleet({ hosts: 3 });
    console.info(`fleet of 3 sshd hosts started in ${Date.now() - began} ms`);
    expect(fleet.hosts.map((host) => [host.name, host.group, host.address])).toEqual([
      ['ctl-1', 'controllers', '127.0.0.2'],
      ['cmp-1', 'computes', '127.0.0.3'],
      ['cmp-2', 'computes', '127.0.0.4'],
    ]);
    await fleet.waitReady();

    const round = ansible(fleet, 'ansible', [
      'all',
      '-o',
      '-m',
      'ansible.builtin.shell',
      '-a',
      'echo "$WAYMARK_TESTBED_ROOT $WAYMARK_TESTBED_HOST $PATH"',
    ]);
    console.info(`ansible round over 3 hosts: ${round.ms} ms`);
    const first = outcomes(round.output);
    expect(round.status, round.output).toBe(0);
    for (const host of fleet.hosts) {
      expect(first.get(host.name), round.output).toMatch(/\| CHANGED \| rc=0/);
      // Its own root and name, and sshd's plain PATH after the testbed's host tools, rather than the developer's shell set-up.
      expect(first.get(host.name)).toContain(
        `${host.root} ${host.name} ${HOST_TOOLS}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
      );
    }

    // The production command names reach the testbed's stand-ins for that host; this fleet's folder
    // has no MariaDB testbed above it, so they say so by name, with the stand-in's exit code.
    const tools = ansible(fleet, 'ansible', [
      'ctl-1',
      '-o',
      '-m',
      'ansible.builtin.shell',
      '-a',
      "for t in sudo yum systemctl crudini; do command -v $t; done; sudo yum -y update 'openstack-nova-*'",
    ]);
    const tool = outcomes(tools.output).get('ctl-1') ?? '';
    expect(tool, tools.output).toMatch(/\| FAILED! => .*"rc": 1\b/);
    for (const name of ['sudo', 'yum', 'systemctl', 'crudini']) expect(tool).toContain(join(HOST_TOOLS, name));
    expect(tool).toContain('the testbed is not running');

    fleet.kill('cmp-1');
    const afterKill = ansible(fleet, 'ansible', ['all', '-o', '-m', 'ansible.builtin.shell', '-a', 'true']);
    console.info(`ansible round with cmp-1 killed: ${afterKill.ms} ms`);
    const second = outcomes(afterKill.output);
    expect(second.get('cmp-1'), afterKill.output).toMatch(/\| UNREACHABLE!/);
    expect(second.get('ctl-1'), afterKill.output).toMatch(/\| CHANGED \| rc=0/);
    expect(second.get('cmp-2'), afterKill.output).toMatch(/\| CHANGED \| rc=0/);
    // Unreachable at once, not after a timeout: refused at connect, or, when Ansible's kept-open ssh
    // connection to the killed host was still being torn down (CI under load), a broken pipe on it.
    expect(second.get('cmp-1'), afterKill.output).toMatch(/Connection refused|Broken pipe/);
    expect(second.get('cmp-1'), afterKill.output).not.toMatch(/timed out/i);

    const pids = fleet.hosts.filter((host) => existsSync(host.pidFile)).map((host) => Number(readFileSync(host.pidFile, 'utf8')));
    expect(pids).toHaveLength(2);
    await fleet.stop();
    for (const host of fleet.hosts) expect(pgrep(host.config)).toBe('');
    for (const pid of pids) expect(running(pid)).toBe(false);
    expect(existsSync(fleet.dir)).toBe(false);
    await fleet.stop();
  }, 120_000);
});

describeWithFleet(
  'ansible-playbook against a fleet with a failed and an unreachable host',
  (theFleet) => {
    it("host-upgrade moves each reachable host's version; the exit code is 4 when a host is unreachable, even with another failed, and 2 with failures only", async () => {
      const fleet = theFleet();
      const playbook = join(fleet.dir, 'upgrade.yml');
      // cmp-2 fails before upgrading; the target release reaches the host as environment (TO).
      writeFileSync(
        playbook,
        [
          '- hosts: all',
          '  gather_facts: false',
          '  environment:',
          '    TO: ocata',
          '  tasks:',
          `    - ansible.builtin.shell: test "$WAYMARK_TESTBED_HOST" != cmp-2 && ${HOST_UPGRADE} nova-compute`,
          '',
        ].join('\n'),
      );
      fleet.kill('cmp-1');

      const mixed = ansible(fleet, 'ansible-playbook', [playbook]);
      console.info(`ansible-playbook, one host failed and one unreachable: exit ${mixed.status} in ${mixed.ms} ms`);
      expect(mixed.output).toMatch(/cmp-1\s+: ok=0 .*unreachable=1/);
      expect(mixed.output).toMatch(/cmp-2\s+: ok=0 .*failed=1/);
      expect(mixed.output).toMatch(/ctl-1\s+: ok=1 /);
      // ansible-core 2.14 checks unreachable hosts before failed ones (plugins/strategy/__init__.py).
      expect(mixed.status, mixed.output).toBe(4);
      expect(readFileSync(fleet.host('ctl-1').versionFile, 'utf8')).toBe('ocata\n');
      expect(readFileSync(fleet.host('cmp-1').versionFile, 'utf8')).toBe('newton\n');
      expect(readFileSync(fleet.host('cmp-2').versionFile, 'utf8')).toBe('newton\n');

      const unreachableOnly = ansible(fleet, 'ansible-playbook', [playbook, '--limit', 'ctl-1,cmp-1']);
      console.info(`ansible-playbook, one host unreachable: exit ${unreachableOnly.status} in ${unreachableOnly.ms} ms`);
      expect(unreachableOnly.output).toMatch(/cmp-1\s+: ok=0 .*unreachable=1/);
      expect(unreachableOnly.output).toMatch(/ctl-1\s+: ok=1 .*failed=0/);
      expect(unreachableOnly.status, unreachableOnly.output).toBe(4);

      const failedOnly = ansible(fleet, 'ansible-playbook', [playbook, '--limit', 'ctl-1,cmp-2']);
      console.info(`ansible-playbook, one host failed: exit ${failedOnly.status} in ${failedOnly.ms} ms`);
      expect(failedOnly.output).toMatch(/cmp-2\s+: ok=0 .*failed=1/);
      expect(failedOnly.output).toMatch(/ctl-1\s+: ok=1 .*failed=0/);
      expect(failedOnly.status, failedOnly.output).toBe(2);
    }, 120_000);

    it('kill ends a live session on the host, and the command it runs, at once', async () => {
      const fleet = theFleet();
      const host = fleet.host('ctl-1');
      const session = spawn(
        'ssh',
        [
          '-i',
          fleet.clientKey,
          '-p',
          String(fleet.port),
          '-o',
          'StrictHostKeyChecking=no',
          '-o',
          'UserKnownHostsFile=/dev/null',
          '-o',
          'LogLevel=ERROR',
          '-o',
          'BatchMode=yes',
          `${userInfo().username}@${host.address}`,
          'echo $$; exec sleep 300',
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      try {
        const remotePid = await new Promise<number>((resolve, reject) => {
          session.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
          session.once('exit', (code) => reject(new Error(`ssh exited with ${code} before the command started`)));
        });
        expect(running(remotePid)).toBe(true);
        const exited = new Promise<number | null>((resolve) => session.once('exit', resolve));
        const began = Date.now();
        fleet.kill('ctl-1');
        expect(await exited).toBe(255);
        console.info(`a live ssh session ended ${Date.now() - began} ms after kill`);
        expect(running(remotePid)).toBe(false);
      } finally {
        session.kill('SIGKILL');
      }
    }, 60_000);
  },
  { hosts: 3, groups: { controllers: 1, computes: 2 } },
);

describe.skipIf(!shouldRunFleetTests())('a fleet of 12 hosts', () => {
  it('starts with 3 controllers and 9 computes by default, all ready', async () => {
    const began = Date.now();
    const fleet = await startFleet({ hosts: 12 });
    const ms = Date.now() - began;
    try {
      console.info(`fleet of 12 sshd hosts started in ${ms} ms`);
      expect(fleet.hosts.filter((host) => host.group === 'controllers').map((host) => host.name)).toEqual(['ctl-1', 'ctl-2', 'ctl-3']);
      expect(fleet.hosts.filter((host) => host.group === 'computes')).toHaveLength(9);
      expect(fleet.hosts.at(-1)?.address).toBe('127.0.0.13');
      await fleet.waitReady();
    } finally {
      await fleet.stop();
    }
  }, 60_000);
});
