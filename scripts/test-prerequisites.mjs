#!/usr/bin/env node
/**
 * The system packages the test suite needs, checked before `npm test` builds anything
 * (docs/testing.md#the-system-packages). Plain Node, no dependencies: it runs before `npm ci` has
 * built anything and on machines where the suite cannot run yet.
 *
 * - Everything present: one short line, exit 0.
 * - Something missing, root with apt-get: says what it installs, installs it with the packages'
 *   services kept from starting (a temporary policy-rc.d, removed afterwards even on failure or a
 *   signal), checks again, exit 0 only if nothing is missing any more.
 * - Something missing otherwise: one line naming the command to run, exit 1.
 *
 * The decisions are pure functions (`missingPackages`, `decide`), tested with stand-in probes; the
 * runner at the bottom only looks at the machine and carries them out.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { constants as osConstants, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * What the suite needs, package by package: the programs each one provides (all must be found),
 * files that must exist (any one of them), and Ansible collections that must be listed.
 */
export const PACKAGES = [
  // Tests start private servers of their own (test/support/mariadb.ts): the binaries, not a service.
  { name: 'mariadb-server', programs: ['mariadbd', 'mariadb-install-db'], anyFile: [], collections: [] },
  // The TUI is tested as a person uses it, in tmux (test/support/tmux.ts).
  { name: 'tmux', programs: ['tmux'], anyFile: [], collections: [] },
  // The test fleet is real sshd hosts (testbed/fleet.mjs), reached with ssh and its sftp server.
  {
    name: 'openssh-server',
    programs: ['sshd', 'ssh-keygen'],
    anyFile: ['/usr/lib/openssh/sftp-server', '/usr/libexec/openssh/sftp-server', '/usr/libexec/sftp-server'],
    collections: [],
  },
  // Debian's ansible, not ansible-core alone: fleet blocks stream events with the ansible.posix.jsonl callback.
  {
    name: 'ansible',
    programs: ['ansible', 'ansible-playbook', 'ansible-inventory', 'ansible-galaxy'],
    anyFile: [],
    collections: ['ansible.posix'],
  },
];

/** Where programs are looked for besides PATH: a root's `sudo`-less PATH often lacks the sbin ones. */
export const FIXED_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/**
 * What is missing of each package of `packages`, in their order, given three probes of the machine:
 * the packages with at least one missing part, each with what was not found ("tmux", "an
 * sftp-server", "the ansible.posix collection").
 * @param {{ hasProgram: (name: string) => boolean, hasFile: (path: string) => boolean, hasCollection: (name: string) => boolean }} probes
 * @param {typeof PACKAGES} [packages]
 * @returns {{ name: string, parts: string[] }[]}
 */
export function missingParts({ hasProgram, hasFile, hasCollection }, packages = PACKAGES) {
  return packages
    .map((pkg) => {
      const parts = pkg.programs.filter((program) => !hasProgram(program));
      if (pkg.anyFile.length > 0 && !pkg.anyFile.some(hasFile)) parts.push(`an ${pkg.anyFile[0].split('/').at(-1)}`);
      // Collections are asked of ansible-galaxy, which is only there once the programs are.
      if (parts.length === 0) parts.push(...pkg.collections.filter((name) => !hasCollection(name)).map((name) => `${name} collection`));
      return { name: pkg.name, parts };
    })
    .filter((pkg) => pkg.parts.length > 0);
}

/** The names of the packages of `packages` that are missing, in their order (see `missingParts`). */
export function missingPackages(probes, packages = PACKAGES) {
  return missingParts(probes, packages).map((pkg) => pkg.name);
}

/** The one line that says how to install `missing` on a Debian machine as a user with sudo. */
export function sudoCommand(missing) {
  return `sudo apt-get update && sudo apt-get install -y ${missing.join(' ')}`;
}

/** apt-get waits this long for another apt or dpkg (a fresh machine's unattended-upgrades) to let go of its lock. */
const LOCK_TIMEOUT = ['-o', 'DPkg::Lock::Timeout=300'];

/** A configuration file left by an earlier `apt-get remove` is kept without a question, not asked about. */
const KEEP_CONFIG = ['-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];

/**
 * What the preflight does, given what is missing and what this machine allows.
 * - `ok`: nothing to do; `line` says so.
 * - `install`: print `line`, then run each of `commands` (argv arrays) in turn.
 * - `stop`: print `line` and exit non-zero; `line` names the command to run.
 * - `skip`: the operator asked to go on without the packages; print `line` and go on.
 * @param {{ missing: string[], root: boolean, aptGet: boolean, ci: boolean, skip: boolean }} situation
 */
export function decide({ missing, root, aptGet, ci, skip }) {
  const note = skip && ci ? ' (WAYMARK_SKIP_PACKAGES is ignored under CI)' : '';
  if (missing.length === 0) {
    return { action: 'ok', line: `waymark tests: system packages present (${PACKAGES.map((pkg) => pkg.name).join(', ')})${note}` };
  }
  if (skip && !ci) {
    return {
      action: 'skip',
      line: `waymark tests: WAYMARK_SKIP_PACKAGES is set, so ${missing.join(' ')} ${missing.length === 1 ? 'is' : 'are'} not installed: the tests that need ${missing.length === 1 ? 'it' : 'them'} skip with a warning or fail`,
    };
  }
  if (root && aptGet) {
    return {
      action: 'install',
      line: `waymark tests: installing ${missing.join(' ')} with apt-get (services kept from starting)${note}`,
      commands: [
        ['apt-get', ...LOCK_TIMEOUT, 'update'],
        ['apt-get', ...LOCK_TIMEOUT, ...KEEP_CONFIG, 'install', '-y', ...missing],
      ],
    };
  }
  if (aptGet) {
    return {
      action: 'stop',
      line: `waymark tests: missing system packages ${missing.join(' ')}; install them with: ${sudoCommand(missing)}`,
    };
  }
  return {
    action: 'stop',
    line: `waymark tests: missing system packages ${missing.join(' ')} and there is no apt-get here: install the Debian packages' equivalents with this machine's package manager, then run npm test again`,
  };
}

/** Whether `env` says CI: any CI but empty, `false` or `0` (the rule of test/helpers/ci.ts). */
export function underCi(env) {
  const value = env.CI?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}

/** Whether `env` asks to go on without the packages: WAYMARK_SKIP_PACKAGES set to anything but empty, `false` or `0`. */
export function skipRequested(env) {
  const value = env.WAYMARK_SKIP_PACKAGES?.trim().toLowerCase();
  return value !== undefined && value !== '' && value !== 'false' && value !== '0';
}

// ---------------------------------------------------------------------------------------------
// The runner: looks at this machine and carries out `decide`'s answer.

/**
 * The tests' stand-in machine: WAYMARK_PREREQ_FAKE_ROOT is a directory standing for `/` (the fixed
 * dirs, the sftp server, policy-rc.d and /run/sshd are looked for and written under it), and only
 * with it WAYMARK_PREREQ_FAKE_UID stands for the user's id. Never set outside
 * test/scripts/test-prerequisites.test.ts.
 */
function machineRoot(env) {
  return env.WAYMARK_PREREQ_FAKE_ROOT || '/';
}

/** Whether the preflight runs as root (on the stand-in machine, as the uid it is given). */
function isRoot(env) {
  if (env.WAYMARK_PREREQ_FAKE_ROOT && env.WAYMARK_PREREQ_FAKE_UID) return env.WAYMARK_PREREQ_FAKE_UID === '0';
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

function isExecutableFile(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    // Not there, or not executable: the program is missing from this directory.
    return false;
  }
}

function finder(env) {
  const root = machineRoot(env);
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...FIXED_DIRS.map((dir) => join(root, dir))];
  return (name) => dirs.map((dir) => join(dir, name)).find(isExecutableFile);
}

function probes(env) {
  const find = finder(env);
  const root = machineRoot(env);
  return {
    hasProgram: (name) => find(name) !== undefined,
    hasFile: (path) => existsSync(join(root, path)),
    hasCollection: (name) => {
      const galaxy = find('ansible-galaxy');
      if (!galaxy) return false;
      // ansible-galaxy stops when it cannot create ~/.ansible (a user without a home): its scratch dirs go to a temp dir.
      const scratch = mkdtempSync(join(tmpdir(), 'waymark-galaxy-'));
      let listed;
      try {
        const scratchEnv = { ...env, ANSIBLE_LOCAL_TEMP: join(scratch, 'tmp'), ANSIBLE_GALAXY_CACHE_DIR: join(scratch, 'galaxy') };
        listed = spawnSync(galaxy, ['collection', 'list', name], { encoding: 'utf8', timeout: 120_000, env: scratchEnv });
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
      const pattern = new RegExp(`^${name.replaceAll('.', '\\.')}\\s`, 'm');
      return listed.status === 0 && pattern.test(listed.stdout ?? '');
    },
  };
}

/** A policy-rc.d that tells invoke-rc.d and deb-systemd-invoke not to start any service (exit 101). */
const POLICY_RC_D =
  '#!/bin/sh\n# Written by waymark tests (scripts/test-prerequisites.mjs) while apt-get runs; removed afterwards.\nexit 101\n';

/**
 * Writes the policy file only if there is none (an existing one, or a link, is the machine's and is
 * left alone): exclusive create never follows a link. Returns whether it was written.
 */
function holdServices(path) {
  let fd;
  try {
    fd = openSync(path, 'wx', 0o755);
  } catch (error) {
    if (error.code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, POLICY_RC_D);
  } finally {
    closeSync(fd);
  }
  return true;
}

/** The signals that end the preflight early; each still removes the policy file first. */
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/** The shell's exit code for a process ended by `signal`: 128 + its number. */
function signalCode(signal) {
  return 128 + (osConstants.signals[signal] ?? 0);
}

/** Runs `argv` with the terminal, resolves its exit code (128 + n when a signal ended it). */
function run(argv, env, onChild) {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: 'inherit', env });
    onChild(child);
    child.on('error', (error) => {
      console.error(`waymark tests: could not run ${argv[0]} (${error.code ?? error.message})`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? signalCode(signal)));
  });
}

/** The PATH apt-get and dpkg need: dpkg refuses to work when ldconfig and start-stop-daemon (sbin) are not on it. */
function aptPath(path) {
  const dirs = (path ?? '').split(delimiter).filter(Boolean);
  for (const dir of FIXED_DIRS) if (!dirs.includes(dir)) dirs.push(dir);
  return dirs.join(delimiter);
}

/** Installs with apt-get under a temporary policy-rc.d; returns the exit code the preflight ends with. */
async function install(commands, env, find) {
  const root = machineRoot(env);
  const policy = join(root, 'usr/sbin/policy-rc.d');
  mkdirSync(join(root, 'usr/sbin'), { recursive: true });
  const ours = holdServices(policy);
  let child = null;
  let caught = null;
  const forward = (signal) => {
    caught = signal;
    // A Ctrl-C reaches apt-get too (same process group); a kill aimed at this script alone is passed on.
    if (child && child.exitCode === null) child.kill(signal);
  };
  for (const signal of SIGNALS) process.on(signal, forward);
  try {
    const aptEnv = { ...env, DEBIAN_FRONTEND: 'noninteractive', PATH: aptPath(env.PATH) };
    for (const argv of commands) {
      if (caught) return signalCode(caught);
      const program = find(argv[0]) ?? argv[0];
      const code = await run([program, ...argv.slice(1)], aptEnv, (spawned) => {
        child = spawned;
      });
      if (caught) return signalCode(caught);
      if (code !== 0) {
        const step = argv.filter((arg, i) => !(arg === '-o' || argv[i - 1] === '-o')).join(' ');
        console.error(`waymark tests: \`${step}\` failed (exit ${code}); its output above says why: fix that, then run npm test again`);
        return 1;
      }
    }
    return 0;
  } finally {
    if (ours) unlinkSync(policy);
    for (const signal of SIGNALS) process.off(signal, forward);
  }
}

/** Checks, installs when it can, and returns the exit code. With `--check`, only reports: never installs, never creates anything. */
export async function main(env = process.env, args = process.argv.slice(2)) {
  const root = isRoot(env);
  const find = finder(env);
  const found = missingParts(probes(env));
  const missing = found.map((pkg) => pkg.name);
  if (args.includes('--check')) {
    if (missing.length === 0) console.log(decide({ missing, root, aptGet: true, ci: false, skip: false }).line);
    else console.error(`waymark tests: missing system packages ${describeParts(found)}`);
    return missing.length === 0 ? 0 : 1;
  }
  const decision = decide({ missing, root, aptGet: find('apt-get') !== undefined, ci: underCi(env), skip: skipRequested(env) });
  if (decision.action === 'stop') {
    console.error(decision.line);
    return 1;
  }
  console.log(decision.line);
  if (decision.action === 'install') {
    const code = await install(decision.commands, env, find);
    if (code !== 0) return code;
    const still = missingParts(probes(env));
    if (still.length > 0) {
      console.error(`waymark tests: apt-get finished, but still missing: ${describeParts(still)}`);
      return 1;
    }
  }
  // sshd refuses to start without its privilege separation directory, which only its service creates.
  if (root) mkdirSync(join(machineRoot(env), 'run/sshd'), { recursive: true, mode: 0o755 });
  return 0;
}

/** `tmux (no tmux), ansible (no ansible.posix collection)`: each package and what of it was not found. */
function describeParts(parts) {
  return parts.map((pkg) => `${pkg.name} (no ${pkg.parts.join(', ')})`).join(', ');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.exitCode = await main();
  } catch (error) {
    // A machine this script did not expect (a read-only /usr/sbin, ...): one line, not a stack trace.
    console.error(`waymark tests: checking the system packages failed: ${error.message}`);
    process.exitCode = 1;
  }
}
