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
 *   npm run testbed -- fleet up|status|kill|down   real sshd hosts on loopback for fleet blocks (fleet.mjs)
 *
 * Tests import it: `up({ dir, watch: process.pid })` in a temp dir, `down({ dir })`.
 * Plain Node, no dependencies: SQL goes through the `mariadb` client.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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
  if (!findExecutable(['python3'])) throw new TestbedError('the stand-in tools in testbed/bin need python3: sudo apt-get install -y python3');
  return found;
}

function checkSocketPath(p) {
  if (p.socket.length > MAX_SOCKET_PATH) {
    throw new TestbedError(`the socket path ${p.socket} is ${p.socket.length} characters; a unix socket allows about ${MAX_SOCKET_PATH}: use a shorter --dir`);
  }
}

/** Run SQL through the mariadb client as root; stdout as rows of tab-separated cells. */
function client(p, sql, { database } = {}) {
  const { client: program } = binaries();
  const args = ['--no-defaults', `--socket=${p.socket}`, '--user=root', '--batch', '--skip-column-names', '--raw', '--default-character-set=utf8mb4'];
  if (database) args.push(database);
  const done = spawnSync(program, args, { input: sql, encoding: 'utf8', timeout: 120_000 });
  if (done.status !== 0) {
    throw new TestbedError(`SQL on the testbed failed: ${(done.stderr || done.error?.message || `exit ${done.status}`).trim()}`);
  }
  return done.stdout.split('\n').filter((line) => line !== '').map((line) => line.split('\t').map((cell) => (cell === 'NULL' ? null : cell)));
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
  const done = spawnSync(program, ['--no-defaults', `--socket=${p.socket}`, '--user=root', '-e', 'SELECT 1'], { encoding: 'utf8', timeout: 10_000 });
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
    throw new TestbedError(`mariadb-install-db failed: ${`${done.stdout ?? ''}${done.stderr ?? ''}`.trim().split('\n').slice(-15).join('\n')}`);
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
    if (exited !== null) throw new TestbedError(`mariadbd exited before accepting connections (${exited}). Its log (${p.errorLog}) ends with:\n${logTail(p.errorLog)}`);
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
      '# nova.conf of the testbed\'s hosts (one file stands for every host\'s; the stand-in ssh edits it with crudini).',
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
    ['[DEFAULT]', 'rpc_backend = rabbit', '', '[database]', `connection = mysql+pymysql://cinder:testbed@localhost/cinder?unix_socket=${p.socket}`, ''].join('\n'),
  );
  // No pin_release_version: the Ironic runbook sets it for the upgrade and removes it after.
  writeFileSync(
    p.ironicConf,
    ['[DEFAULT]', 'enabled_hardware_types = ipmi', '', '[database]', `connection = mysql+pymysql://ironic:testbed@localhost/ironic?unix_socket=${p.socket}`, ''].join('\n'),
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
    if (pid !== null) throw new TestbedError(`a server (pid ${pid}) runs on ${p.dataDir} but does not answer on ${p.socket}; stop it with: npm run testbed -- down`);
    if (!existsSync(join(p.dataDir, 'mysql'))) install(p, bins);
    pid = await startServer(p, bins, { watch });
    started = true;
  }
  let seeded = isSeeded(p);
  let loaded = false;
  if (seeded === null) {
    await seed({ dir, at: at ?? 'juno' });
    seeded = at ?? 'juno';
    loaded = true;
  }
  return { dir: p.dir, socket: p.socket, pid, started, loaded, at: seeded, note: at && at !== seeded ? `the testbed holds a ${seeded} cloud; \`reset --at ${at}\` replaces it` : null };
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
    client(p, `SELECT COUNT(*) FROM information_schema.columns WHERE table_schema='${schema}' AND table_name='${table}'${column ? ` AND column_name='${column}'` : ''}`)[0]?.[0] !== '0';
  const one = (sql) => client(p, sql)[0]?.[0] ?? null;
  const faults = [];
  const latin1 = one(
    "SELECT GROUP_CONCAT(DISTINCT s ORDER BY s) FROM (SELECT table_schema AS s FROM information_schema.tables WHERE table_schema IN ('nova','nova_api','glance','neutron','cinder') AND table_collation LIKE 'latin1%' " +
      "UNION SELECT schema_name FROM information_schema.schemata WHERE schema_name IN ('nova','nova_api','glance','neutron','cinder') AND default_character_set_name = 'latin1') x",
  );
  faults.push({ id: 'latin1', title: 'databases or tables in latin1', present: latin1 !== null, detail: latin1 ?? 'none' });
  const nullHost = one("SELECT GROUP_CONCAT(hypervisor_hostname ORDER BY id) FROM nova.compute_nodes WHERE deleted = 0 AND host IS NULL");
  faults.push({ id: 'null-compute-host', title: 'compute_nodes rows with a NULL host', present: nullHost !== null, detail: nullHost ?? 'none' });
  const duplicates = one(
    'SELECT GROUP_CONCAT(hypervisor_hostname) FROM (SELECT hypervisor_hostname FROM nova.compute_nodes WHERE deleted = 0 GROUP BY hypervisor_hostname HAVING COUNT(*) > 1) d',
  );
  faults.push({ id: 'duplicate-hypervisors', title: 'duplicate hypervisor records', present: duplicates !== null, detail: duplicates ?? 'none' });
  const consoleauths = Number(one("SELECT COUNT(*) FROM nova.services WHERE `binary` = 'nova-consoleauth' AND deleted = 0 AND disabled = 0"));
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
    const behind = one("SELECT GROUP_CONCAT(CONCAT(`binary`, ' on ', host, ' (', version, ')')) FROM nova.services WHERE deleted = 0 AND version < (SELECT MAX(version) FROM nova.services WHERE deleted = 0)");
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
    pending.push(['flavors (Kilo/Liberty migrate_flavor_data)', has('nova', 'instance_extra', 'flavor') ? one(`SELECT COUNT(*) ${liveInstances} AND e.flavor IS NULL`) : one(`SELECT COUNT(*) ${liveInstances}`)]);
  } else {
    pending.push(['instance keypairs (Mitaka)', one('SELECT COUNT(*) FROM nova.instance_extra WHERE keypairs IS NULL')]);
    pending.push(['compute node uuids (Mitaka)', one('SELECT COUNT(*) FROM nova.compute_nodes WHERE uuid IS NULL')]);
  }
  if (novaSchema >= 334) {
    pending.push(['request specs (Newton)', one('SELECT COUNT(*) FROM nova.instances i WHERE i.deleted = 0 AND NOT EXISTS (SELECT 1 FROM nova_api.request_specs r WHERE r.instance_uuid = i.uuid)')]);
  }
  if (has('cinder', 'volumes', 'service_uuid')) pending.push(['volume service uuids (cinder, Ocata)', one('SELECT COUNT(*) FROM cinder.volumes WHERE deleted = 0 AND service_uuid IS NULL')]);
  const left = pending.filter(([, n]) => Number(n) > 0);
  faults.push({
    id: 'online-migrations',
    title: 'online data migrations left incomplete',
    present: left.length > 0,
    detail: left.map(([what, n]) => `${n} ${what}`).join(', ') || 'none',
  });
  // heat (heat.sql): the Ocata expand of an abandoned first attempt, and its engines.
  const liveEngines = "FROM heat.service s WHERE s.deleted_at IS NULL AND s.updated_at >= UTC_TIMESTAMP() - INTERVAL 2 * s.report_interval SECOND";
  const heatBehind = one(
    `SELECT GROUP_CONCAT(CONCAT(s.host, ' (', s.engine_release, ', packages ', h.\`release\`, ')') ORDER BY s.host) ${liveEngines.replace('FROM heat.service s', 'FROM heat.service s JOIN testbed.hosts h ON h.host = s.host')} ` +
      "AND FIELD(s.engine_release, 'juno', 'kilo', 'liberty', 'mitaka', 'newton', 'ocata') < FIELD(h.`release`, 'juno', 'kilo', 'liberty', 'mitaka', 'newton', 'ocata')",
  );
  faults.push({ id: 'heat-engine-behind', title: 'heat-engines not restarted on their packages\' release', present: heatBehind !== null, detail: heatBehind ?? 'none' });
  const expanded = has('heat', 'raw_template_files') && has('heat', 'raw_template', 'files');
  const missingTriggers = expanded
    ? one(
        "SELECT GROUP_CONCAT(t.name) FROM (SELECT 'raw_template_files_ins' AS name UNION ALL SELECT 'raw_template_files_upd') t " +
          "WHERE NOT EXISTS (SELECT 1 FROM information_schema.TRIGGERS g WHERE g.TRIGGER_SCHEMA = 'heat' AND g.TRIGGER_NAME = t.name)",
      )
    : null;
  faults.push({ id: 'heat-trigger-missing', title: 'heat dual-write triggers missing', present: missingTriggers !== null, detail: missingTriggers ?? 'none' });
  const differing = expanded
    ? one('SELECT GROUP_CONCAT(t.id ORDER BY t.id) FROM heat.raw_template t JOIN heat.raw_template_files f ON f.raw_template_id = t.id WHERE NOT (f.files <=> t.files)')
    : null;
  faults.push({ id: 'heat-files-differ', title: 'raw_template rows whose files differ from their copy', present: differing !== null, detail: differing ? `raw_template ${differing}` : 'none' });
  const stray = one(
    "SELECT GROUP_CONCAT(CONCAT(s.host, ' (', s.engine_release, ')')) FROM heat.service s JOIN testbed.units u ON u.project = 'heat' AND u.svc_host = s.host " +
      "JOIN testbed.hosts h ON h.host = s.host WHERE u.running = 1 AND s.deleted_at IS NULL AND h.role <> 'controller'",
  );
  faults.push({ id: 'heat-engine-stray', title: 'a heat-engine running outside the controllers', present: stray !== null, detail: stray ?? 'none' });
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
  const conductors = loaded ? one('SELECT GROUP_CONCAT(CONCAT(hostname, \' \', IFNULL(version, \'no version\')) ORDER BY hostname SEPARATOR \', \') FROM ironic.conductors WHERE online = 1') : null;
  const mixed = loaded && Number(one('SELECT COUNT(DISTINCT IFNULL(version, \'\')) FROM ironic.conductors WHERE online = 1')) > 1;
  const unversioned = loaded ? Number(one('SELECT COUNT(*) FROM ironic.nodes WHERE version IS NULL')) : 0;
  return [
    { id: 'ironic-nodes-in-flight', title: 'ironic nodes in flight or locked', present: inFlight !== null, detail: loaded ? (inFlight ?? 'none') : missing },
    { id: 'ironic-conductor-versions', title: 'ironic conductors on mixed versions', present: mixed, detail: loaded ? (conductors ?? 'none online') : missing },
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
  const result = { dir: p.dir, socket: p.socket, running, pid, at: null, faults: null, created: existsSync(join(p.dataDir, 'mysql')) };
  if (!running) return result;
  result.at = isSeeded(p);
  if (result.at !== null) result.faults = faultChecks(p);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Command line
// ---------------------------------------------------------------------------------------------

const USAGE = `usage: npm run testbed -- up|down|status|reset|fleet [--dir DIR] [--at juno|newton] [--json]

  up       start the testbed's MariaDB (creating and loading it on first use); does nothing if it runs
  status   the socket, the seeded release, and which planted faults are still present
  reset    load the OpenStack slice again, with every fault planted (--at newton: the later starting
           point the rolling-upgrade runbooks need)
  down     stop the server; the data stays and \`up\` brings it back as it was
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
  while (args.length > 0) {
    const arg = args.shift();
    if (arg === '--dir') dir = args.shift() ?? '';
    else if (arg.startsWith('--dir=')) dir = arg.slice(6);
    else if (arg === '--at') at = args.shift();
    else if (arg.startsWith('--at=')) at = arg.slice(5);
    else if (arg === '--json') json = true;
    else throw new TestbedError(`unknown option ${arg}\n\n${USAGE}`);
  }
  if (!dir) throw new TestbedError(`--dir needs a directory\n\n${USAGE}`);
  const print = (text) => process.stdout.write(`${text}\n`);
  switch (command) {
    case 'up':
    case 'reset': {
      const result = command === 'up' ? await up({ dir, at }) : await reset({ dir, at: at ?? 'juno' });
      if (json) return print(JSON.stringify(result, null, 2)), 0;
      print(`testbed: MariaDB ${result.started ? 'started' : 'already running'} (pid ${result.pid}), socket ${show(result.socket)}`);
      if (command === 'reset' || result.loaded) print(`testbed: loaded the OpenStack slice as a ${result.at} cloud, with its faults planted`);
      else print(`testbed: holds a ${result.at} cloud (npm run testbed -- reset puts every fault back)`);
      if (result.note) print(`testbed: note: ${result.note}`);
      const { faults } = await status({ dir });
      if (faults) print(`${describeFaults(faults)}`);
      print('\nRehearse an upgrade against it, for example:');
      if (result.at === 'juno') print('  node dist/cli/main.js run runbooks/openstack/skip-level-juno-to-mitaka.md --profile testbed --headless');
      else {
        print('  node dist/cli/main.js run runbooks/openstack/nova-rolling-upgrade.md --profile testbed --headless');
        print('  node dist/cli/main.js run runbooks/openstack/cinder-rolling-upgrade.md --profile testbed --headless');
        print('  node dist/cli/main.js run runbooks/openstack/heat-rolling-upgrade.md --profile testbed --headless');
      }
      // Ironic is at Pike in both seeds.
      print('  node dist/cli/main.js run runbooks/openstack/ironic-rolling-upgrade.md --profile testbed --headless');
      if (dir !== DEFAULT_DIR) print(`(with --dir, point the runbook at it: WAYMARK_TESTBED_DIR=${paths(dir).dir} and --var DB_SOCKET=... — see docs/testbed.md)`);
      return 0;
    }
    case 'status': {
      const result = await status({ dir });
      if (json) return print(JSON.stringify(result, null, 2)), 0;
      if (!result.running) {
        print(`testbed: not running (${result.created ? `data in ${show(paths(dir).dataDir)}; npm run testbed -- up starts it` : 'never created; npm run testbed -- up creates it'})`);
        return 3;
      }
      print(`testbed: running (pid ${result.pid}), socket ${show(result.socket)}, seeded as a ${result.at ?? 'not loaded'} cloud`);
      if (result.faults) print(describeFaults(result.faults));
      return 0;
    }
    case 'down': {
      const result = await down({ dir });
      print(result.stopped ? `testbed: stopped MariaDB (pid ${result.pid}); the data stays in ${show(paths(dir).dataDir)}` : 'testbed: not running');
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
      process.stderr.write(`testbed: ${error instanceof TestbedError ? error.message : error?.stack ?? String(error)}\n`);
      process.exitCode = error instanceof TestbedError ? 1 : 70;
    },
  );
}
