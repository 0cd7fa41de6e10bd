"""
What the testbed's stand-in tools share: where the testbed is, how to talk to its MariaDB (the
`mariadb` client over the testbed's unix socket), the release tables, and the schema changes and
service behaviour the stand-ins simulate.

The stand-ins (nova-manage, nova-status, cinder-manage, glance-manage, neutron-db-manage, ssh) are
not OpenStack: they reproduce what an upgrade runbook can observe in the database -- schema
versions, the checks that block a migration, online data migrations done in batches, service
records and their versions, hypervisor records -- so that a rehearsal runs real SQL against a
real server. Version numbers are the stand-ins' own numbering, modelled on the real releases.

The testbed is found through WAYMARK_TESTBED_DIR, else state/testbed/ in this repository.
"""
import functools
import json
import os
import shlex
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.realpath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

RELEASES = ['juno', 'kilo', 'liberty', 'mitaka', 'newton', 'ocata']

# Schema versions at the end of each release (nova's sqlalchemy-migrate numbering up to Mitaka).
NOVA_SCHEMA = {'juno': 254, 'kilo': 280, 'liberty': 302, 'mitaka': 319, 'newton': 334, 'ocata': 347}
NOVA_API_SCHEMA = {'liberty': 3, 'mitaka': 7, 'newton': 22, 'ocata': 43}
# What a nova service writes into services.version when it starts (0: the column does not exist yet).
NOVA_SERVICE_VERSION = {'juno': 0, 'kilo': 0, 'liberty': 2, 'mitaka': 9, 'newton': 16, 'ocata': 22}
CINDER_SCHEMA = {'juno': 28, 'kilo': 41, 'liberty': 60, 'mitaka': 72, 'newton': 79, 'ocata': 96}
# (RPC API version, object version) a cinder service reports when it starts.
CINDER_VERSIONS = {'liberty': ('1.3', '1.0'), 'mitaka': ('2.0', '1.3'), 'newton': ('3.0', '1.11'), 'ocata': ('3.5', '1.21')}
GLANCE_SCHEMA = {'juno': 37, 'kilo': 39, 'liberty': 42, 'mitaka': 44, 'newton': 45, 'ocata': 46}

# Online data migrations each release's `nova-manage db online_data_migrations` knows.
NOVA_ONLINE = {
    'mitaka': ['migrate_instance_keypairs', 'migrate_compute_node_uuids'],
    'newton': ['migrate_instance_keypairs', 'migrate_compute_node_uuids', 'migrate_instances_add_request_spec'],
    'ocata': ['migrate_instance_keypairs', 'migrate_compute_node_uuids', 'migrate_instances_add_request_spec'],
}
CINDER_ONLINE = {'ocata': ['service_uuid_migration']}

SERVICE_DOWN_TIME = 60  # seconds, nova's and cinder's default


class ToolError(Exception):
    """A failure the stand-in reports on stderr with an exit code, as the real tool would."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


def testbed_dir():
    return os.environ.get('WAYMARK_TESTBED_DIR') or os.path.join(REPO, 'state', 'testbed')


def socket_path():
    return os.path.join(testbed_dir(), 'mysqld.sock')


def conf_path(service):
    return os.path.join(testbed_dir(), 'etc', service, f'{service}.conf')


def _client():
    found = shutil.which('mariadb') or shutil.which('mysql')
    if not found:
        raise ToolError('the mariadb client is not installed (apt-get install -y mariadb-client)', 1)
    return found


def sql(statement, database=None):
    """Run SQL as root over the testbed's socket; rows of the last result as lists (NULL -> None)."""
    sock = socket_path()
    if not os.path.exists(sock):
        raise ToolError(f"Can't connect to local server through socket '{sock}': the testbed is not running (npm run testbed -- up)", 1)
    cmd = [_client(), '--no-defaults', f'--socket={sock}', '--user=root', '--batch', '--skip-column-names', '--raw',
           '--default-character-set=utf8mb4']
    if database:
        cmd.append(database)
    done = subprocess.run(cmd, input=statement, capture_output=True, text=True)
    if done.returncode != 0:
        raise ToolError(done.stderr.strip() or f'mariadb exited {done.returncode}', 1)
    rows = []
    for line in done.stdout.splitlines():
        rows.append([None if cell == 'NULL' else cell for cell in line.split('\t')])
    return rows


def scalar(statement, database=None):
    rows = sql(statement, database)
    return rows[0][0] if rows and rows[0] else None


def q(value):
    """A literal for SQL text the stand-ins build from their own arguments."""
    if value is None:
        return 'NULL'
    return "'" + str(value).replace('\\', '\\\\').replace("'", "\\'") + "'"


def forget_schema():
    """Drop what this process remembers about tables, columns and releases (after it changed them)."""
    for cached in (has_table, has_column, host_release, project_release, schema_release):
        cached.cache_clear()


def has_database(name):
    return scalar(f'SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = {q(name)}') == '1'


@functools.lru_cache(maxsize=None)
def has_table(database, table):
    return scalar(f'SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = {q(database)} AND table_name = {q(table)}') == '1'


@functools.lru_cache(maxsize=None)
def has_column(database, table, column):
    return scalar(
        f'SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = {q(database)} '
        f'AND table_name = {q(table)} AND column_name = {q(column)}'
    ) == '1'


def add_column(database, table, column, definition):
    sql(f'ALTER TABLE `{database}`.`{table}` ADD COLUMN IF NOT EXISTS `{column}` {definition}')
    forget_schema()


def meta(key):
    return scalar(f'SELECT value FROM testbed.meta WHERE name = {q(key)}')


def local_host():
    return os.environ.get('TESTBED_HOST', 'ctl-1')


@functools.lru_cache(maxsize=None)
def host_release(host):
    if not has_table('testbed', 'hosts'):
        raise ToolError(f'{host}: the testbed holds no testbed.hosts (a copy loaded from a dump of production?): the stand-ins know no '
                        'hosts there. Rehearse host steps on the slice (npm run testbed -- reset)', 255)
    release = scalar(f'SELECT `release` FROM testbed.hosts WHERE host = {q(host)}')
    if release is None:
        raise ToolError(f'ssh: Could not resolve hostname {host}: Name or service not known', 255)
    return release


# A host's packages of one project, updated apart from the rest (`yum update 'openstack-nova-*'`
# moves nova's only): (host, project, release) rows that override testbed.hosts for that project.
PACKAGES_TABLE = ('CREATE TABLE IF NOT EXISTS testbed.packages (host VARCHAR(64) NOT NULL, project VARCHAR(32) NOT NULL, '
                  '`release` VARCHAR(16) NOT NULL, PRIMARY KEY (host, project)) ENGINE=InnoDB')


@functools.lru_cache(maxsize=None)
def project_release(host, project):
    """The release of `project`'s code installed on `host`: its own package update, else the host's release."""
    base = host_release(host)
    if project is None or not has_table('testbed', 'packages'):
        return base
    moved = scalar(f'SELECT `release` FROM testbed.packages WHERE host = {q(host)} AND project = {q(project)}')
    return moved if moved in RELEASES else base


def projects():
    """The OpenStack projects the testbed's hosts run services of."""
    found = {row[0] for row in sql('SELECT DISTINCT project FROM testbed.units WHERE project IS NOT NULL')}
    # Ironic keeps its own releases (testbed.ironic_hosts, _ironic.py), not this release line.
    return sorted((found | {'nova', 'glance', 'neutron', 'cinder'}) - {'ironic'})


def tool_release(project=None):
    """
    The release of the running tool: testbed/venvs/RELEASE/bin/TOOL, else the code of `project`
    installed on this host (a host's nova and cinder packages are updated apart, as in production).
    """
    parts = os.path.abspath(sys.argv[0]).split(os.sep)
    if len(parts) >= 4 and parts[-4] == 'venvs' and parts[-3] in RELEASES:
        return parts[-3]
    return project_release(local_host(), project)


def previous(release):
    i = RELEASES.index(release)
    return RELEASES[i - 1] if i > 0 else None


def release_of(versions, number):
    """The release whose final schema version is `number` (None for a version between releases)."""
    for release, value in versions.items():
        if value == number:
            return release
    return None


def main(run):
    """Run a stand-in's entry point, turning ToolError into a message and exit code."""
    try:
        code = run(sys.argv[1:])
    except ToolError as error:
        print(str(error), file=sys.stderr)
        code = error.code
    except BrokenPipeError:
        code = 0
    sys.exit(code or 0)


def table(headers, rows):
    """A PrettyTable-like box, as the oslo tools print."""
    widths = [max(len(str(h)), *(len(str(r[i])) for r in rows)) if rows else len(str(h)) for i, h in enumerate(headers)]
    line = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'
    out = [line, '|' + '|'.join(f' {str(h).center(w)} ' for h, w in zip(headers, widths)) + '|', line]
    for row in rows:
        out.append('|' + '|'.join(f' {str(c).ljust(w)} ' for c, w in zip(row, widths)) + '|')
    out.append(line)
    return '\n'.join(out)


# ---------------------------------------------------------------------------------------------
# Schema changes. Each function moves one project's schema INTO the named release, refusing the
# way the real migrations refused when an earlier release's data migrations were not finished.
# ---------------------------------------------------------------------------------------------

def nova_version():
    return int(scalar("SELECT version FROM nova.migrate_version WHERE repository_id = 'nova'"))


def unmigrated_flavors():
    return int(scalar(
        'SELECT COUNT(*) FROM nova.instances i JOIN nova.instance_extra e ON e.instance_uuid = i.uuid '
        'WHERE i.deleted = 0 AND e.flavor IS NULL'
    ))


def nova_step(release):
    if release == 'kilo':
        add_column('nova', 'compute_nodes', 'host', 'VARCHAR(255) NULL')
        add_column('nova', 'instance_extra', 'flavor', 'TEXT NULL')
    elif release == 'liberty':
        add_column('nova', 'services', 'version', 'INT NOT NULL DEFAULT 0')
        add_column('nova', 'services', 'last_seen_up', 'DATETIME NULL')
    elif release == 'mitaka':
        left = unmigrated_flavors()
        if left:
            raise ToolError(
                'ERROR: 291_enforce_flavors_migrated: There are still %d unmigrated flavor records. Migration cannot '
                'continue until all instance flavor records have been migrated to the new format. Please run '
                "`nova-manage db migrate_flavor_data' first." % left, 1)
        add_column('nova', 'compute_nodes', 'uuid', 'VARCHAR(36) NULL')
        add_column('nova', 'instance_extra', 'keypairs', 'TEXT NULL')
        add_column('nova', 'services', 'forced_down', 'TINYINT(1) NOT NULL DEFAULT 0')
    elif release == 'newton':
        left = sum(m['count']() for m in nova_online_migrations('mitaka'))
        if left:
            raise ToolError(
                'ERROR: 330_enforce_mitaka_online_migrations: There are still %d records that Mitaka\'s online data '
                "migrations have not migrated. Run `nova-manage db online_data_migrations' with Mitaka's code "
                'until it reports nothing left, then run db sync again.' % left, 1)
    elif release == 'ocata':
        left = sum(m['count']() for m in nova_online_migrations('newton'))
        if left:
            raise ToolError(
                'ERROR: 345_require_online_migration_completion: There are still %d unmigrated records. Run '
                "`nova-manage db online_data_migrations' with Newton's code until it reports nothing left." % left, 1)
    sql(f"UPDATE nova.migrate_version SET version = {NOVA_SCHEMA[release]} WHERE repository_id = 'nova'")
    forget_schema()


def nova_api_step(release):
    if release == 'liberty':
        sql("""
CREATE TABLE IF NOT EXISTS nova_api.migrate_version (repository_id VARCHAR(250) PRIMARY KEY, repository_path TEXT, version INT);
INSERT IGNORE INTO nova_api.migrate_version VALUES ('nova_api', '/usr/lib/python2.7/site-packages/nova/db/sqlalchemy/api_migrations/migrate_repo', 0);
CREATE TABLE IF NOT EXISTS nova_api.cell_mappings (id INT AUTO_INCREMENT PRIMARY KEY, created_at DATETIME, updated_at DATETIME,
  uuid VARCHAR(36) NOT NULL UNIQUE, name VARCHAR(255), transport_url TEXT, database_connection TEXT);
CREATE TABLE IF NOT EXISTS nova_api.host_mappings (id INT AUTO_INCREMENT PRIMARY KEY, created_at DATETIME, updated_at DATETIME,
  cell_id INT NOT NULL, host VARCHAR(255) NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS nova_api.instance_mappings (id INT AUTO_INCREMENT PRIMARY KEY, created_at DATETIME, updated_at DATETIME,
  instance_uuid VARCHAR(36) NOT NULL UNIQUE, cell_id INT NULL, project_id VARCHAR(255) NOT NULL);
""")
    elif release == 'mitaka':
        sql("""CREATE TABLE IF NOT EXISTS nova_api.request_specs (id INT AUTO_INCREMENT PRIMARY KEY, created_at DATETIME,
  updated_at DATETIME, instance_uuid VARCHAR(36) NOT NULL UNIQUE, spec TEXT NOT NULL)""")
    elif release == 'newton':
        sql("""CREATE TABLE IF NOT EXISTS nova_api.resource_providers (id INT AUTO_INCREMENT PRIMARY KEY, created_at DATETIME,
  updated_at DATETIME, uuid VARCHAR(36) NOT NULL UNIQUE, name VARCHAR(200), generation INT)""")
    sql(f"UPDATE nova_api.migrate_version SET version = {NOVA_API_SCHEMA[release]} WHERE repository_id = 'nova_api'")
    forget_schema()


def cinder_version():
    return int(scalar("SELECT version FROM cinder.migrate_version WHERE repository_id = 'cinder'"))


def cinder_step(release):
    if release == 'liberty':
        for column in ('rpc_current_version', 'rpc_available_version', 'object_current_version', 'object_available_version'):
            add_column('cinder', 'services', column, 'VARCHAR(36) NULL')
    elif release == 'newton':
        add_column('cinder', 'services', 'cluster_name', 'VARCHAR(255) NULL')
    elif release == 'ocata':
        add_column('cinder', 'services', 'uuid', 'VARCHAR(36) NULL')
        add_column('cinder', 'volumes', 'service_uuid', 'VARCHAR(36) NULL')
    sql(f"UPDATE cinder.migrate_version SET version = {CINDER_SCHEMA[release]} WHERE repository_id = 'cinder'")
    forget_schema()


def sync_through(project, current, target_release, step, schema):
    """Apply each release's step from the one after `current` up to `target_release`, in order."""
    target = schema[target_release]
    if current > target:
        raise ToolError(f'{project}: the database is at version {current}, newer than this code ({target_release}, {target})', 1)
    start = release_of(schema, current)
    prev = previous(target_release)
    if start is None:
        raise ToolError(f'{project}: the database is at version {current}, which no release ends at: an earlier sync was interrupted', 1)
    if current != target and prev is not None and current < schema[prev]:
        raise ToolError(
            f'{project}: the database is at version {current} ({start}); {target_release} migrates from {prev} '
            f'({schema[prev]}) only. Upgrade one release at a time: run {prev}\'s db sync first.', 1)
    releases = RELEASES[RELEASES.index(start) + 1:RELEASES.index(target_release) + 1]
    for release in releases:
        print(f'{project}: migrating {schema[previous(release)]} -> {schema[release]} ({release})')
        step(release)
    return releases


# ---------------------------------------------------------------------------------------------
# Online data migrations: each has a count of what is left and a batch function.
# ---------------------------------------------------------------------------------------------

def _batch_update(select_ids, update, limit):
    ids = [row[0] for row in sql(f'{select_ids} LIMIT {int(limit)}')]
    if ids:
        sql(update.format(ids=','.join(q(i) for i in ids)))
    return len(ids)


def nova_online_migrations(release):
    known = {
        'migrate_instance_keypairs': {
            'count': lambda: int(scalar('SELECT COUNT(*) FROM nova.instance_extra WHERE keypairs IS NULL')) if has_column('nova', 'instance_extra', 'keypairs') else 0,
            'run': lambda n: _batch_update(
                'SELECT id FROM nova.instance_extra WHERE keypairs IS NULL ORDER BY id',
                'UPDATE nova.instance_extra SET keypairs = \'{{"nova_object.name": "KeyPairList", "objects": []}}\' WHERE id IN ({ids})', n),
        },
        'migrate_compute_node_uuids': {
            'count': lambda: int(scalar('SELECT COUNT(*) FROM nova.compute_nodes WHERE uuid IS NULL')) if has_column('nova', 'compute_nodes', 'uuid') else 0,
            'run': lambda n: _batch_update(
                'SELECT id FROM nova.compute_nodes WHERE uuid IS NULL ORDER BY id',
                'UPDATE nova.compute_nodes SET uuid = UUID() WHERE id IN ({ids})', n),
        },
        'migrate_instances_add_request_spec': {
            'count': lambda: int(scalar(
                'SELECT COUNT(*) FROM nova.instances i WHERE i.deleted = 0 AND NOT EXISTS '
                '(SELECT 1 FROM nova_api.request_specs r WHERE r.instance_uuid = i.uuid)')) if has_table('nova_api', 'request_specs') else 0,
            'run': lambda n: _batch_update(
                'SELECT i.uuid FROM nova.instances i WHERE i.deleted = 0 AND NOT EXISTS '
                '(SELECT 1 FROM nova_api.request_specs r WHERE r.instance_uuid = i.uuid) ORDER BY i.id',
                'INSERT INTO nova_api.request_specs (created_at, instance_uuid, spec) SELECT UTC_TIMESTAMP(), uuid, '
                '\'{{"nova_object.name": "RequestSpec"}}\' FROM nova.instances WHERE uuid IN ({ids})', n),
        },
    }
    return [dict(name=name, **known[name]) for name in NOVA_ONLINE.get(release, [])]


def cinder_online_migrations(release):
    known = {
        'service_uuid_migration': {
            'count': lambda: int(scalar('SELECT COUNT(*) FROM cinder.volumes WHERE deleted = 0 AND service_uuid IS NULL')) if has_column('cinder', 'volumes', 'service_uuid') else 0,
            'run': lambda n: _batch_update(
                'SELECT id FROM cinder.volumes WHERE deleted = 0 AND service_uuid IS NULL ORDER BY id',
                "UPDATE cinder.volumes v SET service_uuid = COALESCE((SELECT s.uuid FROM cinder.services s WHERE s.`binary` = 'cinder-volume' "
                "AND s.deleted = 0 AND s.host = SUBSTRING_INDEX(v.host, '#', 1) LIMIT 1), UUID()) WHERE v.id IN ({ids})", n),
        },
    }
    return [dict(name=name, **known[name]) for name in CINDER_ONLINE.get(release, [])]


def run_online_migrations(migrations, max_count):
    """Batches of up to `max_count` (None: all, in batches of 50). Exit 1 while work is left, as nova-manage does."""
    if not migrations:
        raise ToolError('online_data_migrations: this release has no online data migrations', 2)
    rows = []
    budget = max_count
    if max_count is None:
        print('Running batches of 50 until complete')
    for migration in migrations:
        needed = migration['count']()
        done = 0
        while needed - done > 0:
            size = 50 if budget is None else min(50, budget)
            if size <= 0:
                break
            moved = migration['run'](size)
            done += moved
            if budget is not None:
                budget -= moved
            if moved == 0:
                break
        rows.append((migration['name'], needed, done))
    print(table(['Migration', 'Total Needed', 'Completed'], rows))
    left = sum(m['count']() for m in migrations)
    if left:
        print(f'{left} records still need migrating: run this command again')
        return 1
    return 0


# ---------------------------------------------------------------------------------------------
# Hosts and services: what `ssh HOST systemctl start UNIT` does to the database.
# ---------------------------------------------------------------------------------------------

_units = {}


def unit_row(host, unit):
    """A host's unit as the testbed knows it. The host's units are read once per process."""
    unit = unit[:-8] if unit.endswith('.service') else unit
    if host not in _units:
        _units[host] = {row[0]: {'unit': row[0], 'project': row[1], 'binary': row[2], 'svc_host': row[3], 'running': row[4] == '1'}
                        for row in sql(f'SELECT unit, project, svc_binary, svc_host, running FROM testbed.units WHERE host = {q(host)}')}
    found = _units[host].get(unit)
    if found is None:
        raise ToolError(f'Failed to start {unit}.service: Unit {unit}.service not found.', 5)
    return found


def _set_running(host, row, running):
    row['running'] = running
    started = ', started_at = UTC_TIMESTAMP()' if running else ''
    sql(f"UPDATE testbed.units SET running = {1 if running else 0}{started} WHERE host = {q(host)} AND unit = {q(row['unit'])}")


@functools.lru_cache(maxsize=None)
def schema_release(project):
    if project == 'nova':
        return release_of(NOVA_SCHEMA, nova_version())
    if project == 'cinder':
        return release_of(CINDER_SCHEMA, cinder_version())
    if project == 'glance':
        return release_of(GLANCE_SCHEMA, int(scalar('SELECT version FROM glance.migrate_version')))
    if project == 'neutron':
        return scalar('SELECT version_num FROM neutron.alembic_version')
    return None


def check_code_fits_schema(unit, project, release):
    """A service refuses to start on a schema older than its code, or two releases newer."""
    at = schema_release(project)
    if at is None or project is None:
        return
    if RELEASES.index(at) < RELEASES.index(release):
        raise ToolError(
            f'Job for {unit}.service failed because the control process exited with error code.\n'
            f'{project} ({release} code): the database schema is still at {at}: run the {release} db sync first', 1)
    if RELEASES.index(at) > RELEASES.index(release) + 1:
        raise ToolError(
            f'Job for {unit}.service failed because the control process exited with error code.\n'
            f'{project} ({release} code): the database schema is at {at}, too new for this code', 1)


def start_unit(host, unit):
    row = unit_row(host, unit)
    if row['project'] == 'ironic':
        # Ironic has its own releases and tables (testbed/bin/_ironic.py).
        import _ironic
        _ironic.start_unit(host, row)
        _set_running(host, row, True)
        return
    release = project_release(host, row['project'])
    check_code_fits_schema(row['unit'], row['project'], release)
    if row['binary'] and row['project'] == 'nova':
        start_nova_service(row['binary'], row['svc_host'], release)
    elif row['binary'] and row['project'] == 'cinder':
        start_cinder_service(row['binary'], row['svc_host'], release)
    elif row['binary'] and row['project'] == 'heat':
        import _heat
        _heat.start_engine(row['binary'], row['svc_host'], release)
    _set_running(host, row, True)


def stop_unit(host, unit):
    row = unit_row(host, unit)
    if row['running'] and row['project'] == 'ironic':
        import _ironic
        _ironic.stop_unit(host, row)
    if row['running']:
        if row['binary'] and row['project'] == 'heat':
            import _heat
            _heat.stop_engine(row['binary'], row['svc_host'])
        _set_running(host, row, False)


def reload_unit(host, unit):
    """SIGHUP: the service stays up, re-reads its configuration and (cinder) its version caps."""
    row = unit_row(host, unit)
    if not row['running']:
        raise ToolError(f'Failed to kill unit {row["unit"]}.service: unit is not active.', 1)
    table_name = {'nova': 'nova.services', 'cinder': 'cinder.services'}.get(row['project'])
    if table_name and row['binary']:
        sql(f"UPDATE {table_name} SET updated_at = UTC_TIMESTAMP() WHERE `binary` = {q(row['binary'])} AND host = {q(row['svc_host'])} AND deleted = 0")
    sql(f"UPDATE testbed.units SET reloaded_at = UTC_TIMESTAMP() WHERE host = {q(host)} AND unit = {q(row['unit'])}")


def unit_active(host, unit):
    return unit_row(host, unit)['running']


def start_nova_service(binary, svc_host, release):
    version_col = has_column('nova', 'services', 'version')
    topic = binary.replace('nova-', '')
    existing = scalar(f'SELECT id FROM nova.services WHERE host = {q(svc_host)} AND `binary` = {q(binary)} AND deleted = 0')
    if existing is None:
        sql(f"INSERT INTO nova.services (created_at, updated_at, host, `binary`, topic, report_count, disabled, deleted"
            f"{', version' if version_col else ''}) VALUES (UTC_TIMESTAMP(), UTC_TIMESTAMP(), {q(svc_host)}, {q(binary)}, {q(topic)}, 1, 0, 0"
            f"{', ' + str(NOVA_SERVICE_VERSION[release]) if version_col else ''})")
        existing = scalar(f'SELECT id FROM nova.services WHERE host = {q(svc_host)} AND `binary` = {q(binary)} AND deleted = 0')
    else:
        sql(f"UPDATE nova.services SET updated_at = UTC_TIMESTAMP(), report_count = report_count + 1"
            f"{', version = ' + str(NOVA_SERVICE_VERSION[release]) if version_col else ''} WHERE id = {existing}")
    if binary == 'nova-compute':
        register_compute_node(svc_host, existing, release)


def register_compute_node(host, service_id, release):
    """
    From Kilo on, nova-compute finds its compute_nodes record by (host, hypervisor_hostname). A record
    whose host is NULL is not found, so it creates a second one: a duplicate hypervisor.
    """
    hypervisor = f'{host}.example.org'
    if RELEASES.index(release) < RELEASES.index('kilo'):
        sql(f'UPDATE nova.compute_nodes SET updated_at = UTC_TIMESTAMP() WHERE service_id = {service_id} AND deleted = 0')
        return
    found = scalar(f'SELECT id FROM nova.compute_nodes WHERE host = {q(host)} AND hypervisor_hostname = {q(hypervisor)} AND deleted = 0 ORDER BY id LIMIT 1')
    if found is None:
        uuid_col = has_column('nova', 'compute_nodes', 'uuid')
        sql(f"INSERT INTO nova.compute_nodes (created_at, updated_at, service_id, host, hypervisor_hostname, hypervisor_type, vcpus, "
            f"memory_mb, local_gb, vcpus_used, memory_mb_used, local_gb_used, deleted{', uuid' if uuid_col else ''}) "
            f"VALUES (UTC_TIMESTAMP(), UTC_TIMESTAMP(), {service_id}, {q(host)}, {q(hypervisor)}, 'QEMU', 32, 131072, 900, 0, 512, 0, 0"
            f"{', UUID()' if uuid_col else ''})")
        found = scalar(f'SELECT id FROM nova.compute_nodes WHERE host = {q(host)} AND hypervisor_hostname = {q(hypervisor)} AND deleted = 0 ORDER BY id DESC LIMIT 1')
    else:
        sql(f'UPDATE nova.compute_nodes SET updated_at = UTC_TIMESTAMP() WHERE id = {found}')
    # From Ocata on, every compute node reports itself to placement as a resource provider.
    if RELEASES.index(release) >= RELEASES.index('ocata') and has_table('nova_api', 'resource_providers') and has_column('nova', 'compute_nodes', 'uuid'):
        sql(f'UPDATE nova.compute_nodes SET uuid = UUID() WHERE id = {found} AND uuid IS NULL')
        sql(f"INSERT IGNORE INTO nova_api.resource_providers (created_at, uuid, name, generation) "
            f"SELECT UTC_TIMESTAMP(), uuid, hypervisor_hostname, 1 FROM nova.compute_nodes WHERE id = {found}")


def start_cinder_service(binary, svc_host, release):
    rpc = has_column('cinder', 'services', 'rpc_current_version')
    versions = CINDER_VERSIONS.get(release)
    uuid = has_column('cinder', 'services', 'uuid')
    existing = scalar(f'SELECT id FROM cinder.services WHERE host = {q(svc_host)} AND `binary` = {q(binary)} AND deleted = 0')
    if existing is None:
        sql(f"INSERT INTO cinder.services (created_at, updated_at, host, `binary`, topic, report_count, disabled, deleted, availability_zone) "
            f"VALUES (UTC_TIMESTAMP(), UTC_TIMESTAMP(), {q(svc_host)}, {q(binary)}, {q(binary)}, 1, 0, 0, 'nova')")
        existing = scalar(f'SELECT id FROM cinder.services WHERE host = {q(svc_host)} AND `binary` = {q(binary)} AND deleted = 0')
    sets = ['updated_at = UTC_TIMESTAMP()', 'report_count = report_count + 1']
    if rpc and versions:
        sets += [f'rpc_current_version = {q(versions[0])}', f'rpc_available_version = {q(versions[0])}',
                 f'object_current_version = {q(versions[1])}', f'object_available_version = {q(versions[1])}']
    if uuid:
        sets.append('uuid = COALESCE(uuid, UUID())')
    sql(f"UPDATE cinder.services SET {', '.join(sets)} WHERE id = {existing}")


def service_state(updated_at_age):
    return ':-)' if updated_at_age is not None and int(updated_at_age) <= SERVICE_DOWN_TIME else 'XXX'


# ---------------------------------------------------------------------------------------------
# Configuration files (crudini through the stand-in ssh). The testbed keeps one nova.conf and one
# cinder.conf shared by all its hosts.
# ---------------------------------------------------------------------------------------------

def read_ini(path):
    import configparser
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    if os.path.exists(path):
        with open(path, encoding='utf-8') as f:
            parser.read_file(f)
    return parser


def write_ini(path, parser):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w', encoding='utf-8') as f:
        parser.write(f)


def args_error(tool, message):
    return ToolError(f'usage: {tool}\n{tool.split()[0]}: error: {message}', 2)


def join_command(words):
    return ' '.join(shlex.quote(w) for w in words)


def dump(value):
    return json.dumps(value, indent=2)


# ---------------------------------------------------------------------------------------------
# Seeding a later starting point: `testbed.mjs up --at newton` loads the Juno slice, then moves
# it to Newton here, the way a careless run of the upgrades before would have left it.
# ---------------------------------------------------------------------------------------------

def _quiet(fn, *args):
    import contextlib
    import io
    with contextlib.redirect_stdout(io.StringIO()):
        return fn(*args)


def advance_to(target):
    if target != 'newton':
        raise ToolError(f'the testbed seeds juno (the default) or newton, not {target}', 2)
    # glance and neutron were converted and upgraded along the way.
    for database in ('glance', 'neutron'):
        tables = [row[0] for row in sql(f"SELECT table_name FROM information_schema.tables WHERE table_schema = {q(database)}")]
        sql(f'ALTER DATABASE `{database}` CHARACTER SET utf8 COLLATE utf8_general_ci')
        for name in tables:
            sql(f'ALTER TABLE `{database}`.`{name}` CONVERT TO CHARACTER SET utf8 COLLATE utf8_general_ci')
    sql(f"UPDATE glance.migrate_version SET version = {GLANCE_SCHEMA['newton']}")
    sql("UPDATE neutron.alembic_version SET version_num = 'newton'")
    # nova, one release at a time, each release's data migrations finished before the next sync.
    sql('CREATE DATABASE nova_api CHARACTER SET utf8 COLLATE utf8_general_ci')
    sql("GRANT ALL PRIVILEGES ON nova_api.* TO 'nova'@'%'")
    _quiet(nova_step, 'kilo')
    sql('UPDATE nova.instance_extra e JOIN nova.instances i ON i.uuid = e.instance_uuid JOIN nova.instance_types t '
        'ON t.id = i.instance_type_id SET e.flavor = CONCAT(\'{"cur": {"nova_object.name": "Flavor", "name": "\', t.name, \'"}}\')')
    for release in ('liberty', 'mitaka'):
        _quiet(nova_step, release)
        _quiet(nova_api_step, release)
    _quiet(run_online_migrations, nova_online_migrations('mitaka'), None)
    _quiet(nova_step, 'newton')
    _quiet(nova_api_step, 'newton')
    # FAULT: Newton's online data migrations were run once, with --max-count 80, and never again.
    nova_online_migrations('newton')[2]['run'](80)
    for release in ('kilo', 'liberty', 'mitaka', 'newton'):
        _quiet(cinder_step, release)
    sql("UPDATE testbed.hosts SET `release` = 'newton'")
    sql("UPDATE testbed.meta SET value = 'ocata' WHERE name = 'repo_release'")
    sql(f"UPDATE nova.services SET version = {NOVA_SERVICE_VERSION['newton']}, last_seen_up = UTC_TIMESTAMP()")
    # FAULT: cmp-4 missed the last upgrade: its packages and its service record are still Mitaka's.
    sql("UPDATE testbed.hosts SET `release` = 'mitaka' WHERE host = 'cmp-4'")
    sql(f"UPDATE nova.services SET version = {NOVA_SERVICE_VERSION['mitaka']} WHERE host = 'cmp-4' AND `binary` = 'nova-compute'")
    rpc, obj = CINDER_VERSIONS['newton']
    sql(f"UPDATE cinder.services SET rpc_current_version = {q(rpc)}, rpc_available_version = {q(rpc)}, "
        f"object_current_version = {q(obj)}, object_available_version = {q(obj)}")
    # FAULT: cinder-backup on ctl-2 was never restarted after its packages moved to Newton, so it
    # still reports Mitaka's versions: the services table holds mixed RPC/object versions.
    rpc, obj = CINDER_VERSIONS['mitaka']
    sql(f"UPDATE cinder.services SET rpc_current_version = {q(rpc)}, rpc_available_version = {q(rpc)}, "
        f"object_current_version = {q(obj)}, object_available_version = {q(obj)} WHERE host = 'ctl-2' AND `binary` = 'cinder-backup'")
    # The orphan on stor-0 last reported under Liberty.
    rpc, obj = CINDER_VERSIONS['liberty']
    sql(f"UPDATE cinder.services SET rpc_current_version = {q(rpc)}, rpc_available_version = {q(rpc)}, "
        f"object_current_version = {q(obj)}, object_available_version = {q(obj)} WHERE host = 'stor-0@lvm'")
    conf = read_ini(conf_path('nova'))
    if not conf.has_section('cache'):
        conf.add_section('cache')
    conf.set('cache', 'enabled', 'true')
    conf.set('cache', 'backend', 'oslo_cache.memcache_pool')
    conf.set('cache', 'memcache_servers', 'ctl-1:11211,ctl-2:11211')
    if not conf.has_section('placement'):
        conf.add_section('placement')
    conf.set('placement', 'os_region_name', 'RegionOne')
    conf.set('placement', 'auth_url', 'http://ctl-1:35357/v3')
    write_ini(conf_path('nova'), conf)


if __name__ == '__main__':
    def _cli(argv):
        if argv[:1] == ['advance'] and len(argv) == 2:
            advance_to(argv[1])
            return 0
        raise ToolError('usage: _testbed.py advance RELEASE', 2)
    main(_cli)
