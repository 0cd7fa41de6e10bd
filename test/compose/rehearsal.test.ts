/**
 * Rehearsal memory: each run's checkpoint keeps per-step durations and outcomes, keyed by the
 * step's content hash. `status` shows the time left from the median of earlier runs, and
 * `report --compare` shows a rehearsal and a later run side by side, with a bar chart, flagging the
 * steps that failed or were overridden.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMPOSED, useScratch, type Recorded } from '../support/workspace.js';

const scratch = useScratch('wm-rehearsal-');
const ID = 'composed-control-plane-upgrade';
const T = 60_000;

const TIMED = `---
id: timed
vars:
  NAP: "0"
---
# Timed

## First {#first tags=first}

\`\`\`sh
echo first
\`\`\`

## Nap {#nap}

Waits a while.

\`\`\`sh
sleep "$NAP"
\`\`\`

## Last {#last}

\`\`\`sh
echo last
\`\`\`
`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

describe.concurrent('rehearsal memory', () => {
  it(
    'status shows the time left from the median of earlier runs, matched by step content',
    async () => {
      const s = scratch();
      const book = s.write('timed.md', TIMED);

      // The first run has nothing to learn from. It is finished below with the same NAP: a run's
      // settings are fixed when it starts.
      expect((await s.run(book, ['--only', 'first', '--var', 'NAP=0.02'], s.dir)).code).toBe(0);
      let status = await s.status(book, s.dir);
      expect(status.timeLeftMs).toBeNull();
      expect((await s.waymark(['status', book], s.dir)).stdout).not.toContain('left');

      const runs: string[] = [status.run as string];
      const naps = ['0.02', '0.6', '0.15'];
      for (const [i, nap] of naps.entries()) {
        // The first finishes the run; each later one starts another (a complete run is not run again).
        const result = await s.run(book, ['--var', `NAP=${nap}`, ...(i > 0 ? ['--new-run'] : [])], s.dir);
        expect(result.code, result.all).toBe(0);
        if (i > 0) runs.push(s.currentRun('timed'));
      }
      expect(new Set(runs).size).toBe(3);
      const earlier: Recorded[] = await Promise.all(runs.map((run) => s.recorded(book, run, s.dir)));
      const durations = (id: string) => earlier.map((c) => c.steps.find((st) => st.id === id)?.durationMs as number);
      for (const id of ['first', 'nap', 'last']) expect(durations(id).every((d) => typeof d === 'number')).toBe(true);

      // A fourth run, one step done: the rest is estimated from the three earlier runs, by median.
      expect((await s.run(book, ['--only', 'first', '--new-run'], s.dir)).code).toBe(0);
      status = await s.status(book, s.dir);
      expect(runs).not.toContain(status.run);
      const expected = median(durations('nap')) + median(durations('last'));
      expect(status.timeLeftMs).toBe(expected);
      const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
      expect(mean(durations('nap')), 'the naps tell a median from a mean').not.toBe(median(durations('nap')));
      const text = await s.waymark(['status', book], s.dir);
      expect(text.stdout).toMatch(/1\/3 steps done, about .+ left \(from earlier runs\)/);

      // Reworded, the nap step is a different step: the earlier runs say nothing about it.
      s.write('timed.md', TIMED.replace('Waits a while.', 'Waits a while longer.'));
      status = await s.status(book, s.dir);
      expect(status.timeLeftMs).toBe(median(durations('last')));
    },
    T,
  );

  it(
    'report --compare puts the rehearsal and a second run side by side, flagging what failed or was overridden in the rehearsal',
    async () => {
      const s = scratch();
      const sandbox = join(s.state, 'sandbox');
      const vars = ['--var', `SANDBOX=${sandbox}`];
      mkdirSync(join(sandbox, 'faults'), { recursive: true });

      // Rehearsal: an image stuck in queued (overridden with a reason), and the nova API not answering once.
      writeFileSync(join(sandbox, 'faults/glance-queued-image'), 'image 42\n');
      writeFileSync(join(sandbox, 'faults/nova-api'), 'down\n');
      const refused = await s.run(COMPOSED, vars);
      expect(refused.code, refused.all).toBe(3);
      expect(refused.stdout).toContain('refused: check glance-no-queued-images');
      const overridden = await s.run(COMPOSED, [
        ...vars,
        '--override',
        'glance-no-queued-images=image 42 is abandoned; deleted after the window',
      ]);
      expect(overridden.code, overridden.all).toBe(1);
      expect(overridden.stdout).toContain('failed: block nova-api-answers');
      rmSync(join(sandbox, 'faults/nova-api'));
      const rehearsal = await s.run(COMPOSED, vars);
      expect(rehearsal.code, rehearsal.all).toBe(0);
      const a = s.currentRun(ID);

      // The second run, clean, from a fresh sandbox; only bash is needed.
      rmSync(sandbox, { recursive: true });
      const second = await s.run(COMPOSED, [...vars, '--new-run']);
      expect(second.code, second.all).toBe(0);
      const b = s.currentRun(ID);
      expect(b).not.toBe(a);
      expect(s.lines(join(sandbox, 'nova/db-chain'))).toEqual(['ocata', 'pike', 'queens']);
      expect((await s.waymark(['audit', COMPOSED, '--verify'])).code).toBe(0);

      const text = await s.waymark(['report', COMPOSED, '--compare', a, b]);
      expect(text.code, text.all).toBe(0);
      const lines = text.stdout.split('\n');
      expect(lines[0]).toMatch(new RegExp(`^A: run ${a} \\(no profile, complete, .+ in steps\\)$`));
      expect(lines[1]).toMatch(new RegExp(`^B: run ${b} \\(no profile, complete, .+ in steps\\)$`));
      const rowOf = (title: string) => lines.findIndex((l) => l.startsWith(title));
      const glance = rowOf('Check that no image is stuck in');
      expect(lines[glance]).toMatch(/ A +\S+ overridden +[█▏▎▍▌▋▊▉]+$/);
      expect(lines[glance + 1]).toMatch(/ B +\S+ passed +[█▏▎▍▌▋▊▉]+$/);
      expect(lines[glance + 2]).toMatch(/⚑ failed 1× in A; overridden in A$/);
      const nova = rowOf('Start the nova control-plane');
      expect(lines[nova]).toMatch(/ A +\S+ passed +[█▏▎▍▌▋▊▉]+$/);
      expect(lines[nova + 2]).toMatch(/⚑ failed 1× in A$/);
      // Every step shows twice, one bar each; only those two are flagged.
      const steps = (await s.status(COMPOSED)).steps;
      expect(lines.filter((l) => / [AB] +\S+ (passed|overridden) /.test(l))).toHaveLength(steps.length * 2);
      expect(lines.filter((l) => l.includes('⚑'))).toHaveLength(2);
      // The longest step fills the chart's width.
      expect(lines.some((l) => l.endsWith('█'.repeat(24)))).toBe(true);

      const json = await s.waymark(['report', COMPOSED, '--compare', a, b, '--format', 'json']);
      const comparison = JSON.parse(json.stdout) as {
        a: { run: string };
        b: { run: string };
        steps: { id: string; a: { status: string; failures: number }; b: { status: string; failures: number }; flags: string[] }[];
      };
      expect([comparison.a.run, comparison.b.run]).toEqual([a, b]);
      const flagged = Object.fromEntries(comparison.steps.filter((st) => st.flags.length > 0).map((st) => [st.id, st.flags]));
      expect(flagged).toEqual({ 'glance-queued-images': ['failed 1× in A', 'overridden in A'], 'nova-start-control': ['failed 1× in A'] });
      expect(comparison.steps.find((st) => st.id === 'nova-start-control')?.b).toMatchObject({ status: 'passed', failures: 0 });

      const md = await s.waymark(['report', COMPOSED, '--compare', a, b, '--format', 'md', '-o', s.path('compare.md')]);
      expect(md.code, md.all).toBe(0);
      const markdown = s.lines(s.path('compare.md'));
      expect(markdown).toContain('| step | A time | A outcome | B time | B outcome | look at |');
      expect(markdown.find((l) => l.includes('`glance-queued-images`'))).toMatch(
        /\| overridden \| .+ \| passed \| failed 1× in A; overridden in A \|$/,
      );
      expect(markdown).toContain('## Durations');

      const unknown = await s.waymark(['report', COMPOSED, '--compare', a, 'no-such-run']);
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain('no-such-run');
      expect(s.runs(ID)).toEqual([a, b].sort());
    },
    T,
  );

  it(
    'report --compare shows the rehearsal as it was recorded when the runbook changed since',
    async () => {
      const s = scratch();
      const book = s.write('two.md', '---\nid: two\n---\n## One {#one}\n\n```sh\necho one\n```\n\n## Two {#two}\n\n```sh\necho two\n```\n');
      expect((await s.run(book, [], s.dir)).code).toBe(0);
      const a = s.currentRun('two');
      s.write('two.md', '---\nid: two\n---\n## One {#one}\n\n```sh\necho one\n```\n\n## Two {#two}\n\n```sh\necho two, changed\n```\n');
      expect((await s.run(book, ['--new-run'], s.dir)).code).toBe(0);
      const b = s.currentRun('two');
      const json = await s.waymark(['report', book, '--compare', a, b, '--format', 'json'], s.dir);
      expect(json.code, json.all).toBe(0);
      const steps = (JSON.parse(json.stdout) as { steps: { id: string; a: { status: string }; changed: boolean; flags: string[] }[] })
        .steps;
      expect(steps.map((st) => [st.id, st.a.status, st.changed, st.flags])).toEqual([
        ['one', 'passed', false, []],
        ['two', 'passed', true, ['step changed between the runs']],
      ]);
    },
    T,
  );
});
