-- The testbed's Bare Metal service (Ironic), loaded after juno.sql for both seeds. It is modelled at
-- its own release pair, Pike -> Queens, independent of nova's release: rolling upgrades of Ironic
-- (pin_release_version) exist from Pike on, so Pike is the first release a rolling upgrade starts
-- from. The tables are Ironic's, cut to the columns the Ironic runbook reads; the version numbers
-- (alembic revisions, object versions) are the stand-ins' own, listed in testbed/bin/_ironic.py.
--
-- Planted faults, one for each pre-check of runbooks/openstack/ironic-rolling-upgrade.md:
--   nodes in flight: bm-03 deploying and bm-06 in clean wait, each locked by a conductor, and bm-09
--     at rest but still holding ctl-2's reservation: a conductor restart would strand them;
--   conductors beyond the pin: ironic-conductor on ctl-2 was never restarted after its packages
--     moved to Pike, so its row still reports Ocata's version, which no pin to Pike can bridge;
--   unfinished online migrations: Pike's backfill of the `version` column was never run to the
--     end, and five nodes have none; Queens' `ironic-dbsync upgrade` refuses to run over them.

-- ------------------------------------------------------------------------------------------
-- Bookkeeping: the Ironic release installed on each host (the packages' release, moved by a
-- package update that names an ironic package), what the package repository offers, and the
-- release each running Ironic process runs and writes.
-- ------------------------------------------------------------------------------------------
INSERT INTO testbed.meta VALUES ('ironic_repo_release', 'queens');
-- The host running nova-compute with the ironic driver (nova's own computes run libvirt).
INSERT INTO testbed.hosts VALUES ('bm-cmp-1', 'ironic-compute', 'juno');
CREATE TABLE testbed.ironic_hosts (host VARCHAR(64) PRIMARY KEY, `release` VARCHAR(16) NOT NULL) ENGINE=InnoDB;
INSERT INTO testbed.ironic_hosts VALUES ('ctl-1', 'pike'), ('ctl-2', 'pike'), ('bm-cmp-1', 'pike');
CREATE TABLE testbed.ironic_running (
  host VARCHAR(64) NOT NULL, unit VARCHAR(64) NOT NULL,
  code_release VARCHAR(16) NOT NULL,   -- the code the process was started on
  pinned_release VARCHAR(16) NOT NULL, -- what it speaks: pin_release_version when set, else its code
  PRIMARY KEY (host, unit)) ENGINE=InnoDB;
INSERT INTO testbed.units (host, unit, project, svc_binary, svc_host)
SELECT h.host, u.unit, 'ironic', u.svc_binary, IF(u.svc_binary IS NULL, NULL, h.host)
FROM testbed.hosts h JOIN (
  SELECT 'openstack-ironic-conductor' AS unit, 'ironic-conductor' AS svc_binary UNION ALL
  SELECT 'openstack-ironic-api', NULL
) u WHERE h.role = 'controller';
INSERT INTO testbed.units (host, unit, project, svc_binary, svc_host) VALUES
  ('bm-cmp-1', 'openstack-nova-compute', 'ironic', 'nova-compute', 'bm-cmp-1');
INSERT INTO testbed.ironic_running VALUES
  ('ctl-1', 'openstack-ironic-conductor', 'pike', 'pike'), ('ctl-1', 'openstack-ironic-api', 'pike', 'pike'),
  -- FAULT: restarted last under Ocata; its packages are Pike's since.
  ('ctl-2', 'openstack-ironic-conductor', 'ocata', 'ocata'), ('ctl-2', 'openstack-ironic-api', 'pike', 'pike'),
  ('bm-cmp-1', 'openstack-nova-compute', 'pike', 'pike');

CREATE USER IF NOT EXISTS 'ironic'@'%' IDENTIFIED BY 'testbed';

-- ------------------------------------------------------------------------------------------
-- ironic (Pike). Created in utf8, as Ironic's install guide says.
-- ------------------------------------------------------------------------------------------
CREATE DATABASE ironic CHARACTER SET utf8 COLLATE utf8_general_ci;
GRANT ALL PRIVILEGES ON ironic.* TO 'ironic'@'%';

CREATE TABLE ironic.alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY) ENGINE=InnoDB;
INSERT INTO ironic.alembic_version VALUES ('405cfe08f18d');

CREATE TABLE ironic.conductors (
  id INT AUTO_INCREMENT PRIMARY KEY, created_at DATETIME, updated_at DATETIME,
  version VARCHAR(15) NULL,            -- the Conductor object version the conductor wrote
  hostname VARCHAR(255) NOT NULL UNIQUE, drivers TEXT, online TINYINT(1) NOT NULL DEFAULT 1
) ENGINE=InnoDB;
INSERT INTO ironic.conductors (created_at, updated_at, version, hostname, drivers, online) VALUES
  ('2017-09-04 08:00:00', UTC_TIMESTAMP(), '1.2', 'ctl-1', '["ipmi", "pxe_ipmitool"]', 1),
  ('2017-09-04 08:00:00', UTC_TIMESTAMP(), '1.1', 'ctl-2', '["ipmi", "pxe_ipmitool"]', 1);

CREATE TABLE ironic.nodes (
  id INT AUTO_INCREMENT PRIMARY KEY, created_at DATETIME, updated_at DATETIME,
  version VARCHAR(15) NULL,            -- the Node object version it was saved in (Pike's backfill fills it)
  uuid VARCHAR(36) NOT NULL UNIQUE, name VARCHAR(255) NULL UNIQUE, instance_uuid VARCHAR(36) NULL,
  driver VARCHAR(255) NULL, reservation VARCHAR(255) NULL, conductor_affinity INT NULL,
  power_state VARCHAR(15) NULL, provision_state VARCHAR(15) NULL, target_provision_state VARCHAR(15) NULL,
  provision_updated_at DATETIME NULL, maintenance TINYINT(1) NOT NULL DEFAULT 0, last_error TEXT NULL
) ENGINE=InnoDB;
INSERT INTO ironic.nodes (created_at, updated_at, version, uuid, name, instance_uuid, driver, conductor_affinity,
                          power_state, provision_state, provision_updated_at)
SELECT '2017-03-01 10:00:00', UTC_TIMESTAMP(), IF(seq <= 7, '1.21', NULL),
  CONCAT('b4e7a1c0-0000-4000-8000-', LPAD(seq, 12, '0')), CONCAT('bm-', LPAD(seq, 2, '0')),
  IF(seq % 3 = 0, NULL, CONCAT('7e57bed0-0000-4000-8000-', LPAD(100 + seq, 12, '0'))),
  'ipmi', 1 + seq % 2, IF(seq % 3 = 0, 'power off', 'power on'),
  IF(seq % 3 = 0, 'available', 'active'), UTC_TIMESTAMP() - INTERVAL 3 DAY
FROM testbed.seq_1_to_124 WHERE seq <= 12;
-- FAULT: operations in flight, each locked by the conductor working on it, and a lock left behind.
UPDATE ironic.nodes SET provision_state = 'deploying', target_provision_state = 'active', reservation = 'ctl-1',
  instance_uuid = '7e57bed0-0000-4000-8000-000000000103', power_state = 'power on', provision_updated_at = UTC_TIMESTAMP() WHERE name = 'bm-03';
UPDATE ironic.nodes SET provision_state = 'clean wait', target_provision_state = 'available', reservation = 'ctl-2',
  provision_updated_at = UTC_TIMESTAMP() WHERE name = 'bm-06';
UPDATE ironic.nodes SET reservation = 'ctl-2' WHERE name = 'bm-09';

-- Running conductors heartbeat every few seconds, as Ironic's do every 10: a stopped conductor
-- goes stale, and `online` says whether it stopped cleanly.
CREATE EVENT testbed.ironic_heartbeat ON SCHEDULE EVERY 5 SECOND DO
  UPDATE ironic.conductors c JOIN testbed.units u
    ON u.project = 'ironic' AND u.svc_binary = 'ironic-conductor' AND u.svc_host = c.hostname
  SET c.updated_at = UTC_TIMESTAMP()
  WHERE u.running = 1 AND c.online = 1;
