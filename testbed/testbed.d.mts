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
  /** Snapshots: NAME.sql.gz (the databases) and NAME.json (when, which databases, the configuration files). */
  snapshots: string;
  /** origin.json: where a copy loaded from a dump came from; absent for the seeded slice. */
  origin: string;
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
  id:
    | 'latin1'
    | 'null-compute-host'
    | 'duplicate-hypervisors'
    | 'consoleauth-cache'
    | 'orphaned-service'
    | 'mixed-versions'
    | 'online-migrations'
    | 'heat-engine-behind'
    | 'heat-trigger-missing'
    | 'heat-files-differ'
    | 'heat-engine-stray'
    | 'ironic-nodes-in-flight'
    | 'ironic-conductor-versions'
    | 'ironic-online-migrations';
  title: string;
  present: boolean;
  detail: string;
}

/** Where the databases of a testbed came from when they are not the seeded slice. */
export type Origin = { kind: 'load'; file: string; loadedAt: string; databases: string[] };

/** One snapshot of a testbed. */
export interface SnapshotInfo {
  name: string;
  takenAt: string;
  databases: string[];
  /** Size of NAME.sql.gz. */
  bytes: number;
  file: string;
}

/** Whether the server runs, where its socket is, and which faults are present. */
export interface TestbedStatus {
  dir: string;
  socket: string;
  running: boolean;
  pid: number | null;
  /** The seeded release; null for a copy loaded from a dump without the testbed's bookkeeping. */
  at: Seed | null;
  faults: Fault[] | null;
  /** Why `faults` is null on a loaded copy (a table the checks read is missing). */
  faultsNote: string | null;
  created: boolean;
  /** Set after `load`; null for the seeded slice. */
  origin: Origin | null;
  snapshots: SnapshotInfo[];
}

export declare function status(options?: { dir?: string }): Promise<TestbedStatus>;

/** What `load` did. */
export interface LoadResult {
  /** Databases the dump created. */
  databases: string[];
  /** Databases the testbed held before, all dropped. */
  dropped: string[];
  /** The server's own schemas in the dump (mysql ...), left out. */
  skipped: string[];
  origin: Origin;
  /** The seeded release when the dump holds a testbed's bookkeeping (a testbed's own dump), else null. */
  at: Seed | null;
}

/** Replace every database of the running testbed with those of a mysqldump (.sql or .sql.gz), charsets as dumped. */
export declare function load(options: { dir?: string; file: string }): Promise<LoadResult>;
/** Dump every database (routines, triggers, events) and the configuration files into snapshots/NAME. */
export declare function snapshot(options: {
  dir?: string;
  name: string;
}): Promise<SnapshotInfo & { seeded: Seed | null; origin: Origin | null }>;
/** Put every database and configuration file back as snapshot NAME found them. */
export declare function restore(options: {
  dir?: string;
  name: string;
}): Promise<{ name: string; takenAt: string; databases: string[]; at: Seed | null }>;
/** The snapshots of a testbed, oldest first. */
export declare function listSnapshots(options?: { dir?: string }): SnapshotInfo[];
