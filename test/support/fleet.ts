/**
 * A real fleet for tests: N `sshd` servers on 127.0.0.2, 127.0.0.3, ... (Debian's openssh-server),
 * each with its own host root, and an INI inventory Ansible reads (groups `controllers` and
 * `computes`). The fleet logic is testbed/fleet.mjs, shared with `npm run testbed -- fleet`; see
 * its header for the layout, the per-host environment (WAYMARK_TESTBED_ROOT, WAYMARK_TESTBED_HOST,
 * set by each host's sshd) and why the inventory turns SSH connection sharing off.
 *
 * ansible-playbook's exit codes against this fleet (ansible-core 2.14, measured in fleet.test.ts):
 * 0 all ok; 2 a host failed and none was unreachable; 4 a host unreachable, also when another host
 * failed (the strategy checks unreachable hosts first). Per-host outcomes must come from the
 * events, not from the code.
 *
 * Without sshd or Ansible, fleet tests are skipped with a loud warning on a developer machine; under
 * CI (any truthy `CI`) they run and fail in `startFleet`, so CI can never go green by skipping them.
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { underCi } from './ci.js';
import {
  DEFAULT_RELEASE,
  FLEET_INSTALL_COMMAND,
  HOST_TOOLS,
  HOST_UPGRADE,
  fleetDown,
  fleetKill,
  fleetReady,
  fleetUp,
  missingFleetPrograms,
  type FleetGroup,
} from '../../testbed/fleet.mjs';

export { HOST_TOOLS, HOST_UPGRADE };

/** One host of a test fleet. */
export interface FleetHostInfo {
  /** Inventory name: ctl-N or cmp-N. */
  name: string;
  group: FleetGroup;
  /** Its loopback address (127.0.0.2 ...). */
  address: string;
  /** Its root folder; commands run on it find it in $WAYMARK_TESTBED_ROOT. */
  root: string;
  /** ROOT/var/lib/nova/version: the nova release host-upgrade moves. */
  versionFile: string;
  /** Its sshd_config: the listener's process title names it (for pgrep -f). */
  config: string;
  pidFile: string;
}

/** A running test fleet. */
export interface Fleet {
  dir: string;
  /** The INI inventory. */
  inventory: string;
  /** The port all hosts listen on. */
  port: number;
  /** The private key the inventory logs in with. */
  clientKey: string;
  hosts: FleetHostInfo[];
  /** One host by name; throws on an unknown name. */
  host(name: string): FleetHostInfo;
  /** Environment for ansible and ansible-playbook: local temp files in the fleet dir, no colour. */
  ansibleEnv: Record<string, string>;
  /** Make `host` unreachable at once: its sshd and its live sessions (and what they run) are killed. */
  kill(host: string): void;
  /** Resolves once every host not killed accepts TCP on its address. */
  waitReady(): Promise<void>;
  /** Stop every host and remove the fleet's directory when startFleet made it. Idempotent; also run at process exit. */
  stop(): Promise<void>;
}

/** Options for {@link startFleet}. */
export interface StartFleetOptions {
  /** How many hosts (1 to 253). */
  hosts: number;
  /** Where to put the fleet (default: a new temp dir, removed by stop). */
  dir?: string;
  /** The split: controllers ctl-1.., computes cmp-1..; given both, they must add up to `hosts`. Default 1 controller up to 3 hosts, 2 up to 7, then 3. */
  groups?: { controllers?: number; computes?: number };
  /** The nova release the hosts start at (default newton). */
  at?: string;
  /** The MariaDB testbed the hosts' stand-in tools act on (default: the fleet dir's parent). */
  testbed?: string;
}

let warned = false;

/** Whether sshd, ssh-keygen, the sftp server and Ansible are installed here. */
export function fleetAvailable(): boolean {
  return missingFleetPrograms() === null;
}

/**
 * Whether fleet tests should run. Missing programs skip them (with a loud warning) except under
 * CI (any truthy `CI`), where the tests run and fail in `startFleet`.
 */
export function shouldRunFleetTests(): boolean {
  if (fleetAvailable() || underCi()) return true;
  if (!warned) {
    warned = true;
    console.warn(`\n*** sshd or Ansible not found: fleet tests SKIPPED. Install with: ${FLEET_INSTALL_COMMAND} ***\n`);
  }
  return false;
}

/** A `describe` whose tests share one fleet, started before them and stopped after; `fleet()` returns it. */
export function describeWithFleet(name: string, fn: (fleet: () => Fleet) => void, options: StartFleetOptions): void {
  describe.skipIf(!shouldRunFleetTests())(name, () => {
    let running: Fleet | undefined;
    beforeAll(async () => {
      running = await startFleet(options);
    }, 60_000);
    afterAll(async () => {
      await running?.stop();
    }, 30_000);
    fn(() => {
      if (!running) throw new Error('the fleet is not running (called outside a test or hook?)');
      return running;
    });
  });
}

// Fleets still up when the test process exits normally are stopped by the exit hook; a process
// killed by a signal leaves that to fleetUp's watchdog (watch: process.pid).
const liveFleets = new Set<() => void>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const stop of liveFleets) stop();
  });
}

function controllersOf(options: StartFleetOptions): number | undefined {
  const { controllers, computes } = options.groups ?? {};
  if (computes === undefined) return controllers;
  if (controllers !== undefined && controllers + computes !== options.hosts) {
    throw new Error(`startFleet: ${controllers} controllers and ${computes} computes are not ${options.hosts} hosts`);
  }
  return options.hosts - computes;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Start a fleet of real sshd hosts; resolves once every host accepts TCP. */
export async function startFleet(options: StartFleetOptions): Promise<Fleet> {
  const missing = missingFleetPrograms();
  if (missing) throw new Error(missing);
  installExitHook();
  const ownDir = options.dir === undefined;
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'wm-fleet-'));
  let up: Awaited<ReturnType<typeof fleetUp>>;
  try {
    up = await fleetUp({
      dir,
      hosts: options.hosts,
      controllers: controllersOf(options),
      at: options.at ?? DEFAULT_RELEASE,
      watch: process.pid,
      testbed: options.testbed,
    });
  } catch (error) {
    fleetDown({ dir });
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    throw error;
  }

  let stopped = false;
  const stopNow = (): void => {
    if (stopped) return;
    stopped = true;
    fleetDown({ dir });
    if (ownDir) rmSync(dir, { recursive: true, force: true });
    liveFleets.delete(stopNow);
  };
  liveFleets.add(stopNow);

  const hosts: FleetHostInfo[] = up.hosts.map((host) => ({
    name: host.name,
    group: host.group,
    address: host.address,
    root: host.root,
    versionFile: join(host.root, 'var', 'lib', 'nova', 'version'),
    config: host.config,
    pidFile: host.pidFile,
  }));
  const pids = up.hosts.map((host) => host.pid).filter((pid): pid is number => pid !== null);

  return {
    dir: up.dir,
    inventory: up.inventory,
    port: up.port,
    clientKey: up.clientKey,
    hosts,
    host(name) {
      const found = hosts.find((host) => host.name === name);
      if (!found) throw new Error(`${name} is not a host of this fleet (${hosts.map((host) => host.name).join(', ')})`);
      return found;
    },
    ansibleEnv: {
      ANSIBLE_LOCAL_TEMP: join(up.dir, 'ansible-tmp'),
      ANSIBLE_NOCOLOR: '1',
      ANSIBLE_HOST_KEY_CHECKING: 'False',
      ANSIBLE_RETRY_FILES_ENABLED: 'False',
    },
    kill(host) {
      fleetKill({ dir, host });
    },
    async waitReady() {
      await fleetReady({ dir });
    },
    async stop() {
      stopNow();
      // SIGKILLed listeners are reaped by this process's event loop: give it a moment to.
      const deadline = Date.now() + 5_000;
      while (pids.some((pid) => alive(pid)) && Date.now() < deadline) await sleep(20);
    },
  };
}

/**
 * True while an ansible-playbook started from `dir` (the runbook's folder, where waymark runs it)
 * runs: a fleet block's batch must not outlive the waymark that started it.
 */
export function ansiblePlaybookRunning(dir: string): boolean {
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('ansible-playbook')) continue;
      if (readlinkSync(`/proc/${pid}/cwd`) === dir) return true;
    } catch {
      // The process ended while it was being read.
    }
  }
  return false;
}

/** Whether `pid` runs; a killed process not yet reaped is a zombie, gone for our purposes. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
