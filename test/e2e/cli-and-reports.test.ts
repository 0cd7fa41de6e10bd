/**
 * The real binary (issue 12, "CLI face" and "reports say what happened"). Reproduced before it:
 * `waymark --version` and `waymark runbooks/` were unknown commands, `waymark RUNBOOK.md --bogus`
 * printed Node's parser paragraph; and after a refused check was fixed and a block was killed with
 * waymark and re-run on resume, the report read `passed` with `attempts 1` for both.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, spawnWaymark, waymark } from '../support/binary.js';
import { waitFor } from '../support/wait.js';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-cli-');
const T = 60_000;

describe('the CLI face of the real binary', () => {
  it(
    'prints its version, refuses a folder and a bad option in one line each, and takes options before the runbook',
    async () => {
      const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
      expect(await waymark(['--version'])).toMatchObject({ code: 0, stdout: `waymark ${version}`, stderr: '' });

      const folder = await waymark([ws().dir]);
      expect(folder.code).toBe(2);
      expect(folder.stderr).toBe(
        `waymark: ${ws().dir}: cannot read runbook: it is a directory (name a runbook file in it, or see "waymark list ${ws().dir}")`,
      );

      const book = ws().fixture('complete.md');
      const bogus = await waymark([book, '--bogus']);
      expect(bogus.code).toBe(2);
      expect(bogus.stderr).toBe('waymark: unknown option --bogus for waymark run; "waymark run --help" lists its options');

      const help = await waymark([book, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^usage: waymark RUNBOOK\.md \[options\]/);

      const before = await waymark(['--state-dir', ws().state, book, '--headless'], { cwd: ws().dir });
      expect(before.code, before.all).toBe(0);
      expect((await ws().status(book)).status).toBe('complete');
    },
    T,
  );
});

const STORY = `---
title: A run with a fix and a crash
id: story
---
# A run with a fix and a crash

## Gate {#gate}

\`\`\`sh check name=charset
if [ -e latin1 ]; then echo "2 tables still latin1"; exit 1; fi
echo "all utf8"
\`\`\`

## Migrate {#migrate}

\`\`\`sh confirm name=migrate
echo $$ > migrate.pid
echo started >> counter.txt
[ -e resumed ] || sleep 20
echo migrated >> counter.txt
\`\`\`

## Dashboards {#look}

- [ ] The API error rate is back to normal
`;

describe('the reports after a fix, a crash and a resume', () => {
  it(
    'show every execution with its outcome, the confirmations and the ticked text, the same in md, json and junit',
    async () => {
      const w = ws();
      const book = w.write('story.md', STORY);
      w.write('latin1', '');
      const refused = await w.run(book, ['--yes', '--operator', 'alice']);
      expect(refused.code, refused.all).toBe(3);

      // Fixed; then waymark dies (SIGKILL) while the migration runs.
      rmSync(w.path('latin1'));
      const child = spawnWaymark(['run', book, '--headless', '--yes', '--operator', 'alice', '--state-dir', w.state], { cwd: w.dir });
      expect(await waitFor(() => w.lines('counter.txt').includes('started'), 20_000)).toBe(true);
      child.kill('SIGKILL');
      await child;
      // The block's shell outlives waymark (its own process group): end it, as an operator would.
      const pid = Number(readFileSync(w.path('migrate.pid'), 'utf8'));
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, 'SIGKILL');
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
        }
      }

      // Before any resume, the report reads the killed execution as interrupted, not running.
      const killed = JSON.parse((await w.waymark(['report', book, '--format', 'json'])).stdout) as {
        status: string;
        steps: { id: string; blocks: { history: { result: string }[] }[] }[];
      };
      expect(killed.status).toBe('interrupted');
      expect(killed.steps.find((st) => st.id === 'migrate')?.blocks[0]?.history.map((e) => e.result)).toEqual(['interrupted']);

      w.write('resumed', '');
      const resumed = await w.run(book, ['--yes', '--rerun-interrupted', '--operator', 'alice']);
      expect(resumed.code, resumed.all).toBe(0);

      const json = JSON.parse((await w.waymark(['report', book, '--format', 'json'])).stdout) as {
        steps: {
          id: string;
          blocks: {
            id: string;
            status: string;
            history: { execution: number; result: string; confirmed?: { by: string; automatic?: boolean } }[];
          }[];
        }[];
        decisions: { step: string; kind: string; subject?: string; decision: { by: string; at: string } }[];
      };
      const blockOf = (id: string) => json.steps.flatMap((s) => s.blocks).find((b) => b.id === id);
      expect(blockOf('charset')?.history.map((e) => e.result)).toEqual(['refused', 'passed']);
      expect(blockOf('migrate')?.history.map((e) => [e.result, e.confirmed?.by, e.confirmed?.automatic])).toEqual([
        ['interrupted', 'alice', true],
        ['passed', 'alice', true],
      ]);
      const tick = json.decisions.find((d) => d.kind === 'ticked');
      expect(tick).toMatchObject({ step: 'look', subject: 'The API error rate is back to normal', decision: { by: 'alice' } });

      const md = (await w.waymark(['report', book])).stdout;
      expect(md).toMatch(/\| gate \| charset \| 1 \| refused \| 1 \| 1 \| .+ \| exit 1, expected 0 \|/);
      expect(md).toMatch(/\| gate \| charset \| 2 \| passed \| 0 \|/);
      expect(md).toMatch(/\| migrate \| migrate \| 1 \| interrupted \| .*\| alice at \S+ \(automatic\) \|/);
      expect(md).toMatch(/\| migrate \| migrate \| 2 \| passed \| 0 \| .*\| alice at \S+ \(automatic\) \|/);
      expect(md).toContain('| look |  | ticked: The API error rate is back to normal (automatic) | alice |');

      const junit = (await w.waymark(['report', book, '--format', 'junit'])).stdout;
      expect(junit).toContain('execution 1: refused (exit 1, expected 0)');
      expect(junit).toContain('execution 1: interrupted');
      expect(junit).toMatch(/execution 2: passed \(exit 0\), started \S+, confirmed by alice at \S+ \(automatic\)/);
      expect(junit).toMatch(/ticked: The API error rate is back to normal by alice at \S+ \(automatic\)/);
    },
    T,
  );
});
