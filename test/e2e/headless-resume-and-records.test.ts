/**
 * What a run leaves behind and how a second invocation treats it: passed blocks are never run
 * again, `status --json` and the reports describe the run, the audit trail's chain exposes any
 * edit, and a runbook changed since a block passed (drift) runs that block again, audited.
 */
import { cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { waymark } from '../support/binary.js';
import { filesUnder, useWorkspace, type Workspace } from '../support/workspace.js';

const ws = useWorkspace();
const T = 60_000;

const STEP_STATUSES = ['pending', 'running', 'passed', 'failed', 'refused', 'skipped', 'overridden', 'waiting', 'interrupted'];
const RUN_STATUSES = ['none', 'running', 'complete', 'failed', 'refused', 'waiting', 'interrupted'];

describe('resuming a run', () => {
  it(
    'never runs a passed block again on a second invocation',
    async () => {
      const book = ws().fixture('checklist.md');
      const first = await ws().run(book);
      expect(first.code).toBe(4);
      expect(ws().lines('counter.txt')).toEqual(['prepare', 'restart']);
      const run = ws().currentRun('checklist');

      const second = await ws().run(book, ['--yes']);
      expect(second.code, second.all).toBe(0);
      expect(second.stdout).toContain(`run ${run}`);
      expect(ws().lines('counter.txt')).toEqual(['prepare', 'restart']);
      expect(second.stdout).not.toMatch(/^-> /m);
      expect(
        ws()
          .audit('checklist')
          .filter((r) => r.type === 'block-started'),
      ).toHaveLength(2);
    },
    T,
  );

  it(
    'after a failed block is fixed, the next invocation retries only that block',
    async () => {
      const book = ws().fixture('failing.md');
      ws().write('disk-full', '');
      expect((await ws().run(book)).code).toBe(1);
      const stillFull = await ws().run(book);
      expect(stillFull.code).toBe(1);
      expect(stillFull.stdout).toContain('retrying block migrate');

      rmSync(ws().path('disk-full'));
      const fixed = await ws().run(book);
      expect(fixed.code, fixed.all).toBe(0);
      expect(ws().lines('counter.txt')).toEqual(['before', 'migrate']);
      const starts = ws()
        .audit('failing')
        .filter((r) => r.type === 'block-started')
        .map((r) => `${String(r.block)}#${String(r.execution)}`);
      expect(starts).toEqual(['before#1', 'migrate#1', 'migrate#2', 'migrate#3']);
      // One log file per execution, each with its own output.
      const logs = join(ws().runDir('failing'), 'logs');
      expect(readFileSync(join(logs, 'migrate.1.log'), 'utf8')).toContain('no space left on device');
      expect(readFileSync(join(logs, 'migrate.3.log'), 'utf8')).not.toContain('no space left on device');
    },
    T,
  );

  it(
    'reproduced: a run started with --profile testbed resumed with --profile production and migrated production; settings are fixed at the start',
    async () => {
      const book = ws().fixture('profiles.md');
      const env = { WM_TEST_DB_PASSWORD: 's3cret-pass' };
      const first = await ws().run(book, ['--profile', 'testbed', '--var', 'LABEL=blue'], env);
      expect(first.code, first.all).toBe(4);
      expect(ws().lines('counter.txt')).toEqual(['check testbed']);
      const run = ws().currentRun('profiles');
      const before = readFileSync(join(ws().runDir('profiles'), 'audit.jsonl'), 'utf8');

      // Another profile or another value: refused, each difference named, nothing run or recorded.
      const production = await ws().run(book, ['--profile', 'production', '--var', 'LABEL=green', '--yes'], env);
      expect(production.code, production.all).toBe(2);
      expect(production.stderr).toContain(`run ${run} was started with other settings`);
      expect(production.stderr).toContain('--profile production: the run was started with --profile testbed');
      expect(production.stderr).toContain('--var LABEL=green: the run was started with LABEL=blue');
      expect(production.stderr).toContain('--new-run');
      expect(ws().lines('counter.txt')).toEqual(['check testbed']);
      expect(readFileSync(join(ws().runDir('profiles'), 'audit.jsonl'), 'utf8')).toBe(before);
      expect(ws().checkpoint('profiles').profile).toBe('testbed');

      // Without flags, the run goes on with its own profile and values; the secret is read again.
      const resumed = await ws().run(book, ['--yes'], env);
      expect(resumed.code, resumed.all).toBe(0);
      expect(resumed.stdout).toContain(`run ${run}, operator`);
      expect(resumed.stdout).toContain('profile testbed');
      expect(ws().lines('counter.txt')).toEqual(['check testbed', 'migrate testbed blue s3cret-pass']);
      expect(
        ws()
          .audit('profiles')
          .find((r) => r.type === 'run-resumed'),
      ).toMatchObject({ profile: 'testbed' });
    },
    T,
  );

  it(
    'reproduced: a secret changed between the start and the resume (testbed URL, then production URL) went on against the new value; now refused, naming it, with nothing of it on disk',
    async () => {
      const book = ws().fixture('profiles.md');
      const first = await ws().run(book, ['--profile', 'testbed'], { WM_TEST_DB_PASSWORD: 'testbed-db-pass' });
      expect(first.code, first.all).toBe(4);
      const before = readFileSync(join(ws().runDir('profiles'), 'audit.jsonl'), 'utf8');

      const changed = await ws().run(book, ['--yes'], { WM_TEST_DB_PASSWORD: 'production-db-pass' });
      expect(changed.code, changed.all).toBe(2);
      expect(changed.stderr).toContain('secret DB_PASSWORD: its value is not the one the run started with');
      expect(changed.stderr).toContain('--new-run');
      expect(ws().lines('counter.txt')).toEqual(['check testbed']);
      expect(readFileSync(join(ws().runDir('profiles'), 'audit.jsonl'), 'utf8')).toBe(before);
      for (const file of filesUnder(ws().state)) {
        const text = readFileSync(file, 'utf8');
        expect(text, file).not.toContain('testbed-db-pass');
        expect(text, file).not.toContain('production-db-pass');
      }

      const same = await ws().run(book, ['--yes'], { WM_TEST_DB_PASSWORD: 'testbed-db-pass' });
      expect(same.code, same.all).toBe(0);
      expect(ws().lines('counter.txt')).toEqual(['check testbed', 'migrate testbed plain testbed-db-pass']);
    },
    T,
  );

  it(
    'a new run takes the new settings: with --new-run the check runs again under them',
    async () => {
      const book = ws().fixture('profiles.md');
      expect((await ws().run(book, ['--profile', 'testbed'])).code).toBe(4);
      const fresh = await ws().run(book, ['--profile', 'production', '--new-run', '--yes']);
      expect(fresh.code, fresh.all).toBe(3);
      expect(fresh.stdout).toContain('production is not ready');
      expect(ws().lines('counter.txt')).toEqual(['check testbed']);
    },
    T,
  );

  it(
    '--new-run archives the unfinished run and starts over',
    async () => {
      const book = ws().fixture('checklist.md');
      expect((await ws().run(book)).code).toBe(4);
      const first = ws().currentRun('checklist');
      const result = await ws().run(book, ['--new-run', '--yes']);
      expect(result.code, result.all).toBe(0);
      expect(result.stdout).toContain(`run ${first} (unfinished) was archived`);
      const second = ws().currentRun('checklist');
      expect(second).not.toBe(first);
      expect(ws().checkpoint('checklist', first).status).toBe('abandoned');
      expect(ws().audit('checklist', first).at(-1)?.type).toBe('run-abandoned');
      expect(ws().lines('counter.txt')).toEqual(['prepare', 'restart', 'prepare', 'restart']);
      expect((await ws().waymark(['audit', book, '--verify', '--run', first])).code).toBe(0);
      expect((await ws().waymark(['audit', book, '--verify'])).code).toBe(0);
    },
    T,
  );

  it(
    'state files are created 0600 and directories 0700',
    async () => {
      const book = ws().fixture('failing.md');
      ws().write('disk-full', '');
      expect((await ws().run(book)).code).toBe(1);
      const files = filesUnder(ws().state);
      expect(files.length).toBeGreaterThanOrEqual(5);
      for (const file of files) expect([file, statSync(file).mode & 0o777]).toEqual([file, 0o600]);
      for (const dir of new Set(files.map((f) => dirname(f)))) expect([dir, statSync(dir).mode & 0o777]).toEqual([dir, 0o700]);
      expect(statSync(ws().state).mode & 0o777).toBe(0o700);
    },
    T,
  );

  it(
    'reproduced: the same command re-executed every block of a complete run; now it runs nothing, says which run ended when, and --new-run starts another',
    async () => {
      const book = ws().fixture('complete.md');
      expect((await ws().run(book)).code).toBe(0);
      const first = ws().currentRun('complete');
      const files = ['audit.jsonl', 'checkpoint.json', 'checkpoint.journal']
        .map((name) => join(ws().runDir('complete'), name))
        .filter((file) => existsSync(file));
      const before = files.map((file) => readFileSync(file, 'utf8'));

      const again = await ws().run(book);
      expect(again.code, again.all).toBe(0);
      expect(again.stdout).toMatch(
        new RegExp(
          `run ${first} of \\S+complete\\.md is complete \\(finished \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\); nothing was run`,
        ),
      );
      expect(again.stdout).toContain('--new-run starts another run');
      // The command for the change ticket's evidence, named as the operator typed the runbook (from its folder).
      expect(again.stdout).toContain('evidence: waymark evidence complete.md --out FILE.tar.gz.');
      expect(again.stdout).not.toContain('-> ');
      expect(ws().lines('counter.txt')).toEqual(['first: hello', 'second']);
      // The finished run is only looked at: its checkpoint and trail are byte for byte as they ended.
      expect(ws().currentRun('complete')).toBe(first);
      expect(files.map((file) => readFileSync(file, 'utf8'))).toEqual(before);
      const verify = await ws().waymark(['audit', book, '--verify']);
      expect(verify.code, verify.all).toBe(0);
      expect((await ws().status(book)).status).toBe('complete');

      const fresh = await ws().run(book, ['--new-run']);
      expect(fresh.code, fresh.all).toBe(0);
      expect(ws().currentRun('complete')).not.toBe(first);
      expect(ws().lines('counter.txt')).toEqual(['first: hello', 'second', 'first: hello', 'second']);
    },
    T,
  );
});

describe('status --json', () => {
  it(
    'before any run: run null, status none, the runbook steps pending',
    async () => {
      const book = ws().fixture('gates.md');
      const status = await ws().status(book);
      expect(status).toMatchObject({ runbook: 'gates', run: null, status: 'none' });
      expect(status.steps.map((s) => s.id)).toEqual(['rpc', 'upgrade-check', 'free-space', 'ntp', 'upgrade']);
    },
    T,
  );

  it(
    'has the documented status --json fields for every step and block',
    async () => {
      const book = ws().fixture('gates.md');
      ws().write('low-space', '');
      expect((await ws().run(book)).code).toBe(3);
      const status = await ws().status(book);
      expect(status.runbook).toBe('gates');
      expect(status.run).toBe(ws().currentRun('gates'));
      expect(status.status).toBe('refused');
      expect(RUN_STATUSES).toContain(status.status);
      expect(status.steps.map((s) => [s.id, s.title, s.status])).toEqual([
        ['rpc', 'Services are on the new RPC version', 'passed'],
        ['upgrade-check', 'Upgrade checks', 'passed'],
        ['free-space', 'Free space', 'refused'],
        ['ntp', 'NTP is in sync', 'pending'],
        ['upgrade', 'Upgrade', 'pending'],
      ]);
      for (const step of status.steps) {
        expect(STEP_STATUSES).toContain(step.status);
        for (const block of step.blocks) {
          expect(Object.keys(block)).toEqual(expect.arrayContaining(['id', 'role', 'status', 'exitCode']));
        }
      }
      expect(status.steps.flatMap((s) => s.blocks).map((b) => [b.id, b.role, b.status, b.exitCode])).toEqual([
        ['rpc-version', 'check', 'passed', 0],
        ['nova-status', 'check', 'passed', 0],
        ['free-space', 'check', 'refused', 1],
        ['ntp-sync', 'check', 'pending', null],
        ['upgrade', 'run', 'pending', null],
      ]);
    },
    T,
  );
});

/** A small well-formedness check: every tag closes in order, and the document has one root. */
function xmlProblems(text: string): string | null {
  const body = text.replace(/^<\?xml[^>]*\?>\s*/, '');
  const stack: string[] = [];
  let roots = 0;
  for (const match of body.matchAll(/<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>/g)) {
    const [, closing, name, , selfClosing] = match;
    if (closing) {
      if (stack.pop() !== name) return `</${name}> closes the wrong element`;
    } else if (!selfClosing) {
      if (stack.length === 0) roots += 1;
      stack.push(name as string);
    } else if (stack.length === 0) roots += 1;
  }
  if (stack.length > 0) return `unclosed <${stack.join('>, <')}>`;
  if (roots !== 1) return `${roots} root elements`;
  if (/<(?![/?A-Za-z])/.test(body.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, ''))) return 'a stray <';
  return null;
}

describe('report', () => {
  async function refusedRun(w: Workspace): Promise<string> {
    const book = w.fixture('gates.md');
    w.write('stale-rpc', '');
    expect((await w.run(book)).code).toBe(3);
    return book;
  }

  it(
    '--format md shows the run, the refused check and its evidence',
    async () => {
      const book = await refusedRun(ws());
      const md = await ws().waymark(['report', book, '--format', 'md']);
      expect(md.code).toBe(0);
      expect(md.stdout).toContain('# Pre-upgrade gates');
      expect(md.stdout).toContain(ws().currentRun('gates'));
      expect(md.stdout).toContain('**refused**');
      expect(md.stdout).toMatch(/\| rpc \| rpc-version \| check \| refused \| 1 \|/);
      expect(md.stdout).toContain('nova-conductor on cmp-3 still reports RPC 4.0');
    },
    T,
  );

  it(
    '--format json parses and carries the run, its status and every block',
    async () => {
      const book = await refusedRun(ws());
      const out = await ws().waymark(['report', book, '--format', 'json']);
      expect(out.code).toBe(0);
      const report = JSON.parse(out.stdout) as {
        runbook: string;
        run: string;
        status: string;
        steps: { id: string; blocks: { id: string; status: string }[] }[];
      };
      expect(report).toMatchObject({ runbook: 'gates', run: ws().currentRun('gates'), status: 'refused' });
      expect(report.steps.flatMap((s) => s.blocks.map((b) => `${b.id}:${b.status}`))).toEqual([
        'rpc-version:refused',
        'nova-status:pending',
        'free-space:pending',
        'ntp-sync:pending',
        'upgrade:pending',
      ]);
    },
    T,
  );

  it(
    '--format junit is well-formed XML with testsuite, testcase and a failure for the refused check',
    async () => {
      const book = await refusedRun(ws());
      const out = await ws().waymark(['report', book, '--format', 'junit']);
      expect(out.code).toBe(0);
      expect(xmlProblems(out.stdout)).toBeNull();
      expect(out.stdout).toMatch(/<testsuites[^>]*failures="1"/);
      expect(out.stdout.match(/<testsuite /g)).toHaveLength(5);
      expect(out.stdout.match(/<testcase /g)).toHaveLength(5);
      expect(out.stdout).toMatch(/<testcase [^>]*name="check rpc-version"[^>]*>\s*<failure message="exit 1, expected 0">[^<]*RPC 4\.0/);
      expect(out.stdout.match(/<failure /g)).toHaveLength(1);
    },
    T,
  );

  it(
    '-o FILE writes the report to a file; an unknown format is exit 2',
    async () => {
      const book = await refusedRun(ws());
      const out = await ws().waymark(['report', book, '--format', 'junit', '-o', ws().path('report.xml')]);
      expect(out.code).toBe(0);
      expect(xmlProblems(readFileSync(ws().path('report.xml'), 'utf8'))).toBeNull();
      expect((await ws().waymark(['report', book, '--format', 'pdf'])).code).toBe(2);
    },
    T,
  );
});

describe('audit --verify', () => {
  async function finishedRun(w: Workspace): Promise<{ book: string; audit: string }> {
    const book = w.fixture('checklist.md');
    expect((await w.run(book)).code).toBe(4);
    expect((await w.run(book, ['--yes'])).code).toBe(0);
    return { book, audit: join(w.runDir('checklist'), 'audit.jsonl') };
  }

  function lines(file: string): string[] {
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l !== '');
  }

  function save(file: string, content: string[]): void {
    writeFileSync(file, `${content.join('\n')}\n`);
  }

  it(
    'exits 0 on an intact trail',
    async () => {
      const { book } = await finishedRun(ws());
      const result = await ws().waymark(['audit', book, '--verify']);
      expect(result.code, result.all).toBe(0);
      expect(result.stdout).toContain('intact');
    },
    T,
  );

  it.each([
    ['an edited record', (l: string[]) => l.map((line, i) => (i === 3 ? line.replace('"operator":"', '"operator":"mallory-') : line))],
    [
      'a record whose type was changed',
      (l: string[]) => {
        const at = l.findIndex((line) => line.includes('"type":"block-started"'));
        return l.map((line, i) => (i === at ? line.replace('"type":"block-started"', '"type":"block-skipped"') : line));
      },
    ],
    ['an inserted record (a copy of another)', (l: string[]) => [...l.slice(0, 4), l[2] as string, ...l.slice(4)]],
    ['a deleted record', (l: string[]) => l.filter((_, i) => i !== 3)],
    ['the last record deleted', (l: string[]) => l.slice(0, -1)],
    ['the last three records deleted', (l: string[]) => l.slice(0, -3)],
    ['two records swapped', (l: string[]) => [l[0] as string, l[2] as string, l[1] as string, ...l.slice(3)]],
  ])(
    'exits non-zero after %s, naming the line',
    async (_what, tamper) => {
      const { book, audit } = await finishedRun(ws());
      const before = lines(audit);
      const after = tamper(before);
      expect(after).not.toEqual(before);
      save(audit, after);
      const result = await ws().waymark(['audit', book, '--verify']);
      expect(result.code).not.toBe(0);
      expect(result.all).toMatch(/BROKEN at .*audit\.jsonl:\d+/);
    },
    T,
  );

  it(
    'verifies each copy of a state directory independently (tampering one leaves the other intact)',
    async () => {
      const { book, audit } = await finishedRun(ws());
      const copy = join(ws().dir, 'state-copy');
      cpSync(ws().state, copy, { recursive: true });
      save(
        audit,
        lines(audit).filter((_, i) => i !== 1),
      );
      expect((await ws().waymark(['audit', book, '--verify'])).code).not.toBe(0);
      const intact = await waymark(['audit', book, '--verify', '--state-dir', copy]);
      expect(intact.code, intact.all).toBe(0);
    },
    T,
  );
});

describe('drift', () => {
  it(
    'a passed block whose code changed runs again, the operator is told, and the audit records it',
    async () => {
      const book = ws().fixture('checklist.md');
      expect((await ws().run(book)).code).toBe(4);
      const run = ws().currentRun('checklist');
      writeFileSync(book, readFileSync(book, 'utf8').replace('echo prepare >> counter.txt', 'echo prepare-v2 >> counter.txt'));

      const result = await ws().run(book, ['--yes']);
      expect(result.code, result.all).toBe(0);
      expect(result.stdout).toMatch(/notice: drift: block prepare \(step prepare\) changed since it passed/);
      expect(ws().currentRun('checklist')).toBe(run);
      // Only the changed block ran again; the unchanged one did not.
      expect(ws().lines('counter.txt')).toEqual(['prepare', 'restart', 'prepare-v2']);
      const drift = ws()
        .audit('checklist')
        .filter((r) => r.type === 'drift');
      expect(drift).toEqual([expect.objectContaining({ kind: 'drift-changed', step: 'prepare', block: 'prepare' })]);
      // The operator is told before anything runs: the notice comes before the first block.
      expect(result.stdout.indexOf('notice: drift')).toBeLessThan(result.stdout.indexOf('-> run prepare'));
      expect((await ws().waymark(['audit', book, '--verify'])).code).toBe(0);
    },
    T,
  );

  it(
    'a new step inserted before the current one runs before the run goes on, and is audited',
    async () => {
      const book = ws().fixture('checklist.md');
      expect((await ws().run(book)).code).toBe(4);
      writeFileSync(
        book,
        readFileSync(book, 'utf8').replace(
          '## Restart {#restart}',
          '## Drain the API nodes {#drain}\n\n```sh name=drain\necho drain >> counter.txt\n```\n\n## Restart {#restart}',
        ),
      );
      const result = await ws().run(book, ['--yes']);
      expect(result.code, result.all).toBe(0);
      expect(result.stdout).toContain('notice: drift: new step drain before the current one');
      expect(ws().lines('counter.txt')).toEqual(['prepare', 'restart', 'drain']);
      expect(
        ws()
          .audit('checklist')
          .filter((r) => r.type === 'drift'),
      ).toEqual([expect.objectContaining({ kind: 'drift-new-step', step: 'drain', beforeCurrent: true })]);
      expect((await ws().status(book)).steps.map((s) => `${s.id}:${s.status}`)).toEqual([
        'prepare:passed',
        'drain:passed',
        'restart:passed',
        'dashboards:passed',
      ]);
    },
    T,
  );

  it(
    'a block whose code did not change is not drift, even when prose around it changed',
    async () => {
      const book = ws().fixture('checklist.md');
      expect((await ws().run(book)).code).toBe(4);
      writeFileSync(
        book,
        readFileSync(book, 'utf8').replace('## Restart {#restart}', '## Restart {#restart}\n\nRestart them one at a time.'),
      );
      const result = await ws().run(book, ['--yes']);
      expect(result.code, result.all).toBe(0);
      expect(ws().lines('counter.txt')).toEqual(['prepare', 'restart']);
      expect(
        ws()
          .audit('checklist')
          .some((r) => r.type === 'drift'),
      ).toBe(false);
    },
    T,
  );
});
