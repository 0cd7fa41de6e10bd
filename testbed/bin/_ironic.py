"""
The testbed's Ironic: what ironic-dbsync, the ironic-conductor and ironic-api units and the
nova-compute of the ironic driver do to the database, for the stand-ins (ironic-dbsync, the stand-in
ssh, testbed/host-tools on a fleet host).

Ironic is modelled at its own release pair, Pike -> Queens, independent of nova's releases: its
rolling upgrades (`[DEFAULT] pin_release_version`) exist from Pike on. Each host's Ironic release is
in testbed.ironic_hosts, moved by a package update that names an ironic package; what each running
process runs is in testbed.ironic_running. The version numbers below are the stand-ins' own,
modelled on Ironic's (9.x is Pike, 10.x Queens; the API's maximum microversion per release).
"""
import _testbed as tb

RELEASES = ['ocata', 'pike', 'queens']
CODE_VERSION = {'ocata': '7.0.2', 'pike': '9.1.2', 'queens': '10.1.1'}
# alembic heads at the end of each release
SCHEMA = {'ocata': '868cb606a74a', 'pike': '405cfe08f18d', 'queens': 'b4130a7fc904'}
# What a conductor writes into its conductors row, and the nodes' object version, per release spoken
CONDUCTOR_VERSION = {'ocata': '1.1', 'pike': '1.2', 'queens': '1.3'}
NODE_VERSION = {'pike': '1.21', 'queens': '1.22'}
API_MICROVERSION = {'ocata': '1.31', 'pike': '1.34', 'queens': '1.38'}
# The values [DEFAULT] pin_release_version takes: a release name or its version.
PIN_VALUES = {'ocata': 'ocata', '7.0': 'ocata', 'pike': 'pike', '9.0': 'pike', '9.1': 'pike', 'queens': 'queens', '10.0': 'queens', '10.1': 'queens'}
# Provision states an operation is in flight in: a conductor restart fails it.
# (state, what it fails to, the operation's name)
FAIL_ON_RESTART = [('deploying', 'deploy failed', 'deployment'), ('wait call-back', 'deploy failed', 'deployment'),
                   ('cleaning', 'clean failed', 'cleaning'), ('clean wait', 'clean failed', 'cleaning'),
                   ('inspecting', 'inspect failed', 'inspection'), ('deleting', 'error', 'deletion')]
# What the operations in flight end in, when they end well (ironic-settle).
SETTLED = {'deploying': 'active', 'wait call-back': 'active', 'cleaning': 'available', 'clean wait': 'available',
           'inspecting': 'manageable', 'inspect wait': 'manageable', 'deleting': 'available'}
ONLINE = {'pike': ['backfill_version_column'], 'queens': ['update_to_latest_versions']}


def host_release(host):
    tb.host_release(host)  # an unknown host fails like ssh does
    release = tb.scalar(f'SELECT `release` FROM testbed.ironic_hosts WHERE host = {tb.q(host)}')
    if release is None:
        raise tb.ToolError(f'{host}: no Ironic is installed on this host', 127)
    return release


def tool_release():
    return host_release(tb.local_host())


def schema_release():
    head = tb.scalar('SELECT version_num FROM ironic.alembic_version')
    for release, revision in SCHEMA.items():
        if revision == head:
            return release
    raise tb.ToolError(f'ironic: the database is at alembic revision {head}, which no release ends at', 1)


def pin_value():
    conf = tb.read_ini(tb.conf_path('ironic'))
    value = conf.get('DEFAULT', 'pin_release_version', fallback='').strip()
    return value or None


def spoken_release(code, what):
    """The release `code` speaks: pin_release_version when set, else its own. Refuses a pin it cannot honour."""
    value = pin_value()
    if value is None:
        return code
    pinned = PIN_VALUES.get(value)
    if pinned is None or RELEASES.index(pinned) > RELEASES.index(code):
        raise tb.ToolError(f'{what}: [DEFAULT] pin_release_version = {value} is not a release {code} knows', 1)
    if RELEASES.index(pinned) < RELEASES.index(code) - 1:
        raise tb.ToolError(f'{what}: [DEFAULT] pin_release_version = {value}: {code} rolls from the release before it only; '
                           'upgrade one release at a time', 1)
    return pinned


def packages(host):
    """A package update naming an ironic package: the host's Ironic moves to the repository's release."""
    repo = tb.meta('ironic_repo_release')
    before = host_release(host)
    if RELEASES.index(repo) > RELEASES.index(before):
        tb.sql(f'UPDATE testbed.ironic_hosts SET `release` = {tb.q(repo)} WHERE host = {tb.q(host)}')
        print(f'{host}: upgraded the Ironic packages from {before} to {repo}')
    else:
        print(f'{host}: nothing to do, the Ironic packages are already at {before}')
    return 0


def version_command(host, words):
    """`ironic-conductor --version`, `ironic-api --version`: the installed code's version, as oslo.config prints it."""
    if words[1:] != ['--version']:
        raise tb.ToolError(f'{words[0]}: the testbed runs this program only as `{words[0]} --version`', 2)
    print(CODE_VERSION[host_release(host)])
    return 0


def _failed_to_start(unit, message):
    return tb.ToolError(f'Job for {unit}.service failed because the control process exited with error code.\n{message}', 1)


def start_unit(host, row):
    unit = row['unit']
    code = host_release(host)
    if row['binary'] == 'nova-compute':
        start_nova_compute(host, unit, code)
        return
    at = schema_release()
    if RELEASES.index(at) < RELEASES.index(code):
        raise _failed_to_start(unit, f'ironic ({code} code): the database schema is still at {at}: run {code}\'s ironic-dbsync upgrade first')
    if RELEASES.index(at) > RELEASES.index(code) + 1:
        raise _failed_to_start(unit, f'ironic ({code} code): the database schema is at {at}, too new for this code')
    try:
        spoken = spoken_release(code, f'ironic ({code} code)')
    except tb.ToolError as error:
        raise _failed_to_start(unit, str(error)) from None
    if row['binary'] == 'ironic-conductor':
        register_conductor(row['svc_host'], spoken)
    _record_running(host, unit, code, spoken)


def register_conductor(hostname, spoken):
    """
    A starting conductor registers (online, its version as pinned), then takes back what it held: a
    node it had locked mid-operation cannot be resumed and is failed, and its locks are cleared.
    """
    version = tb.q(CONDUCTOR_VERSION[spoken])
    tb.sql(f"INSERT INTO ironic.conductors (created_at, updated_at, version, hostname, drivers, online) "
           f"VALUES (UTC_TIMESTAMP(), UTC_TIMESTAMP(), {version}, {tb.q(hostname)}, '[\"ipmi\"]', 1) "
           f"ON DUPLICATE KEY UPDATE updated_at = UTC_TIMESTAMP(), version = {version}, online = 1")
    for state, failed, operation in FAIL_ON_RESTART:
        message = f"The {operation} can't be resumed by conductor {hostname}. Moving to fail state."
        tb.sql(f"UPDATE ironic.nodes SET provision_state = {tb.q(failed)}, target_provision_state = NULL, "
               f"provision_updated_at = UTC_TIMESTAMP(), last_error = {tb.q(message)} "
               f"WHERE reservation = {tb.q(hostname)} AND provision_state = {tb.q(state)}")
    tb.sql(f'UPDATE ironic.nodes SET reservation = NULL WHERE reservation = {tb.q(hostname)}')


def start_nova_compute(host, unit, code):
    """nova-compute's ironic driver asks the Bare Metal API for the microversion its release needs."""
    needed = API_MICROVERSION[code]
    for api_host, spoken in tb.sql("SELECT r.host, r.pinned_release FROM testbed.ironic_running r JOIN testbed.units u "
                                   "ON u.host = r.host AND u.unit = r.unit WHERE u.unit = 'openstack-ironic-api' AND u.running = 1 "
                                   "ORDER BY r.host"):
        if RELEASES.index(spoken) < RELEASES.index(code):
            raise _failed_to_start(unit, f'nova-compute ({code} ironic driver): the Bare Metal API on {api_host} supports microversions '
                                         f'up to {API_MICROVERSION[spoken]}, and this driver needs {needed}: upgrade ironic before nova-compute')
    _record_running(host, unit, code, code)


def _record_running(host, unit, code, spoken):
    tb.sql(f'INSERT INTO testbed.ironic_running VALUES ({tb.q(host)}, {tb.q(unit)}, {tb.q(code)}, {tb.q(spoken)}) '
           f'ON DUPLICATE KEY UPDATE code_release = {tb.q(code)}, pinned_release = {tb.q(spoken)}')


def stop_unit(host, row):
    """A conductor stopping cleanly unregisters: its row stays, offline."""
    if row['binary'] == 'ironic-conductor':
        tb.sql(f"UPDATE ironic.conductors SET online = 0 WHERE hostname = {tb.q(row['svc_host'])}")


# ---------------------------------------------------------------------------------------------
# ironic-dbsync
# ---------------------------------------------------------------------------------------------

def objects_without_version():
    return int(tb.scalar('SELECT COUNT(*) FROM ironic.nodes WHERE version IS NULL'))


def upgrade(code):
    at = schema_release()
    if at == code:
        print(f'ironic: the database is already at {SCHEMA[code]} ({code})')
        return 0
    if RELEASES.index(at) > RELEASES.index(code):
        raise tb.ToolError(f'ironic: the database is at {at}, newer than this code ({code})', 1)
    if RELEASES.index(at) < RELEASES.index(code) - 1:
        raise tb.ToolError(f'ironic: the database is at {at}; {code} upgrades from {RELEASES[RELEASES.index(code) - 1]} only. '
                           'Upgrade one release at a time.', 1)
    # From Queens on, the upgrade first makes sure every object was saved in a version this code reads.
    left = objects_without_version()
    if code == 'queens' and left:
        raise tb.ToolError(
            f'The database is not compatible with this release of ironic ({CODE_VERSION[code]}). Please run '
            f'"ironic-dbsync online_data_migrations" using the previous release.\n'
            f'Node: {left} objects have no version (the previous release\'s backfill_version_column is not finished)', 2)
    if code == 'queens':
        tb.add_column('ironic', 'nodes', 'rescue_interface', 'VARCHAR(255) NULL')
    print(f'INFO  [alembic.runtime.migration] Running upgrade {SCHEMA[at]} -> {SCHEMA[code]} ({code})')
    tb.sql(f'UPDATE ironic.alembic_version SET version_num = {tb.q(SCHEMA[code])}')
    return 0


def online_migrations(code):
    target = NODE_VERSION[spoken_release(code, f'ironic-dbsync ({code})')]
    known = {
        'backfill_version_column': {
            'count': lambda: objects_without_version(),
            'run': lambda n: tb._batch_update('SELECT id FROM ironic.nodes WHERE version IS NULL ORDER BY id',
                                              f"UPDATE ironic.nodes SET version = {tb.q(NODE_VERSION['pike'])} WHERE id IN ({{ids}})", n),
        },
        'update_to_latest_versions': {
            'count': lambda: int(tb.scalar(f'SELECT COUNT(*) FROM ironic.nodes WHERE version IS NOT NULL AND version <> {tb.q(target)}')),
            'run': lambda n: tb._batch_update(f'SELECT id FROM ironic.nodes WHERE version IS NOT NULL AND version <> {tb.q(target)} ORDER BY id',
                                              f'UPDATE ironic.nodes SET version = {tb.q(target)} WHERE id IN ({{ids}})', n),
        },
    }
    return [dict(name=name, **known[name]) for name in ONLINE.get(code, [])]


def settle():
    """ironic-settle: the operations in flight end well, and every conductor lets go of its locks."""
    rows = tb.sql('SELECT name, provision_state, target_provision_state, reservation FROM ironic.nodes '
                  'WHERE reservation IS NOT NULL OR provision_state IN (' + ', '.join(tb.q(s) for s in SETTLED) + ') ORDER BY name')
    for name, state, target, reservation in rows:
        final = SETTLED.get(state, state)
        if state in SETTLED and target:
            final = target
        tb.sql(f'UPDATE ironic.nodes SET provision_state = {tb.q(final)}, target_provision_state = NULL, reservation = NULL, '
               f'provision_updated_at = UTC_TIMESTAMP() WHERE name = {tb.q(name)}')
        lock = f', released the lock of {reservation}' if reservation else ''
        print(f'{name}: {state} -> {final}{lock}' if final != state else f'{name}: {state}{lock}')
    if not rows:
        print('no node is in flight or locked')
    return 0
