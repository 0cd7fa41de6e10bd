/** Types of fleet.mjs: the testbed's fleet of real sshd hosts on loopback, and its Ansible inventory. */

/** Where `npm run testbed -- fleet` keeps its fleet: state/testbed/fleet/ in the repository. */
export declare const FLEET_DIR: string;
/** The command that installs what the fleet needs on Debian and Ubuntu. */
export declare const FLEET_INSTALL_COMMAND: string;
/** testbed/host-tools/: shims first on each host's PATH (sudo, yum, dnf, apt-get, systemctl, crudini) that run the stand-ins for that host. */
export declare const HOST_TOOLS: string;
/** testbed/bin/host-upgrade: run on a host, it upgrades a nova service in that host's root. */
export declare const HOST_UPGRADE: string;
/** The release the hosts' nova runs when the fleet is created. */
export declare const DEFAULT_RELEASE: string;
/** How many hosts `fleet up` starts without a number. */
export declare const DEFAULT_HOSTS: number;
/** The most hosts a fleet can have (one loopback address each). */
export declare const MAX_HOSTS: number;
export declare const FLEET_USAGE: string;

/** An inventory group of the fleet. */
export type FleetGroup = 'controllers' | 'computes';

/** A host as planned: its inventory name, group and loopback address. */
export interface PlannedHost {
  name: string;
  group: FleetGroup;
  address: string;
}

/** A host of a started fleet. */
export interface FleetHost extends PlannedHost {
  /** The host's root folder (WAYMARK_TESTBED_ROOT on the host). */
  root: string;
  /** Its sshd_config, pid file and log. */
  config: string;
  pidFile: string;
  log: string;
  /** The sshd listener's pid, null when it does not run. */
  pid: number | null;
  running: boolean;
}

/** A fleet and each host's state. */
export interface FleetStatus {
  dir: string;
  /** The INI inventory (groups controllers and computes). */
  inventory: string;
  /** The port every host's sshd listens on. */
  port: number;
  /** The user Ansible logs in as (the one who started the fleet). */
  user: string;
  /** The private key Ansible logs in with. */
  clientKey: string;
  hosts: FleetHost[];
}

/** Files of a fleet directory; `host(name)` gives one host's. */
export interface FleetPaths {
  dir: string;
  inventory: string;
  state: string;
  clientKey: string;
  sshdDir: string;
  host(name: string): { root: string; config: string; hostKey: string; pidFile: string; log: string; version: string; novaConf: string };
}

/** The programs found (undefined when missing). */
export declare function fleetPrograms(): {
  sshd?: string;
  sshKeygen?: string;
  sftpServer?: string;
  ansible?: string;
  ansiblePlaybook?: string;
  ansibleInventory?: string;
};
/** What is missing (sshd, ssh-keygen, sftp-server, and with `ansible` the Ansible programs) as a message naming the install command; null when nothing is. */
export declare function missingFleetPrograms(options?: { ansible?: boolean }): string | null;
/** Host names and addresses for `hosts` hosts, `controllers` of them controllers (default: see defaultControllers). */
export declare function planHosts(options: { hosts: number; controllers?: number }): PlannedHost[];
/** 1 controller up to 3 hosts, 2 up to 7, then 3. */
export declare function defaultControllers(hosts: number): number;
export declare function fleetPaths(dir?: string): FleetPaths;

/**
 * Start a fleet (reusing one with the same hosts: only hosts not running are started). Resolves once
 * every host accepts TCP. `watch`: a pid whose death kills every sshd. `at`: the hosts' nova release.
 */
/** `testbed`: the MariaDB testbed the hosts' stand-ins act on (WAYMARK_TESTBED_DIR on each host); default: the fleet dir's parent. */
export declare function fleetUp(options?: {
  dir?: string;
  hosts?: number;
  controllers?: number;
  at?: string;
  watch?: number;
  testbed?: string;
}): Promise<FleetStatus & { started: string[] }>;
/** The fleet in `dir`, null when there is none. */
export declare function fleetStatus(options?: { dir?: string }): FleetStatus | null;
/** Resolves once every running host accepts TCP; `down` names the hosts whose sshd does not run. */
export declare function fleetReady(options?: { dir?: string; timeoutMs?: number }): Promise<{ ready: string[]; down: string[] }>;
/** Kill a host's sshd and every session below it (synchronous). */
export declare function fleetKill(options: { dir?: string; host: string }): { host: string; killed: boolean; pids: number[] };
/** Stop every host (synchronous, idempotent); files and roots stay. */
export declare function fleetDown(options?: { dir?: string }): { stopped: string[] };
/** `npm run testbed -- fleet ...`; resolves to the exit code. */
export declare function fleetCli(argv: string[], io: { print(text: string): void }): Promise<number>;
