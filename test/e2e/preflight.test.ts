/**
 * `waymark preflight` on the skip-level testbed (Juno with every fault planted): one invocation
 * lists every planted fault at once and exits 3, runs no run block, leaves the run's checkpoint
 * byte-identical, lists the preflight=skip checks as skipped, keeps its own audit record, and
 * writes its report as Markdown, JSON and JUnit.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { waymark } from '../support/binary.js';
import { fileHashes as hashes } from '../support/workspace.js';
import { describeRehearsal, refusedCheck, type Rehearsal } from '../runbooks/rehearsal.js';

const RUNBOOK = 'runbooks/openstack/skip-level-juno-to-mitaka.md';

function preflight(r: Rehearsal, flags: string[]) {
  const t = r.testbed;
  return waymark(
    [
      'preflight',
      RUNBOOK,
      '--profile',
      'testbed',
      '--state-dir',
      r.state,
      '--var',
      `DB_SOCKET=${t.socket}`,
      '--var',
      `DB_CLIENT_CNF=${t.clientCnf}`,
      '--var',
      `BACKUP_DIR=${t.backups}`,
      ...flags,
    ],
    { env: { WAYMARK_TESTBED_DIR: t.dir } },
  );
}

interface PreflightJson {
  id: string;
  refusing: string[];
  checks: { step: string; block: string; status: string; reason: string; columns?: string[]; rows?: string[][] }[];
}

describeRehearsal('preflight of the skip-level runbook on the testbed', RUNBOOK, 'juno', (rehearsal) => {
  it('lists every planted fault at once, exit 3, and leaves the run untouched', async () => {
    const r = rehearsal();
    // A run exists and is held at its first fault: its checkpoint must not change.
    const first = await r.run(['--yes', '--accept-warnings']);
    expect(first.code, first.all).toBe(3);
    expect(refusedCheck(first.stdout)).toBe('latin1-tables');
    const [folder] = readdirSync(r.state).filter((name) => statSync(join(r.state, name)).isDirectory());
    const book = join(r.state, folder as string);
    const runsBefore = hashes(join(book, 'runs'));
    const currentBefore = readFileSync(join(book, 'current.json'), 'utf8');
    const dumpsBefore = readdirSync(r.testbed.backups);

    const dir = join(r.state, '..');
    const md = await preflight(r, ['-o', join(dir, 'preflight.md')]);
    expect(md.code, md.all).toBe(3);
    // The progress lines name each refusal; the summary names the refusing steps.
    expect(md.stdout).toMatch(/^refused charset \/ latin1-tables/m);
    expect(md.stdout).toMatch(/^refused hypervisors \/ duplicate-hypervisors/m);
    expect(md.stdout).toMatch(/^refused consoleauth-cache \/ consoleauth-cache/m);
    expect(md.stdout).toMatch(/^skipped kilo \/ backup-fresh: preflight=skip/m);
    const report = readFileSync(join(dir, 'preflight.md'), 'utf8');
    expect(report).toMatch(/would refuse today:\*\* .*charset.*hypervisors.*consoleauth-cache/);
    expect(report).toMatch(/\|\s*glance\s*\|\s*images\s*\|\s*latin1_swedish_ci\s*\|/);
    expect(report).toMatch(/\| null-compute-host \| skipped \| preflight=skip/);

    const json = await preflight(r, ['--format', 'json']);
    expect(json.code, json.all).toBe(3);
    const result = JSON.parse(json.stdout) as PreflightJson;
    const status = Object.fromEntries(result.checks.map((c) => [c.block, c.status]));
    expect(status).toMatchObject({
      'schemas-present': 'passed',
      'nova-schema-is-juno': 'passed',
      'latin1-tables': 'refused',
      'server-default-charset': 'warned',
      'duplicate-hypervisors': 'refused',
      'consoleauth-cache': 'refused',
      'backup-space': 'passed',
      'backup-fresh': 'skipped',
      'flavors-migrated': 'skipped',
      'null-compute-host': 'skipped',
      'post-services-current': 'skipped',
    });
    expect(result.refusing).toEqual(['charset', 'hypervisors', 'consoleauth-cache']);
    const dup = result.checks.find((c) => c.block === 'duplicate-hypervisors');
    expect(dup?.rows?.some((row) => row.includes('cmp-6.example.org'))).toBe(true);

    const junit = await preflight(r, ['--format', 'junit']);
    expect(junit.code, junit.all).toBe(3);
    expect(junit.stdout).toMatch(/<testcase classname="hypervisors" name="duplicate-hypervisors"[^>]*><failure message=/);
    expect(junit.stdout).toMatch(/<testcase classname="post-checks" name="post-nova-schema"[^>]*><skipped message="preflight=skip/);
    expect((junit.stdout.match(/<failure /g) ?? []).length).toBe(result.checks.filter((c) => c.status === 'refused').length);

    // Read-only: no run block ran (no dump taken, the schema still Juno's), and the run's files are byte-identical.
    expect(readdirSync(r.testbed.backups)).toEqual(dumpsBefore);
    expect(r.sql("SELECT version FROM nova.migrate_version WHERE repository_id = 'nova'")).toEqual([['254']]);
    expect(hashes(join(book, 'runs'))).toEqual(runsBefore);
    expect(readFileSync(join(book, 'current.json'), 'utf8')).toBe(currentBefore);

    // Each preflight has its own record: an audit trail that says what it ran and found.
    const preflights = readdirSync(join(book, 'preflights'));
    expect(preflights).toHaveLength(3);
    const trail = readFileSync(join(book, 'preflights', result.id, 'audit.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; [k: string]: unknown });
    expect(trail[0]?.type).toBe('preflight-started');
    expect(trail.at(-1)).toMatchObject({ type: 'preflight-finished', refusing: ['charset', 'hypervisors', 'consoleauth-cache'] });
    expect(trail.filter((rec) => rec.type === 'preflight-check' && rec.status === 'skipped').length).toBe(8);
    expect(trail.some((rec) => /run|verify|rollback/.test(String(rec.type)) && rec.type !== 'preflight-started')).toBe(false);
  }, 240_000);
});
