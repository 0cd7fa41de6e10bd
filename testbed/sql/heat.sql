-- heat as a Newton cloud leaves it after an abandoned first attempt at the Ocata upgrade, for
-- runbooks/openstack/heat-rolling-upgrade.md. Loaded by testbed.mjs after juno.sql, for both seeds
-- (the heat slice is Newton's either way; only the --at newton hosts match it).
--
-- The schema follows the seed thread's pattern (expand, dual-write with triggers, migrate,
-- contract), applied to the move of raw_template.files into raw_template_files. The stand-in
-- testbed/bin/heat-manage numbers the schema 73 (Newton), 78 (Ocata expanded), 79 (Ocata
-- contracted); the numbers are the stand-in's own.
--
-- The story the data tells:
--   1. Newton: 24 templates written to raw_template.files.
--   2. First attempt: Ocata's expand created raw_template_files and the dual-write triggers; the
--      attempt stopped there, before `db_sync --migrate`. Six stacks created since were copied by
--      the insert trigger.
--   3. FAULT: a DBA dropped the update trigger (it slowed stack updates). Three stacks updated
--      since then changed only the old column: their copies differ.
--   4. FAULT: heat-engine on ctl-2 never restarted after its packages moved to Newton: it still
--      reports Mitaka.
--   5. FAULT: a heat-engine started on stor-1 during a load test still runs (Newton); stor-1 is in
--      no controllers group, so a rolling restart of the controllers never reaches it.

CREATE DATABASE heat CHARACTER SET utf8 COLLATE utf8_general_ci;
CREATE USER IF NOT EXISTS 'heat'@'%' IDENTIFIED BY 'testbed';
GRANT ALL PRIVILEGES ON heat.* TO 'heat'@'%';

CREATE TABLE heat.migrate_version (repository_id VARCHAR(250) PRIMARY KEY, repository_path TEXT, version INT) ENGINE=InnoDB;
INSERT INTO heat.migrate_version VALUES ('heat', '/usr/lib/python2.7/site-packages/heat/db/sqlalchemy/migrate_repo', 78);

-- heat's service table: one row per engine process (a restarted engine gets a new engine_id and
-- row; a cleanly stopped one soft-deletes its row). engine_release is the testbed's own column:
-- heat's table has no release, see docs/testbed.md.
CREATE TABLE heat.service (
  id VARCHAR(36) NOT NULL PRIMARY KEY,
  engine_id VARCHAR(36) NOT NULL,
  host VARCHAR(255) NOT NULL,
  hostname VARCHAR(255) NOT NULL,
  `binary` VARCHAR(255) NOT NULL,
  topic VARCHAR(255) NOT NULL,
  report_interval INT NOT NULL,
  created_at DATETIME, updated_at DATETIME, deleted_at DATETIME,
  engine_release VARCHAR(16) NULL COMMENT 'testbed only: the release of the code this engine runs') ENGINE=InnoDB;
INSERT INTO heat.service VALUES
  ('5e7c0000-0000-4000-8000-000000000001', 'e1a90000-0000-4000-8000-000000000001', 'ctl-1', 'ctl-1.example.org', 'heat-engine', 'engine', 60,
   '2016-05-02 08:00:00', '2016-11-02 03:14:00', NULL, 'liberty'),
  ('5e7c0000-0000-4000-8000-000000000002', 'e1a90000-0000-4000-8000-000000000002', 'ctl-1', 'ctl-1.example.org', 'heat-engine', 'engine', 60,
   '2016-11-02 09:00:00', UTC_TIMESTAMP(), NULL, 'newton'),
  ('5e7c0000-0000-4000-8000-000000000003', 'e1a90000-0000-4000-8000-000000000003', 'ctl-2', 'ctl-2.example.org', 'heat-engine', 'engine', 60,
   '2016-05-02 08:05:00', UTC_TIMESTAMP(), NULL, 'mitaka'),
  ('5e7c0000-0000-4000-8000-000000000004', 'e1a90000-0000-4000-8000-000000000004', 'stor-1', 'stor-1.example.org', 'heat-engine', 'engine', 60,
   '2016-12-14 22:40:00', UTC_TIMESTAMP(), NULL, 'newton');

INSERT INTO testbed.units (host, unit, project, svc_binary, svc_host) VALUES
  ('ctl-1', 'openstack-heat-engine', 'heat', 'heat-engine', 'ctl-1'),
  ('ctl-2', 'openstack-heat-engine', 'heat', 'heat-engine', 'ctl-2'),
  ('stor-1', 'openstack-heat-engine', 'heat', 'heat-engine', 'stor-1');

CREATE TABLE heat.raw_template (
  id INT AUTO_INCREMENT PRIMARY KEY,
  template LONGTEXT, files LONGTEXT, environment LONGTEXT,
  created_at DATETIME, updated_at DATETIME) ENGINE=InnoDB;
CREATE TABLE heat.stack (
  id VARCHAR(36) NOT NULL PRIMARY KEY, name VARCHAR(255), raw_template_id INT NOT NULL,
  action VARCHAR(255), status VARCHAR(255), tenant VARCHAR(256),
  created_at DATETIME, updated_at DATETIME, deleted_at DATETIME) ENGINE=InnoDB;

-- 1. Newton's templates.
INSERT INTO heat.raw_template (id, template, files, environment, created_at, updated_at)
SELECT seq, '{"heat_template_version": "2016-10-14", "resources": {"server": {"type": "lib/server.yaml"}}}',
       CONCAT('{"lib/server.yaml": "heat_template_version: 2016-10-14\\nresources:\\n  port: {type: OS::Neutron::Port}\\n# stack ', seq, '"}'),
       '{}', '2016-10-20 10:00:00' + INTERVAL seq DAY, '2016-10-20 10:00:00' + INTERVAL seq DAY
FROM testbed.seq_1_to_24;

-- 2. The first attempt's expand.
CREATE TABLE heat.raw_template_files (
  raw_template_id INT NOT NULL PRIMARY KEY, files LONGTEXT,
  created_at DATETIME, updated_at DATETIME) ENGINE=InnoDB;
CREATE TRIGGER heat.raw_template_files_ins AFTER INSERT ON heat.raw_template FOR EACH ROW
  INSERT INTO heat.raw_template_files (raw_template_id, files, created_at, updated_at)
  VALUES (NEW.id, NEW.files, UTC_TIMESTAMP(), UTC_TIMESTAMP())
  ON DUPLICATE KEY UPDATE files = NEW.files, updated_at = UTC_TIMESTAMP();
INSERT INTO heat.raw_template (id, template, files, environment, created_at, updated_at)
SELECT seq, '{"heat_template_version": "2016-10-14", "resources": {"server": {"type": "lib/server.yaml"}}}',
       CONCAT('{"lib/server.yaml": "heat_template_version: 2016-10-14\\nresources:\\n  port: {type: OS::Neutron::Port}\\n# stack ', seq, '"}'),
       '{}', '2017-01-10 10:00:00' + INTERVAL seq HOUR, '2017-01-10 10:00:00' + INTERVAL seq HOUR
FROM testbed.seq_25_to_30;
-- (the copies were written when those stacks were created, not when this file is loaded)
UPDATE heat.raw_template_files f JOIN heat.raw_template t ON t.id = f.raw_template_id
SET f.created_at = t.created_at, f.updated_at = t.created_at;

INSERT INTO heat.stack (id, name, raw_template_id, action, status, tenant, created_at, updated_at)
SELECT CONCAT('57ac0000-0000-4000-8000-', LPAD(id, 12, '0')), CONCAT('web-', id), id, 'CREATE', 'COMPLETE',
       CONCAT('p-', 1 + id % 7), created_at, updated_at
FROM heat.raw_template;

-- 3. The update trigger is gone; three stack updates since then reached only the old column.
UPDATE heat.raw_template
SET files = CONCAT('{"lib/server.yaml": "heat_template_version: 2016-10-14\\nresources:\\n  port: {type: OS::Neutron::Port}\\n  volume: {type: OS::Cinder::Volume}\\n# stack ', id, ', updated"}'),
    updated_at = '2017-02-01 15:00:00' + INTERVAL id MINUTE
WHERE id IN (26, 27, 29);
UPDATE heat.stack SET action = 'UPDATE', updated_at = '2017-02-01 15:00:00' + INTERVAL raw_template_id MINUTE WHERE raw_template_id IN (26, 27, 29);

-- Running engines report every few seconds, as heat's do every report_interval (60 s): the newest
-- record of each running unit. An older record left by an engine that was killed stays stale.
CREATE EVENT testbed.heat_heartbeat ON SCHEDULE EVERY 5 SECOND DO
  UPDATE heat.service s
  JOIN testbed.units u ON u.project = 'heat' AND u.svc_binary = s.`binary` AND u.svc_host = s.host
  JOIN (SELECT host, `binary`, MAX(created_at) AS newest FROM heat.service WHERE deleted_at IS NULL GROUP BY host, `binary`) n
    ON n.host = s.host AND n.`binary` = s.`binary` AND n.newest = s.created_at
  SET s.updated_at = UTC_TIMESTAMP()
  WHERE u.running = 1 AND s.deleted_at IS NULL;
