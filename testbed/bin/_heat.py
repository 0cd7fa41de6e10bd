"""
heat on the testbed: the schema phases testbed/bin/heat-manage runs, and what starting and stopping
a heat-engine unit does to heat's `service` table (called by _testbed.start_unit / stop_unit).

The schema change follows the seed thread's pattern ("[heat] Rolling Upgrades"): Ocata moves
raw_template.files into the table raw_template_files.

  expand    (Ocata code, schema 73 -> 78): creates raw_template_files and the triggers that copy
            every write of raw_template.files into it, so engines of both releases keep it current
  migrate   (at 78): copies the templates that have no copy yet; data only, the version stays
  contract  (Ocata code, 78 -> 79): drops raw_template.files and the triggers; refused while an
            engine of an older release is alive or a copy is missing or differs

The phases are modelled on keystone's `db_sync --expand/--migrate/--contract` (Ocata); heat's own
heat-manage has only `db_sync`. Version numbers are the stand-in's own.
"""
import _testbed as tb

NEWTON = 73
EXPANDED = 78
CONTRACTED = 79

# What Ocata's expand creates: the new location, then one trigger per write that copies the old
# location into it. The runbook's repair step recreates a missing trigger with the same text.
NEW_TABLE = """CREATE TABLE IF NOT EXISTS heat.raw_template_files (
  raw_template_id INT NOT NULL PRIMARY KEY, files LONGTEXT,
  created_at DATETIME, updated_at DATETIME) ENGINE=InnoDB"""
TRIGGERS = {
    'raw_template_files_ins': 'AFTER INSERT',
    'raw_template_files_upd': 'AFTER UPDATE',
}
TRIGGER_BODY = """ON heat.raw_template FOR EACH ROW
  INSERT INTO heat.raw_template_files (raw_template_id, files, created_at, updated_at)
  VALUES (NEW.id, NEW.files, UTC_TIMESTAMP(), UTC_TIMESTAMP())
  ON DUPLICATE KEY UPDATE files = NEW.files, updated_at = UTC_TIMESTAMP()"""

# An engine is alive while it reports within twice its report_interval.
LIVE = 'deleted_at IS NULL AND updated_at >= UTC_TIMESTAMP() - INTERVAL 2 * report_interval SECOND'


def version():
    return int(tb.scalar("SELECT version FROM heat.migrate_version WHERE repository_id = 'heat'"))


def _set_version(number):
    tb.sql(f"UPDATE heat.migrate_version SET version = {int(number)} WHERE repository_id = 'heat'")


def _require_ocata(release, phase):
    if tb.RELEASES.index(release) < tb.RELEASES.index('ocata'):
        raise tb.ToolError(
            f'usage: heat-manage db_sync [-h] [version]\nheat-manage: error: unrecognized arguments: --{phase} '
            f'(heat-manage of {release} has no {phase} phase; run the one of Ocata\'s packages)', 2)


def expand(release):
    _require_ocata(release, 'expand')
    at = version()
    if at in (EXPANDED, CONTRACTED):
        print(f'heat: the schema is at {at}: nothing to expand')
        return 0
    if at != NEWTON:
        raise tb.ToolError(f'heat: the schema is at {at}; Ocata expands from Newton ({NEWTON}) only: upgrade one release at a time', 1)
    print(f'heat: expanding {NEWTON} -> {EXPANDED}: raw_template_files, triggers {", ".join(TRIGGERS)}')
    tb.sql(NEW_TABLE)
    for name, timing in TRIGGERS.items():
        tb.sql(f'CREATE TRIGGER IF NOT EXISTS heat.{name} {timing} {TRIGGER_BODY}')
    _set_version(EXPANDED)
    return 0


def _missing_copies():
    return int(tb.scalar('SELECT COUNT(*) FROM heat.raw_template t WHERE NOT EXISTS '
                         '(SELECT 1 FROM heat.raw_template_files f WHERE f.raw_template_id = t.id)'))


def _differing_copies():
    return int(tb.scalar('SELECT COUNT(*) FROM heat.raw_template t JOIN heat.raw_template_files f '
                         'ON f.raw_template_id = t.id WHERE NOT (f.files <=> t.files)'))


def migrate(release):
    _require_ocata(release, 'migrate')
    at = version()
    if at == NEWTON:
        raise tb.ToolError('heat: the schema is not expanded: run db_sync --expand first', 1)
    if at == CONTRACTED:
        print('heat: the schema is contracted: nothing to migrate')
        return 0
    # Like the batched data migrations it models, it moves what has no copy yet; a copy that exists
    # is taken to be kept current by the triggers.
    missing = _missing_copies()
    tb.sql('INSERT INTO heat.raw_template_files (raw_template_id, files, created_at, updated_at) '
           'SELECT t.id, t.files, UTC_TIMESTAMP(), UTC_TIMESTAMP() FROM heat.raw_template t WHERE NOT EXISTS '
           '(SELECT 1 FROM heat.raw_template_files f WHERE f.raw_template_id = t.id)')
    print(tb.table(['Migration', 'Total Needed', 'Completed'], [('raw_template_files', missing, missing)]))
    return 0


def old_engines(release):
    return tb.sql(f"SELECT host, engine_id, engine_release FROM heat.service WHERE {LIVE} "
                  f"AND (engine_release IS NULL OR engine_release <> {tb.q(release)}) ORDER BY host")


def contract(release):
    _require_ocata(release, 'contract')
    at = version()
    if at == CONTRACTED:
        print(f'heat: the schema is at {at}: nothing to contract')
        return 0
    if at != EXPANDED:
        raise tb.ToolError(f'heat: the schema is at {at}, not expanded ({EXPANDED}): run db_sync --expand, then --migrate', 1)
    old = old_engines(release)
    if old:
        listed = ', '.join(f'{host} ({engine_release or "unknown release"})' for host, _, engine_release in old)
        raise tb.ToolError(
            f'heat: refusing to contract: {len(old)} heat-engine(s) older than {release} still report: {listed}. '
            'They read and write raw_template.files, which the contract drops: upgrade or stop them first.', 1)
    missing, differing = _missing_copies(), _differing_copies()
    if missing or differing:
        raise tb.ToolError(
            f'heat: refusing to contract: {missing} templates have no copy in raw_template_files and {differing} copies '
            'differ from raw_template.files: run db_sync --migrate and compare them first', 1)
    print(f'heat: contracting {EXPANDED} -> {CONTRACTED}: dropping the triggers and raw_template.files')
    for name in TRIGGERS:
        tb.sql(f'DROP TRIGGER IF EXISTS heat.{name}')
    tb.sql('ALTER TABLE heat.raw_template DROP COLUMN files')
    _set_version(CONTRACTED)
    tb.forget_schema()
    return 0


def service_list():
    rows = tb.sql('SELECT hostname, `binary`, engine_id, host, topic, TIMESTAMPDIFF(SECOND, updated_at, UTC_TIMESTAMP()), '
                  f'updated_at, IF({LIVE}, 1, 0) FROM heat.service WHERE deleted_at IS NULL ORDER BY host, created_at')
    print(tb.table(['Hostname', 'Binary', 'Engine_Id', 'Host', 'Topic', 'Updated_At', 'Status'],
                   [(r[0], r[1], r[2], r[3], r[4], r[6], 'up' if r[7] == '1' else 'down') for r in rows]))
    return 0


# ---------------------------------------------------------------------------------------------
# Units: heat-engine deletes its service record when it stops, and a starting one creates a new
# record (a new engine_id) carrying the release of the host's packages.
# ---------------------------------------------------------------------------------------------

def stop_engine(binary, svc_host):
    tb.sql(f'UPDATE heat.service SET deleted_at = UTC_TIMESTAMP() WHERE host = {tb.q(svc_host)} '
           f'AND `binary` = {tb.q(binary)} AND deleted_at IS NULL')


def start_engine(binary, svc_host, release):
    stop_engine(binary, svc_host)
    tb.sql('INSERT INTO heat.service (id, engine_id, host, hostname, `binary`, topic, report_interval, created_at, updated_at, engine_release) '
           f"VALUES (UUID(), UUID(), {tb.q(svc_host)}, {tb.q(svc_host + '.example.org')}, {tb.q(binary)}, 'engine', 60, "
           f'UTC_TIMESTAMP(6), UTC_TIMESTAMP(), {tb.q(release)})')
