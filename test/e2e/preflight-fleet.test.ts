/**
 * `waymark preflight` with a fleet check (`hosts=` on a check), on real sshd hosts through the
 * real ansible-playbook (test/support/fleet.ts): the check runs on every host it names, a host
 * that fails it makes the preflight exit 3 naming that host with the gate's host table, no run
 * block runs on any host, and the run held at that gate keeps its checkpoint byte for byte.
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { ansiblePlaybookRunning, describeWithFleet } from '../support/fleet.js';
import { waitFor } from '../support/wait.js';
import { fileHashes as hashes, useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-preflight-fleet-');
const T = 240_000;

interface PreflightJson {
  id: string;
  refusing: string[];
  checks: {
    block: string;
    status: string;
    reason: string;
    columns?: string[];
    rows?: string[][];
    hosts?: { host: string; status: string; rc: number | null }[];
  }[];
}

describeWithFleet(
  'preflight of a runbook with a fleet check, on real sshd hosts',
  (fleet) => {
    it(
      'runs the fleet check on every host, exits 3 naming the failing host with its host table, runs no block, and leaves the held run untouched',
      async () => {
        const w = ws();
        const computes = fleet()
          .hosts.filter((h) => h.group === 'computes')
          .map((h) => h.name);
        expect(computes).toEqual(['cmp-1', 'cmp-2', 'cmp-3']);
        const broken = join(fleet().host('cmp-2').root, 'conductor-running');
        writeFileSync(broken, 'yes\n');
        const book = w.write(
          'computes.md',
          [
            '---',
            `inventory: ${fleet().inventory}`,
            '---',
            '# Upgrade the computes',
            '',
            '## Computes {#computes}',
            '',
            '```sh check name=conductor-stopped hosts=computes',
            'echo "$WAYMARK_HOST" >> "$WAYMARK_TESTBED_ROOT/checked"',
            'if [ -e "$WAYMARK_TESTBED_ROOT/conductor-running" ]; then echo "nova-conductor still runs on $WAYMARK_HOST" >&2; exit 1; fi',
            '```',
            '',
            '```sh name=upgrade hosts=computes',
            'echo upgraded >> "$WAYMARK_TESTBED_ROOT/ran"',
            '```',
            '',
            '## After {#after}',
            '',
            '```sh check name=local-check',
            'true',
            '```',
            '',
            '```sh name=after',
            'touch after-ran',
            '```',
            '',
          ].join('\n'),
        );
        const checked = (host: string) => {
          const file = join(fleet().host(host).root, 'checked');
          return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
        };

        // A run held at the fleet gate: its checkpoint records cmp-2 as failed.
        const run = await w.run(book);
        expect(run.code, run.all).toBe(3);
        expect(run.stdout).toMatch(/1 of 3 hosts failed or were unreachable: cmp-2/);
        const runDir = w.runDir('computes');
        const before = hashes(runDir);
        const currentBefore = readFileSync(join(w.bookDir('computes'), 'current.json'), 'utf8');
        for (const host of computes) expect(checked(host)).toEqual([host]);

        const report = w.path('preflight.md');
        const pre = await w.waymark(['preflight', book, '-o', report]);
        expect(pre.code, pre.all).toBe(3);
        // The progress names the refusal and the host, and the summary the refusing step.
        expect(pre.stdout).toMatch(
          /^refused computes \/ conductor-stopped: 1 of 3 hosts failed or were unreachable: cmp-2 \(exit 1, expected 0\)$/m,
        );
        expect(pre.stdout).toMatch(/^ {3}cmp-2\s+failed\s+rc=1\s+batch 1/m);
        expect(pre.stdout).not.toMatch(/^ {3}cmp-1\s/m);
        expect(pre.stdout).toMatch(/^passed {2}after \/ local-check$/m);
        expect(pre.stdout).toContain('1 step(s) would refuse: computes');
        // The report shows the hosts as the gate does: the failed one first.
        const markdown = readFileSync(report, 'utf8');
        expect(markdown).toMatch(/\| computes \| conductor-stopped \| refused \| 1 of 3 hosts failed or were unreachable: cmp-2/);
        expect(markdown).toMatch(
          /## Refused: computes \/ conductor-stopped[\s\S]*\| host \| outcome \| rc \| output \|\n\|[^\n]*\|\n\| cmp-2 \| failed \| 1 \| exit 1, expected 0 \|/,
        );
        expect(markdown).toMatch(/\| cmp-1 \| ok \| 0 \|/);
        // The check ran on every host a second time, and nothing else ran anywhere.
        for (const host of computes) expect(checked(host)).toEqual([host, host]);
        for (const host of computes) expect(existsSync(join(fleet().host(host).root, 'ran'))).toBe(false);
        expect(existsSync(w.path('after-ran'))).toBe(false);
        // The run's checkpoint, journal, trail and logs are byte for byte as they were.
        expect(hashes(runDir)).toEqual(before);
        expect(readFileSync(join(w.bookDir('computes'), 'current.json'), 'utf8')).toBe(currentBefore);

        // The preflight's own trail has each host's result.
        const [id] = readdirSync(join(w.bookDir('computes'), 'preflights'));
        const trail = readFileSync(join(w.bookDir('computes'), 'preflights', id as string, 'audit.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { type: string; target?: string; status?: string });
        expect(
          trail
            .filter((r) => r.type === 'host-finished')
            .map((r) => [r.target, r.status])
            .sort(),
        ).toEqual([
          ['cmp-1', 'ok'],
          ['cmp-2', 'failed'],
          ['cmp-3', 'ok'],
        ]);
        expect(trail.find((r) => r.type === 'preflight-check' && (r as { block?: string }).block === 'conductor-stopped')?.status).toBe(
          'refused',
        );

        // Fixed on the host, the preflight passes; the held run still shows what it saw.
        rmSync(broken);
        const json = await w.waymark(['preflight', book, '--format', 'json']);
        expect(json.code, json.all).toBe(0);
        const result = JSON.parse(json.stdout) as PreflightJson;
        const check = result.checks.find((c) => c.block === 'conductor-stopped');
        expect(check).toMatchObject({ status: 'passed', reason: '3 hosts ok' });
        expect(check?.hosts?.map((h) => [h.host, h.status])).toEqual([
          ['cmp-1', 'ok'],
          ['cmp-2', 'ok'],
          ['cmp-3', 'ok'],
        ]);
        expect(hashes(runDir)).toEqual(before);
        const status = await w.status(book);
        expect(JSON.stringify(status)).toMatch(/"host":"cmp-2"[^}]*"status":"failed"/);
      },
      T,
    );

    it(
      'a signal during a fleet check stops it: exit 130, the check and those after it listed as not run, no ansible-playbook left behind',
      async () => {
        const w = ws();
        const book = w.write(
          'hang.md',
          [
            '---',
            `inventory: ${fleet().inventory}`,
            '---',
            '# Hang',
            '',
            '## Computes {#computes}',
            '',
            '```sh check name=slow hosts=computes',
            '[ "$WAYMARK_HOST" = cmp-3 ] && { touch "$WAYMARK_TESTBED_ROOT/hanging"; sleep 60; }',
            'true',
            '```',
            '',
            '## After {#after}',
            '',
            '```sh check name=later',
            'touch later-ran',
            '```',
            '',
          ].join('\n'),
        );
        const report = w.path('preflight.json');
        const pre = w.spawn(['preflight', book, '--format', 'json', '-o', report]);
        expect(await waitFor(() => existsSync(join(fleet().host('cmp-3').root, 'hanging')), 120_000, 100)).toBe(true);
        // Sent as a terminal or systemd would (execa's own kill would follow it with SIGKILL).
        process.kill(pre.pid as number, 'SIGTERM');
        const ended = await pre;
        expect(ended.exitCode, `${String(ended.all)} signal=${String(ended.signal)}`).toBe(130);
        expect(String(ended.stdout)).toContain('SIGTERM received: stopping the running check');
        expect(String(ended.stdout)).toMatch(
          /^not-run computes \/ slow: the preflight was stopped by a signal before every host had a result$/m,
        );
        expect(String(ended.stdout)).toMatch(/^not-run after \/ later: the preflight was stopped by a signal$/m);
        const result = JSON.parse(readFileSync(report, 'utf8')) as PreflightJson & { interrupted?: boolean };
        expect(result.interrupted).toBe(true);
        expect(result.refusing).toEqual([]);
        expect(existsSync(w.path('later-ran'))).toBe(false);
        // The batch's ansible-playbook was stopped with it, not left running unrecorded.
        expect(await waitFor(() => !ansiblePlaybookRunning(w.dir), 15_000, 100)).toBe(true);
      },
      T,
    );
  },
  { hosts: 4, groups: { controllers: 1, computes: 3 } },
);
