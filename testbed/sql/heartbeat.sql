-- Running services report every few seconds, as nova's and cinder's do every 10: a service whose
-- unit is running keeps a fresh updated_at; a stopped one (or an orphan) goes stale.
DELIMITER $$
CREATE EVENT testbed.heartbeat ON SCHEDULE EVERY 5 SECOND DO
BEGIN
  UPDATE nova.services s JOIN testbed.units u
    ON u.project = 'nova' AND u.svc_binary = s.`binary` AND u.svc_host = s.host
  SET s.updated_at = UTC_TIMESTAMP(), s.report_count = s.report_count + 1
  WHERE u.running = 1 AND s.deleted = 0;
  UPDATE cinder.services s JOIN testbed.units u
    ON u.project = 'cinder' AND u.svc_binary = s.`binary` AND u.svc_host = s.host
  SET s.updated_at = UTC_TIMESTAMP(), s.report_count = s.report_count + 1
  WHERE u.running = 1 AND s.deleted = 0;
END$$
DELIMITER ;
