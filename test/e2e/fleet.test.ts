/**
 * Fleet blocks on a real fleet: twelve `sshd` servers on loopback addresses (test/support/fleet.ts),
 * reached by the real ansible-playbook through waymark's built binary. What an operator would
 * notice: which hosts ran, in which batches, which failed, that the budget stops the block, that a
 * killed waymark resumes without running a passed host again, and that values stay data.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ansiblePlaybookRunning, describeWithFleet, HOST_UPGRADE, type Fleet } from '../support/fleet.js';
import { waitFor } from '../support/wait.js';
import { filesUnder, useWorkspace, type Workspace } from '../support/workspace.js';

const ws = useWorkspace('wm-fleet-');
const T = 240_000;

/** What a host of the fleet recorded: one line per time the block's script ran on it. */
function ranOn(fleet: Fleet, host: string): string[] {
  const file = join(fleet.host(host).root, 'ran');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

function version(fleet: Fleet, host: string): string {
  return readFileSync(fleet.host(host).versionFile, 'utf8').trim();
}

interface HostJson {
  host: string;
  status: string;
  rc: number | null;
}

async function hostsOf(w: Workspace, book: string, block: string): Promise<HostJson[]> {
  const status = (await w.status(book)) as unknown as { steps: { blocks: { id: string; hosts?: HostJson[] }[] }[] };
  return status.steps.flatMap((s) => s.blocks).find((b) => b.id === block)?.hosts ?? [];
}

describeWithFleet(
  'fleet blocks on twelve real sshd hosts',
  (fleet) => {
    it(
      'runs a canary then batches, counts a failed and an unreachable host against the whole block, and stops over budget with the hosts shown',
      async () => {
        const w = ws();
        const book = w.write(
          'computes.md',
          [
            '---',
            `inventory: ${fleet().inventory}`,
            'vars:',
            `  UPGRADE: ${HOST_UPGRADE}`,
            '---',
            '# Upgrade the computes',
            '',
            '## Computes {#computes}',
            '',
            '```sh check name=reachable hosts=computes',
            'test -d "$WAYMARK_TESTBED_ROOT"',
            '```',
            '',
            '```sh name=upgrade hosts=computes batch=1,25% max-fail=1',
            'echo "$WAYMARK_BATCH" >> "$WAYMARK_TESTBED_ROOT/ran"',
            '[ "$WAYMARK_HOST" = cmp-5 ] && { echo "cmp-5: package conflict" >&2; exit 1; }',
            // cmp-8 hangs until the test cuts it off: it becomes unreachable in the middle of its batch.
            '[ "$WAYMARK_HOST" = cmp-8 ] && { touch "$WAYMARK_TESTBED_ROOT/hanging"; sleep 60; }',
            '"$UPGRADE" nova-compute ocata',
            '```',
            '',
          ].join('\n'),
        );
        const run = w.spawn(['run', book, '--headless']);
        // Batches of 1, 25 % (3), 3, 3, 2: cmp-8 is in batch 4. Cut it off once it started.
        expect(await waitFor(() => existsSync(join(fleet().host('cmp-8').root, 'hanging')), 150_000, 100)).toBe(true);
        fleet().kill('cmp-8');
        const finished = await run;
        const result = { code: finished.exitCode, stdout: String(finished.stdout), all: String(finished.all) };
        expect(result.code, result.all).toBe(1);
        // The operator sees each host's result as it arrives, and the block stopped after batch 4 of 5.
        expect(result.stdout).toMatch(/cmp-5\s+failed\s+rc=1/);
        expect(result.stdout).toMatch(/cmp-8\s+unreachable/);
        expect(result.stdout).toContain(
          '2 of 12 hosts failed or were unreachable, over the failure budget of 1 (max-fail=1); stopped after batch 4/5',
        );
        // The refusal shows the hosts as a table, the failed ones first.
        expect(result.stdout).toMatch(/\| cmp-5\s+\| failed\s+\| 1\s+\|/);
        expect(result.stdout).toMatch(/\| cmp-8\s+\| unreachable/);

        const batchOf = (host: string) => ranOn(fleet(), host);
        expect(batchOf('cmp-1')).toEqual(['1']);
        expect(['cmp-2', 'cmp-3', 'cmp-4'].map(batchOf)).toEqual([['2'], ['2'], ['2']]);
        expect(['cmp-5', 'cmp-6', 'cmp-7'].map(batchOf)).toEqual([['3'], ['3'], ['3']]);
        expect(['cmp-9', 'cmp-10'].map(batchOf)).toEqual([['4'], ['4']]);
        // Batch 5 never started: the budget ran out in batch 4.
        expect(['cmp-11', 'cmp-12'].map(batchOf)).toEqual([[], []]);
        expect(version(fleet(), 'cmp-1')).toBe('ocata');
        expect(version(fleet(), 'cmp-11')).toBe('newton');

        const hosts = await hostsOf(w, book, 'upgrade');
        expect(hosts.filter((h) => h.status === 'ok').map((h) => h.host)).toEqual([
          'cmp-1',
          'cmp-2',
          'cmp-3',
          'cmp-4',
          'cmp-6',
          'cmp-7',
          'cmp-9',
          'cmp-10',
        ]);
        expect(hosts.find((h) => h.host === 'cmp-5')).toMatchObject({ status: 'failed', rc: 1 });
        expect(hosts.find((h) => h.host === 'cmp-8')?.status).toBe('unreachable');
        expect(hosts.filter((h) => h.status === 'pending').map((h) => h.host)).toEqual(['cmp-11', 'cmp-12']);
        // Each host's result is in the audit as it arrived.
        const audited = w
          .audit('computes')
          .filter((r) => r.type === 'host-finished')
          .map((r) => (r as unknown as { target: string }).target);
        expect(audited.filter((h) => h !== undefined)).toHaveLength(12 + 10);

        // --retry-hosts runs the unreachable host alone: no passed host, not the failed one.
        const retry = await w.run(book, ['--retry-hosts']);
        expect(retry.stdout).toContain('retrying upgrade on its 1 unreachable host(s) (--retry-hosts)');
        const started = w
          .audit('computes')
          .filter((r) => r.type === 'hosts-started')
          .map((r) => (r as unknown as { targets: string[] }).targets);
        expect(started.at(-1)).toEqual(['cmp-8']);
        expect(batchOf('cmp-1')).toEqual(['1']);
        expect(batchOf('cmp-5')).toEqual(['3']);
      },
      T,
    );

    it(
      'a check fleet block is a gate: one failing host refuses the step, naming the host, and nothing after it runs',
      async () => {
        const w = ws();
        const book = w.write(
          'gate.md',
          [
            '---',
            `inventory: ${fleet().inventory}`,
            '---',
            '# Gate',
            '',
            '## Computes on newton {#gate}',
            '',
            '```sh check name=on-newton hosts=~cmp-(9|1[0-2])',
            'v=$(cat "$WAYMARK_TESTBED_ROOT/var/lib/nova/version")',
            'echo "$WAYMARK_HOST runs $v"',
            '[ "$WAYMARK_HOST" != cmp-10 ]',
            '```',
            '',
            '## After {#after}',
            '',
            '```sh name=after',
            'touch after-ran',
            '```',
            '',
          ].join('\n'),
        );
        const result = await w.run(book);
        expect(result.code, result.all).toBe(3);
        expect(result.stdout).toContain('refused: check on-newton');
        expect(result.stdout).toMatch(/1 of 4 hosts failed or were unreachable: cmp-10 \(exit 1, expected 0\)/);
        expect(result.stdout).toMatch(/\| cmp-10\s+\| failed\s+\| 1\s+\| /);
        expect(existsSync(w.path('after-ran'))).toBe(false);
      },
      T,
    );

    it(
      'after waymark is killed mid-batch, no passed host runs again and the hosts in flight wait for a decision',
      async () => {
        const w = ws();
        const book = w.write(
          'resume.md',
          [
            '---',
            `inventory: ${fleet().inventory}`,
            '---',
            '# Resume',
            '',
            '## Controllers {#controllers}',
            '',
            '```sh check name=conductor-stopped hosts=controllers',
            'echo "$WAYMARK_HOST" >> "$WAYMARK_TESTBED_ROOT/checked"',
            '```',
            '',
            '```sh name=restart hosts=controllers batch=1',
            'echo "$WAYMARK_BATCH" >> "$WAYMARK_TESTBED_ROOT/ran"',
            '[ "$WAYMARK_BATCH" = 2 ] && { touch "$WAYMARK_TESTBED_ROOT/in-flight"; sleep 20; }',
            'true',
            '```',
            '',
          ].join('\n'),
        );
        const controllers = fleet()
          .hosts.filter((h) => h.group === 'controllers')
          .map((h) => h.name);
        expect(controllers.length).toBeGreaterThanOrEqual(2);
        const [first, second] = controllers as [string, string];
        const run = w.spawn(['run', book, '--headless']);
        expect(await waitFor(() => existsSync(join(fleet().host(second).root, 'in-flight')), 120_000, 50)).toBe(true);
        run.kill('SIGKILL');
        await run.catch(() => undefined);
        // Nothing of the batch keeps running unrecorded: the ansible-playbook waymark started is gone.
        expect(await waitFor(() => !ansiblePlaybookRunning(w.dir), 15_000, 100)).toBe(true);

        const resumed = await w.run(book);
        expect(resumed.code, resumed.all).toBe(4);
        expect(resumed.stdout).toContain('block restart was interrupted and needs a decision');
        expect(resumed.stdout).toContain('its interrupted hosts can be checked first with --check-hosts');
        const hosts = await hostsOf(w, book, 'restart');
        expect(hosts.find((h) => h.host === first)?.status).toBe('ok');
        expect(hosts.find((h) => h.host === second)?.status).toBe('interrupted');

        // Check them first: the step's check runs on the interrupted host alone, and the block still waits.
        const checked = await w.run(book, ['--check-hosts']);
        expect(checked.code, checked.all).toBe(4);
        expect(checked.stdout).toContain("checking the interrupted hosts of restart with the step's checks first (--check-hosts)");
        const checkedOn = (host: string) =>
          existsSync(join(fleet().host(host).root, 'checked'))
            ? readFileSync(join(fleet().host(host).root, 'checked'), 'utf8')
                .split('\n')
                .filter(Boolean)
            : [];
        expect(checkedOn(first)).toEqual([first]);
        expect(checkedOn(second)).toEqual([second, second]);
        expect(w.audit('resume').some((r) => r.type === 'hosts-checked')).toBe(true);

        const rerun = await w.run(book, ['--rerun-interrupted']);
        expect(rerun.code, rerun.all).toBe(0);
        // The first controller passed before the kill: it never ran again.
        expect(ranOn(fleet(), first)).toEqual(['1']);
        expect(ranOn(fleet(), second)).toEqual(['2', '2']);
      },
      T,
    );

    it(
      'a value with shell and template syntax reaches every host as data, and a secret appears in no output, log or artefact',
      async () => {
        const w = ws();
        const secret = 'S3cret-fleet-password-8c1f';
        const tricky = `$(touch ${w.path('pwned-shell')}); \`touch ${w.path('pwned-tick')}\` {{ lookup('pipe', 'touch ${w.path('pwned-jinja')}') }} "q" 'q'`;
        const book = w.write(
          'inject.md',
          [
            '---',
            `inventory: ${fleet().inventory}`,
            'vars:',
            '  NOTE:',
            '    description: free text',
            '  DB_PASSWORD:',
            '    secret: true',
            '---',
            '# Inject',
            '',
            '## Everywhere {#everywhere}',
            '',
            '```sh name=echo hosts=computes:&cmp-1*',
            'printf "%s\\n" "$NOTE" > "$WAYMARK_TESTBED_ROOT/note"',
            'echo "password is $DB_PASSWORD"',
            '```',
            '',
          ].join('\n'),
        );
        const result = await w.run(book, ['--var', `NOTE=${tricky}`, '--output'], { DB_PASSWORD: secret });
        expect(result.code, result.all).toBe(0);
        for (const host of ['cmp-1', 'cmp-10', 'cmp-11', 'cmp-12'])
          expect(readFileSync(join(fleet().host(host).root, 'note'), 'utf8')).toBe(`${tricky}\n`);
        for (const planted of ['pwned-shell', 'pwned-tick', 'pwned-jinja']) expect(existsSync(w.path(planted))).toBe(false);
        expect(result.all).toContain('password is ••••');
        expect(result.all).not.toContain(secret);
        for (const file of filesUnder(w.state)) expect(readFileSync(file, 'utf8'), file).not.toContain(secret);
        // Ansible's own temp files on this machine and the playbook's folder are gone or hold no secret.
        for (const file of filesUnder(fleet().dir).filter((f) => !f.includes('/cmp-') && !f.includes('/ctl-'))) {
          expect(readFileSync(file, 'latin1'), file).not.toContain(secret);
        }
      },
      T,
    );
  },
  { hosts: 15, groups: { controllers: 3, computes: 12 } },
);
