#!/usr/bin/env node
/**
 * The rehearsal testbed: a private MariaDB on a unix socket under state/testbed/ (or any dir),
 * loaded with a slice of an OpenStack cloud's databases and the faults operators hit when they
 * upgraded theirs. The stand-in tools in testbed/bin act on it, so a runbook's rehearsal runs
 * real SQL against a real server.
 *
 *   npm run testbed -- up [--at juno|newton]   start it (loading the slice on first start); idempotent
 *   npm run testbed -- status [--json]         the socket, and which planted faults are still there
 *   npm run testbed -- reset [--at ...]        load the slice again: every fault is back
 *   npm run testbed -- down                    stop the server; the data stays for the next `up`
 *   npm run testbed -- load DUMP.sql[.gz]      replace the databases with a mysqldump (of production)
 *   npm run testbed -- snapshot|restore NAME   keep every database (and etc/) as NAME; go back to it
 *   npm run testbed -- fleet up|status|kill|down   real sshd hosts on loopback for fleet blocks (fleet.mjs)
 *
 * Tests import it: `up({ dir, watch: process.pid })` in a temp dir, `down({ dir })`.
 * Plain Node, no dependencies: SQL goes through the `mariadb` client.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  existsSync,
  openSync,
  readSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import { userInfo } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SEARCH_DIRS, findExecutable, processAlive } from './process.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
/** The repository the testbed belongs to. */
export const REPO = resolve(HERE, '..');
/** Where `npm run testbed` keeps its server: state/testbed/ in the repository. */
export const DEFAULT_DIR = join(REPO, 'state', 'testbed');
/** The command that installs the server on Debian and Ubuntu. */
export const INSTALL_COMMAND = 'sudo apt-get update && sudo apt-get install -y mariadb-server';
/** Releases the testbed can be seeded at. */
export const SEEDS = ['juno', 'newton'];

// sun_path holds 108 bytes with the NUL; stay clear of it.
const MAX_SOCKET_PATH = 100;
const OPENSTACK_DATABASES = ['nova', 'nova_api', 'glance', 'neutron', 'cinder', 'heat', 'ironic', 'testbed'];

/** Error the CLI prints as a message, not a stack. */
export class TestbedError extends Error {}

/** Every file of a testbed in `dir`. */
export function paths(dir = DEFAULT_DIR) {
  const root = resolve(dir);
  return {
    dir: root,
    dataDir: join(root, 'data'),
    socket: join(root, 'mysqld.sock'),
    pidFile: join(root, 'mariadbd.pid'),
    errorLog: join(root, 'mariadbd.err'),
    clientCnf: join(root, 'client.cnf'),
    novaConf: join(root, 'etc', 'nova', 'nova.conf'),
    cinderConf: join(root, 'etc', 'cinder', 'cinder.conf'),
    ironicConf: join(root, 'etc', 'ironic', 'ironic.conf'),
    backups: join(root, 'backups'),
    snapshots: join(root, 'snapshots'),
    origin: join(root, 'origin.json'),
    bin: join(HERE, 'bin'),
  };
}

/** The MariaDB programs the testbed needs, or an error saying how to install them. */
export function binaries() {
  const found = {
    server: findExecutable(['mariadbd', 'mysqld']),
    installDb: findExecutable(['mariadb-install-db', 'mysql_install_db']),
    client: findExecutable(['mariadb', 'mysql']),
  };
  const missing = Object.entries({ server: 'mariadbd', installDb: 'mariadb-install-db', client: 'mariadb' })
    .filter(([key]) => !found[key])
    .map(([, name]) => name);
  if (missing.length > 0) {
    throw new TestbedError(
      `the testbed needs MariaDB from Debian's mariadb-server package, and ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed ` +
        `(looked in PATH and ${SEARCH_DIRS.join(', ')}). Install it with:\n\n  ${INSTALL_COMMAND}\n\n(as root, without the sudo). ` +
        'The testbed runs its own private server; the system one the package starts is not used (sudo systemctl disable --now mariadb stops it).',
    );
  }
  if (!findExecutable(['python3']))
    throw new TestbedError('the stand-in tools in testbed/bin need python3: sudo apt-get install -y python3');
  return found;
}

function checkSocketPath(p) {
  if (p.socket.length > MAX_SOCKET_PATH) {
    throw new TestbedError(
      `the socket path ${p.socket} is ${p.socket.length} characters; a unix socket allows about ${MAX_SOCKET_PATH}: use a shorter --dir`,
    );
  }
}

/** Run SQL through the mariadb client as root; stdout as rows of tab-separated cells. */
function client(p, sql, { database } = {}) {
  const { client: program } = binaries();
  const args = [
    '--no-defaults',
    `--socket=${p.socket}`,
    '--user=root',
    '--batch',
    '--skip-column-names',
    '--raw',
    '--default-character-set=utf8mb4',
  ];
  if (database) args.push(database);
  const done = spawnSync(program, args, { input: sql, encoding: 'utf8', timeout: 120_000 });
  if (done.status !== 0) {
    throw new TestbedError(`SQL on the testbed failed: ${(done.stderr || done.error?.message || `exit ${done.status}`).trim()}`);
  }
  return done.stdout
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t').map((cell) => (cell === 'NULL' ? null : cell)));
}

/** The pid of this testbed's server, when it is running. */
function serverPid(p) {
  if (!existsSync(p.pidFile)) return null;
  const pid = Number(readFileSync(p.pidFile, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return null;
  try {
    // A recycled pid belongs to some other program: only a server on our data dir counts.
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes(p.dataDir)) return null;
  } catch {
    // no /proc: trust the pid file
  }
  return pid;
}

function accepting(p) {
  if (!existsSync(p.socket)) return false;
  const { client: program } = binaries();
  const done = spawnSync(program, ['--no-defaults', `--socket=${p.socket}`, '--user=root', '-e', 'SELECT 1'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  return done.status === 0;
}

const sleep = (ms) => new Promise((resolveSleep) => setTimeout(resolveSleep, ms));

function logTail(file, lines = 15) {
  if (!existsSync(file)) return '(no error log was written)';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}

function install(p, bins) {
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  const done = spawnSync(
    bins.installDb,
    [
      '--no-defaults',
      `--datadir=${p.dataDir}`,
      `--user=${userInfo().username}`,
      '--auth-root-authentication-method=normal',
      '--skip-test-db',
      '--skip-name-resolve',
      '--innodb-log-file-size=10M',
    ],
    { encoding: 'utf8', timeout: 180_000 },
  );
  if (done.status !== 0) {
    rmSync(p.dataDir, { recursive: true, force: true });
    throw new TestbedError(
      `mariadb-install-db failed: ${`${done.stdout ?? ''}${done.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n')}`,
    );
  }
}

async function startServer(p, bins, { watch } = {}) {
  rmSync(p.socket, { force: true });
  const server = spawn(
    bins.server,
    [
      '--no-defaults',
      `--datadir=${p.dataDir}`,
      `--socket=${p.socket}`,
      '--skip-networking',
      `--user=${userInfo().username}`,
      `--pid-file=${p.pidFile}`,
      `--log-error=${p.errorLog}`,
      `--tmpdir=${p.dir}`,
      '--innodb-buffer-pool-size=32M',
      '--innodb-log-file-size=10M',
      // Like the servers the Juno-era databases were created on: latin1 unless told otherwise.
      '--character-set-server=latin1',
      '--collation-server=latin1_swedish_ci',
      // The heartbeat event keeps running services' records fresh.
      '--event-scheduler=ON',
    ],
    { detached: true, stdio: 'ignore' },
  );
  let exited = null;
  server.once('exit', (code, signal) => {
    exited = signal ? `killed by ${signal}` : `exit code ${code}`;
  });
  const spawnError = new Promise((resolveError) => server.once('error', resolveError));
  server.unref();
  if (server.pid === undefined) throw new TestbedError(`could not start ${bins.server}: ${(await spawnError).message}`);
  if (watch) startWatchdog(watch, server.pid);
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== null)
      throw new TestbedError(
        `mariadbd exited before accepting connections (${exited}). Its log (${p.errorLog}) ends with:\n${logTail(p.errorLog)}`,
      );
    if (accepting(p)) return server.pid;
    if (Date.now() > deadline) {
      process.kill(server.pid, 'SIGKILL');
      throw new TestbedError(`mariadbd did not accept connections on ${p.socket} within 60 s. Its log ends with:\n${logTail(p.errorLog)}`);
    }
    await sleep(50);
  }
}

/** Kill the server once `ownerPid` is gone (tests: a worker killed by a timeout leaves no server behind). */
function startWatchdog(ownerPid, serverPid_) {
  const script = `while kill -0 ${ownerPid} 2>/dev/null; do kill -0 ${serverPid_} 2>/dev/null || exit 0; sleep 1; done; kill -TERM ${serverPid_} 2>/dev/null; sleep 5; kill -KILL ${serverPid_} 2>/dev/null`;
  spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' }).unref();
}

function isSeeded(p) {
  const rows = client(p, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'testbed' AND table_name = 'meta'");
  if (rows[0]?.[0] !== '1') return null;
  return client(p, "SELECT value FROM testbed.meta WHERE name = 'seeded_release'")[0]?.[0] ?? null;
}

function writeFiles(p) {
  mkdirSync(dirname(p.novaConf), { recursive: true });
  mkdirSync(dirname(p.cinderConf), { recursive: true });
  mkdirSync(dirname(p.ironicConf), { recursive: true });
  mkdirSync(p.backups, { recursive: true, mode: 0o700 });
  writeFileSync(
    p.clientCnf,
    `# Client settings for the testbed: mysqldump --defaults-extra-file=${p.clientCnf} ...\n[client]\nsocket = ${p.socket}\nuser = root\n`,
    { mode: 0o600 },
  );
  writeFileSync(
    p.novaConf,
    [
      "# nova.conf of the testbed's hosts (one file stands for every host's; the stand-in ssh edits it with crudini).",
      '[DEFAULT]',
      'rpc_backend = rabbit',
      '# Juno-era setting: consoleauth tokens shared through memcached. From Mitaka on, [cache] must be enabled instead.',
      'memcached_servers = ctl-1:11211,ctl-2:11211',
      '',
      '[database]',
      `connection = mysql+pymysql://nova:testbed@localhost/nova?unix_socket=${p.socket}`,
      '',
      '[keystone_authtoken]',
      'auth_uri = http://ctl-1:5000/v2.0',
      '',
    ].join('\n'),
  );
  writeFileSync(
    p.cinderConf,
    [
      '[DEFAULT]',
      'rpc_backend = rabbit',
      '',
      '[database]',
      `connection = mysql+pymysql://cinder:testbed@localhost/cinder?unix_socket=${p.socket}`,
      '',
    ].join('\n'),
  );
  // No pin_release_version: the Ironic runbook sets it for the upgrade and removes it after.
  writeFileSync(
    p.ironicConf,
    [
      '[DEFAULT]',
      'enabled_hardware_types = ipmi',
      '',
      '[database]',
      `connection = mysql+pymysql://ironic:testbed@localhost/ironic?unix_socket=${p.socket}`,
      '',
    ].join('\n'),
  );
}

/** Load the slice into a running testbed server, replacing whatever was there. */
export async function seed({ dir = DEFAULT_DIR, at = 'juno' } = {}) {
  if (!SEEDS.includes(at)) throw new TestbedError(`--at ${at}: the testbed seeds ${SEEDS.join(' or ')}`);
  const p = paths(dir);
  const drops = OPENSTACK_DATABASES.map((db) => `DROP DATABASE IF EXISTS \`${db}\`;`).join('\n');
  const users = ['nova', 'glance', 'neutron', 'cinder', 'heat', 'ironic'].map((u) => `DROP USER IF EXISTS '${u}'@'%';`).join('\n');
  client(p, `${drops}\n${users}\n`);
  writeFiles(p);
  client(p, readFileSync(join(HERE, 'sql', 'juno.sql'), 'utf8'));
  client(p, readFileSync(join(HERE, 'sql', 'heartbeat.sql'), 'utf8'));
  client(p, readFileSync(join(HERE, 'sql', 'heat.sql'), 'utf8'));
  client(p, readFileSync(join(HERE, 'sql', 'ironic.sql'), 'utf8'));
  if (at !== 'juno') {
    const done = spawnSync('python3', [join(p.bin, '_testbed.py'), 'advance', at], {
      encoding: 'utf8',
      env: { ...process.env, WAYMARK_TESTBED_DIR: p.dir },
      timeout: 120_000,
    });
    if (done.status !== 0) throw new TestbedError(`seeding at ${at} failed: ${(done.stderr || done.stdout).trim()}`);
  }
  // Last: a seed that failed halfway is never taken for a loaded testbed.
  client(p, `INSERT INTO testbed.meta VALUES ('seeded_release', '${at}')`);
  rmSync(p.origin, { force: true });
  return { at };
}

/**
 * Start the testbed (creating and seeding it on first use). Idempotent: a running testbed is left
 * as it is. `watch`: a pid whose death stops the server (for tests).
 */
export async function up({ dir = DEFAULT_DIR, at, watch } = {}) {
  const p = paths(dir);
  checkSocketPath(p);
  const bins = binaries();
  let pid = serverPid(p);
  let started = false;
  if (pid === null || !accepting(p)) {
    if (pid !== null)
      throw new TestbedError(
        `a server (pid ${pid}) runs on ${p.dataDir} but does not answer on ${p.socket}; stop it with: npm run testbed -- down`,
      );
    if (!existsSync(join(p.dataDir, 'mysql'))) install(p, bins);
    pid = await startServer(p, bins, { watch });
    started = true;
  }
  let seeded = isSeeded(p);
  let loaded = false;
  // A copy loaded from a dump has no slice bookkeeping: it is kept, never reseeded over.
  if (seeded === null && originOf(p) === null) {
    await seed({ dir, at: at ?? 'juno' });
    seeded = at ?? 'juno';
    loaded = true;
  }
  return {
    dir: p.dir,
    socket: p.socket,
    pid,
    started,
    loaded,
    at: seeded,
    note: at && at !== seeded ? `the testbed holds a ${seeded} cloud; \`reset --at ${at}\` replaces it` : null,
  };
}

/** Stop the server (TERM, then KILL after 30 s). Data, sockets' directory and files stay. */
export async function down({ dir = DEFAULT_DIR } = {}) {
  const p = paths(dir);
  const pid = serverPid(p);
  if (pid === null) return { stopped: false };
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + 30_000;
  while (processAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGKILL');
      break;
    }
    await sleep(50);
  }
  return { stopped: true, pid };
}

/** Load the slice again (starting the server if needed): every planted fault is back. */
export async function reset({ dir = DEFAULT_DIR, at = 'juno', watch } = {}) {
  await up({ dir, at, watch });
  await seed({ dir, at });
  return up({ dir });
}

/** One planted fault and whether it is still there. */
function faultChecks(p) {
  const has = (schema, table, column) =>
    client(
      p,
      `SELECT COUNT(*) FROM information_schema.columns WHERE table_schema='${schema}' AND table_name='${table}'${column ? ` AND column_name='${column}'` : ''}`,
    )[0]?.[0] !== '0';
  const one = (sql) => client(p, sql)[0]?.[0] ?? null;
  const faults = [];
  const latin1 = one(
    "SELECT GROUP_CONCAT(DISTINCT s ORDER BY s) FROM (SELECT table_schema AS s FROM information_schema.tables WHERE table_schema IN ('nova','nova_api','glance','neutron','cinder') AND table_collation LIKE 'latin1%' " +
      "UNION SELECT schema_name FROM information_schema.schemata WHERE schema_name IN ('nova','nova_api','glance','neutron','cinder') AND default_character_set_name = 'latin1') x",
  );
  faults.push({ id: 'latin1', title: 'databases or tables in latin1', present: latin1 !== null, detail: latin1 ?? 'none' });
  const nullHost = one('SELECT GROUP_CONCAT(hypervisor_hostname ORDER BY id) FROM nova.compute_nodes WHERE deleted = 0 AND host IS NULL');
  faults.push({
    id: 'null-compute-host',
    title: 'compute_nodes rows with a NULL host',
    present: nullHost !== null,
    detail: nullHost ?? 'none',
  });
  const duplicates = one(
    'SELECT GROUP_CONCAT(hypervisor_hostname) FROM (SELECT hypervisor_hostname FROM nova.compute_nodes WHERE deleted = 0 GROUP BY hypervisor_hostname HAVING COUNT(*) > 1) d',
  );
  faults.push({
    id: 'duplicate-hypervisors',
    title: 'duplicate hypervisor records',
    present: duplicates !== null,
    detail: duplicates ?? 'none',
  });
  const consoleauths = Number(
    one("SELECT COUNT(*) FROM nova.services WHERE `binary` = 'nova-consoleauth' AND deleted = 0 AND disabled = 0"),
  );
  const conf = existsSync(p.novaConf) ? readFileSync(p.novaConf, 'utf8') : '';
  const cacheSection = /^\[cache\]\s*$([\s\S]*?)(^\[|$(?![\s\S]))/m.exec(conf)?.[1] ?? '';
  const cacheOn = /^\s*enabled\s*=\s*(true|1|yes)\s*$/im.test(cacheSection);
  faults.push({
    id: 'consoleauth-cache',
    title: 'several nova-consoleauth without [cache] enabled',
    present: consoleauths > 1 && !cacheOn,
    detail: `${consoleauths} nova-consoleauth, [cache] enabled = ${cacheOn}`,
  });
  const orphans = one(
    "SELECT GROUP_CONCAT(CONCAT(`binary`, ' on ', host)) FROM cinder.services WHERE deleted = 0 AND updated_at < UTC_TIMESTAMP() - INTERVAL 1 DAY",
  );
  faults.push({ id: 'orphaned-service', title: 'stale, orphaned service records', present: orphans !== null, detail: orphans ?? 'none' });
  const mixed = [];
  if (has('nova', 'services', 'version')) {
    const behind = one(
      "SELECT GROUP_CONCAT(CONCAT(`binary`, ' on ', host, ' (', version, ')')) FROM nova.services WHERE deleted = 0 AND version < (SELECT MAX(version) FROM nova.services WHERE deleted = 0)",
    );
    if (behind) mixed.push(`nova: ${behind}`);
  }
  if (has('cinder', 'services', 'rpc_current_version')) {
    const versions = one(
      "SELECT GROUP_CONCAT(DISTINCT CONCAT(rpc_current_version, '/', object_current_version)) FROM cinder.services WHERE deleted = 0 AND updated_at >= UTC_TIMESTAMP() - INTERVAL 1 DAY",
    );
    if (versions?.includes(',')) mixed.push(`cinder RPC/object versions ${versions}`);
  }
  faults.push({ id: 'mixed-versions', title: 'services on mixed versions', present: mixed.length > 0, detail: mixed.join('; ') || 'none' });
  // What is pending depends on where nova's schema is: each release's own data migrations.
  const pending = [];
  const novaSchema = Number(one("SELECT version FROM nova.migrate_version WHERE repository_id = 'nova'"));
  const liveInstances = 'FROM nova.instances i JOIN nova.instance_extra e ON e.instance_uuid = i.uuid WHERE i.deleted = 0';
  if (novaSchema < 319) {
    pending.push([
      'flavors (Kilo/Liberty migrate_flavor_data)',
      has('nova', 'instance_extra', 'flavor')
        ? one(`SELECT COUNT(*) ${liveInstances} AND e.flavor IS NULL`)
        : one(`SELECT COUNT(*) ${liveInstances}`),
    ]);
  } else {
    pending.push(['instance keypairs (Mitaka)', one('SELECT COUNT(*) FROM nova.instance_extra WHERE keypairs IS NULL')]);
    pending.push(['compute node uuids (Mitaka)', one('SELECT COUNT(*) FROM nova.compute_nodes WHERE uuid IS NULL')]);
  }
  if (novaSchema >= 334) {
    pending.push([
      'request specs (Newton)',
      one(
        'SELECT COUNT(*) FROM nova.instances i WHERE i.deleted = 0 AND NOT EXISTS (SELECT 1 FROM nova_api.request_specs r WHERE r.instance_uuid = i.uuid)',
      ),
    ]);
  }
  if (has('cinder', 'volumes', 'service_uuid'))
    pending.push([
      'volume service uuids (cinder, Ocata)',
      one('SELECT COUNT(*) FROM cinder.volumes WHERE deleted = 0 AND service_uuid IS NULL'),
    ]);
  const left = pending.filter(([, n]) => Number(n) > 0);
  faults.push({
    id: 'online-migrations',
    title: 'online data migrations left incomplete',
    present: left.length > 0,
    detail: left.map(([what, n]) => `${n} ${what}`).join(', ') || 'none',
  });
  // heat (heat.sql): the Ocata expand of an abandoned first attempt, and its engines.
  const liveEngines =
    'FROM heat.service s WHERE s.deleted_at IS NULL AND s.updated_at >= UTC_TIMESTAMP() - INTERVAL 2 * s.report_interval SECOND';
  const heatBehind = one(
    `SELECT GROUP_CONCAT(CONCAT(s.host, ' (', s.engine_release, ', packages ', h.\`release\`, ')') ORDER BY s.host) ${liveEngines.replace('FROM heat.service s', 'FROM heat.service s JOIN testbed.hosts h ON h.host = s.host')} ` +
      "AND FIELD(s.engine_release, 'juno', 'kilo', 'liberty', 'mitaka', 'newton', 'ocata') < FIELD(h.`release`, 'juno', 'kilo', 'liberty', 'mitaka', 'newton', 'ocata')",
  );
  faults.push({
    id: 'heat-engine-behind',
    title: "heat-engines not restarted on their packages' release",
    present: heatBehind !== null,
    detail: heatBehind ?? 'none',
  });
  const expanded = has('heat', 'raw_template_files') && has('heat', 'raw_template', 'files');
  const missingTriggers = expanded
    ? one(
        "SELECT GROUP_CONCAT(t.name) FROM (SELECT 'raw_template_files_ins' AS name UNION ALL SELECT 'raw_template_files_upd') t " +
          "WHERE NOT EXISTS (SELECT 1 FROM information_schema.TRIGGERS g WHERE g.TRIGGER_SCHEMA = 'heat' AND g.TRIGGER_NAME = t.name)",
      )
    : null;
  faults.push({
    id: 'heat-trigger-missing',
    title: 'heat dual-write triggers missing',
    present: missingTriggers !== null,
    detail: missingTriggers ?? 'none',
  });
  const differing = expanded
    ? one(
        'SELECT GROUP_CONCAT(t.id ORDER BY t.id) FROM heat.raw_template t JOIN heat.raw_template_files f ON f.raw_template_id = t.id WHERE NOT (f.files <=> t.files)',
      )
    : null;
  faults.push({
    id: 'heat-files-differ',
    title: 'raw_template rows whose files differ from their copy',
    present: differing !== null,
    detail: differing ? `raw_template ${differing}` : 'none',
  });
  const stray = one(
    "SELECT GROUP_CONCAT(CONCAT(s.host, ' (', s.engine_release, ')')) FROM heat.service s JOIN testbed.units u ON u.project = 'heat' AND u.svc_host = s.host " +
      "JOIN testbed.hosts h ON h.host = s.host WHERE u.running = 1 AND s.deleted_at IS NULL AND h.role <> 'controller'",
  );
  faults.push({
    id: 'heat-engine-stray',
    title: 'a heat-engine running outside the controllers',
    present: stray !== null,
    detail: stray ?? 'none',
  });
  faults.push(...ironicFaults(has, one));
  return faults;
}

/** The Ironic faults (testbed/sql/ironic.sql); absent from a testbed loaded before Ironic was added. */
function ironicFaults(has, one) {
  const loaded = has('ironic', 'nodes');
  const missing = 'no ironic database (npm run testbed -- reset loads it)';
  const inFlight = loaded
    ? one(
        "SELECT GROUP_CONCAT(CONCAT(name, ' ', provision_state, IF(reservation IS NULL, '', CONCAT(' locked by ', reservation))) ORDER BY name SEPARATOR ', ') " +
          "FROM ironic.nodes WHERE reservation IS NOT NULL OR provision_state IN ('deploying', 'wait call-back', 'cleaning', 'clean wait', 'inspecting', 'inspect wait', 'deleting', 'adopting', 'verifying', 'rescuing', 'rescue wait', 'unrescuing')",
      )
    : null;
  const conductors = loaded
    ? one(
        "SELECT GROUP_CONCAT(CONCAT(hostname, ' ', IFNULL(version, 'no version')) ORDER BY hostname SEPARATOR ', ') FROM ironic.conductors WHERE online = 1",
      )
    : null;
  const mixed = loaded && Number(one("SELECT COUNT(DISTINCT IFNULL(version, '')) FROM ironic.conductors WHERE online = 1")) > 1;
  const unversioned = loaded ? Number(one('SELECT COUNT(*) FROM ironic.nodes WHERE version IS NULL')) : 0;
  return [
    {
      id: 'ironic-nodes-in-flight',
      title: 'ironic nodes in flight or locked',
      present: inFlight !== null,
      detail: loaded ? (inFlight ?? 'none') : missing,
    },
    {
      id: 'ironic-conductor-versions',
      title: 'ironic conductors on mixed versions',
      present: mixed,
      detail: loaded ? (conductors ?? 'none online') : missing,
    },
    {
      id: 'ironic-online-migrations',
      title: 'ironic online data migrations left incomplete',
      present: unversioned > 0,
      detail: loaded ? (unversioned > 0 ? `${unversioned} nodes without a version (Pike's backfill_version_column)` : 'none') : missing,
    },
  ];
}

/** Whether the server runs, where its socket is, and which planted faults are still present. */
export async function status({ dir = DEFAULT_DIR } = {}) {
  const p = paths(dir);
  const pid = serverPid(p);
  const running = pid !== null && accepting(p);
  const result = {
    dir: p.dir,
    socket: p.socket,
    running,
    pid,
    at: null,
    faults: null,
    faultsNote: null,
    created: existsSync(join(p.dataDir, 'mysql')),
    origin: originOf(p),
    snapshots: listSnapshots({ dir }),
  };
  if (!running) return result;
  result.at = isSeeded(p);
  if (result.at !== null) result.faults = faultChecks(p);
  else if (result.origin !== null) Object.assign(result, loadedCopyFaults(p));
  return result;
}

// ---------------------------------------------------------------------------------------------
// Copies: a dump of production loaded into the testbed, and named snapshots to rewind to
// ---------------------------------------------------------------------------------------------

/** The server's own schemas: never put in a snapshot, never loaded from a dump (accounts and grants stay the testbed's). */
const SYSTEM_SCHEMAS = new Set(['mysql', 'information_schema', 'performance_schema', 'sys']);
/** A snapshot's name: a file name, never a path. */
const SNAPSHOT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** How much of a dump is read to tell it is one. */
const DUMP_HEAD_BYTES = 64 * 1024;

function requireRunning(p, command) {
  if (serverPid(p) === null || !accepting(p)) {
    throw new TestbedError(
      `${command}: the testbed in ${show(p.dir)} is not running; start it with: npm run testbed -- up${p.dir === resolve(DEFAULT_DIR) ? '' : ` --dir ${show(p.dir)}`}`,
    );
  }
}

/** The databases the testbed holds, the server's own left out. */
function userSchemas(p) {
  return client(p, 'SELECT schema_name FROM information_schema.schemata ORDER BY schema_name')
    .map((row) => row[0])
    .filter((name) => name !== null && !SYSTEM_SCHEMAS.has(name.toLowerCase()));
}

/** Where the copy the testbed holds came from, when it is not the seeded slice: written by load and restore, removed by seed. */
function originOf(p) {
  if (!existsSync(p.origin)) return null;
  try {
    return JSON.parse(readFileSync(p.origin, 'utf8'));
  } catch (error) {
    throw new TestbedError(`${p.origin} is not readable JSON (${error.message}); remove it, or reset the testbed`);
  }
}

/** Write a small file whole: aside, then renamed into place. */
function writeWhole(file, text) {
  writeFileSync(`${file}.tmp`, text, { mode: 0o600 });
  renameSync(`${file}.tmp`, file);
}

function checkSnapshotName(name) {
  if (typeof name !== 'string' || !SNAPSHOT_NAME.test(name) || name.includes('..')) {
    throw new TestbedError(
      `snapshot name ${JSON.stringify(name ?? '')}: use letters, digits, '.', '_' and '-' (no path separators, at most 64 characters), e.g. before-nova`,
    );
  }
}

/**
 * The testbed's configuration files (etc/nova/nova.conf, ...), by path under the testbed: a
 * rehearsal edits them (crudini), and a fault lives there (consoleauth without [cache]), so a
 * snapshot keeps them with the databases.
 */
function configFiles(p) {
  const root = join(p.dir, 'etc');
  const found = {};
  const walk = (folder) => {
    if (!existsSync(folder)) return;
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && !entry.name.endsWith('.lock') && !entry.name.endsWith('.tmp'))
        found[relative(p.dir, path)] = readFileSync(path, 'utf8');
    }
  };
  walk(root);
  return found;
}

function snapshotFiles(p, name) {
  return { dump: join(p.snapshots, `${name}.sql.gz`), meta: join(p.snapshots, `${name}.json`) };
}

function snapshotMeta(file, name) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new TestbedError(
      `${show(file)} is not readable JSON (${error.message}): remove snapshot ${name}'s two files, or put the file back`,
    );
  }
}

/** The snapshots of the testbed in `dir`, oldest first. */
export function listSnapshots({ dir = DEFAULT_DIR } = {}) {
  const p = paths(dir);
  if (!existsSync(p.snapshots)) return [];
  return readdirSync(p.snapshots)
    .filter((file) => file.endsWith('.json'))
    .flatMap((file) => {
      const name = file.slice(0, -'.json'.length);
      const { dump, meta } = snapshotFiles(p, name);
      if (!SNAPSHOT_NAME.test(name) || !existsSync(dump)) return [];
      const info = snapshotMeta(meta, name);
      return [{ name, takenAt: info.takenAt, databases: info.databases, bytes: statSync(dump).size, file: dump }];
    })
    .sort((a, b) => a.takenAt.localeCompare(b.takenAt));
}

/** The first bytes of a dump, gunzipped when it is gzip (told by its magic bytes, not its name). */
async function dumpHead(file) {
  const magic = Buffer.alloc(2);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, magic, 0, 2, 0);
  } finally {
    closeSync(fd);
  }
  const gzip = magic[0] === 0x1f && magic[1] === 0x8b;
  const chunks = [];
  let size = 0;
  const source = createReadStream(file);
  const stream = gzip ? source.pipe(createGunzip()) : source;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= DUMP_HEAD_BYTES) break;
    }
  } catch (error) {
    throw new TestbedError(`${file}: ${gzip ? 'not a readable gzip file' : 'cannot be read'} (${error.message})`);
  } finally {
    source.destroy();
  }
  return { gzip, head: Buffer.concat(chunks).subarray(0, DUMP_HEAD_BYTES).toString('latin1') };
}

/** Refuse what is not a mysqldump of whole databases, before anything is dropped. */
function checkDumpHead(file, head) {
  const statement = (pattern) => head.search(pattern);
  const firstDatabase = statement(/^(?:USE `|CREATE DATABASE )/m);
  const firstTable = statement(/^(?:CREATE TABLE |INSERT INTO )/m);
  const header = /^-- (?:MySQL|MariaDB) dump/m.test(head);
  if (head.includes('\0') || (!header && firstDatabase < 0 && firstTable < 0)) {
    const start = JSON.stringify(head.slice(0, 40).replace(/[^\x20-\x7e]/g, '.'));
    throw new TestbedError(
      `${file} is not a mysqldump file: no dump header and no CREATE DATABASE, CREATE TABLE or INSERT in its first ${DUMP_HEAD_BYTES / 1024} KB (it starts with ${start})`,
    );
  }
  if (firstTable >= 0 && (firstDatabase < 0 || firstTable < firstDatabase)) {
    throw new TestbedError(
      `${file} creates tables without naming their database (dumped without --databases?); dump whole databases: mysqldump --databases nova nova_api glance neutron cinder ... (or --all-databases)`,
    );
  }
}

/**
 * A dump's lines, minus the server's own schemas (an --all-databases dump holds `mysql`: loading it
 * would replace the testbed's accounts). Works on bytes, so a latin1 dump passes unchanged.
 */
class UserSchemasOnly extends Transform {
  /** Databases the dump created or used, and the system ones it skipped. */
  databases = new Set();
  skipped = new Set();
  #current = null;
  #rest = Buffer.alloc(0);

  _transform(chunk, _encoding, done) {
    const data = this.#rest.length > 0 ? Buffer.concat([this.#rest, chunk]) : chunk;
    const out = [];
    let start = 0;
    for (let newline = data.indexOf(10, start); newline >= 0; newline = data.indexOf(10, start)) {
      this.#line(data.subarray(start, newline + 1), out);
      start = newline + 1;
    }
    this.#rest = data.subarray(start);
    if (out.length > 0) this.push(Buffer.concat(out));
    done();
  }

  _flush(done) {
    const out = [];
    if (this.#rest.length > 0) this.#line(this.#rest, out);
    if (out.length > 0) this.push(Buffer.concat(out));
    done();
  }

  #line(line, out) {
    const text =
      line.length > 0 && (line[0] === 0x55 || line[0] === 0x43 || line[0] === 0x2f || line[0] === 0x44)
        ? line.subarray(0, 256).toString('latin1')
        : '';
    const drop = /^(?:\/\*!\d+ )?DROP DATABASE (?:IF EXISTS )?`([^`]+)`/.exec(text);
    if (drop?.[1] && SYSTEM_SCHEMAS.has(drop[1].toLowerCase())) return;
    const named = /^(?:USE|CREATE DATABASE(?: \/\*!\d+ IF NOT EXISTS\*\/| IF NOT EXISTS)?) `([^`]+)`/.exec(text);
    if (named?.[1]) {
      this.#current = named[1];
      (SYSTEM_SCHEMAS.has(named[1].toLowerCase()) ? this.skipped : this.databases).add(named[1]);
    }
    if (this.#current !== null && SYSTEM_SCHEMAS.has(this.#current.toLowerCase())) return;
    out.push(line);
  }
}

/**
 * Replace every database of the testbed with those of `file` (a mysqldump, plain or gzip): drop
 * them all, then feed the dump to the mariadb client as it is, with no character set of our own:
 * the dump's SET NAMES and each CREATE's CHARACTER SET decide, so latin1 stays latin1.
 */
async function replaceDatabases(p, file, gzip) {
  const { client: program } = binaries();
  const dropped = userSchemas(p);
  client(p, dropped.map((db) => `DROP DATABASE \`${db.replace(/`/g, '``')}\`;`).join('\n') || 'SELECT 1');
  const filter = new UserSchemasOnly();
  const loader = spawn(program, ['--no-defaults', `--socket=${p.socket}`, '--user=root', '--binary-mode', '--batch'], {
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  loader.stderr.setEncoding('utf8');
  loader.stderr.on('data', (text) => {
    if (stderr.length < 4000) stderr += text;
  });
  const exited = new Promise((resolveExit) => loader.once('close', (code, signal) => resolveExit(signal ? `killed by ${signal}` : code)));
  const spawnFailed = new Promise((resolveError) => loader.once('error', resolveError));
  const fed = pipeline(createReadStream(file), ...(gzip ? [createGunzip()] : []), filter, loader.stdin).then(
    () => null,
    (error) => error,
  );
  const outcome = await Promise.race([exited, spawnFailed.then((error) => `could not start ${program}: ${error.message}`)]);
  const feedError = await fed;
  if (outcome !== 0) {
    throw new TestbedError(
      `loading ${file} stopped: ${stderr.trim() || outcome}. The testbed now holds what was loaded before that point; ` +
        '`npm run testbed -- restore NAME` or `reset` brings back a known state',
    );
  }
  if (feedError && feedError.code !== 'EPIPE') {
    throw new TestbedError(
      `reading ${file} failed: ${feedError.message}. The testbed now holds what was loaded before that point; ` +
        '`npm run testbed -- restore NAME` or `reset` brings back a known state',
    );
  }
  return { dropped, databases: [...filter.databases], skipped: [...filter.skipped] };
}

/**
 * Load a mysqldump (`.sql` or `.sql.gz`) of production into the running testbed, in place of every
 * database it holds. The dump's own character sets are kept. Production holds no `testbed`
 * database: the stand-ins' hosts and services are then gone, and `status` says where the copy came from.
 */
export async function load({ dir = DEFAULT_DIR, file } = {}) {
  const p = paths(dir);
  if (!file) throw new TestbedError('load needs a dump: npm run testbed -- load DUMP.sql[.gz]');
  const dump = resolve(file);
  if (!existsSync(dump)) throw new TestbedError(`load: ${file}: no such file`);
  if (!statSync(dump).isFile()) throw new TestbedError(`load: ${file} is not a file`);
  requireRunning(p, 'load');
  const { gzip, head } = await dumpHead(dump);
  checkDumpHead(file, head);
  const loaded = await replaceDatabases(p, dump, gzip);
  const origin = { kind: 'load', file: dump, loadedAt: new Date().toISOString(), databases: loaded.databases };
  writeWhole(p.origin, `${JSON.stringify(origin, null, 2)}\n`);
  return { ...loaded, origin, at: isSeeded(p) };
}

/**
 * Dump every database of the running testbed (routines, triggers and events too) into
 * snapshots/NAME.sql.gz, and keep its configuration files in snapshots/NAME.json.
 */
export async function snapshot({ dir = DEFAULT_DIR, name } = {}) {
  checkSnapshotName(name);
  const p = paths(dir);
  requireRunning(p, 'snapshot');
  const files = snapshotFiles(p, name);
  if (existsSync(files.meta) || existsSync(files.dump)) {
    throw new TestbedError(`snapshot ${name} exists already (${show(files.dump)}); choose another name, or remove both of its files first`);
  }
  const program = findExecutable(['mariadb-dump', 'mysqldump']);
  if (!program) throw new TestbedError(`snapshot needs mariadb-dump (Debian's mariadb-client package): ${INSTALL_COMMAND}`);
  const databases = userSchemas(p);
  if (databases.length === 0) throw new TestbedError('snapshot: the testbed holds no database to keep');
  mkdirSync(p.snapshots, { recursive: true, mode: 0o700 });
  const args = [
    '--no-defaults',
    `--socket=${p.socket}`,
    '--user=root',
    '--single-transaction',
    '--routines',
    '--triggers',
    '--events',
    '--add-drop-database',
    '--hex-blob',
    '--databases',
    ...databases,
  ];
  const dumper = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  dumper.stderr.setEncoding('utf8');
  dumper.stderr.on('data', (text) => {
    if (stderr.length < 4000) stderr += text;
  });
  const exited = new Promise((resolveExit) => dumper.once('close', (code) => resolveExit(code)));
  const partial = `${files.dump}.partial`;
  try {
    await pipeline(dumper.stdout, createGzip(), createWriteStream(partial, { mode: 0o600 }));
    const code = await exited;
    if (code !== 0) throw new TestbedError(`snapshot ${name}: mariadb-dump failed: ${stderr.trim() || `exit ${code}`}`);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error instanceof TestbedError ? error : new TestbedError(`snapshot ${name}: writing ${show(partial)} failed: ${error.message}`);
  }
  renameSync(partial, files.dump);
  const meta = { name, takenAt: new Date().toISOString(), databases, seeded: isSeeded(p), origin: originOf(p), config: configFiles(p) };
  writeWhole(files.meta, `${JSON.stringify(meta, null, 2)}\n`);
  const { config: _config, ...shown } = meta;
  return { ...shown, file: files.dump, bytes: statSync(files.dump).size };
}

/** Put the testbed back as snapshot NAME found it: every database replaced by the snapshot's, the configuration files too. */
export async function restore({ dir = DEFAULT_DIR, name } = {}) {
  checkSnapshotName(name);
  const p = paths(dir);
  const files = snapshotFiles(p, name);
  if (!existsSync(files.dump) || !existsSync(files.meta)) {
    const known = listSnapshots({ dir }).map((s) => s.name);
    throw new TestbedError(
      `restore: no snapshot ${name} in ${show(p.snapshots)} (${known.length > 0 ? `there are: ${known.join(', ')}` : 'there is none yet: npm run testbed -- snapshot NAME takes one'})`,
    );
  }
  requireRunning(p, 'restore');
  const meta = snapshotMeta(files.meta, name);
  const restored = await replaceDatabases(p, files.dump, true);
  if (meta.origin) writeWhole(p.origin, `${JSON.stringify(meta.origin, null, 2)}\n`);
  else rmSync(p.origin, { force: true });
  for (const [file, text] of Object.entries(meta.config ?? {})) {
    mkdirSync(dirname(join(p.dir, file)), { recursive: true });
    writeWhole(join(p.dir, file), text);
  }
  return { name, takenAt: meta.takenAt, databases: restored.databases, at: isSeeded(p) };
}

/** The planted-fault checks on a copy loaded from a dump: they need the slice's tables, which production may lack. */
function loadedCopyFaults(p) {
  try {
    return { faults: faultChecks(p), faultsNote: null };
  } catch (error) {
    if (!(error instanceof TestbedError)) throw error;
    return { faults: null, faultsNote: `not evaluated on this copy: ${error.message.replace(/^SQL on the testbed failed: /, '')}` };
  }
}

function describeOrigin(origin) {
  if (origin.kind === 'load') return `loaded from ${show(origin.file)} at ${origin.loadedAt}`;
  return JSON.stringify(origin);
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

const USAGE = `usage: npm run testbed -- up|down|status|reset|load|snapshot|restore|fleet [--dir DIR] [--at juno|newton] [--json]

  up       start the testbed's MariaDB (creating and loading it on first use); does nothing if it runs
  status   the socket, the seeded release, and which planted faults are still present
  reset    load the OpenStack slice again, with every fault planted (--at newton: the later starting
           point the rolling-upgrade runbooks need)
  down     stop the server; the data stays and \`up\` brings it back as it was
  load DUMP.sql[.gz]   replace every database with those of a mysqldump (of production), charsets as dumped
  snapshot NAME        keep every database in snapshots/NAME.sql.gz (routines, triggers, events too)
  restore NAME         put every database back as snapshot NAME found it
  fleet    up [N] | status | kill HOST | down: real sshd hosts and an Ansible inventory
           (npm run testbed -- fleet help)

The testbed lives in ${relative(process.cwd(), DEFAULT_DIR) || '.'} unless --dir says otherwise.`;

function show(p) {
  return relative(process.cwd(), p) || p;
}

function describeFaults(faults) {
  return faults.map((f) => `  ${f.present ? '[fault]' : '[ok]   '} ${f.title}: ${f.detail}`).join('\n');
}

async function cli(argv) {
  const args = [...argv];
  const command = args.shift();
  if (command === 'fleet') {
    // Loaded on demand: fleet.mjs imports this module.
    const { fleetCli } = await import('./fleet.mjs');
    return fleetCli(args, { print: (text) => process.stdout.write(`${text}\n`) });
  }
  let dir = DEFAULT_DIR;
  let at;
  let json = false;
  // load, snapshot and restore take one operand: the dump, or the snapshot's name.
  const operands = [];
  while (args.length > 0) {
    const arg = args.shift();
    if (!arg.startsWith('-') && ['load', 'snapshot', 'restore'].includes(command)) operands.push(arg);
    else if (arg === '--dir') dir = args.shift() ?? '';
    else if (arg.startsWith('--dir=')) dir = arg.slice(6);
    else if (arg === '--at') at = args.shift();
    else if (arg.startsWith('--at=')) at = arg.slice(5);
    else if (arg === '--json') json = true;
    else throw new TestbedError(`unknown option ${arg}\n\n${USAGE}`);
  }
  if (!dir) throw new TestbedError(`--dir needs a directory\n\n${USAGE}`);
  if (operands.length > 1)
    throw new TestbedError(`${command} takes one ${command === 'load' ? 'dump' : 'snapshot name'}, not ${operands.join(' ')}`);
  const print = (text) => process.stdout.write(`${text}\n`);
  switch (command) {
    case 'up':
    case 'reset': {
      const result = command === 'up' ? await up({ dir, at }) : await reset({ dir, at: at ?? 'juno' });
      if (json) {
        print(JSON.stringify(result, null, 2));
        return 0;
      }
      print(`testbed: MariaDB ${result.started ? 'started' : 'already running'} (pid ${result.pid}), socket ${show(result.socket)}`);
      if (command === 'reset' || result.loaded)
        print(`testbed: loaded the OpenStack slice as a ${result.at} cloud, with its faults planted`);
      else if (result.at) print(`testbed: holds a ${result.at} cloud (npm run testbed -- reset puts every fault back)`);
      else print('testbed: holds a copy loaded from a dump (npm run testbed -- status says which; reset loads the slice again)');
      if (result.note) print(`testbed: note: ${result.note}`);
      const { faults } = await status({ dir });
      if (faults) print(`${describeFaults(faults)}`);
      print('\nRehearse an upgrade against it, for example:');
      if (result.at === 'juno')
        print('  node dist/cli/main.js run runbooks/openstack/skip-level-juno-to-mitaka.md --profile testbed --headless');
      else {
        print('  node dist/cli/main.js run runbooks/openstack/nova-rolling-upgrade.md --profile testbed --headless');
        print('  node dist/cli/main.js run runbooks/openstack/cinder-rolling-upgrade.md --profile testbed --headless');
        print('  node dist/cli/main.js run runbooks/openstack/heat-rolling-upgrade.md --profile testbed --headless');
      }
      // Ironic is at Pike in both seeds.
      print('  node dist/cli/main.js run runbooks/openstack/ironic-rolling-upgrade.md --profile testbed --headless');
      if (dir !== DEFAULT_DIR)
        print(`(with --dir, point the runbook at it: WAYMARK_TESTBED_DIR=${paths(dir).dir} and --var DB_SOCKET=... — see docs/testbed.md)`);
      return 0;
    }
    case 'status': {
      const result = await status({ dir });
      if (json) {
        print(JSON.stringify(result, null, 2));
        return 0;
      }
      if (!result.running) {
        print(
          `testbed: not running (${result.created ? `data in ${show(paths(dir).dataDir)}; npm run testbed -- up starts it` : 'never created; npm run testbed -- up creates it'})`,
        );
        return 3;
      }
      print(
        `testbed: running (pid ${result.pid}), socket ${show(result.socket)}, ${result.at ? `seeded as a ${result.at} cloud` : 'not seeded'}`,
      );
      if (result.origin)
        print(
          `testbed: the databases were ${describeOrigin(result.origin)}${result.at ? '' : ' (no testbed bookkeeping: the stand-ins know no hosts or units)'}`,
        );
      if (result.faults) print(describeFaults(result.faults));
      if (result.faultsNote) print(`testbed: planted faults ${result.faultsNote}`);
      for (const s of result.snapshots)
        print(`testbed: snapshot ${s.name}, taken ${s.takenAt}: ${s.databases.join(', ')} (${Math.ceil(s.bytes / 1024)} KB)`);
      return 0;
    }
    case 'load': {
      const result = await load({ dir, file: operands[0] });
      if (json) {
        print(JSON.stringify(result, null, 2));
        return 0;
      }
      print(
        `testbed: loaded ${result.databases.join(', ') || 'no database'} from ${operands[0]}${result.dropped.length > 0 ? `, in place of ${result.dropped.join(', ')}` : ''}`,
      );
      if (result.skipped.length > 0)
        print(`testbed: left out the server's own ${result.skipped.join(', ')} from the dump: accounts and grants stay the testbed's`);
      if (result.at) print(`testbed: the dump holds a testbed's bookkeeping (a ${result.at} slice): the stand-ins work on it`);
      else
        print(
          "testbed: no testbed bookkeeping in it: the SQL checks and the venvs' db syncs work; ssh, systemctl and yum through the stand-ins do not (they know no hosts)",
        );
      const { faults, faultsNote } = await status({ dir });
      if (faults) print(describeFaults(faults));
      if (faultsNote) print(`testbed: planted faults ${faultsNote}`);
      return 0;
    }
    case 'snapshot': {
      const result = await snapshot({ dir, name: operands[0] });
      if (json) {
        print(JSON.stringify(result, null, 2));
        return 0;
      }
      print(
        `testbed: snapshot ${result.name}: ${result.databases.join(', ')} in ${show(result.file)} (${Math.ceil(result.bytes / 1024)} KB); npm run testbed -- restore ${result.name} goes back to it`,
      );
      return 0;
    }
    case 'restore': {
      const result = await restore({ dir, name: operands[0] });
      if (json) {
        print(JSON.stringify(result, null, 2));
        return 0;
      }
      print(`testbed: restored snapshot ${result.name} (taken ${result.takenAt}): ${result.databases.join(', ')}`);
      return 0;
    }
    case 'down': {
      const result = await down({ dir });
      print(
        result.stopped
          ? `testbed: stopped MariaDB (pid ${result.pid}); the data stays in ${show(paths(dir).dataDir)}`
          : 'testbed: not running',
      );
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      print(USAGE);
      return command === undefined ? 2 : 0;
    default:
      throw new TestbedError(`unknown command ${command}\n\n${USAGE}`);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  cli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.stderr.write(`testbed: ${error instanceof TestbedError ? error.message : (error?.stack ?? String(error))}\n`);
      process.exitCode = error instanceof TestbedError ? 1 : 70;
    },
  );
}
