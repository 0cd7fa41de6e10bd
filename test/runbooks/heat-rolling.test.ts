/**
 * The heat rolling upgrade runbook against a fresh testbed at Newton and a fleet of its two
 * controllers (real sshd hosts ctl-1 and ctl-2): each planted fault refuses the run by the name of
 * its check (an engine still on Mitaka, a dual-write trigger missing, templates whose copy differs,
 * an old engine alive outside the inventory when the contract comes); after the remedies the same
 * run expands, upgrades the engines one host at a time through Ansible, migrates and contracts.
 */
import { expect, it } from 'vitest';
import { reset } from '../../testbed/testbed.mjs';
import { awaitedApproval, checksOf, describeRehearsal, refusedCheck } from './rehearsal.js';

const RUNBOOK = 'runbooks/openstack/heat-rolling-upgrade.md';
const T = 300_000;
const LIVE_ENGINES = 'FROM heat.service WHERE deleted_at IS NULL AND updated_at >= UTC_TIMESTAMP() - INTERVAL 2 * report_interval SECOND';

/** The headless line of one host's result in a fleet block: `   HOST  ok  rc=0  batch B  1.2s`. */
function hostLine(host: string, batch: number): RegExp {
  return new RegExp(`^ +${host} +ok +rc=0 +batch ${batch}\\b`, 'm');
}

/** A row of the table a refused check prints, its cells in order. */
function tableRow(...cells: string[]): RegExp {
  return new RegExp(`^ +\\| ${cells.map((cell) => `${cell} +`).join('\\| ')}\\|`, 'm');
}

describeRehearsal(
  'heat rolling upgrade on the testbed',
  RUNBOOK,
  'newton',
  (rehearsal) => {
    it(
      'refuses on every planted fault, naming the check, and completes after the remedies',
      async () => {
        const r = rehearsal();
        const flags = ['--yes', '--accept-warnings'];

        // ctl-2's engine was never restarted after its packages moved to Newton. ctl-1's record of an
        // engine killed in 2016 (Liberty) is dead, not on the bus, and is not listed.
        const behind = await r.run(flags);
        expect(behind.code, behind.all).toBe(3);
        expect(refusedCheck(behind.stdout)).toBe('engines-at-from');
        expect(behind.stdout).toMatch(tableRow('ctl-2', '[0-9a-f-]{36}', 'mitaka', '[0-9: -]+'));
        expect(behind.stdout).not.toContain('liberty');
        expect(r.tool('ssh', ['ctl-2', 'sudo', 'systemctl', 'restart', 'openstack-heat-engine']).code).toBe(0);

        // The first attempt's expand is done (the version says so), but its update trigger was dropped.
        const trigger = await r.run(flags);
        expect(trigger.code, trigger.all).toBe(3);
        expect(refusedCheck(trigger.stdout)).toBe('dual-write-triggers');
        expect(trigger.stdout).toMatch(tableRow('raw_template_files_upd', 'AFTER UPDATE ON raw_template'));
        expect(trigger.stdout).toContain('--only fix-triggers');
        const recreate = await r.run([...flags, '--only', 'fix-triggers']);
        expect(recreate.code, recreate.all).toBe(0);
        // The recreated trigger carries an update of the old column into the new table.
        r.sql(`UPDATE heat.raw_template SET files = '{"lib/server.yaml": "resources: {}"}' WHERE id = 30`);
        expect(r.sql('SELECT files FROM heat.raw_template_files WHERE raw_template_id = 30')).toEqual([
          ['{"lib/server.yaml": "resources: {}"}'],
        ]);

        // The engines are upgraded one host at a time and the migration copies the 24 templates written
        // before the expand; the three updated while the trigger was missing still differ, shown as rows.
        const differ = await r.run(flags);
        expect(differ.code, differ.all).toBe(3);
        const engines = differ.stdout.slice(differ.stdout.indexOf('upgrade-engines'));
        expect(engines).toMatch(hostLine('ctl-1', 1));
        expect(engines).toMatch(hostLine('ctl-2', 2));
        expect(refusedCheck(differ.stdout)).toBe('files-in-sync');
        for (const id of ['26', '27', '29']) expect(differ.stdout).toMatch(tableRow(id, `web-${id}`, '162', '115'));
        expect(differ.stdout).toContain('3 rows returned, expected none');
        expect(differ.stdout).toContain('--only fix-files');
        const copy = await r.run([...flags, '--only', 'fix-files']);
        expect(copy.code, copy.all).toBe(0);
        expect(
          r.sql(
            'SELECT COUNT(*) FROM heat.raw_template t JOIN heat.raw_template_files f ON f.raw_template_id = t.id WHERE f.files = t.files',
          ),
        ).toEqual([['30']]);

        // The engine someone started on stor-1 is in no inventory group: the fleet block never reached it.
        const stray = await r.run(flags);
        expect(stray.code, stray.all).toBe(3);
        expect(refusedCheck(stray.stdout)).toBe('no-old-engines');
        expect(stray.stdout).toMatch(tableRow('stor-1', '[0-9a-f-]{36}', 'newton'));
        expect(stray.stdout).not.toMatch(tableRow('ctl-[12]'));
        // heat-manage (Ocata's, on ctl-1 since the expand) would refuse the contract by itself too.
        const early = r.tool('heat-manage', ['db_sync', '--contract']);
        expect(early.code, early.output).toBe(1);
        expect(early.output).toContain('stor-1 (newton)');
        expect(r.sql("SELECT version FROM heat.migrate_version WHERE repository_id = 'heat'")).toEqual([['78']]);
        expect(r.tool('ssh', ['stor-1', 'sudo', 'systemctl', 'stop', 'openstack-heat-engine']).code).toBe(0);

        // The contract drops a column for good: it waits for a second operator (approve=1), and the
        // schema is untouched until then.
        const waiting = await r.run(flags);
        expect(waiting.code, waiting.all).toBe(4);
        expect(awaitedApproval(waiting.stdout)).toBe('contract-schema');
        expect(r.sql("SELECT version FROM heat.migrate_version WHERE repository_id = 'heat'")).toEqual([['78']]);
        const approval = await r.approve('contract-schema');
        expect(approval.code, approval.all).toBe(0);
        const rest = await r.run(flags);
        expect(rest.code, rest.all).toBe(0);
        expect(rest.stdout).toContain('complete');

        // Contracted: the old column and the triggers are gone, every live engine runs Ocata.
        expect(r.sql("SELECT version FROM heat.migrate_version WHERE repository_id = 'heat'")).toEqual([['79']]);
        expect(
          r.sql(
            "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'heat' AND TABLE_NAME = 'raw_template' AND COLUMN_NAME = 'files'",
          ),
        ).toEqual([['0']]);
        expect(r.sql("SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'heat'")).toEqual([['0']]);
        expect(r.sql(`SELECT host, engine_release ${LIVE_ENGINES} ORDER BY host`)).toEqual([
          ['ctl-1', 'ocata'],
          ['ctl-2', 'ocata'],
        ]);
        const faults = Object.fromEntries(((await r.status()).faults ?? []).map((f) => [f.id, f.present]));
        expect(faults).toMatchObject({
          'heat-engine-behind': false,
          'heat-trigger-missing': false,
          'heat-files-differ': false,
          'heat-engine-stray': false,
        });

        const report = await r.report();
        expect(report.status).toBe('complete');
        const reported = new Map(report.steps.flatMap((s) => s.blocks).map((b) => [b.id, b]));
        for (const check of checksOf(RUNBOOK)) expect(reported.get(check)?.status, check).toBe('passed');
      },
      T,
    );

    it('lists its four faults in testbed status on a fresh seed', async () => {
      // After the rehearsal above cleared them, a reset plants them again.
      const r = rehearsal();
      await reset({ dir: r.testbed.dir, at: 'newton' });
      const faults = new Map(((await r.status()).faults ?? []).map((f) => [f.id, f]));
      expect(faults.get('heat-engine-behind')).toMatchObject({ present: true, detail: 'ctl-2 (mitaka, packages newton)' });
      expect(faults.get('heat-trigger-missing')).toMatchObject({ present: true, detail: 'raw_template_files_upd' });
      expect(faults.get('heat-files-differ')).toMatchObject({ present: true, detail: 'raw_template 26,27,29' });
      expect(faults.get('heat-engine-stray')).toMatchObject({ present: true, detail: 'stor-1 (newton)' });
    }, 120_000);

    it('heat-manage refuses its phases out of order, as the real tool would', async () => {
      const r = rehearsal();
      await reset({ dir: r.testbed.dir, at: 'newton' });
      const version = () => r.sql("SELECT version FROM heat.migrate_version WHERE repository_id = 'heat'");

      // Newton's heat-manage (ctl-1's packages) has no phases at all.
      const newton = r.tool('heat-manage', ['db_sync', '--expand']);
      expect(newton.code, newton.output).toBe(2);
      expect(newton.output).toContain('unrecognized arguments: --expand');
      const none = r.tool('heat-manage', ['db_sync']);
      expect(none.code, none.output).toBe(2);
      expect(none.output).toContain('give one of --expand, --migrate, --contract');

      // Ocata's, on a schema not yet expanded: no migrate, no contract, then the expand creates both triggers.
      expect(r.tool('ssh', ['ctl-1', 'sudo', 'yum', '-y', 'update', 'openstack-heat-*']).code).toBe(0);
      r.sql('DROP TRIGGER heat.raw_template_files_ins; DROP TABLE heat.raw_template_files; UPDATE heat.migrate_version SET version = 73');
      const migrate = r.tool('heat-manage', ['db_sync', '--migrate']);
      expect(migrate.code, migrate.output).toBe(1);
      expect(migrate.output).toContain('run db_sync --expand first');
      const contract = r.tool('heat-manage', ['db_sync', '--contract']);
      expect(contract.code, contract.output).toBe(1);
      expect(contract.output).toContain('not expanded');
      expect(version()).toEqual([['73']]);
      expect(r.tool('heat-manage', ['db_sync', '--expand']).code).toBe(0);
      expect(version()).toEqual([['78']]);
      expect(r.sql("SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = 'heat' ORDER BY 1")).toEqual([
        ['raw_template_files_ins'],
        ['raw_template_files_upd'],
      ]);

      // Expanded but not migrated, with old engines alive: the contract names them and changes nothing.
      const early = r.tool('heat-manage', ['db_sync', '--contract']);
      expect(early.code, early.output).toBe(1);
      expect(early.output).toContain('ctl-1 (newton), ctl-2 (mitaka), stor-1 (newton)');
      expect(version()).toEqual([['78']]);
      expect(
        r.sql(
          "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'heat' AND TABLE_NAME = 'raw_template' AND COLUMN_NAME = 'files'",
        ),
      ).toEqual([['1']]);
    }, 120_000);
  },
  { fleet: { controllers: 2, computes: 0 } },
);
