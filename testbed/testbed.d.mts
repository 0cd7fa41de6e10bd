/** Types of testbed.mjs, the rehearsal testbed (a private MariaDB with an OpenStack slice and its faults). */

/** The repository the testbed belongs to. */
export declare const REPO: string;
/** Where `npm run testbed` keeps its server: state/testbed/ in the repository. */
export declare const DEFAULT_DIR: string;
/** The command that installs the server on Debian and Ubuntu. */
export declare const INSTALL_COMMAND: string;
/** Releases the testbed can be seeded at. */
export declare const SEEDS: readonly ['juno', 'newton'];

/** A release the testbed can be seeded at. */
export type Seed = 'juno' | 'newton';

/** Error the CLI prints as a message, not a stack. */
export declare class TestbedError extends Error {}

/** Every file of a testbed. */
export interface TestbedPaths {
  dir: string;
  dataDir: string;
  socket: string;
  pidFile: string;
  errorLog: string;
  /** Option file for mysqldump and the mariadb client (socket, user). */
  clientCnf: string;
  novaConf: string;
  cinderConf: string;
  /** ironic.conf of the controllers (Ironic's pin_release_version). */
  ironicConf: string;
  backups: string;
  /** The stand-in tools. */
  bin: string;
}

/** Where the testbed in `dir` keeps each file. */
export declare function paths(dir?: string): TestbedPaths;

/** The MariaDB programs the testbed needs; throws TestbedError naming the apt-get command when missing. */
export declare function binaries(): { server: string; installDb: string; client: string };

/** What `up` found or did. */
export interface UpResult {
  dir: string;
  socket: string;
  pid: number;
  /** False when the server was already running. */
  started: boolean;
  /** True when the OpenStack slice was loaded by this call. */
  loaded: boolean;
  /** The release the slice was seeded at. */
  at: Seed | null;
  note: string | null;
}

/** Start the testbed (creating and seeding it on first use); idempotent. `watch`: a pid whose death stops the server. */
export declare function up(options?: { dir?: string; at?: Seed; watch?: number }): Promise<UpResult>;
/** Stop the server; the data stays. */
export declare function down(options?: { dir?: string }): Promise<{ stopped: boolean; pid?: number }>;
/** Load the slice again, every fault planted. */
export declare function reset(options?: { dir?: string; at?: Seed; watch?: number }): Promise<UpResult>;
/** Load the slice into the running server, replacing what was there. */
export declare function seed(options?: { dir?: string; at?: Seed }): Promise<{ at: Seed }>;

/** One planted fault and whether it is still present. */
export interface Fault {
  id: 'latin1' | 'null-compute-host' | 'duplicate-hypervisors' | 'consoleauth-cache' | 'orphaned-service' | 'mixed-versions' | 'online-migrations'
    | 'heat-engine-behind' | 'heat-trigger-missing' | 'heat-files-differ' | 'heat-engine-stray'
    | 'ironic-nodes-in-flight' | 'ironic-conductor-versions' | 'ironic-online-migrations';
  title: string;
  present: boolean;
  detail: string;
}

/** Whether the server runs, where its socket is, and which faults are present. */
export interface TestbedStatus {
  dir: string;
  socket: string;
  running: boolean;
  pid: number | null;
  at: Seed | null;
  faults: Fault[] | null;
  created: boolean;
}

export declare function status(options?: { dir?: string }): Promise<TestbedStatus>;
