/**
 * The testbed's fleet: N real `sshd` servers (Debian's openssh-server) on loopback addresses
 * 127.0.0.2, 127.0.0.3, ... sharing one port, each with its own host key, config, pid file and
 * host root folder, all reached with one generated client key, plus an INI inventory Ansible reads
 * (groups `controllers` and `computes`). Fleet blocks rehearse on it through real Ansible over
 * real SSH.
 *
 *   npm run testbed -- fleet up [N]       start N hosts (default 6) under state/testbed/fleet/
 *   npm run testbed -- fleet status       which hosts answer
 *   npm run testbed -- fleet kill HOST    make one host unreachable at once
 *   npm run testbed -- fleet down         stop every host (by pid file)
 *
 * Tests go through test/support/fleet.ts (`startFleet`), which uses this module.
 *
 * Layout of a fleet directory:
 *   inventory.ini, fleet.json           the inventory, and what was started (hosts, port, key)
 *   client_key, client_key.pub          the key Ansible logs in with (ed25519, no passphrase)
 *   sshd/HOST.conf|.key|.pid|.log       each host's server
 *   HOST/                               each host's root: etc/nova/nova.conf, var/lib/nova/version
 *
 * Each host's sshd sets WAYMARK_TESTBED_ROOT (its root) and WAYMARK_TESTBED_HOST (its name) in the
 * environment of every command run on it (sshd_config `SetEnv`, OpenSSH >= 8.7), so a command run
 * there, like testbed/bin/host-upgrade, acts on that host's root. It also puts testbed/host-tools/
 * first on PATH (sudo, yum, dnf, apt-get, systemctl, crudini: the stand-ins for this host) and sets
 * WAYMARK_TESTBED_DIR, the MariaDB testbed they act on (default: the fleet directory's parent), so a
 * fleet block runs the production commands as written.
 *
 * Why the inventory turns off SSH connection sharing (`ansible_ssh_args=-o ControlMaster=no`):
 * Ansible's default ControlPersist=60s keeps a master connection per host open after its play, so a
 * host whose sshd was stopped still answered for a minute. With sharing off, every task opens a new
 * connection, and a killed host is refused at once (UNREACHABLE). `ansible_ssh_args` replaces
 * Ansible's default `-C -o ControlMaster=auto -o ControlPersist=60s` rather than adding to it: ssh
 * takes the first value of an option, and ssh_common_args comes after ssh_args on the command line,
 * so a `-o ControlMaster=no` there would lose. Pipelining is on, so a task costs one connection per
 * host. `kill` also ends the host's live sessions, so a command running there dies with it.
 *
 * ansible-playbook's exit codes (ansible-core 2.14; names in executor/task_queue_manager.py; measured
 * by test/support/fleet.test.ts): 0 all ok; 2 a host failed and none was unreachable
 * (RUN_FAILED_HOSTS); 4 a host unreachable (RUN_UNREACHABLE_HOSTS), also when another host failed:
 * plugins/strategy/__init__.py checks unreachable hosts before failed ones, so the code alone cannot
 * tell "one failed, one unreachable" from "one unreachable". Read per-host outcomes from the events.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { userInfo } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestbedError } from './testbed.mjs';
import { SEARCH_DIRS, findExecutable, processAlive } from './process.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
/** Where `npm run testbed -- fleet` keeps its fleet: state/testbed/fleet/ in the repository. */
export const FLEET_DIR = join(HERE, '..', 'state', 'testbed', 'fleet');
/** The command that installs what the fleet needs on Debian and Ubuntu. */
export const FLEET_INSTALL_COMMAND = 'sudo apt-get update && sudo apt-get install -y openssh-server ansible';
/** The stand-in a fleet block runs on a host to upgrade a service in that host's root. */
export const HOST_UPGRADE = join(HERE, 'bin', 'host-upgrade');
/**
 * Shims put first on each fleet host's PATH: sudo, yum, dnf, apt-get, systemctl and crudini hand the
 * command to the stand-in ssh for that host, so a fleet block runs the production commands as written.
 */
export const HOST_TOOLS = join(HERE, 'host-tools');
/** sshd's own PATH for a session (Debian's default), after HOST_TOOLS. */
const SESSION_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** The release the hosts' nova runs when the fleet is created (the Nova rolling runbook's FROM). */
export const DEFAULT_RELEASE = 'newton';
/** How many hosts `fleet up` starts without a number. */
export const DEFAULT_HOSTS = 6;
/** Loopback addresses 127.0.0.2 .. 127.0.0.254: one per host. */
export const MAX_HOSTS = 253;

const RELEASES = ['juno', 'kilo', 'liberty', 'mitaka', 'newton', 'ocata'];
const SFTP_SERVERS = ['/usr/lib/openssh/sftp-server', '/usr/libexec/openssh/sftp-server', '/usr/libexec/sftp-server'];
const READY_TIMEOUT_MS = 10_000;

/**
 * The programs the fleet needs (sshd, ssh-keygen, the sftp server) and the Ansible ones that drive
 * it (`ansible`, `ansible-playbook`, `ansible-inventory`); a missing one is `undefined`.
 */
export function fleetPrograms() {
  return {
    sshd: findExecutable(['sshd']),
    sshKeygen: findExecutable(['ssh-keygen']),
    sftpServer: SFTP_SERVERS.find((candidate) => existsSync(candidate)),
    ansible: findExecutable(['ansible']),
    ansiblePlaybook: findExecutable(['ansible-playbook']),
    ansibleInventory: findExecutable(['ansible-inventory']),
  };
}

/** What is missing to start a fleet and drive it with Ansible, as one sentence; null when nothing is. */
export function missingFleetPrograms({ ansible = true } = {}) {
  const found = fleetPrograms();
  const wanted = { sshd: 'sshd', sshKeygen: 'ssh-keygen', sftpServer: 'sftp-server' };
  if (ansible) Object.assign(wanted, { ansible: 'ansible', ansiblePlaybook: 'ansible-playbook', ansibleInventory: 'ansible-inventory' });
  const missing = Object.entries(wanted)
    .filter(([key]) => !found[key])
    .map(([, name]) => name);
  if (missing.length === 0) return null;
  return (
    `the fleet needs Debian's openssh-server and ansible packages, and ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed ` +
    `(looked in PATH and ${SEARCH_DIRS.join(', ')}). Install them with:\n\n  ${FLEET_INSTALL_COMMAND}\n\n(as root, without the sudo). ` +
    "The fleet runs its own servers; the package's system sshd is not used."
  );
}

/** Host names for a fleet of `hosts`: `controllers` of them ctl-1.., the rest cmp-1... */
export function planHosts({ hosts, controllers } = {}) {
  if (!Number.isInteger(hosts) || hosts < 1 || hosts > MAX_HOSTS) {
    throw new TestbedError(`a fleet has 1 to ${MAX_HOSTS} hosts (one loopback address each), not ${hosts}`);
  }
  const ctl = controllers ?? defaultControllers(hosts);
  if (!Number.isInteger(ctl) || ctl < 0 || ctl > hosts) {
    throw new TestbedError(`controllers: ${controllers} is not a number of hosts between 0 and ${hosts}`);
  }
  return Array.from({ length: hosts }, (_, i) => {
    const group = i < ctl ? 'controllers' : 'computes';
    const name = group === 'controllers' ? `ctl-${i + 1}` : `cmp-${i - ctl + 1}`;
    return { name, group, address: `127.0.0.${i + 2}` };
  });
}

/** 1 controller up to 3 hosts, 2 up to 7, then 3; the rest are computes. */
export function defaultControllers(hosts) {
  if (hosts <= 3) return 1;
  return hosts <= 7 ? 2 : 3;
}

/** Every file of the fleet in `dir`, and of one host when `host` is given. */
export function fleetPaths(dir = FLEET_DIR) {
  const root = resolve(dir);
  return {
    dir: root,
    inventory: join(root, 'inventory.ini'),
    state: join(root, 'fleet.json'),
    clientKey: join(root, 'client_key'),
    sshdDir: join(root, 'sshd'),
    host: (name) => ({
      root: join(root, name),
      config: join(root, 'sshd', `${name}.conf`),
      hostKey: join(root, 'sshd', `${name}.key`),
      pidFile: join(root, 'sshd', `${name}.pid`),
      log: join(root, 'sshd', `${name}.log`),
      version: join(root, name, 'var', 'lib', 'nova', 'version'),
      novaConf: join(root, name, 'etc', 'nova', 'nova.conf'),
    }),
  };
}

/** The pid of a host's sshd listener when it runs: from its pid file, checked against its config path. */
function listenerPid(hostPaths) {
  if (!existsSync(hostPaths.pidFile)) return null;
  const pid = Number(readFileSync(hostPaths.pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return null;
  try {
    // A recycled pid belongs to another program: the listener's title names its config.
    if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(hostPaths.config)) return null;
  } catch {
    // no /proc: trust the pid file
  }
  return pid;
}

/** Every process below `pid` (its sessions and the commands they run), from /proc's parent links. */
function descendants(pid) {
  const children = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // it exited while we read the table
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(entry));
  }
  const found = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of children.get(queue.shift()) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

function signal(pid, name) {
  try {
    process.kill(pid, name);
    return true;
  } catch (error) {
    if (error.code === 'ESRCH') return false;
    throw error;
  }
}

/**
 * Kill a listener and everything below it. The tree is frozen first (SIGSTOP, rescanned until no
 * new process appears), so a session forked while we look cannot escape to init's care.
 */
function killTree(pid) {
  const frozen = new Set([pid]);
  signal(pid, 'SIGSTOP');
  for (let round = 0; round < 10; round += 1) {
    const fresh = descendants(pid).filter((child) => !frozen.has(child));
    if (fresh.length === 0) break;
    for (const child of fresh) {
      frozen.add(child);
      signal(child, 'SIGSTOP');
    }
  }
  for (const member of frozen) signal(member, 'SIGKILL');
  return [...frozen];
}

function checkPath(path, what) {
  if (/[\s"'\\]/.test(path))
    throw new TestbedError(`${what} ${path} holds spaces or quotes, which sshd_config and the inventory cannot carry: use another --dir`);
}

function sshdConfig(fleet, host, hostPaths, sftpServer, testbedDir) {
  return [
    `# sshd of fleet host ${host.name} (written by testbed/fleet.mjs; started as: sshd -D -f ${hostPaths.config})`,
    `ListenAddress ${host.address}`,
    `Port ${fleet.port}`,
    `HostKey ${hostPaths.hostKey}`,
    `PidFile ${hostPaths.pidFile}`,
    `AuthorizedKeysFile ${fleet.clientKey}.pub`,
    'PermitRootLogin prohibit-password',
    'PubkeyAuthentication yes',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'UseDNS no',
    // Ansible opens one connection per host and task; the default 10 unauthenticated would refuse bursts.
    'MaxStartups 100:30:200',
    'LogLevel INFO',
    `Subsystem sftp ${sftpServer}`,
    // What a command run on this host needs to act on its own root. SHLVL=1: bash, started by sshd,
    // skips /etc/bash.bashrc and ~/.bashrc (it reads them only at level 1), so a command sees sshd's
    // plain PATH (/usr/local/sbin:...:/bin) rather than the developer's shell set-up, and a connection
    // does not pay for it (1.1 s a connection with pyenv in root's .bashrc here, 0.4 s without).
    // PATH starts with the testbed's host tools (SetEnv overrides sshd's default PATH), so `sudo yum
    // -y update ...` and `systemctl restart ...` reach the stand-ins for this host, whose MariaDB
    // testbed is WAYMARK_TESTBED_DIR. On a real host none of this exists and the same commands are the real ones.
    `SetEnv WAYMARK_TESTBED_ROOT=${hostPaths.root} WAYMARK_TESTBED_HOST=${host.name} SHLVL=1 ` +
      `WAYMARK_TESTBED_TOOLS=${HOST_TOOLS} WAYMARK_TESTBED_DIR=${testbedDir} PATH=${HOST_TOOLS}:${SESSION_PATH}`,
    '',
  ].join('\n');
}

function inventoryText(fleet) {
  const line = (host) =>
    `${host.name} ansible_host=${host.address} ansible_port=${fleet.port} ansible_user=${fleet.user} ansible_ssh_private_key_file=${fleet.clientKey}`;
  const group = (name) => [`[${name}]`, ...fleet.hosts.filter((host) => host.group === name).map(line), ''];
  return [
    `# The testbed fleet in ${fleet.dir} (written by testbed/fleet.mjs): ${fleet.hosts.length} sshd servers on loopback, port ${fleet.port}.`,
    '# Connection sharing is off so that a killed host is unreachable at once (see testbed/fleet.mjs).',
    ...group('controllers'),
    ...group('computes'),
    '[all:vars]',
    "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR'",
    "ansible_ssh_args='-o ControlMaster=no -o ControlPath=none'",
    'ansible_pipelining=true',
    'ansible_python_interpreter=/usr/bin/python3',
    '',
  ].join('\n');
}

function writeHostRoot(hostPaths, host, release) {
  mkdirSync(dirname(hostPaths.version), { recursive: true });
  mkdirSync(dirname(hostPaths.novaConf), { recursive: true });
  if (!existsSync(hostPaths.version)) writeFileSync(hostPaths.version, `${release}\n`);
  if (!existsSync(hostPaths.novaConf)) {
    writeFileSync(
      hostPaths.novaConf,
      [
        `# nova.conf of fleet host ${host.name}`,
        '[DEFAULT]',
        `host = ${host.name}`,
        'rpc_backend = rabbit',
        '',
        '[upgrade_levels]',
        '',
      ].join('\n'),
    );
  }
}

async function keygen(program, file, comment) {
  rmSync(file, { force: true });
  rmSync(`${file}.pub`, { force: true });
  const child = spawn(program, ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const code = await new Promise((resolveCode) => {
    child.once('error', (error) => {
      stderr += error.message;
      resolveCode(-1);
    });
    child.once('exit', resolveCode);
  });
  if (code !== 0) throw new TestbedError(`ssh-keygen could not write ${file}: ${stderr.trim() || `exit ${code}`}`);
}

/** Whether something listens on address:port. */
function accepts(address, port, timeoutMs = 500) {
  return new Promise((resolveAccepts) => {
    const socket = createConnection({ host: address, port });
    const done = (ok) => {
      socket.destroy();
      resolveAccepts(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Whether `port` is free on every address (bound, then released). */
async function portFreeOn(addresses, port) {
  const servers = [];
  try {
    for (const address of addresses) {
      const server = createServer();
      await new Promise((resolveListen, rejectListen) => {
        server.once('error', rejectListen);
        server.listen(port, address, resolveListen);
      });
      servers.push(server);
    }
    return true;
  } catch {
    return false;
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolveClose) => server.close(resolveClose))));
  }
}

/** A port free on all the fleet's addresses: the kernel picks one on the first, the others are tried. */
async function freePort(addresses) {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    const probe = createServer();
    const port = await new Promise((resolvePort, rejectPort) => {
      probe.once('error', rejectPort);
      probe.listen(0, addresses[0], () => resolvePort(probe.address().port));
    });
    await new Promise((resolveClose) => probe.close(resolveClose));
    if (await portFreeOn(addresses, port)) return port;
  }
  throw new TestbedError(`no port is free on all of ${addresses[0]}..${addresses.at(-1)}`);
}

function logTail(file, lines = 10) {
  if (!existsSync(file)) return '(no log was written)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

const sleep = (ms) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

/** Start one host's sshd in the foreground of its own session (-D), detached from us: it outlives this process. */
function startSshd(sshd, hostPaths) {
  rmSync(hostPaths.pidFile, { force: true });
  const child = spawn(sshd, ['-D', '-f', hostPaths.config, '-E', hostPaths.log], { detached: true, stdio: 'ignore' });
  const started = { pid: child.pid, exited: null };
  child.once('exit', (code, signalName) => {
    started.exited = signalName ? `killed by ${signalName}` : `exit code ${code}`;
  });
  child.once('error', (error) => {
    started.exited = error.message;
  });
  child.unref();
  return started;
}

/** Kill every listener of the fleet once `ownerPid` is gone (tests: a worker killed by a timeout leaves no sshd behind). */
function startWatchdog(ownerPid, pids) {
  // Each sshd leads its own process group (detached), with its connection processes in it.
  const kills = pids.map((pid) => `kill -KILL -- -${pid} 2>/dev/null`).join('; ');
  const script = `while kill -0 ${ownerPid} 2>/dev/null; do sleep 1; done; ${kills}`;
  spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

function readState(p) {
  if (!existsSync(p.state)) return null;
  try {
    return JSON.parse(readFileSync(p.state, 'utf8'));
  } catch (error) {
    throw new TestbedError(`${p.state} is not a fleet's state (${error.message}): remove ${p.dir} and start again`);
  }
}

function describeHost(p, host) {
  const hostPaths = p.host(host.name);
  const pid = listenerPid(hostPaths);
  return {
    ...host,
    root: hostPaths.root,
    config: hostPaths.config,
    pidFile: hostPaths.pidFile,
    log: hostPaths.log,
    pid,
    running: pid !== null,
  };
}

/**
 * Start a fleet in `dir` (default state/testbed/fleet/). A fleet already there with the same hosts
 * is reused (keys, port, roots): only the hosts not running are started, so `up` after `kill`
 * brings a host back. Another fleet there is replaced when none of its hosts runs.
 * `watch`: a pid whose death kills every sshd (tests). `at`: the release the hosts' nova starts at.
 * Resolves once every host accepts TCP on its address.
 */
export async function fleetUp({ dir = FLEET_DIR, hosts = DEFAULT_HOSTS, controllers, at = DEFAULT_RELEASE, watch, testbed } = {}) {
  const missing = missingFleetPrograms({ ansible: false });
  if (missing) throw new TestbedError(missing);
  if (!RELEASES.includes(at)) throw new TestbedError(`at ${at}: the hosts' nova runs one of ${RELEASES.join(', ')}`);
  const programs = fleetPrograms();
  const p = fleetPaths(dir);
  checkPath(p.dir, 'the fleet directory');
  // The MariaDB testbed the hosts' stand-ins act on: the fleet's parent (state/testbed/ for state/testbed/fleet/).
  const testbedDir = resolve(testbed ?? dirname(p.dir));
  checkPath(testbedDir, 'the testbed directory');
  checkPath(HOST_TOOLS, 'the host tools folder');
  const plan = planHosts({ hosts, controllers });
  const user = userInfo().username;

  let fleet = readState(p);
  const same = fleet && fleet.user === user && JSON.stringify(fleet.hosts) === JSON.stringify(plan);
  if (fleet && !same) {
    const running = fleet.hosts.filter((host) => listenerPid(p.host(host.name)) !== null).map((host) => host.name);
    if (running.length > 0) {
      throw new TestbedError(
        `a fleet of ${fleet.hosts.length} hosts runs in ${p.dir} (${running.join(', ')} up): stop it first with: npm run testbed -- fleet down`,
      );
    }
    for (const host of fleet.hosts) rmSync(p.host(host.name).root, { recursive: true, force: true });
    rmSync(p.sshdDir, { recursive: true, force: true });
    fleet = null;
  }
  // sshd refuses to start without its privilege separation directory, which Debian creates only at boot.
  try {
    mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  } catch (error) {
    throw new TestbedError(`sshd needs /run/sshd and it could not be created (${error.code}): sudo mkdir -p /run/sshd`);
  }
  mkdirSync(p.sshdDir, { recursive: true, mode: 0o700 });
  const fresh = !fleet;
  if (fresh) {
    fleet = { dir: p.dir, user, port: await freePort(plan.map((host) => host.address)), clientKey: p.clientKey, hosts: plan };
    await keygen(programs.sshKeygen, p.clientKey, `waymark-fleet@${p.dir}`);
  }
  const toStart = plan.filter((host) => listenerPid(p.host(host.name)) === null);
  await Promise.all(
    toStart.map(async (host) => {
      const hostPaths = p.host(host.name);
      if (!existsSync(hostPaths.hostKey)) await keygen(programs.sshKeygen, hostPaths.hostKey, `${host.name}@waymark-fleet`);
      writeHostRoot(hostPaths, host, at);
    }),
  );
  // A new fleet's port was free a moment ago; another program (or fleet) may take it before sshd
  // binds. Then a new fleet tries another port; a reused one keeps its port (its inventory is out).
  for (let attempt = 1; ; attempt += 1) {
    for (const host of toStart) {
      const hostPaths = p.host(host.name);
      writeFileSync(hostPaths.config, sshdConfig(fleet, host, hostPaths, programs.sftpServer, testbedDir));
    }
    writeFileSync(p.state, `${JSON.stringify(fleet, null, 2)}\n`);
    writeFileSync(p.inventory, inventoryText(fleet));
    const started = toStart.map((host) => ({ host, process: startSshd(programs.sshd, p.host(host.name)) }));
    if (watch) startWatchdog(watch, started.map((entry) => entry.process.pid).filter(Boolean));
    try {
      await waitStarted(fleet, started, p);
      break;
    } catch (error) {
      for (const entry of started) if (entry.process.pid && entry.process.exited === null) killTree(entry.process.pid);
      const portTaken = /Address already in use|Cannot bind any address/.test(error.message);
      if (!(fresh && portTaken && attempt < 3)) throw error;
      fleet.port = await freePort(plan.map((host) => host.address));
    }
  }
  return { ...fleetStatusOf(p, fleet), started: toStart.map((host) => host.name) };
}

async function waitStarted(fleet, started, p) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let waiting = started;
  while (waiting.length > 0) {
    const failed = waiting.find((entry) => entry.process.exited !== null);
    if (failed) {
      const hostPaths = p.host(failed.host.name);
      throw new TestbedError(
        `the sshd of ${failed.host.name} (${failed.host.address}:${fleet.port}) exited (${failed.process.exited}). Its log (${hostPaths.log}) ends with:\n${logTail(hostPaths.log)}`,
      );
    }
    // sshd writes its pid file once it listens: a connection accepted before that is another program's.
    const answers = await Promise.all(
      waiting.map((entry) => existsSync(p.host(entry.host.name).pidFile) && accepts(entry.host.address, fleet.port)),
    );
    waiting = waiting.filter((_, i) => !answers[i]);
    if (waiting.length === 0) break;
    if (Date.now() > deadline) {
      throw new TestbedError(
        `${waiting.map((entry) => entry.host.name).join(', ')} did not accept connections on port ${fleet.port} within ${READY_TIMEOUT_MS / 1000} s`,
      );
    }
    await sleep(20);
  }
}

function fleetStatusOf(p, fleet) {
  return {
    dir: p.dir,
    inventory: p.inventory,
    port: fleet.port,
    user: fleet.user,
    clientKey: fleet.clientKey,
    hosts: fleet.hosts.map((host) => describeHost(p, host)),
  };
}

/** The fleet in `dir`: its inventory and each host with its pid and whether its sshd runs; null when there is none. */
export function fleetStatus({ dir = FLEET_DIR } = {}) {
  const p = fleetPaths(dir);
  const fleet = readState(p);
  return fleet ? fleetStatusOf(p, fleet) : null;
}

/** Resolves once every running host's sshd accepts TCP; rejects naming those that do not within `timeoutMs`. */
export async function fleetReady({ dir = FLEET_DIR, timeoutMs = READY_TIMEOUT_MS } = {}) {
  const status = fleetStatus({ dir });
  if (!status) throw new TestbedError(`no fleet in ${fleetPaths(dir).dir}: npm run testbed -- fleet up`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answers = await Promise.all(status.hosts.map((host) => accepts(host.address, status.port)));
    const silent = status.hosts.filter((host, i) => host.running && !answers[i]).map((host) => host.name);
    const down = status.hosts.filter((host) => !host.running).map((host) => host.name);
    if (silent.length === 0) return { ready: status.hosts.filter((host) => host.running).map((host) => host.name), down };
    if (Date.now() > deadline)
      throw new TestbedError(`${silent.join(', ')} did not accept connections on port ${status.port} within ${timeoutMs / 1000} s`);
    await sleep(20);
  }
}

/**
 * Make `host` unreachable at once: kill its sshd listener and every session and command below it.
 * Its root stays. Synchronous, so an exit hook can call it. Throws on a name that is not in the fleet.
 */
export function fleetKill({ dir = FLEET_DIR, host } = {}) {
  const p = fleetPaths(dir);
  const fleet = readState(p);
  if (!fleet) throw new TestbedError(`no fleet in ${p.dir}: npm run testbed -- fleet up`);
  const known = fleet.hosts.find((entry) => entry.name === host);
  if (!known)
    throw new TestbedError(
      `${host} is not a host of the fleet in ${p.dir}; its hosts are ${fleet.hosts.map((entry) => entry.name).join(', ')}`,
    );
  const pid = listenerPid(p.host(host));
  if (pid === null) return { host, killed: false, pids: [] };
  const pids = killTree(pid);
  rmSync(p.host(host).pidFile, { force: true });
  return { host, killed: true, pids };
}

/** Stop every host of the fleet in `dir` (by pid file), with their sessions. Files and roots stay. Synchronous and idempotent. */
export function fleetDown({ dir = FLEET_DIR } = {}) {
  const p = fleetPaths(dir);
  const fleet = readState(p);
  if (!fleet) return { stopped: [] };
  const stopped = fleet.hosts.filter((host) => fleetKill({ dir, host: host.name }).killed).map((host) => host.name);
  return { stopped };
}

// ---------------------------------------------------------------------------------------------
// Command line: npm run testbed -- fleet ...
// ---------------------------------------------------------------------------------------------

export const FLEET_USAGE = `usage: npm run testbed -- fleet up [N] [--controllers K] [--at RELEASE] [--dir DIR] [--json]
       npm run testbed -- fleet status|down [--dir DIR] [--json]
       npm run testbed -- fleet kill HOST [--dir DIR]

  up       start N real sshd hosts (default ${DEFAULT_HOSTS}) on 127.0.0.2.. and write an Ansible inventory;
           a running fleet is kept, and hosts killed since are started again
  status   each host: address, root, and whether its sshd runs
  kill     make HOST unreachable at once (its sshd and its live sessions die; its root stays)
  down     stop every host; the files and host roots stay for the next \`fleet up\`

The fleet lives in state/testbed/fleet/ unless --dir says otherwise.`;

/** A path relative to the working directory when it is inside it, else as it is. */
function show(path) {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
}

function table(status) {
  const width = Math.max(...status.hosts.map((host) => host.name.length));
  const where = (host) => `${host.address}:${status.port}`;
  const whereWidth = Math.max(...status.hosts.map((host) => where(host).length));
  const state = (host) => (host.running ? `up (pid ${host.pid})` : 'DOWN');
  const stateWidth = Math.max(...status.hosts.map((host) => state(host).length));
  return status.hosts
    .map(
      (host) =>
        `  ${host.name.padEnd(width)}  ${host.group.padEnd(11)}  ${where(host).padEnd(whereWidth)}  ${state(host).padEnd(stateWidth)}  root ${show(host.root)}`,
    )
    .join('\n');
}

/** `fleet ...` of the testbed's command line. Returns the exit code. */
export async function fleetCli(argv, { print }) {
  const args = [...argv];
  const command = args.shift();
  const positional = [];
  let dir = FLEET_DIR;
  let json = false;
  let controllers;
  let at = DEFAULT_RELEASE;
  while (args.length > 0) {
    const arg = args.shift();
    if (arg === '--dir') dir = args.shift() ?? '';
    else if (arg.startsWith('--dir=')) dir = arg.slice(6);
    else if (arg === '--json') json = true;
    else if (arg === '--controllers' || arg.startsWith('--controllers='))
      controllers = count(arg.includes('=') ? arg.slice(14) : args.shift(), '--controllers');
    else if (arg === '--at') at = args.shift() ?? '';
    else if (arg.startsWith('--at=')) at = arg.slice(5);
    else if (arg.startsWith('-')) throw new TestbedError(`unknown option ${arg}\n\n${FLEET_USAGE}`);
    else positional.push(arg);
  }
  if (!dir) throw new TestbedError(`--dir needs a directory\n\n${FLEET_USAGE}`);
  const expect = (n) => {
    if (positional.length > n) throw new TestbedError(`fleet ${command}: unexpected ${positional.slice(n).join(' ')}\n\n${FLEET_USAGE}`);
  };
  switch (command) {
    case 'up': {
      expect(1);
      // Without N, a fleet already there keeps its size and split.
      const existing = fleetStatus({ dir });
      const hosts = positional[0] === undefined ? (existing?.hosts.length ?? DEFAULT_HOSTS) : count(positional[0], 'fleet up N');
      if (positional[0] === undefined && controllers === undefined && existing) {
        controllers = existing.hosts.filter((host) => host.group === 'controllers').length;
      }
      const began = Date.now();
      const result = await fleetUp({ dir, hosts, controllers, at });
      if (json) {
        print(JSON.stringify(result, null, 2));
        return 0;
      }
      print(
        `fleet: ${result.started.length === 0 ? 'already running' : `started ${result.started.join(', ')}`} in ${Date.now() - began} ms`,
      );
      print(table(result));
      print(`\ninventory: ${show(result.inventory)}`);
      print(
        `try it:    ansible all -i ${show(result.inventory)} -m ansible.builtin.shell -a 'cat $WAYMARK_TESTBED_ROOT/var/lib/nova/version'`,
      );
      const missing = missingFleetPrograms();
      if (missing) print(`\nnote: ${missing}`);
      return 0;
    }
    case 'status': {
      expect(0);
      const status = fleetStatus({ dir });
      if (json) {
        print(JSON.stringify(status, null, 2));
        return status?.hosts.every((host) => host.running) ? 0 : 3;
      }
      if (!status) {
        print(`fleet: none in ${show(fleetPaths(dir).dir)}; npm run testbed -- fleet up starts one`);
        return 3;
      }
      const up = status.hosts.filter((host) => host.running).length;
      print(`fleet: ${up} of ${status.hosts.length} hosts up, inventory ${show(status.inventory)}`);
      print(table(status));
      return up === status.hosts.length ? 0 : 3;
    }
    case 'kill': {
      expect(1);
      if (!positional[0]) throw new TestbedError(`fleet kill needs a host name\n\n${FLEET_USAGE}`);
      const result = fleetKill({ dir, host: positional[0] });
      print(
        result.killed
          ? `fleet: ${result.host} is down (killed its sshd and ${result.pids.length - 1} session processes); npm run testbed -- fleet up starts it again`
          : `fleet: ${result.host} was not running`,
      );
      return 0;
    }
    case 'down': {
      expect(0);
      const result = fleetDown({ dir });
      print(
        result.stopped.length > 0
          ? `fleet: stopped ${result.stopped.join(', ')}; the host roots stay in ${show(fleetPaths(dir).dir)}`
          : 'fleet: not running',
      );
      return 0;
    }
    case undefined:
    case 'help':
      print(FLEET_USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new TestbedError(`unknown fleet command ${command}\n\n${FLEET_USAGE}`);
  }
}

function count(text, what) {
  const n = Number(text);
  if (!/^\d+$/.test(text ?? '') || !Number.isSafeInteger(n)) throw new TestbedError(`${what}: ${text ?? '(nothing)'} is not a number`);
  return n;
}
