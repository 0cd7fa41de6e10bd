/**
 * Release chains: `foreach=NAME:v1,v2,v3` is one checkpointed step per value, in order, with $NAME
 * set, ids `STEPID-VALUE`. Killed in the middle of the chain, the run resumes at the release it
 * stopped at: the releases before it are not run again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnWaymark, waymark } from '../support/binary.js';
import { waitFor } from '../support/wait.js';
import { useScratch } from '../support/workspace.js';

const scratch = useScratch('wm-chain-');
const T = 60_000;

/** True while `pid` runs (a zombie does not count). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false; // no /proc entry: the process is gone
  }
}

describe.concurrent('release chains (foreach)', () => {
  it(
    'expands into one step per value, in order, with the value in $NAME, the title and the ids',
    async () => {
      const s = scratch();
      const book = s.write(
        'chain.md',
        [
          '---',
          'id: chain',
          '---',
          '# Chain',
          '',
          '## Migrate to $RELEASE {#migrate tags=db foreach=RELEASE:kilo,liberty,mitaka}',
          '',
          'Schema migrations of ${RELEASE}.',
          '',
          '```sh',
          'echo "migrate $RELEASE" >> log.txt',
          '```',
          '',
          '```sh verify name=at-release',
          'test "$(tail -n 1 log.txt)" = "migrate $RELEASE"',
          '```',
          '',
          '## After the chain {#after}',
          '',
          '```sh',
          'echo "after ${RELEASE:-unset}" >> log.txt',
          '```',
          '',
        ].join('\n'),
      );
      const plan = await waymark(['plan', 'chain.md', '--json'], { cwd: s.dir });
      expect(plan.code, plan.all).toBe(0);
      const steps = (
        JSON.parse(plan.stdout) as { steps: { id: string; title: string; source: string; tags: string[]; blocks: string[] }[] }
      ).steps;
      expect(steps.map((st) => [st.id, st.title, st.source, st.blocks])).toEqual([
        ['migrate-kilo', 'Migrate to kilo', 'chain.md:6', ['run migrate-kilo-1', 'verify at-release-kilo']],
        ['migrate-liberty', 'Migrate to liberty', 'chain.md:6', ['run migrate-liberty-1', 'verify at-release-liberty']],
        ['migrate-mitaka', 'Migrate to mitaka', 'chain.md:6', ['run migrate-mitaka-1', 'verify at-release-mitaka']],
        ['after', 'After the chain', 'chain.md:18', ['run after-1']],
      ]);
      expect(steps[1]?.tags).toEqual(['db']);

      const run = await s.run(book, [], s.dir);
      expect(run.code, run.all).toBe(0);
      // $RELEASE is a variable of the chain's steps only.
      expect(s.lines(s.path('log.txt'))).toEqual(['migrate kilo', 'migrate liberty', 'migrate mitaka', 'after unset']);
      const status = await s.status(book, s.dir);
      expect(status.steps.map((st) => `${st.id} ${st.status}`)).toEqual([
        'migrate-kilo passed',
        'migrate-liberty passed',
        'migrate-mitaka passed',
        'after passed',
      ]);
    },
    T,
  );

  it(
    'a bad foreach is a lint error on its heading',
    async () => {
      const s = scratch();
      s.write(
        'bad.md',
        '## Migrate {#m foreach=RELEASE}\n\n```sh\ntrue\n```\n\n## Again {#a foreach=R:kilo,kilo}\n\n```sh\ntrue\n```\n\n## Versions {#v foreach=V:1.10,11.0}\n\n```sh\ntrue\n```\n',
      );
      const lint = await waymark(['lint', 'bad.md'], { cwd: s.dir });
      expect(lint.code).toBe(2);
      expect(lint.stdout.split('\n').filter(Boolean)).toEqual([
        'bad.md:1: error: bad foreach "RELEASE": expected NAME:value1,value2, e.g. foreach=RELEASE:kilo,liberty,mitaka',
        'bad.md:7: error: foreach R lists a value twice',
        // Both would be step v-110: one checkpoint entry for two releases.
        'bad.md:13: error: foreach V: values "1.10" and "11.0" would give both steps the id suffix -110 (the suffix keeps only letters, digits, - and _)',
      ]);
    },
    T,
  );

  it(
    'killed during the second release, resumes there: the first is not run again, the chain completes in order, the audit trail verifies',
    async () => {
      const s = scratch();
      const book = s.write(
        'ffu.md',
        [
          '---',
          'id: ffu',
          '---',
          '# Fast-forward',
          '',
          '## Upgrade the database to $RELEASE {#db foreach=RELEASE:ocata,pike,queens}',
          '',
          '```sh',
          'echo "start $RELEASE $$" >> chain.log',
          'sleep 0.5',
          'echo "done $RELEASE" >> chain.log',
          '```',
          '',
        ].join('\n'),
      );
      const log = s.path('chain.log');
      const first = spawnWaymark(['run', 'ffu.md', '--headless', '--state-dir', s.state], { cwd: s.dir });
      const inSecond = await waitFor(() => {
        const lines = s.lines(log);
        return lines.includes('done ocata') && lines.some((l) => l.startsWith('start pike '));
      }, 20_000);
      expect(inSecond, `the chain never reached pike: ${s.lines(log).join(' | ')}`).toBe(true);
      first.kill('SIGKILL');
      const killed = await first;
      expect(killed.signal).toBe('SIGKILL');
      // The machine went down with it: the block's shell (leader of its own process group) dies too.
      const blockPid = Number(
        s
          .lines(log)
          .find((l) => l.startsWith('start pike '))
          ?.split(' ')[2],
      );
      try {
        process.kill(-blockPid, 'SIGKILL');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error; // already gone
      }
      expect(await waitFor(() => !alive(blockPid), 5_000)).toBe(true);
      const withoutPids = () => s.lines(log).map((l) => l.replace(/ \d+$/, ''));
      expect(withoutPids()).toEqual(['start ocata', 'done ocata', 'start pike']);

      // Checkpointed per release: ocata passed, pike interrupted, queens not started.
      const afterKill = await s.status(book, s.dir);
      expect(afterKill.status).toBe('interrupted');
      expect(afterKill.steps.map((st) => `${st.id} ${st.status}`)).toEqual(['db-ocata passed', 'db-pike interrupted', 'db-queens pending']);

      // Without a decision, an interrupted block is not re-run.
      const asks = await s.run(book, [], s.dir);
      expect(asks.code, asks.all).toBe(4);
      expect(s.lines(log)).toHaveLength(3);

      const resumed = await s.run(book, ['--rerun-interrupted'], s.dir);
      expect(resumed.code, resumed.all).toBe(0);
      expect(resumed.stdout).toContain(`run ${afterKill.run} complete`);
      expect(withoutPids()).toEqual(['start ocata', 'done ocata', 'start pike', 'start pike', 'done pike', 'start queens', 'done queens']);
      const done = await s.status(book, s.dir);
      expect(done.run).toBe(afterKill.run);
      expect(done.steps.map((st) => `${st.id} ${st.status}`)).toEqual(['db-ocata passed', 'db-pike passed', 'db-queens passed']);
      const checkpoint = await s.recorded(book, afterKill.run as string, s.dir);
      expect(checkpoint.steps.map((st) => st.blocks[0]?.executions)).toEqual([1, 2, 1]);

      const verify = await s.waymark(['audit', 'ffu.md', '--verify'], s.dir);
      expect(verify.code, verify.all).toBe(0);
      expect(verify.stdout).toContain('intact');
      expect(readFileSync(join(s.state, 'ffu', 'runs', afterKill.run as string, 'audit.jsonl'), 'utf8')).toContain('"interrupted-found"');
    },
    T,
  );
});
