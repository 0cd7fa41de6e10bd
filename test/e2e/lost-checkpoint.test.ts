/**
 * Issue 10, items 6 and 10: state that exists but does not describe a resumable run is refused
 * (exit 2, naming what is missing), never taken as "start the same run again from step 1";
 * `waymark repair` rebuilds a lost checkpoint from the journal and the audit trail; and a refused
 * `--new-run` changes nothing.
 */
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  appendFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../support/wait.js';
import { filesUnder, lockHolderPid, useWorkspace, type Workspace } from '../support/workspace.js';

const ws = useWorkspace('wm-lost-');
const T = 60_000;

/** Every state file with its content: "nothing changed" is this map before and after. */
function stateFiles(w: Workspace): Map<string, string> {
  return new Map(filesUnder(w.state).map((file) => [file, readFileSync(file, 'utf8')]));
}

/** The checklist fixture run until its checklist (exit 4): prepare and restart passed. */
async function twoStepsPassed(w: Workspace): Promise<{ book: string; run: string; dir: string }> {
  const book = w.fixture('checklist.md');
  const first = await w.run(book);
  expect(first.code, first.all).toBe(4);
  expect(w.lines('counter.txt')).toEqual(['prepare', 'restart']);
  const run = w.currentRun('checklist');
  return { book, run, dir: w.runDir('checklist', run) };
}

const INTERRUPTIBLE = `---
title: Lost checkpoint
id: lost
---
# Lost checkpoint

## First {#first}

\`\`\`sh name=first
echo first >> counter.txt
\`\`\`

## Long {#long}

\`\`\`sh name=long
echo "$$" > long.pid
echo long >> counter.txt
sleep 30
echo long-done >> counter.txt
\`\`\`

## Last {#last}

\`\`\`sh name=last
echo last >> counter.txt
\`\`\`
`;

describe('lost or unusable checkpoint: refused, never a silent restart', () => {
  it(
    'reproduced: checkpoint.json moved away (as the old message advised) re-ran the passed blocks of the same run and emptied the journal; now exit 2 naming it and `waymark repair`, and nothing runs or changes',
    async () => {
      const w = ws();
      const { book, run, dir } = await twoStepsPassed(w);
      renameSync(join(dir, 'checkpoint.json'), w.path('moved-away.json'));
      const before = stateFiles(w);

      const again = await w.run(book, ['--yes']);
      expect(again.code, again.all).toBe(2);
      expect(again.stderr).toContain(`run ${run} has no checkpoint`);
      expect(again.stderr).toContain(join(dir, 'checkpoint.json'));
      expect(again.stderr).toContain(`waymark repair ${book}`);
      expect(again.stderr).not.toMatch(/\n\s+at /);
      expect(w.lines('counter.txt')).toEqual(['prepare', 'restart']);
      expect(stateFiles(w)).toEqual(before);
      expect(readFileSync(join(dir, 'checkpoint.journal'), 'utf8')).not.toBe('');

      // status says what is missing instead of "never run".
      const status = await w.waymark(['status', book]);
      expect(status.code, status.all).toBe(2);
      expect(status.stderr).toContain(`run ${run} has no checkpoint`);
    },
    T,
  );

  it.each([
    ['{"steps":[]}', () => '{"steps":[]}'],
    [
      'a version-1 checkpoint whose steps list is empty',
      (original: string) => JSON.stringify({ ...(JSON.parse(original) as object), steps: [] }),
    ],
  ])(
    'reproduced: a checkpoint of %s restarted the run from step 1; now exit 2 with `waymark repair`, nothing runs or changes',
    async (_name, content) => {
      const w = ws();
      const { book, dir } = await twoStepsPassed(w);
      const file = join(dir, 'checkpoint.json');
      writeFileSync(file, content(readFileSync(file, 'utf8')));
      const before = stateFiles(w);

      const again = await w.run(book, ['--yes']);
      expect(again.code, again.all).toBe(2);
      expect(again.stderr).toContain(`state file ${file} cannot be parsed`);
      expect(again.stderr).toContain(`waymark repair ${book}`);
      expect(again.stderr).not.toContain('move it away');
      expect(w.lines('counter.txt')).toEqual(['prepare', 'restart']);
      expect(stateFiles(w)).toEqual(before);
    },
    T,
  );

  it(
    'reproduced: a current.json naming an unknown run started that run id from step 1; now exit 2 naming the missing run folder',
    async () => {
      const w = ws();
      const { book } = await twoStepsPassed(w);
      const current = join(w.state, 'checklist', 'current.json');
      writeFileSync(current, JSON.stringify({ runId: '20261204T000000Z-dead' }));
      const before = stateFiles(w);

      const again = await w.run(book, ['--yes']);
      expect(again.code, again.all).toBe(2);
      expect(again.stderr).toContain(
        `run 20261204T000000Z-dead is the current run (${current}), but its folder ${join(w.state, 'checklist', 'runs', '20261204T000000Z-dead')} does not exist`,
      );
      expect(w.lines('counter.txt')).toEqual(['prepare', 'restart']);
      expect(stateFiles(w)).toEqual(before);
      expect(readdirSync(join(w.state, 'checklist', 'runs'))).toHaveLength(1);
    },
    T,
  );

  it(
    'reproduced: with the checkpoint lost, an interrupted block ran again without --rerun-interrupted; after `waymark repair` it still waits for the decision',
    async () => {
      const w = ws();
      const book = w.write('lost.md', INTERRUPTIBLE);
      const child = w.spawn(['run', book, '--headless']);
      expect(await waitFor(() => w.lines('counter.txt').includes('long'), 20_000)).toBe(true);
      process.kill(await lockHolderPid(w), 'SIGTERM');
      expect((await child).exitCode).toBe(130);
      const dir = w.runDir('lost');
      unlinkSync(join(dir, 'checkpoint.json'));

      const refused = await w.run(book);
      expect(refused.code, refused.all).toBe(2);
      expect(refused.stderr).toContain('waymark repair');
      expect(w.lines('counter.txt')).toEqual(['first', 'long']);

      const repair = await w.waymark(['repair', book]);
      expect(repair.code, repair.all).toBe(0);
      expect(repair.stdout).toMatch(/interrupted +long: Long/);
      expect(repair.stdout).toMatch(/passed +first: First/);

      const resumed = await w.run(book);
      expect(resumed.code, resumed.all).toBe(4);
      expect(resumed.stdout).toContain('--rerun-interrupted');
      expect(w.lines('counter.txt')).toEqual(['first', 'long']);
    },
    T,
  );
});

describe('waymark repair', () => {
  it(
    'merges in what only the audit trail knows: a block a resume found interrupted after a SIGKILL is rebuilt interrupted, not running',
    async () => {
      const w = ws();
      const book = w.write('lost.md', INTERRUPTIBLE);
      const child = w.spawn(['run', book, '--headless']);
      expect(await waitFor(() => w.lines('counter.txt').includes('long'), 20_000)).toBe(true);
      process.kill(await lockHolderPid(w), 'SIGKILL');
      await child;
      // The block leads its own process group, which outlives waymark's SIGKILL.
      process.kill(-Number(readFileSync(w.path('long.pid'), 'utf8').trim()), 'SIGKILL');
      const found = await w.run(book);
      expect(found.code, found.all).toBe(4);
      expect(w.audit('lost').some((r) => r.type === 'interrupted-found')).toBe(true);
      unlinkSync(join(w.runDir('lost'), 'checkpoint.json'));

      const repair = await w.waymark(['repair', book]);
      expect(repair.code, repair.all).toBe(0);
      expect(repair.stdout).toMatch(/interrupted +long: Long\n +interrupted +run long/);
      expect(w.checkpoint('lost').steps[1]?.blocks[0]?.status).toBe('interrupted');
    },
    T,
  );

  it(
    'rebuilds from the journal exactly the steps the lost checkpoint held, audits it, and the next run runs nothing that passed',
    async () => {
      const w = ws();
      const { book, run, dir } = await twoStepsPassed(w);
      const lost = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as { steps: unknown[] };
      unlinkSync(join(dir, 'checkpoint.json'));
      const journal = readFileSync(join(dir, 'checkpoint.journal'), 'utf8');

      const repair = await w.waymark(['repair', book]);
      expect(repair.code, repair.all).toBe(0);
      expect(repair.stdout).toContain(`rebuilt the checkpoint of run ${run} from 7 journal entries`);
      expect(repair.stdout).toMatch(/passed +prepare: Prepare\n +passed +run prepare/);
      expect(repair.stdout).toMatch(/pending +dashboards/);
      expect(w.checkpoint('checklist').steps).toEqual(lost.steps);
      expect(readFileSync(join(dir, 'checkpoint.journal'), 'utf8')).toBe(journal);

      const record = w.audit('checklist').at(-1);
      expect(record).toMatchObject({
        type: 'checkpoint-repaired',
        run,
        journalEntries: 7,
        keptAside: null,
        steps: { prepare: 'passed', restart: 'passed' },
      });
      expect((await w.waymark(['audit', book, '--verify'])).code).toBe(0);

      const next = await w.run(book, ['--yes']);
      expect(next.code, next.all).toBe(0);
      expect(next.stdout).toContain(`run ${run}`);
      expect(w.lines('counter.txt')).toEqual(['prepare', 'restart']);

      const nothing = await w.waymark(['repair', book]);
      expect(nothing.code).toBe(0);
      expect(nothing.stdout).toContain('nothing to repair');
    },
    T,
  );

  it(
    'rebuilds from the audit trail what a journal emptied by an older waymark no longer holds',
    async () => {
      const w = ws();
      const { book, dir } = await twoStepsPassed(w);
      unlinkSync(join(dir, 'checkpoint.json'));
      truncateSync(join(dir, 'checkpoint.journal'), 0);

      const repair = await w.waymark(['repair', book]);
      expect(repair.code, repair.all).toBe(0);
      expect(repair.stdout).toContain('from 0 journal entries');
      expect(repair.stdout).toContain('the journal does not reach back to the start of the run');
      expect(repair.stdout).toMatch(/passed +restart: Restart/);
      const state = w.checkpoint('checklist');
      expect(state.steps.map((s) => [s.id, s.status, s.blocks.map((b) => `${b.id}:${b.status}:${b.executions}`)])).toEqual([
        ['prepare', 'passed', ['prepare:passed:1']],
        ['restart', 'passed', ['restart:passed:1']],
        ['dashboards', 'pending', []],
      ]);

      const next = await w.run(book, ['--yes']);
      expect(next.code, next.all).toBe(0);
      expect(w.lines('counter.txt')).toEqual(['prepare', 'restart']);
      // A second loss after this repair is still rebuilt whole: the new journal does not pose as complete.
      unlinkSync(join(dir, 'checkpoint.json'));
      const again = await w.waymark(['repair', book]);
      expect(again.code, again.all).toBe(0);
      expect(w.checkpoint('checklist').steps.map((s) => s.status)).toEqual(['passed', 'passed', 'passed']);
    },
    T,
  );

  it(
    'keeps an unusable checkpoint aside, never overwriting it, and rebuilds',
    async () => {
      const w = ws();
      const { book, dir } = await twoStepsPassed(w);
      writeFileSync(join(dir, 'checkpoint.json'), '{"steps":[]}');

      const repair = await w.waymark(['repair', book]);
      expect(repair.code, repair.all).toBe(0);
      const aside = readdirSync(dir).filter((name) => name.startsWith('checkpoint.json.unusable-'));
      expect(aside).toHaveLength(1);
      expect(readFileSync(join(dir, aside[0] as string), 'utf8')).toBe('{"steps":[]}');
      expect(repair.stdout).toContain(`kept as ${join(dir, aside[0] as string)}`);
      expect(w.checkpoint('checklist').steps.map((s) => s.status)).toEqual(['passed', 'passed', 'pending']);
    },
    T,
  );

  it.each([
    ['missing', (audit: string) => rmSync(audit)],
    ['edited', (audit: string) => writeFileSync(audit, readFileSync(audit, 'utf8').replace('"prepare"', '"prepared"'))],
  ])(
    'refuses with exit 2 and writes nothing when the audit trail is %s',
    async (_name, damage) => {
      const w = ws();
      const { book, dir } = await twoStepsPassed(w);
      unlinkSync(join(dir, 'checkpoint.json'));
      damage(join(dir, 'audit.jsonl'));
      const before = stateFiles(w);

      const repair = await w.waymark(['repair', book]);
      expect(repair.code, repair.all).toBe(2);
      expect(repair.stderr).toContain('cannot rebuild the checkpoint of this run');
      expect(repair.stderr).toContain('audit.jsonl');
      expect(existsSync(join(dir, 'checkpoint.json'))).toBe(false);
      expect(stateFiles(w)).toEqual(before);
    },
    T,
  );
});

describe('a refused --new-run changes nothing', () => {
  it.each([
    ['cut short mid-record', (audit: string) => appendFileSync(audit, '{"seq":99,"ts":')],
    ['cut at a line end', (audit: string) => writeFileSync(audit, `${readFileSync(audit, 'utf8').split('\n').slice(0, 3).join('\n')}\n`)],
  ])(
    'reproduced: with an audit trail %s, --new-run exited 2 but had already marked the old run abandoned',
    async (_name, cut) => {
      const w = ws();
      const { book, run, dir } = await twoStepsPassed(w);
      cut(join(dir, 'audit.jsonl'));
      const before = stateFiles(w);

      const result = await w.run(book, ['--new-run', '--yes']);
      expect(result.code, result.all).toBe(2);
      expect(stateFiles(w)).toEqual(before);
      expect(w.checkpoint('checklist', run).status).not.toBe('abandoned');
      expect(w.currentRun('checklist')).toBe(run);
      expect(readdirSync(join(w.state, 'checklist', 'runs'))).toEqual([run]);
      expect(w.lines('counter.txt')).toEqual(['prepare', 'restart']);
    },
    T,
  );
});

describe('a --new-run refused for its flags changes nothing', () => {
  // Reproduced by the attack pass on the merged fixes: `--new-run --only nosuchtag` (or a
  // mistyped --skip-tag, --override, --skip) exited 2 as a usage error, but only after the old run
  // had been archived and a new one started; the next plain run re-ran the passed blocks.
  it.each([
    ['--only nosuchtag', ['--only', 'nosuchtag']],
    ['--skip-tag nosuchtag', ['--skip-tag', 'nosuchtag']],
    ['--override nosuch=REASON', ['--override', 'nosuch=a reason long enough']],
    ['--skip nosuch=REASON', ['--skip', 'nosuch=a reason long enough']],
  ])(
    '%s with --new-run exits 2 before the old run is archived',
    async (_name, flags) => {
      const w = ws();
      const { book, run } = await twoStepsPassed(w);
      const before = stateFiles(w);

      const result = await w.run(book, ['--new-run', ...flags]);
      expect(result.code, result.all).toBe(2);
      expect(stateFiles(w)).toEqual(before);
      expect(w.currentRun('checklist')).toBe(run);

      // The run goes on where it stopped: nothing that passed runs again.
      const resumed = await w.run(book, ['--yes']);
      expect(resumed.code, resumed.all).toBe(0);
      expect(w.lines('counter.txt').slice(0, 2)).toEqual(['prepare', 'restart']);
      expect(w.lines('counter.txt').filter((line) => line === 'prepare')).toHaveLength(1);
    },
    T,
  );
});

describe('a lost current.json', () => {
  // Reproduced by the attack pass on the merged fixes: with current.json removed while a run was
  // unfinished, the next run silently started over from step 1 and re-ran every passed block.
  it(
    'is refused (exit 2) while a run never ended, naming it and the line that restores the file; --new-run starts over on purpose',
    async () => {
      const w = ws();
      const { book, run } = await twoStepsPassed(w);
      const current = join(w.bookDir('checklist'), 'current.json');
      unlinkSync(current);
      const before = stateFiles(w);

      const refused = await w.run(book, ['--yes']);
      expect(refused.code, refused.all).toBe(2);
      expect(refused.stderr).toContain(`run ${run} of`);
      expect(refused.stderr).toContain(`echo '{"runId":"${run}"}' > ${current}`);
      expect(stateFiles(w)).toEqual(before);
      expect(w.lines('counter.txt')).toEqual(['prepare', 'restart']);

      writeFileSync(current, `{"runId":"${run}"}`);
      const resumed = await w.run(book, ['--yes']);
      expect(resumed.code, resumed.all).toBe(0);
      expect(w.lines('counter.txt').filter((line) => line === 'prepare')).toHaveLength(1);
    },
    T,
  );
});

describe('a run that never began', () => {
  // Reproduced by the crash harness in CI (200 kills, seed 273526): SIGKILL after a new run's
  // folder and checkpoint were written but before current.json named it; every later start was
  // refused (exit 2) as if a run that had passed blocks had lost its current.json.
  it(
    'is not a lost run: a crash before current.json named it, or a run in which nothing ran, does not hold the next start',
    async () => {
      const w = ws();
      const book = w.write(
        'confirm-first.md',
        '---\ntitle: Confirm first\nid: confirm-first\n---\n# Confirm first\n\n## Drain {#drain}\n\n```sh name=drain confirm\necho drain >> counter.txt\n```\n',
      );
      const waiting = await w.run(book);
      expect(waiting.code, waiting.all).toBe(4);
      expect(w.lines('counter.txt')).toEqual([]);
      const never = w.currentRun('confirm-first');
      unlinkSync(join(w.bookDir('confirm-first'), 'current.json'));
      // And one killed between creating its folder and writing anything in it.
      mkdirSync(join(w.bookDir('confirm-first'), 'runs', '20261204T000000Z-0000'));

      const started = await w.run(book, ['--yes']);
      expect(started.code, started.all).toBe(0);
      expect(w.lines('counter.txt')).toEqual(['drain']);
      expect(w.currentRun('confirm-first')).not.toBe(never);
    },
    T,
  );
});
