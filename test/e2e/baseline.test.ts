/**
 * `run --baseline` against a real MariaDB and the real binary: a rehearsal migrates 120 rows; its
 * evidence bundle (from `waymark evidence`), or its run id, is the real run's baseline; the real
 * run migrates 3 rows. Headless stops (exit 4) naming both figures, and neither --yes nor
 * --accept-warnings gets past it: --accept-deviation BLOCK does, recorded. The TUI shows the
 * rehearsal's figures beside each block and asks for the acknowledgement (w). The choice of the
 * baseline, the departure and its acknowledgement are in the trail.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeWithMariaDb } from '../support/mariadb.js';
import { waymark } from '../support/binary.js';
import { useWorkspace, loadCheckpointSync } from '../support/workspace.js';
import { useTmuxWorkspace } from '../support/tmux.js';
import type { RunState } from '../../src/engine/run-state.js';

const ws = useWorkspace('wm-bl-');
const ui = useTmuxWorkspace('wm-bl-tui-');
const T = 120_000;

const BOOK = [
  '---',
  'title: Migrate the instances',
  'id: migrate',
  'vars:',
  '  DB_SOCKET: { required: true }',
  'connections:',
  '  db: mysql://root@localhost/bl?socket=${DB_SOCKET}',
  '---',
  '# Migrate the instances',
  '',
  '## Migrate the rows {#migrate}',
  '',
  '```sql name=migrate-rows',
  'UPDATE bl.instances SET migrated = 1 WHERE migrated = 0',
  '```',
  '',
  '## Count what is migrated {#count}',
  '',
  '```sql verify name=count-migrated',
  'SELECT id FROM bl.instances WHERE migrated = 1',
  '```',
  '',
  '## Done {#done}',
  '',
  '```sh name=done',
  'echo done >> counter.txt',
  '```',
  '',
].join('\n');

describeWithMariaDb('run --baseline against a rehearsal', (server) => {
  const socket = () => ['--var', `DB_SOCKET=${server().socketPath}`];

  /** 120 instances, of which `waiting` are not migrated yet. */
  async function instances(waiting: number): Promise<void> {
    const db = server();
    await db.query('DROP DATABASE IF EXISTS bl');
    await db.query('CREATE DATABASE bl');
    await db.query('CREATE TABLE bl.instances (id INT PRIMARY KEY, migrated INT NOT NULL)');
    await db.query('INSERT INTO bl.instances SELECT seq, IF(seq <= ?, 0, 1) FROM bl.seq_1_to_120', [waiting]);
  }

  /** A rehearsal in the workspace's state directory that migrates all 120 rows; its run id. */
  async function rehearse(book: string): Promise<string> {
    await instances(120);
    const rehearsal = await ws().run(book, socket());
    expect(rehearsal.code, rehearsal.all).toBe(0);
    return ws().currentRun('migrate');
  }

  it(
    'headless: the bundle, then the run id, as baseline; 3 rows where the rehearsal had 120 waits (exit 4) past --yes, and --accept-deviation accepts it, recorded',
    async () => {
      const book = ws().write('migrate.md', BOOK);
      const rehearsalRun = await rehearse(book);
      const bundle = ws().path('rehearsal.tar.gz');
      const made = await ws().waymark(['evidence', book, '--out', bundle]);
      expect(made.code, made.all).toBe(0);

      // The real run, in another state directory, with the bundle: 3 rows are left to migrate.
      await instances(3);
      const real = ws().path('real-state');
      const runReal = (flags: string[]) =>
        waymark(['run', book, '--headless', '--state-dir', real, ...socket(), ...flags], { cwd: ws().dir });
      const stopped = await runReal(['--baseline', bundle, '--yes', '--accept-warnings']);
      expect(stopped.code, stopped.all).toBe(4);
      expect(stopped.stdout).toContain(
        `notice: baseline: rehearsal run ${rehearsalRun} (from evidence bundle ${bundle}): 3 blocks with figures`,
      );
      expect(stopped.stdout).toMatch(
        /<- WARN run migrate-rows in \S+: departs from the rehearsal: 3 rows where the rehearsal had 120 \(deviation=10×\) \[rehearsal: \S+, 120 rows\]/,
      );
      expect(stopped.stdout).toContain(
        `waiting: migrate-rows in step migrate departs from the rehearsal (run ${rehearsalRun}): 3 rows where the rehearsal had 120 (deviation=10×)`,
      );
      expect(stopped.stdout).toContain('--accept-deviation migrate-rows (--yes does not accept it)');
      expect(stopped.stdout).not.toContain('count-migrated');

      // No earlier run in this state directory: the time left comes from the rehearsal's step durations.
      const status = await waymark(['status', book, '--state-dir', real, '--json'], { cwd: ws().dir });
      expect(status.code, status.all).toBe(0);
      expect((JSON.parse(status.stdout) as { timeLeftMs: number | null }).timeLeftMs).toEqual(expect.any(Number));
      const realBook = join(real, readdirSync(real)[0] as string);
      const realRun = (JSON.parse(readFileSync(join(realBook, 'current.json'), 'utf8')) as { runId: string }).runId;
      const runDir = join(realBook, 'runs', realRun);
      // A resume keeps the baseline without naming it again; the same one again is fine, another one is refused.
      const other = await runReal(['--baseline', realRun]);
      expect(other.code, other.all).toBe(2);
      expect(other.stderr).toContain(
        `run ${realRun} was started with rehearsal run ${rehearsalRun}, and a run's baseline is fixed at its start`,
      );
      const same = await runReal(['--baseline', bundle, '--yes']);
      expect(same.code, same.all).toBe(4);
      const again = await runReal(['--yes', '--accept-warnings']);
      expect(again.code, again.all).toBe(4);
      expect(again.stdout).toContain('3 rows where the rehearsal had 120');

      const accepted = await runReal(['--accept-deviation', 'migrate-rows']);
      expect(accepted.code, accepted.all).toBe(0);
      expect(accepted.stdout).toContain(
        'departure of migrate-rows from the rehearsal acknowledged (--accept-deviation): 3 rows where the rehearsal had 120',
      );
      // Every instance is migrated now, as in the rehearsal: the count passes beside its figures.
      expect(accepted.stdout).toMatch(/<- ok verify count-migrated in \S+: 120 rows returned \[rehearsal: \S+, 120 rows\]/);

      const state = loadCheckpointSync(runDir) as RunState;
      expect(state.baseline).toMatchObject({ run: rehearsalRun, from: 'evidence' });
      const migrateRows = state.steps[0]?.blocks[0];
      expect(migrateRows).toMatchObject({ status: 'acknowledged', rowCount: 3, deviation: { on: 'rows', actual: 3, rehearsal: 120 } });
      const trail = readFileSync(join(runDir, 'audit.jsonl'), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(trail.filter((r) => r.type === 'baseline-chosen')).toEqual([
        expect.objectContaining({ rehearsal: rehearsalRun, from: 'evidence', source: bundle }),
      ]);
      expect(trail.find((r) => r.type === 'block-finished' && r.block === 'migrate-rows')).toMatchObject({
        outcome: 'warning',
        deviation: { on: 'rows', actual: 3, rehearsal: 120 },
      });
      expect(trail.filter((r) => r.type === 'warning-acknowledged')).toEqual([
        expect.objectContaining({
          block: 'migrate-rows',
          automatic: true,
          reason: 'accepted by --accept-deviation migrate-rows',
          deviation: expect.objectContaining({ actual: 3 }),
        }),
      ]);

      // The rehearsal's run id as baseline, in its own state directory: the same stop. A block
      // edited since the rehearsal is named in a warning, and still compared.
      ws().write('migrate.md', BOOK.replace('echo done >> counter.txt', 'echo done >>counter.txt'));
      await instances(3);
      const byId = await ws().run(book, [...socket(), '--new-run', '--baseline', rehearsalRun, '--yes']);
      expect(byId.code, byId.all).toBe(4);
      expect(byId.stdout).toContain(`notice: baseline: rehearsal run ${rehearsalRun} (from this state directory): 3 blocks with figures`);
      expect(byId.stdout).toContain(
        `notice: baseline: block done changed since rehearsal ${rehearsalRun} (the runbook's hash differs): compared with the rehearsal's figures all the same`,
      );
      expect(byId.stdout).toContain(
        `waiting: migrate-rows in step migrate departs from the rehearsal (run ${rehearsalRun}): 3 rows where the rehearsal had 120 (deviation=10×)`,
      );
      // Rebuilt from its audit trail alone (checkpoint and journal lost), the run keeps its baseline
      // and its departure: --yes still does not accept it.
      rmSync(join(ws().runDir('migrate'), 'checkpoint.json'));
      rmSync(join(ws().runDir('migrate'), 'checkpoint.journal'));
      const repaired = await ws().waymark(['repair', book]);
      expect(repaired.code, repaired.all).toBe(0);
      const afterRepair = await ws().run(book, [...socket(), '--yes', '--accept-warnings']);
      expect(afterRepair.code, afterRepair.all).toBe(4);
      expect(afterRepair.stdout).toContain(
        `waiting: migrate-rows in step migrate departs from the rehearsal (run ${rehearsalRun}): 3 rows where the rehearsal had 120`,
      );
      // The rehearsal and the accepted real run ran the last step; the stopped one did not.
      expect(ws().lines('counter.txt')).toEqual(['done', 'done']);
    },
    T,
  );

  it(
    'TUI: shows "rehearsal: …" beside each block and asks for the acknowledgement of the departure (w), recorded as the operator\'s',
    async () => {
      const book = ws().write('migrate.md', BOOK);
      const rehearsalRun = await rehearse(book);
      await instances(3);
      const session = 'bl';
      await ui.tmux.startWaymark(session, ['run', book, '--state-dir', ws().state, ...socket(), '--new-run', '--baseline', rehearsalRun], {
        cwd: ws().dir,
      });
      let screen = await ui.tmux.waitFor(session, /enter run next/);
      expect(screen).toMatch(/migrate-rows \(rehearsal: \S+, 120 rows\)/);
      await ui.tmux.keys(session, ['Enter']);
      screen = await ui.tmux.waitFor(session, /WARNING migrate-rows/);
      expect(screen.replace(/\s+/g, ' ')).toContain(
        'WARNING migrate-rows: departs from the rehearsal: 3 rows where the rehearsal had 120 (deviation=10×)',
      );
      expect(screen).toMatch(/migrate-rows warning \S+ \(rehearsal: \S+, 120 rows\)/);
      expect(screen).toMatch(/w accept warning/);
      await ui.tmux.keys(session, ['w']);
      // Accepted, the run goes on to the next step, whose block shows its own rehearsal figures.
      screen = await ui.tmux.waitFor(session, /VERIFY\s+count-migrated \(rehearsal: \S+, 120 rows\)/);
      expect(screen).toMatch(/✓ 1 Migrate the rows/);
      await ui.tmux.keys(session, ['q']);
      await ui.tmux.waitForExit(session);
      const trail = ws().audit('migrate');
      expect(trail.filter((r) => r.type === 'warning-acknowledged')).toEqual([
        expect.objectContaining({ block: 'migrate-rows', automatic: false }),
      ]);
      expect(ws().checkpoint('migrate').steps[0]?.blocks[0]).toMatchObject({ id: 'migrate-rows', status: 'acknowledged' });
    },
    T,
  );
});

describe('run --baseline, bad input', () => {
  it('refuses a baseline that is neither a bundle nor a run of the runbook (exit 2, naming it), before anything runs', async () => {
    const book = ws().write('migrate.md', BOOK);
    const missing = await ws().run(book, ['--var', 'DB_SOCKET=/nowhere', '--baseline', 'nosuchrun']);
    expect(missing.code, missing.all).toBe(2);
    expect(missing.all).toContain('--baseline nosuchrun');
    expect(missing.all).not.toMatch(/\n\s+at /);
    ws().write('junk.tar.gz', 'not a bundle');
    const junk = await ws().run(book, ['--var', 'DB_SOCKET=/nowhere', '--baseline', ws().path('junk.tar.gz')]);
    expect(junk.code, junk.all).toBe(2);
    expect(junk.all).toContain(`--baseline ${ws().path('junk.tar.gz')}: is not a gzip file`);
    expect(ws().lines('counter.txt')).toEqual([]);
  });
});
