/**
 * Front matter `include:` — paths relative to the including file, never outside the top runbook's
 * folder unless --allow-outside-includes, and a cycle is a lint error that shows the whole chain.
 */
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_INCLUDE_DEPTH } from '../../src/runbook/compose.js';
import { waymark } from '../support/binary.js';
import { useScratch } from '../support/workspace.js';

const scratch = useScratch('wm-includes-');
const T = 30_000;

/** A fragment of service `service` with one step that appends `text` to $LOG. */
function fragment(service: string, text: string, front = ''): string {
  return `---\nservice: ${service}\n${front}---\n# ${service}\n\n## Upgrade ${service} {#upgrade}\n\n\`\`\`sh\necho ${text} >> "$LOG"\n\`\`\`\n`;
}

function top(includes: string[], id = 'top'): string {
  return `---\nid: ${id}\nvars:\n  LOG: { required: true }\ninclude:\n${includes.map((i) => `  - ${i}\n`).join('')}---\n# Top\n\n## Begin {#begin}\n\n\`\`\`sh\necho begin >> "$LOG"\n\`\`\`\n`;
}

describe.concurrent('includes', () => {
  it(
    'resolves each include relative to the file that includes it, from any working directory',
    async () => {
      const s = scratch();
      // ops/upgrade.md includes services/nova.md, which includes ../shared/rpc.md: that is ops/shared/rpc.md.
      const book = s.write('ops/upgrade.md', top(['services/nova.md']));
      s.write('ops/services/nova.md', fragment('nova', 'nova', 'include: ../shared/rpc.md\n'));
      s.write('ops/shared/rpc.md', fragment('rpc', 'rpc'));
      // A decoy where a path relative to the top runbook (or to the cwd) would land.
      s.write('ops/rpc.md', fragment('decoy', 'decoy'));

      for (const [cwd, path] of [
        [s.path('ops', 'services'), '../upgrade.md'],
        ['/', book],
      ] as const) {
        const plan = await waymark(['plan', path, '--json'], { cwd: cwd });
        expect(plan.code, plan.all).toBe(0);
        const steps = (JSON.parse(plan.stdout) as { steps: { id: string; service: string | null }[] }).steps;
        expect(steps.map((st) => st.id)).toEqual(['begin', 'nova-upgrade', 'rpc-upgrade']);
      }

      const log = s.path('log.txt');
      const run = await s.run(book, ['--var', `LOG=${log}`], s.dir);
      expect(run.code, run.all).toBe(0);
      expect(s.lines(log)).toEqual(['begin', 'nova', 'rpc']);
    },
    T,
  );

  it(
    "a fragment's blocks run in the fragment's own folder",
    async () => {
      const s = scratch();
      const book = s.write('ops/upgrade.md', top(['services/glance.md']));
      s.write('ops/services/glance.md', '---\nservice: glance\n---\n## Mark {#mark}\n\n```sh\npwd > where.txt\n```\n');
      const run = await s.run(book, ['--var', `LOG=${s.path('log.txt')}`]);
      expect(run.code, run.all).toBe(0);
      expect(s.lines(s.path('ops/services/where.txt'))).toEqual([s.path('ops/services')]);
    },
    T,
  );

  it(
    'an include that leaves the top runbook folder is a lint error and the run refuses, unless --allow-outside-includes',
    async () => {
      const s = scratch();
      const book = s.write('ops/upgrade.md', top(['services/nova.md', '../shared/cinder.md']));
      s.write('ops/services/nova.md', fragment('nova', 'nova'));
      s.write('shared/cinder.md', fragment('cinder', 'cinder'));
      const log = s.path('log.txt');

      const lint = await waymark(['lint', book]);
      expect(lint.code, lint.all).toBe(2);
      expect(lint.stdout).toContain(
        `${book}:7: error: include ../shared/cinder.md leaves the runbook's folder ${s.path('ops')}; move it inside, or pass --allow-outside-includes`,
      );

      const refused = await s.run(book, ['--var', `LOG=${log}`]);
      expect(refused.code, refused.all).toBe(2);
      expect(refused.stderr).toContain('--allow-outside-includes');
      expect(s.lines(log), 'nothing ran').toEqual([]);
      expect(existsSync(s.state) ? s.runs('top') : [], 'no run was started').toEqual([]);

      // A fragment's own include may not leave the top runbook's folder either.
      s.write('ops/services/nova.md', fragment('nova', 'nova', 'include: ../../shared/cinder.md\n'));
      const nested = await waymark(['lint', s.path('ops/upgrade.md')]);
      expect(nested.stdout).toContain(
        `${s.path('ops/services/nova.md')}:3: error: include ../../shared/cinder.md leaves the runbook's folder`,
      );

      s.write('ops/upgrade.md', top(['services/nova.md']));
      const plan = await waymark(['plan', book, '--allow-outside-includes', '--json']);
      expect(plan.code, plan.all).toBe(0);
      expect((JSON.parse(plan.stdout) as { steps: { id: string }[] }).steps.map((st) => st.id)).toEqual([
        'begin',
        'nova-upgrade',
        'cinder-upgrade',
      ]);
      const allowed = await s.run(book, ['--var', `LOG=${log}`, '--allow-outside-includes']);
      expect(allowed.code, allowed.all).toBe(0);
      expect(s.lines(log)).toEqual(['begin', 'nova', 'cinder']);
      // The run's report reads the same composition, with the same flag.
      const report = await s.waymark(['report', book, '--format', 'json', '--allow-outside-includes']);
      expect(report.code, report.all).toBe(0);
      expect(report.stdout).toContain('cinder-upgrade');
    },
    T,
  );

  it(
    'a symlink inside the folder that points outside it is refused like ../',
    async () => {
      const s = scratch();
      s.write('elsewhere/nova.md', fragment('nova', 'nova'));
      const book = s.write('ops/upgrade.md', top(['linked/nova.md']));
      symlinkSync(s.path('elsewhere'), s.path('ops/linked'));
      const lint = await waymark(['lint', book]);
      expect(lint.code, lint.all).toBe(2);
      expect(lint.stdout).toContain(`${book}:6: error: include linked/nova.md leaves the runbook's folder`);
      expect((await waymark(['lint', book, '--allow-outside-includes'])).code).toBe(0);
    },
    T,
  );

  it(
    'accepts an absolute include path, and a file inside the folder whose name starts with ".."',
    async () => {
      const s = scratch();
      mkdirSync(s.path('ops'));
      const inside = s.write('ops/services/nova.md', fragment('nova', 'nova'));
      s.write('ops/..cinder.md', fragment('cinder', 'cinder'));
      const outside = s.write('shared/glance.md', fragment('glance', 'glance'));
      const book = s.write('ops/upgrade.md', top([inside, '..cinder.md']));
      const plan = await waymark(['plan', book, '--json']);
      expect(plan.code, plan.all).toBe(0);
      expect((JSON.parse(plan.stdout) as { steps: { id: string }[] }).steps.map((st) => st.id)).toEqual([
        'begin',
        'nova-upgrade',
        'cinder-upgrade',
      ]);

      s.write('ops/upgrade.md', top([inside, outside]));
      expect((await waymark(['lint', book])).stdout).toContain(`include ${outside} leaves the runbook's folder`);
      const log = s.path('log.txt');
      const run = await s.run(book, ['--var', `LOG=${log}`, '--allow-outside-includes']);
      expect(run.code, run.all).toBe(0);
      expect(s.lines(log)).toEqual(['begin', 'nova', 'glance']);
    },
    T,
  );

  it(
    'an include cycle is a lint error naming the file and line that closes it and the whole chain',
    async () => {
      const s = scratch();
      const book = s.write('ops/upgrade.md', top(['a.md']));
      s.write('ops/a.md', fragment('a', 'a', 'include: b.md\n'));
      s.write('ops/b.md', fragment('b', 'b', 'include: [c.md]\n'));
      s.write('ops/c.md', fragment('c', 'c', 'include:\n  - ../ops/a.md\n'));

      const lint = await waymark(['lint', 'upgrade.md'], { cwd: s.path('ops') });
      expect(lint.code, lint.all).toBe(2);
      expect(lint.stdout.trim().split('\n')).toEqual(['c.md:4: error: include cycle: a.md → b.md → c.md → a.md']);
      const json = await waymark(['lint', book, '--json']);
      expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ rule: 'include-cycle', severity: 'error', line: 4 })]);

      const run = await s.run(book, ['--var', `LOG=${s.path('log.txt')}`]);
      expect(run.code, run.all).toBe(2);
      expect(run.stderr).toContain('include cycle');
      expect(s.lines(s.path('log.txt'))).toEqual([]);
    },
    T,
  );

  it('reproduced: a 15,000-deep include chain overflowed the stack (exit 70); now a lint error at depth 16 naming the chain, exit 2', async () => {
    const s = scratch();
    const depth = 15_000;
    const book = s.write('ops/upgrade.md', top(['f1.md']));
    for (let i = 1; i <= depth; i++) s.write(`ops/f${i}.md`, fragment(`f${i}`, `f${i}`, i < depth ? `include: f${i + 1}.md\n` : ''));

    const lint = await waymark(['lint', 'upgrade.md'], { cwd: s.path('ops') });
    expect(lint.code, lint.all).toBe(2);
    // The top runbook and 16 fragments below it are read; f16's include of f17 is the one too deep.
    expect(lint.stdout.trim().split('\n')).toEqual([
      `f16.md:3: error: includes nest deeper than ${MAX_INCLUDE_DEPTH} files: upgrade.md → f1.md → f2.md → … 12 more … → f15.md → f16.md → f17.md`,
    ]);
    const json = await waymark(['lint', book, '--json']);
    expect(JSON.parse(json.stdout)).toEqual([expect.objectContaining({ rule: 'include-depth', severity: 'error', line: 3 })]);

    const run = await s.run(book, ['--var', `LOG=${s.path('log.txt')}`]);
    expect(run.code, run.all).toBe(2);
    expect(run.stderr).toContain('includes nest deeper than 16 files');
    expect(s.lines(s.path('log.txt'))).toEqual([]);
  }, 120_000);

  it(
    'includes nested exactly 16 deep are composed',
    async () => {
      const s = scratch();
      const book = s.write('ops/upgrade.md', top(['f1.md']));
      for (let i = 1; i <= MAX_INCLUDE_DEPTH; i++)
        s.write(`ops/f${i}.md`, fragment(`f${i}`, `f${i}`, i < MAX_INCLUDE_DEPTH ? `include: f${i + 1}.md\n` : ''));
      const lint = await waymark(['lint', book]);
      expect(lint.code, lint.all).toBe(0);
    },
    T,
  );

  it(
    'a runbook that includes itself, directly or through a symlink, is a cycle too',
    async () => {
      const s = scratch();
      s.write('ops/self.md', top(['self.md'], 'self'));
      expect((await waymark(['lint', 'self.md'], { cwd: s.path('ops') })).stdout.trim()).toBe(
        'self.md:6: error: include cycle: self.md → self.md',
      );

      s.write('ops/upgrade.md', top(['loop/upgrade.md']));
      symlinkSync('.', s.path('ops/loop'));
      const lint = await waymark(['lint', 'upgrade.md'], { cwd: s.path('ops') });
      expect(lint.code, lint.all).toBe(2);
      expect(lint.stdout.trim()).toBe('upgrade.md:6: error: include cycle: upgrade.md → loop/upgrade.md');
    },
    T,
  );

  it(
    'a missing include is a lint error on the include line',
    async () => {
      const s = scratch();
      const book = s.write('ops/upgrade.md', top(['services/nova.md', 'services/novaa.md']));
      s.write('ops/services/nova.md', fragment('nova', 'nova'));
      const lint = await waymark(['lint', book]);
      expect(lint.code).toBe(2);
      expect(lint.stdout.trim()).toBe(`${book}:7: error: include services/novaa.md: cannot read runbook: no such file`);
    },
    T,
  );
});
