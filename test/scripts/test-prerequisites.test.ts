/**
 * The preflight of `npm test` (scripts/test-prerequisites.mjs, docs/testing.md#the-system-packages):
 * its decisions as pure functions, then the real script on a stand-in machine — a temp directory
 * standing for `/`, a PATH of stand-in programs, and a stand-in apt-get that records each call
 * (its arguments, DEBIAN_FRONTEND, and the policy-rc.d it would see) and "installs" by creating
 * the programs. Nothing here touches this machine's packages or its /usr/sbin.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { decide, missingPackages, missingParts, PACKAGES, type Probes } from '../../scripts/test-prerequisites.mjs';

const SCRIPT = resolve(dirname(fileURLToPath(import.meta.url)), '../../scripts/test-prerequisites.mjs');
const ALL = ['mariadb-server', 'tmux', 'openssh-server', 'ansible'];
const LOCK = ['-o', 'DPkg::Lock::Timeout=300'];
const KEEP_CONFIG = ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];

/** Probes of a machine that has everything but what `without` takes away. */
function machine(without: { programs?: string[]; files?: boolean; collections?: string[] } = {}): Probes {
  return {
    hasProgram: (name) => !(without.programs ?? []).includes(name),
    hasFile: () => without.files !== true,
    hasCollection: (name) => !(without.collections ?? []).includes(name),
  };
}

describe('missingPackages: what the suite lacks', () => {
  it('a machine with everything lacks nothing', () => {
    expect(missingPackages(machine())).toEqual([]);
  });

  it('one missing program makes its package missing, in the order of the list', () => {
    // MariaDB's programs are named through PACKAGES: a quoted server binary is what test/architecture/support.test.ts flags.
    const installDb = programsOf('mariadb-server')[1] as string;
    expect(missingPackages(machine({ programs: ['ansible-inventory', installDb] }))).toEqual(['mariadb-server', 'ansible']);
  });

  it('Ansible without the ansible.posix collection (ansible-core alone) is missing ansible', () => {
    expect(missingPackages(machine({ collections: ['ansible.posix'] }))).toEqual(['ansible']);
  });

  it('sshd without an sftp server is missing openssh-server', () => {
    expect(missingPackages(machine({ files: true }))).toEqual(['openssh-server']);
  });

  it('says what of each package is missing: programs, the sftp server, the collection', () => {
    expect(missingParts(machine({ programs: ['tmux'], files: true, collections: ['ansible.posix'] }))).toEqual([
      { name: 'tmux', parts: ['tmux'] },
      { name: 'openssh-server', parts: ['an sftp-server'] },
      { name: 'ansible', parts: ['ansible.posix collection'] },
    ]);
  });

  it('a bare machine lacks all four packages', () => {
    const programs = PACKAGES.flatMap((pkg) => pkg.programs);
    expect(missingPackages(machine({ programs, files: true, collections: ['ansible.posix'] }))).toEqual(ALL);
  });
});

describe('decide: what the preflight does', () => {
  const base = { root: true, aptGet: true, ci: false, skip: false };

  it('nothing missing: nothing to do', () => {
    expect(decide({ ...base, missing: [] }).action).toBe('ok');
  });

  it('root with apt-get installs only what is missing: update, then install', () => {
    expect(decide({ ...base, missing: ['tmux', 'ansible'] })).toEqual({
      action: 'install',
      line: 'waymark tests: installing tmux ansible with apt-get (services kept from starting)',
      commands: [
        ['apt-get', ...LOCK, 'update'],
        ['apt-get', ...LOCK, ...KEEP_CONFIG, 'install', '-y', 'tmux', 'ansible'],
      ],
    });
  });

  it('not root: stops, naming the sudo command for what is missing', () => {
    expect(decide({ ...base, root: false, missing: ['tmux'] })).toEqual({
      action: 'stop',
      line: 'waymark tests: missing system packages tmux; install them with: sudo apt-get update && sudo apt-get install -y tmux',
    });
  });

  it('no apt-get: stops, naming the packages', () => {
    const decision = decide({ ...base, aptGet: false, missing: ['tmux'] });
    expect(decision.action).toBe('stop');
    expect(decision.line).toMatch(/missing system packages tmux and there is no apt-get here/);
  });

  it('WAYMARK_SKIP_PACKAGES goes on without them, except under CI', () => {
    expect(decide({ ...base, root: false, skip: true, missing: ['tmux'] }).action).toBe('skip');
    expect(decide({ ...base, root: false, skip: true, ci: true, missing: ['tmux'] }).action).toBe('stop');
    const install = decide({ ...base, skip: true, ci: true, missing: ['tmux'] });
    expect(install.action).toBe('install');
    expect(install.line).toMatch(/WAYMARK_SKIP_PACKAGES is ignored under CI/);
  });
});

/** The programs the preflight looks for to know a package is there. */
function programsOf(name: string): string[] {
  return [...(PACKAGES.find((p) => p.name === name)?.programs ?? [])];
}

/** What each package's stand-in install creates: programs in the bin dir, files under the root. */
const PROVIDES: Record<string, { programs: string[]; files: string[] }> = {
  'mariadb-server': { programs: programsOf('mariadb-server'), files: [] },
  tmux: { programs: ['tmux'], files: [] },
  'openssh-server': { programs: ['sshd', 'ssh-keygen'], files: ['usr/lib/openssh/sftp-server'] },
  ansible: { programs: ['ansible', 'ansible-playbook', 'ansible-inventory', 'ansible-galaxy'], files: [] },
};

/** The stand-in apt-get: a Node script (CommonJS, no extension) run through its shebang. */
const FAKE_APT = `#!${process.execPath}
const fs = require('node:fs');
const path = require('node:path');
const root = process.env.WAYMARK_PREREQ_FAKE_ROOT;
const bin = process.env.FAKE_BIN;
const policy = path.join(root, 'usr/sbin/policy-rc.d');
const argv = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_APT_LOG, JSON.stringify({
  argv,
  frontend: process.env.DEBIAN_FRONTEND ?? null,
  policy: fs.existsSync(policy) ? fs.readFileSync(policy, 'utf8') : null,
}) + '\\n');
const mode = process.env.FAKE_APT_MODE ?? 'ok';
if (argv.includes('update') && mode === 'update-fails') {
  console.error('E: Failed to fetch http://deb.debian.org/debian/dists/bookworm/InRelease');
  process.exit(100);
}
if (argv.includes('install')) {
  if (mode === 'hang') {
    fs.writeFileSync(path.join(root, 'apt-started'), String(process.pid));
    setInterval(() => {}, 1000);
    return;
  }
  if (mode === 'installs-nothing') process.exit(0);
  const provides = ${JSON.stringify(PROVIDES)};
  for (const pkg of argv.slice(argv.indexOf('-y') + 1)) {
    for (const program of provides[pkg].programs) {
      const text = program === 'ansible-galaxy' ? "#!/bin/sh\\nprintf 'Collection    Version\\\\nansible.posix 1.5.4\\\\n'\\n" : '#!/bin/sh\\nexit 0\\n';
      fs.writeFileSync(path.join(bin, program), text, { mode: 0o755 });
    }
    for (const file of provides[pkg].files) {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
      fs.writeFileSync(path.join(root, file), '', { mode: 0o755 });
    }
  }
}
`;

interface StandIn {
  root: string;
  bin: string;
  log: string;
  env: Record<string, string>;
  /** apt-get's calls, in order. */
  aptCalls(): { argv: string[]; frontend: string | null; policy: string | null }[];
}

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) {
    // A stand-in apt-get left hanging by a failed test is stopped, not left behind.
    const started = join(dir, 'apt-started');
    if (existsSync(started)) {
      try {
        process.kill(Number(readFileSync(started, 'utf8')), 'SIGKILL');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A stand-in machine with `installed` packages, apt-get when `apt`, and the preflight running as `uid`. */
function standIn({
  installed,
  apt = true,
  uid = 0,
  mode = 'ok',
}: {
  installed: string[];
  apt?: boolean;
  uid?: number;
  mode?: string;
}): StandIn {
  const root = mkdtempSync(join(tmpdir(), 'waymark-prereq-'));
  made.push(root);
  const bin = join(root, 'fake-bin');
  mkdirSync(bin);
  for (const pkg of installed) {
    const provides = PROVIDES[pkg] as { programs: string[]; files: string[] };
    for (const program of provides.programs) {
      const text =
        program === 'ansible-galaxy' ? "#!/bin/sh\nprintf 'Collection    Version\\nansible.posix 1.5.4\\n'\n" : '#!/bin/sh\nexit 0\n';
      writeFileSync(join(bin, program), text, { mode: 0o755 });
    }
    for (const file of provides.files) {
      mkdirSync(dirname(join(root, file)), { recursive: true });
      writeFileSync(join(root, file), '', { mode: 0o755 });
    }
  }
  if (apt) writeFileSync(join(bin, 'apt-get'), FAKE_APT, { mode: 0o755 });
  const log = join(root, 'apt.log');
  return {
    root,
    bin,
    log,
    env: {
      PATH: bin,
      WAYMARK_PREREQ_FAKE_ROOT: root,
      WAYMARK_PREREQ_FAKE_UID: String(uid),
      FAKE_BIN: bin,
      FAKE_APT_LOG: log,
      FAKE_APT_MODE: mode,
    },
    aptCalls: () =>
      existsSync(log)
        ? readFileSync(log, 'utf8')
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line))
        : [],
  };
}

/** Runs the preflight on the stand-in machine, with only the environment given (no CI from this run's). */
function preflight(machine: StandIn, extraEnv: Record<string, string> = {}) {
  const ran = spawnSync(process.execPath, [SCRIPT], { env: { ...machine.env, ...extraEnv }, encoding: 'utf8', timeout: 30_000 });
  return { code: ran.status, stdout: ran.stdout, stderr: ran.stderr };
}

const HELD = '#!/bin/sh\n# Written by waymark tests (scripts/test-prerequisites.mjs) while apt-get runs; removed afterwards.\nexit 101\n';

describe('the preflight script on a stand-in machine', () => {
  it('everything installed: one short line, no apt-get, exit 0', () => {
    const machine = standIn({ installed: ALL });
    const ran = preflight(machine);
    expect(ran).toEqual({
      code: 0,
      stdout: 'waymark tests: system packages present (mariadb-server, tmux, openssh-server, ansible)\n',
      stderr: '',
    });
    expect(machine.aptCalls()).toEqual([]);
  });

  it('root with apt-get: says what it installs, installs only that with services held, removes its policy-rc.d, creates /run/sshd', () => {
    const machine = standIn({ installed: ['mariadb-server', 'openssh-server'] });
    const ran = preflight(machine);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toBe('waymark tests: installing tmux ansible with apt-get (services kept from starting)\n');
    expect(machine.aptCalls()).toEqual([
      { argv: [...LOCK, 'update'], frontend: 'noninteractive', policy: HELD },
      { argv: [...LOCK, ...KEEP_CONFIG, 'install', '-y', 'tmux', 'ansible'], frontend: 'noninteractive', policy: HELD },
    ]);
    expect(existsSync(join(machine.root, 'usr/sbin/policy-rc.d'))).toBe(false);
    expect(existsSync(join(machine.root, 'run/sshd'))).toBe(true);
    // What it installed now passes: a second run finds everything.
    expect(preflight(machine).stdout).toMatch(/system packages present/);
  });

  it('the Debian ansible is installed when only ansible-core is there (no ansible.posix)', () => {
    const machine = standIn({ installed: ['mariadb-server', 'tmux', 'openssh-server', 'ansible'] });
    writeFileSync(
      join(machine.bin, 'ansible-galaxy'),
      "#!/bin/sh\necho 'Unable to find collection with name ansible.posix' >&2\nexit 0\n",
      { mode: 0o755 },
    );
    const ran = preflight(machine);
    expect(ran.stdout).toBe('waymark tests: installing ansible with apt-get (services kept from starting)\n');
    expect(ran.code).toBe(0);
  });

  it('a user without a home (HOME=/nonexistent) still has ansible: ansible-galaxy gets scratch dirs of its own', () => {
    const machine = standIn({ installed: ALL, uid: 65534 });
    // What the real ansible-galaxy does without a writable home: unless told where its scratch dirs go, it stops before listing anything.
    const galaxy = `#!/bin/sh
[ -n "$ANSIBLE_LOCAL_TEMP" ] && [ -n "$ANSIBLE_GALAXY_CACHE_DIR" ] || { echo "ERROR! Unable to create local directories($HOME/.ansible/tmp)" >&2; exit 5; }
printf 'Collection    Version\\nansible.posix 1.5.4\\n'
`;
    writeFileSync(join(machine.bin, 'ansible-galaxy'), galaxy, { mode: 0o755 });
    expect(preflight(machine, { HOME: '/nonexistent' })).toEqual({
      code: 0,
      stdout: 'waymark tests: system packages present (mariadb-server, tmux, openssh-server, ansible)\n',
      stderr: '',
    });
  });

  it("a policy-rc.d the machine already has is the machine's: used as it is and left in place", () => {
    const machine = standIn({ installed: ['mariadb-server', 'tmux', 'openssh-server'] });
    const own = '#!/bin/sh\n# the site policy\nexit 0\n';
    mkdirSync(join(machine.root, 'usr/sbin'), { recursive: true });
    writeFileSync(join(machine.root, 'usr/sbin/policy-rc.d'), own, { mode: 0o755 });
    expect(preflight(machine).code).toBe(0);
    expect(machine.aptCalls().map((call) => call.policy)).toEqual([own, own]);
    expect(readFileSync(join(machine.root, 'usr/sbin/policy-rc.d'), 'utf8')).toBe(own);
  });

  it('apt-get update fails: one line naming it, no install, its policy-rc.d removed, exit 1', () => {
    const machine = standIn({ installed: ['mariadb-server', 'openssh-server', 'ansible'], mode: 'update-fails' });
    const ran = preflight(machine);
    expect(ran.code).toBe(1);
    // The fake apt-get's own error comes first, on the same stderr, then the preflight's one line.
    const ours = ran.stderr.split('\n').filter((line) => line.startsWith('waymark tests:'));
    expect(ours).toEqual([
      'waymark tests: `apt-get update` failed (exit 100); its output above says why: fix that, then run npm test again',
    ]);
    expect(machine.aptCalls().map((call) => call.argv.at(-1))).toEqual(['update']);
    expect(existsSync(join(machine.root, 'usr/sbin/policy-rc.d'))).toBe(false);
  });

  it('apt-get succeeds but a program is still missing: says which, exit 1', () => {
    const machine = standIn({ installed: ['mariadb-server', 'openssh-server', 'ansible'], mode: 'installs-nothing' });
    const ran = preflight(machine);
    expect(ran.code).toBe(1);
    expect(ran.stderr).toBe('waymark tests: apt-get finished, but still missing: tmux (no tmux)\n');
    expect(existsSync(join(machine.root, 'usr/sbin/policy-rc.d'))).toBe(false);
  });

  it('not root: exactly one line naming the command for what is missing, nothing installed, exit 1', () => {
    const machine = standIn({ installed: ['mariadb-server', 'openssh-server'], uid: 1000 });
    const ran = preflight(machine);
    expect(ran).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'waymark tests: missing system packages tmux ansible; install them with: sudo apt-get update && sudo apt-get install -y tmux ansible\n',
    });
    expect(machine.aptCalls()).toEqual([]);
    expect(existsSync(join(machine.root, 'run/sshd'))).toBe(false);
  });

  it('root without apt-get: one line, exit 1', () => {
    const machine = standIn({ installed: ['mariadb-server', 'openssh-server', 'ansible'], apt: false });
    const ran = preflight(machine);
    expect(ran.code).toBe(1);
    expect(ran.stdout).toBe('');
    expect(ran.stderr.trimEnd().split('\n')).toEqual([
      "waymark tests: missing system packages tmux and there is no apt-get here: install the Debian packages' equivalents with this machine's package manager, then run npm test again",
    ]);
  });

  it('WAYMARK_SKIP_PACKAGES=1 goes on without them on a workstation, but not under CI', () => {
    const machine = standIn({ installed: ['mariadb-server', 'openssh-server', 'ansible'], uid: 1000 });
    const skipped = preflight(machine, { WAYMARK_SKIP_PACKAGES: '1' });
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toMatch(/^waymark tests: WAYMARK_SKIP_PACKAGES is set, so tmux is not installed/);
    const ci = preflight(machine, { WAYMARK_SKIP_PACKAGES: '1', CI: 'true' });
    expect(ci.code).toBe(1);
    expect(ci.stderr).toMatch(/sudo apt-get install -y tmux\n$/);
  });

  it('killed while apt-get installs: apt-get is stopped too and the policy-rc.d is removed', async () => {
    const machine = standIn({ installed: ['mariadb-server', 'openssh-server', 'ansible'], mode: 'hang' });
    const child = spawn(process.execPath, [SCRIPT], { env: machine.env, stdio: 'ignore' });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
      child.on('exit', (code, signal) => done({ code, signal })),
    );
    const started = join(machine.root, 'apt-started');
    await vi.waitFor(() => expect(existsSync(started)).toBe(true), { timeout: 15_000, interval: 50 });
    expect(existsSync(join(machine.root, 'usr/sbin/policy-rc.d'))).toBe(true);
    child.kill('SIGTERM');
    expect(await exited).toEqual({ code: 143, signal: null });
    expect(existsSync(join(machine.root, 'usr/sbin/policy-rc.d'))).toBe(false);
    const aptPid = Number(readFileSync(started, 'utf8'));
    expect(() => process.kill(aptPid, 0)).toThrow();
  }, 30_000);
});

describe('the one test command', () => {
  const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

  it("is the README's, CI runs exactly it, and npm test checks the packages before it builds", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const fresh = readme.slice(
      readme.indexOf('\n## On a fresh machine\n'),
      readme.indexOf('\n## ', readme.indexOf('\n## On a fresh machine\n') + 1),
    );
    const commands = [...fresh.matchAll(/```sh\n([^\n]+)\n```/g)].map((m) => m[1]);
    expect(commands).toEqual(['npm install && npm start', 'npm ci && npm test']);
    const ci = readFileSync(join(ROOT, '.ci/run'), 'utf8');
    expect(ci.split('\n')).toContain('npm ci && npm test');
    const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.test?.startsWith('node scripts/test-prerequisites.mjs && ')).toBe(true);
    // The lint (Biome: format check and lint rules) runs before the suite, so a finding fails the test command (docs/quality.md#format-and-lint).
    expect(scripts.test).toMatch(/&& npm run lint && .*vitest run$/);
    expect(scripts.lint).toBe('biome check --error-on-warnings .');
  });
});
