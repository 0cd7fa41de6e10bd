-- The testbed's OpenStack slice as a Juno cloud leaves it, with the faults the operators' threads
-- describe planted in it. Loaded by `npm run testbed -- up` (first start) and `reset`.
-- The server's default character set is latin1, as on the servers those clouds grew up on.

-- ------------------------------------------------------------------------------------------
-- Bookkeeping of the simulation: hosts, their installed release, and their systemd units.
-- The stand-in ssh changes these; a heartbeat event keeps the service records of running
-- units fresh, the way real services report every 10 seconds.
-- ------------------------------------------------------------------------------------------
CREATE DATABASE testbed CHARACTER SET utf8mb4;
CREATE TABLE testbed.meta (name VARCHAR(64) PRIMARY KEY, value VARCHAR(255)) ENGINE=InnoDB;
-- seeded_release is written last, by testbed.mjs, once everything is loaded.
INSERT INTO testbed.meta VALUES ('seeded_at', UTC_TIMESTAMP()), ('repo_release', 'mitaka');

CREATE TABLE testbed.hosts (host VARCHAR(64) PRIMARY KEY, role VARCHAR(32) NOT NULL, `release` VARCHAR(16) NOT NULL) ENGINE=InnoDB;
INSERT INTO testbed.hosts VALUES
  ('ctl-1', 'controller', 'juno'), ('ctl-2', 'controller', 'juno'),
  ('cmp-1', 'compute', 'juno'), ('cmp-2', 'compute', 'juno'), ('cmp-3', 'compute', 'juno'),
  ('cmp-4', 'compute', 'juno'), ('cmp-5', 'compute', 'juno'), ('cmp-6', 'compute', 'juno'),
  ('stor-1', 'storage', 'juno');

CREATE TABLE testbed.units (
  host VARCHAR(64) NOT NULL, unit VARCHAR(64) NOT NULL,
  project VARCHAR(16) NULL,            -- whose database the service's code must match
  svc_binary VARCHAR(64) NULL,         -- its row in PROJECT.services, when it has one
  svc_host VARCHAR(255) NULL,
  running TINYINT(1) NOT NULL DEFAULT 1,
  started_at DATETIME NULL, reloaded_at DATETIME NULL,
  PRIMARY KEY (host, unit)) ENGINE=InnoDB;
INSERT INTO testbed.units (host, unit, project, svc_binary, svc_host)
SELECT h.host, u.unit, u.project, u.svc_binary, IF(u.svc_binary IS NULL, NULL, h.host)
FROM testbed.hosts h JOIN (
  SELECT 'openstack-nova-api' AS unit, 'nova' AS project, NULL AS svc_binary UNION ALL
  SELECT 'openstack-nova-conductor', 'nova', 'nova-conductor' UNION ALL
  SELECT 'openstack-nova-scheduler', 'nova', 'nova-scheduler' UNION ALL
  SELECT 'openstack-nova-consoleauth', 'nova', 'nova-consoleauth' UNION ALL
  SELECT 'openstack-nova-cert', 'nova', 'nova-cert' UNION ALL
  SELECT 'openstack-nova-novncproxy', 'nova', NULL UNION ALL
  SELECT 'openstack-glance-api', 'glance', NULL UNION ALL
  SELECT 'openstack-glance-registry', 'glance', NULL UNION ALL
  SELECT 'neutron-server', 'neutron', NULL UNION ALL
  SELECT 'openstack-cinder-api', 'cinder', NULL UNION ALL
  SELECT 'openstack-cinder-scheduler', 'cinder', 'cinder-scheduler' UNION ALL
  SELECT 'openstack-cinder-backup', 'cinder', 'cinder-backup'
) u WHERE h.role = 'controller';
INSERT INTO testbed.units (host, unit, project, svc_binary, svc_host)
SELECT host, 'openstack-nova-compute', 'nova', 'nova-compute', host FROM testbed.hosts WHERE role = 'compute';
INSERT INTO testbed.units (host, unit, project, svc_binary, svc_host) VALUES
  ('stor-1', 'openstack-cinder-volume', 'cinder', 'cinder-volume', 'stor-1@lvm');

-- ------------------------------------------------------------------------------------------
-- Service accounts, as a deployment has them.
-- ------------------------------------------------------------------------------------------
CREATE USER IF NOT EXISTS 'nova'@'%' IDENTIFIED BY 'testbed';
CREATE USER IF NOT EXISTS 'glance'@'%' IDENTIFIED BY 'testbed';
CREATE USER IF NOT EXISTS 'neutron'@'%' IDENTIFIED BY 'testbed';
CREATE USER IF NOT EXISTS 'cinder'@'%' IDENTIFIED BY 'testbed';

-- ------------------------------------------------------------------------------------------
-- nova (Juno, schema 254). Created in utf8, as nova's deployment guides said.
-- ------------------------------------------------------------------------------------------
CREATE DATABASE nova CHARACTER SET utf8 COLLATE utf8_general_ci;
GRANT ALL PRIVILEGES ON nova.* TO 'nova'@'%';
CREATE TABLE nova.migrate_version (repository_id VARCHAR(250) PRIMARY KEY, repository_path TEXT, version INT) ENGINE=InnoDB;
INSERT INTO nova.migrate_version VALUES ('nova', '/usr/lib/python2.7/site-packages/nova/db/sqlalchemy/migrate_repo', 254);

CREATE TABLE nova.services (
  created_at DATETIME, updated_at DATETIME, deleted_at DATETIME,
  id INT AUTO_INCREMENT PRIMARY KEY,
  host VARCHAR(255), `binary` VARCHAR(255), topic VARCHAR(255),
  report_count INT NOT NULL DEFAULT 0, disabled TINYINT(1) DEFAULT 0, deleted INT DEFAULT 0,
  disabled_reason VARCHAR(255),
  UNIQUE KEY uniq_services0host0topic0deleted (host, topic, deleted),
  UNIQUE KEY uniq_services0host0binary0deleted (host, `binary`, deleted)) ENGINE=InnoDB;
INSERT INTO nova.services (id, created_at, updated_at, host, `binary`, topic, report_count, disabled, deleted) VALUES
  (1, '2014-11-03 09:12:00', UTC_TIMESTAMP(), 'ctl-1', 'nova-conductor', 'conductor', 90210, 0, 0),
  (2, '2014-11-03 09:12:00', UTC_TIMESTAMP(), 'ctl-1', 'nova-scheduler', 'scheduler', 90210, 0, 0),
  (3, '2014-11-03 09:12:00', UTC_TIMESTAMP(), 'ctl-1', 'nova-consoleauth', 'consoleauth', 90210, 0, 0),
  (4, '2014-11-03 09:12:00', UTC_TIMESTAMP(), 'ctl-1', 'nova-cert', 'cert', 90210, 0, 0),
  (5, '2015-02-16 14:40:00', UTC_TIMESTAMP(), 'ctl-2', 'nova-conductor', 'conductor', 70001, 0, 0),
  (6, '2015-02-16 14:40:00', UTC_TIMESTAMP(), 'ctl-2', 'nova-scheduler', 'scheduler', 70001, 0, 0),
  (7, '2015-02-16 14:40:00', UTC_TIMESTAMP(), 'ctl-2', 'nova-consoleauth', 'consoleauth', 70001, 0, 0),
  (8, '2015-02-16 14:40:00', UTC_TIMESTAMP(), 'ctl-2', 'nova-cert', 'cert', 70001, 0, 0),
  (9, '2014-11-04 10:00:00', UTC_TIMESTAMP(), 'cmp-1', 'nova-compute', 'compute', 88000, 0, 0),
  (10, '2014-11-04 10:00:00', UTC_TIMESTAMP(), 'cmp-2', 'nova-compute', 'compute', 88000, 0, 0),
  (11, '2014-11-04 10:00:00', UTC_TIMESTAMP(), 'cmp-3', 'nova-compute', 'compute', 88000, 0, 0),
  (12, '2014-11-04 10:00:00', UTC_TIMESTAMP(), 'cmp-4', 'nova-compute', 'compute', 88000, 0, 0),
  (13, '2015-06-22 08:30:00', UTC_TIMESTAMP(), 'cmp-5', 'nova-compute', 'compute', 51000, 0, 0),
  (14, '2015-06-22 08:30:00', UTC_TIMESTAMP(), 'cmp-6', 'nova-compute', 'compute', 51000, 0, 0);

-- compute_nodes carries Kilo's `host` column already, so that the pre-checks can be rehearsed on
-- this snapshot. FAULT: cmp-5 and cmp-6 have a NULL host (no Kilo or Liberty compute ever ran to
-- fill it). FAULT: row 7 is the duplicate that causes: a newer nova-compute started on cmp-6
-- during an earlier, abandoned attempt, did not find its record by host, and created a second one.
CREATE TABLE nova.compute_nodes (
  created_at DATETIME, updated_at DATETIME, deleted_at DATETIME,
  id INT AUTO_INCREMENT PRIMARY KEY,
  service_id INT NULL, host VARCHAR(255) NULL,
  vcpus INT NOT NULL, memory_mb INT NOT NULL, local_gb INT NOT NULL,
  vcpus_used INT NOT NULL, memory_mb_used INT NOT NULL, local_gb_used INT NOT NULL,
  hypervisor_type MEDIUMTEXT NOT NULL, hypervisor_version INT NOT NULL DEFAULT 2000000,
  hypervisor_hostname VARCHAR(255), free_ram_mb INT, free_disk_gb INT, running_vms INT DEFAULT 0,
  deleted INT DEFAULT 0) ENGINE=InnoDB;
INSERT INTO nova.compute_nodes (id, created_at, updated_at, service_id, host, vcpus, memory_mb, local_gb, vcpus_used, memory_mb_used, local_gb_used, hypervisor_type, hypervisor_hostname, running_vms, deleted) VALUES
  (1, '2014-11-04 10:00:05', UTC_TIMESTAMP(), 9, 'cmp-1', 32, 131072, 900, 20, 40960, 400, 'QEMU', 'cmp-1.example.org', 20, 0),
  (2, '2014-11-04 10:00:05', UTC_TIMESTAMP(), 10, 'cmp-2', 32, 131072, 900, 20, 40960, 400, 'QEMU', 'cmp-2.example.org', 20, 0),
  (3, '2014-11-04 10:00:05', UTC_TIMESTAMP(), 11, 'cmp-3', 32, 131072, 900, 20, 40960, 400, 'QEMU', 'cmp-3.example.org', 20, 0),
  (4, '2014-11-04 10:00:05', UTC_TIMESTAMP(), 12, 'cmp-4', 32, 131072, 900, 20, 40960, 400, 'QEMU', 'cmp-4.example.org', 20, 0),
  (5, '2015-06-22 08:30:05', UTC_TIMESTAMP(), 13, NULL, 48, 262144, 1800, 20, 40960, 400, 'QEMU', 'cmp-5.example.org', 20, 0),
  (6, '2015-06-22 08:30:05', UTC_TIMESTAMP(), 14, NULL, 48, 262144, 1800, 20, 40960, 400, 'QEMU', 'cmp-6.example.org', 20, 0),
  (7, '2017-05-19 22:47:31', '2017-05-19 23:02:10', 14, 'cmp-6', 48, 262144, 1800, 0, 512, 0, 'QEMU', 'cmp-6.example.org', 0, 0);

CREATE TABLE nova.instance_types (
  created_at DATETIME, updated_at DATETIME, deleted_at DATETIME,
  id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255), memory_mb INT NOT NULL, vcpus INT NOT NULL,
  root_gb INT, flavorid VARCHAR(255), deleted INT DEFAULT 0) ENGINE=InnoDB;
INSERT INTO nova.instance_types (id, name, memory_mb, vcpus, root_gb, flavorid) VALUES
  (1, 'm1.small', 2048, 1, 20, '2'), (2, 'm1.medium', 4096, 2, 40, '3'), (3, 'm1.large', 8192, 4, 80, '4');

-- 120 live instances spread over the six computes, and four deleted ones.
CREATE TABLE nova.instances (
  created_at DATETIME, updated_at DATETIME, deleted_at DATETIME,
  id INT AUTO_INCREMENT PRIMARY KEY, uuid VARCHAR(36) UNIQUE,
  user_id VARCHAR(255), project_id VARCHAR(255), hostname VARCHAR(255),
  host VARCHAR(255), node VARCHAR(255), instance_type_id INT,
  vm_state VARCHAR(255), task_state VARCHAR(255), power_state INT, deleted INT DEFAULT 0) ENGINE=InnoDB;
INSERT INTO nova.instances (created_at, updated_at, uuid, user_id, project_id, hostname, host, node, instance_type_id, vm_state, power_state, deleted)
SELECT '2016-03-01 12:00:00' + INTERVAL seq HOUR, UTC_TIMESTAMP(),
       CONCAT('7e57bed0-0000-4000-8000-', LPAD(seq, 12, '0')), 'u-operator', CONCAT('p-', 1 + seq % 7),
       CONCAT('vm-', seq), CONCAT('cmp-', 1 + seq % 6), CONCAT('cmp-', 1 + seq % 6, '.example.org'),
       1 + seq % 3, IF(seq > 120, 'deleted', 'active'), IF(seq > 120, 0, 1), IF(seq > 120, seq, 0)
FROM testbed.seq_1_to_124;
UPDATE nova.instances SET deleted_at = '2016-09-30 17:00:00' WHERE deleted <> 0;

CREATE TABLE nova.instance_extra (
  created_at DATETIME, updated_at DATETIME, deleted_at DATETIME, deleted INT DEFAULT 0,
  id INT AUTO_INCREMENT PRIMARY KEY, instance_uuid VARCHAR(36) NOT NULL,
  numa_topology TEXT, pci_requests TEXT) ENGINE=InnoDB;
INSERT INTO nova.instance_extra (created_at, instance_uuid, deleted) SELECT created_at, uuid, deleted FROM nova.instances;

-- ------------------------------------------------------------------------------------------
-- glance (Juno, schema 37). FAULT: the database and its tables are latin1, created with the
-- server's default character set. Names with accents show whether a conversion keeps them.
-- ------------------------------------------------------------------------------------------
CREATE DATABASE glance CHARACTER SET latin1;
GRANT ALL PRIVILEGES ON glance.* TO 'glance'@'%';
CREATE TABLE glance.migrate_version (repository_id VARCHAR(250) PRIMARY KEY, repository_path TEXT, version INT) ENGINE=InnoDB DEFAULT CHARSET=latin1;
INSERT INTO glance.migrate_version VALUES ('Glance Migrations', '/usr/lib/python2.7/site-packages/glance/db/sqlalchemy/migrate_repo', 37);
CREATE TABLE glance.images (
  id VARCHAR(36) PRIMARY KEY, name VARCHAR(255), size BIGINT, status VARCHAR(30) NOT NULL,
  is_public TINYINT(1) NOT NULL, created_at DATETIME NOT NULL, updated_at DATETIME, deleted_at DATETIME,
  deleted TINYINT(1) NOT NULL DEFAULT 0, disk_format VARCHAR(20), container_format VARCHAR(20),
  checksum VARCHAR(32), owner VARCHAR(255), min_disk INT NOT NULL DEFAULT 0, min_ram INT NOT NULL DEFAULT 0,
  protected TINYINT(1) NOT NULL DEFAULT 0, virtual_size BIGINT) ENGINE=InnoDB DEFAULT CHARSET=latin1;
INSERT INTO glance.images (id, name, size, status, is_public, created_at, disk_format, container_format, owner) VALUES
  ('0b4c1f6e-7f59-4b1c-9a53-000000000001', 'CentOS 7 (1611)', 1361182720, 'active', 1, '2016-12-20 10:00:00', 'qcow2', 'bare', 'p-1'),
  ('0b4c1f6e-7f59-4b1c-9a53-000000000002', 'Debian 8 (café édition)', 541065216, 'active', 1, '2016-12-21 10:00:00', 'qcow2', 'bare', 'p-1'),
  ('0b4c1f6e-7f59-4b1c-9a53-000000000003', 'Ubuntu 16.04 LTS', 300941312, 'active', 1, '2017-01-05 10:00:00', 'qcow2', 'bare', 'p-1'),
  ('0b4c1f6e-7f59-4b1c-9a53-000000000004', 'Windows Server 2012 R2 - eval', 6979321856, 'active', 0, '2017-02-01 10:00:00', 'qcow2', 'bare', 'p-3'),
  ('0b4c1f6e-7f59-4b1c-9a53-000000000005', 'snapshot of vm-17 (Müller)', 2147483648, 'active', 0, '2017-03-11 10:00:00', 'qcow2', 'bare', 'p-4');
CREATE TABLE glance.image_properties (
  id INT AUTO_INCREMENT PRIMARY KEY, image_id VARCHAR(36) NOT NULL, name VARCHAR(255) NOT NULL, value TEXT,
  created_at DATETIME NOT NULL, updated_at DATETIME, deleted_at DATETIME, deleted TINYINT(1) NOT NULL DEFAULT 0
) ENGINE=InnoDB DEFAULT CHARSET=latin1;
INSERT INTO glance.image_properties (image_id, name, value, created_at) VALUES
  ('0b4c1f6e-7f59-4b1c-9a53-000000000002', 'description', 'Imagé de référence', '2016-12-21 10:00:00'),
  ('0b4c1f6e-7f59-4b1c-9a53-000000000001', 'os_distro', 'centos', '2016-12-20 10:00:00');

-- ------------------------------------------------------------------------------------------
-- neutron (Juno). FAULT: latin1 too.
-- ------------------------------------------------------------------------------------------
CREATE DATABASE neutron CHARACTER SET latin1;
GRANT ALL PRIVILEGES ON neutron.* TO 'neutron'@'%';
CREATE TABLE neutron.alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY) ENGINE=InnoDB DEFAULT CHARSET=latin1;
INSERT INTO neutron.alembic_version VALUES ('juno');
CREATE TABLE neutron.networks (
  tenant_id VARCHAR(255), id VARCHAR(36) PRIMARY KEY, name VARCHAR(255), status VARCHAR(16),
  admin_state_up TINYINT(1), shared TINYINT(1)) ENGINE=InnoDB DEFAULT CHARSET=latin1;
INSERT INTO neutron.networks VALUES
  ('p-admin', '5f1b8a9e-0000-4000-8000-000000000001', 'ext-net', 'ACTIVE', 1, 1),
  ('p-1', '5f1b8a9e-0000-4000-8000-000000000002', 'réseau-privé', 'ACTIVE', 1, 0),
  ('p-2', '5f1b8a9e-0000-4000-8000-000000000003', 'lab', 'ACTIVE', 1, 0);
CREATE TABLE neutron.ports (
  tenant_id VARCHAR(255), id VARCHAR(36) PRIMARY KEY, name VARCHAR(255), network_id VARCHAR(36) NOT NULL,
  mac_address VARCHAR(32) NOT NULL, admin_state_up TINYINT(1) NOT NULL, status VARCHAR(16) NOT NULL,
  device_id VARCHAR(255) NOT NULL, device_owner VARCHAR(255) NOT NULL) ENGINE=InnoDB DEFAULT CHARSET=latin1;
INSERT INTO neutron.ports SELECT CONCAT('p-', 1 + seq % 7), CONCAT('9c0ffee0-0000-4000-8000-', LPAD(seq, 12, '0')), '',
  '5f1b8a9e-0000-4000-8000-000000000002', CONCAT('fa:16:3e:00:', LPAD(HEX(seq DIV 256), 2, '0'), ':', LPAD(HEX(seq % 256), 2, '0')), 1, 'ACTIVE',
  CONCAT('7e57bed0-0000-4000-8000-', LPAD(seq, 12, '0')), 'compute:nova' FROM testbed.seq_1_to_120;

-- ------------------------------------------------------------------------------------------
-- cinder (Juno, schema 28). FAULT: a cinder-volume on stor-0, a storage host decommissioned
-- long ago, still has its service record: an orphan that never reports.
-- ------------------------------------------------------------------------------------------
CREATE DATABASE cinder CHARACTER SET utf8 COLLATE utf8_general_ci;
GRANT ALL PRIVILEGES ON cinder.* TO 'cinder'@'%';
CREATE TABLE cinder.migrate_version (repository_id VARCHAR(250) PRIMARY KEY, repository_path TEXT, version INT) ENGINE=InnoDB;
INSERT INTO cinder.migrate_version VALUES ('cinder', '/usr/lib/python2.7/site-packages/cinder/db/sqlalchemy/migrate_repo', 28);
CREATE TABLE cinder.services (
  created_at DATETIME, updated_at DATETIME, deleted_at DATETIME, deleted TINYINT(1) DEFAULT 0,
  id INT AUTO_INCREMENT PRIMARY KEY, host VARCHAR(255), `binary` VARCHAR(255), topic VARCHAR(255),
  report_count INT NOT NULL DEFAULT 0, disabled TINYINT(1) DEFAULT 0, availability_zone VARCHAR(255),
  disabled_reason VARCHAR(255)) ENGINE=InnoDB;
INSERT INTO cinder.services (id, created_at, updated_at, host, `binary`, topic, report_count, disabled, availability_zone) VALUES
  (1, '2014-11-03 09:20:00', UTC_TIMESTAMP(), 'ctl-1', 'cinder-scheduler', 'cinder-scheduler', 90000, 0, 'nova'),
  (2, '2015-02-16 14:45:00', UTC_TIMESTAMP(), 'ctl-2', 'cinder-scheduler', 'cinder-scheduler', 70000, 0, 'nova'),
  (3, '2014-11-03 09:25:00', '2016-11-03 04:12:09', 'stor-0@lvm', 'cinder-volume', 'cinder-volume', 61234, 0, 'nova'),
  (4, '2016-11-10 11:00:00', UTC_TIMESTAMP(), 'stor-1@lvm', 'cinder-volume', 'cinder-volume', 30000, 0, 'nova'),
  (5, '2015-03-02 16:00:00', UTC_TIMESTAMP(), 'ctl-1', 'cinder-backup', 'cinder-backup', 60000, 0, 'nova'),
  (6, '2015-03-02 16:00:00', UTC_TIMESTAMP(), 'ctl-2', 'cinder-backup', 'cinder-backup', 60000, 0, 'nova');
CREATE TABLE cinder.volumes (
  created_at DATETIME, updated_at DATETIME, deleted_at DATETIME, deleted TINYINT(1) DEFAULT 0,
  id VARCHAR(36) PRIMARY KEY, host VARCHAR(255), size INT, status VARCHAR(255),
  attach_status VARCHAR(255), display_name VARCHAR(255), project_id VARCHAR(255)) ENGINE=InnoDB;
INSERT INTO cinder.volumes (created_at, id, host, size, status, attach_status, display_name, project_id)
SELECT '2016-12-01 09:00:00' + INTERVAL seq HOUR, CONCAT('d15c0000-0000-4000-8000-', LPAD(seq, 12, '0')), 'stor-1@lvm#lvm',
       10 * (1 + seq % 5), IF(seq % 3 = 0, 'in-use', 'available'), IF(seq % 3 = 0, 'attached', 'detached'),
       CONCAT('vol-', seq), CONCAT('p-', 1 + seq % 7)
FROM testbed.seq_1_to_40;
