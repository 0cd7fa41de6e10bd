/**
 * The audit trail against crashes, a full disk, and someone who can write the state directory
 * (issue 10, items 7, 8, 9 and "audit integrity"). Each test reproduces what was found on the
 * old code and says so in its name: the trail re-anchored after a cut, transitions missing from
 * the trail after a kill, a torn record refusing every resume, and records or journal lines
 * rewritten without the key.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/state/audit.js';
import { waymark } from '../support/binary.js';
import { groupMembers, writtenPid } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { lockHolderPid, useWorkspace, type Workspace } from '../support/workspace.js';

const ws = useWorkspace('wm-trail-');
const T = 90_000;
const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Step two's block sleeps on its first execution only, so a test can kill waymark while it runs. */
const RUNBOOK = `---
id: trail
---
# Trail

## One {#one}

\`\`\`sh name=one
echo one >> counter.txt
\`\`\`

## Two {#two}

\`\`\`sh name=two
if [ ! -e slept ]; then touch slept; echo $$ > shell.pid; sleep 30; fi
echo two >> counter.txt
\`\`\`

## Three {#three}

\`\`\`sh name=three
echo three >> counter.txt
\`\`\`
`;

/** Run until block two is running, then SIGKILL waymark (and the orphaned block): a crash mid-run. */
async function killDuringTwo(w: Workspace): Promise<string> {
  const book = w.write('trail.md', RUNBOOK);
  const run = w.run(book);
  // A whole pid line, not just the file: an empty one read as pid 0, and kill(-0) signals this test's own group.
  expect(await waitFor(() => writtenPid(w.path('shell.pid')) !== undefined, 30_000), 'block two started').toBe(true);
  process.kill(await lockHolderPid(w), 'SIGKILL');
  await run;
  const shell = writtenPid(w.path('shell.pid')) as number;
  process.kill(-shell, 'SIGKILL');
  expect(await waitFor(() => groupMembers(shell).length === 0, 5000)).toBe(true);
  return book;
}

function auditFile(w: Workspace): string {
  return join(w.runDir('trail'), 'audit.jsonl');
}

function trailLines(w: Workspace): string[] {
  return readFileSync(auditFile(w), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

function saveLines(file: string, lines: string[]): void {
  writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
}

/** Every transition number in the trail, in order: each journaled transition must appear exactly once. */
function transitions(w: Workspace): number[] {
  return w.audit('trail').flatMap((r) => (typeof r.transition === 'number' ? [r.transition] : []));
}

describe('a trail cut after the checkpoint saw it (item 7)', () => {
  it(
    'reproduced: audit.jsonl deleted between sessions; resume started a new trail and --verify said intact. Now refused, exit 2, naming the record',
    async () => {
      const w = ws();
      const book = await killDuringTwo(w);
      rmSync(auditFile(w));
      const resumed = await w.run(book, ['--rerun-interrupted']);
      expect(resumed.code, resumed.all).toBe(2);
      expect(resumed.stderr).toMatch(/audit\.jsonl is missing, but the checkpoint saw its record \d+; the run cannot continue on it/);
      expect(existsSync(auditFile(w)), 'no new trail was started').toBe(false);
      expect(w.lines('counter.txt')).toEqual(['one']);
    },
    T,
  );

  it(
    'reproduced: the last records cut from audit.jsonl; resume chained onto what was left. Now refused, exit 2, naming the missing line',
    async () => {
      const w = ws();
      const book = await killDuringTwo(w);
      const lines = trailLines(w);
      saveLines(auditFile(w), lines.slice(0, -3));
      const resumed = await w.run(book, ['--rerun-interrupted']);
      expect(resumed.code, resumed.all).toBe(2);
      expect(resumed.stderr).toContain(`is broken at line ${lines.length - 2}: line ${lines.length - 2} is missing`);
      expect(trailLines(w)).toEqual(lines.slice(0, -3));
      expect(w.lines('counter.txt')).toEqual(['one']);
    },
    T,
  );
});

describe('a transition journaled but not audited when waymark was killed (item 8)', () => {
  it(
    'reproduced: SIGKILL between the journal line and its audit record left block-started with no record, and --verify said intact. Now the resume appends it, marked recovered',
    async () => {
      const w = ws();
      const book = await killDuringTwo(w);
      const lines = trailLines(w);
      const last = JSON.parse(lines.at(-1) as string) as { type: string; block: string; transition: number };
      expect(last).toMatchObject({ type: 'block-started', block: 'two' });
      // The process dies after the journal line is flushed and before the record is: drop the record.
      saveLines(auditFile(w), lines.slice(0, -1));

      const resumed = await w.run(book, ['--rerun-interrupted']);
      expect(resumed.code, resumed.all).toBe(0);
      expect(resumed.stdout).toContain('1 transition(s) reached the checkpoint but not the audit trail');
      const recovered = w.audit('trail').filter((r) => r.recovered);
      expect(recovered).toEqual([
        expect.objectContaining({
          type: 'block-started',
          block: 'two',
          transition: last.transition,
          recovered: expect.objectContaining({ operator: expect.any(String) }),
        }),
      ]);
      // Every transition of the run has its record, once, in order.
      const seen = transitions(w);
      expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));
      expect(w.lines('counter.txt')).toEqual(['one', 'two', 'three']);
      expect((await w.waymark(['audit', book, '--verify'])).code).toBe(0);
    },
    T,
  );

  it(
    'reproduced: a step-finished forged into the journal was replayed as if it happened. Now the resume refuses it: it has no record and no valid seal',
    async () => {
      const w = ws();
      const book = await killDuringTwo(w);
      const journal = join(w.runDir('trail'), 'checkpoint.journal');
      const entries = readFileSync(journal, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { seq: number; meta?: Record<string, unknown> });
      const seq = (entries.at(-1)?.seq ?? 0) + 1;
      const at = new Date().toISOString();
      const forged = [
        {
          seq,
          event: { type: 'block-finished', step: 'two', block: 'two', outcome: 'passed', exitCode: 0, attempts: 1, durationMs: 5, at },
        },
        { seq: seq + 1, event: { type: 'step-finished', step: 'two', at } },
      ];
      appendFileSync(journal, forged.map((e) => `${JSON.stringify(e)}\n`).join(''));
      const resumed = await w.run(book, ['--rerun-interrupted']);
      expect(resumed.code, resumed.all).toBe(2);
      expect(resumed.stderr).toContain(`has no record for journal transition ${seq} (block-finished), and that journal line is not sealed`);
      expect(w.lines('counter.txt')).toEqual(['one']);
    },
    T,
  );
});

describe('a record torn by a full disk (item 9)', () => {
  it(
    'reproduced: a half-written last record refused every later resume. Now its bytes are kept aside and the run resumes',
    async () => {
      const w = ws();
      const book = await killDuringTwo(w);
      const lines = trailLines(w);
      const last = JSON.parse(lines.at(-1) as string) as { seq: number };
      // What ENOSPC leaves: the first bytes of the next record, no line end.
      const torn = `{"seq":${last.seq + 1},"ts":"${new Date().toISOString()}","type":"block-finished","operator":"root","host":"x","prev":"${sha256(lines.at(-1) as string)}","run":"`;
      appendFileSync(auditFile(w), torn);

      const resumed = await w.run(book, ['--rerun-interrupted']);
      expect(resumed.code, resumed.all).toBe(0);
      expect(resumed.stdout).toMatch(
        /last record was cut short by a crash or a full disk; its \d+ bytes are kept in \S+audit\.jsonl\.torn-1/,
      );
      expect(readFileSync(`${auditFile(w)}.torn-1`, 'utf8')).toBe(torn);
      expect(w.audit('trail').find((r) => r.type === 'audit-torn-record')).toMatchObject({
        seq: last.seq + 1,
        aside: 'audit.jsonl.torn-1',
        bytes: Buffer.byteLength(torn),
      });
      // The block that was running is shown as interrupted, and re-run as asked.
      expect(w.audit('trail').find((r) => r.type === 'interrupted-found')).toMatchObject({ block: 'two' });
      expect(w.lines('counter.txt')).toEqual(['one', 'two', 'three']);
      expect((await w.waymark(['audit', book, '--verify'])).code).toBe(0);
    },
    T,
  );

  it(
    'reproduced: a write that filled the file limit tore a record and every later resume was refused. Now the error names audit.jsonl, and the next resume sets the tear aside and finishes',
    async () => {
      const w = ws();
      const book = w.fixture('checklist.md');
      expect((await w.run(book)).code).toBe(4); // waits at the checklist
      const trail = join(w.runDir('checklist'), 'audit.jsonl');
      const size = statSync(trail).size;
      // RLIMIT_FSIZE (\`ulimit -f\`, 512-byte blocks): the trail, the biggest state file, has at most 512 bytes left,
      // less than the records the next session writes, so one write is cut short and then fails (EFBIG).
      const limit = Math.ceil((size + 1) / 512);
      expect(statSync(join(w.runDir('checklist'), 'checkpoint.json')).size).toBeLessThan(limit * 512 - 2048);
      const limited = await waymark(['run', book, '--headless', '--yes', '--state-dir', w.state], { cwd: w.dir, fileSizeLimit: limit });
      expect(limited.code, limited.all).toBe(2);
      expect(limited.stderr).toMatch(/audit trail \S+audit\.jsonl cannot be written: .*EFBIG/);
      const text = readFileSync(trail, 'utf8');
      expect(text.endsWith('\n'), 'a record was cut short').toBe(false);

      const resumed = await w.run(book, ['--yes']);
      expect(resumed.code, resumed.all).toBe(0);
      expect(readFileSync(`${trail}.torn-1`, 'utf8')).toBe(text.slice(text.lastIndexOf('\n') + 1));
      expect(w.lines('counter.txt')).toEqual(['prepare', 'restart']);
      expect((await w.waymark(['audit', book, '--verify'])).code).toBe(0);
    },
    T,
  );

  it(
    'still refuses a cut-short tail that is not the next record of this trail, naming the line',
    async () => {
      const w = ws();
      const book = await killDuringTwo(w);
      const count = trailLines(w).length;
      appendFileSync(auditFile(w), '{"seq":1,"ts":"2020-01-01T00:00:00.000Z","type":"run-started"');
      const resumed = await w.run(book, ['--rerun-interrupted']);
      expect(resumed.code, resumed.all).toBe(2);
      expect(resumed.stderr).toContain(`ends with a cut-short line ${count + 1} that is not the start of the record after line ${count}`);
      expect(existsSync(`${auditFile(w)}.torn-1`)).toBe(false);
    },
    T,
  );
});

describe('a trail keyed outside the state directory', () => {
  /** Rewrite one record as someone without the key can: new content, its own hash recomputed, the checkpoint's head moved to match. */
  function forgeLast(w: Workspace, edit: (record: Record<string, unknown>) => void): void {
    const lines = trailLines(w);
    const record = JSON.parse(lines.at(-1) as string) as Record<string, unknown>;
    edit(record);
    const { hash: _hash, mac: _mac, ...body } = record;
    record.hash = sha256(canonicalJson(body));
    const line = JSON.stringify(record);
    saveLines(auditFile(w), [...lines.slice(0, -1), line]);
    const checkpointFile = join(w.runDir('trail'), 'checkpoint.json');
    const checkpoint = JSON.parse(readFileSync(checkpointFile, 'utf8')) as { auditHead: { seq: number; lineHash: string } };
    checkpoint.auditHead = { seq: lines.length, lineHash: sha256(line) };
    writeFileSync(checkpointFile, JSON.stringify(checkpoint));
  }

  it(
    'reproduced: a record rewritten with its hash recomputed and the checkpoint moved along verified as intact. Now its MAC fails verification',
    async () => {
      const w = ws();
      const book = w.write('trail.md', RUNBOOK.replace('sleep 30', 'true'));
      expect((await w.run(book)).code).toBe(0);
      forgeLast(w, (record) => {
        record.operator = 'mallory';
      });
      const verify = await w.waymark(['audit', book, '--verify']);
      expect(verify.code, verify.all).toBe(1);
      expect(verify.stdout).toMatch(/line \d+ carries a MAC that does not verify with key [0-9a-f]{16}/);
    },
    T,
  );

  it(
    'writes the key 0600 under XDG_CONFIG_HOME and names it in every record',
    async () => {
      const w = ws();
      const config = w.path('config');
      const book = w.write('trail.md', RUNBOOK.replace('sleep 30', 'true'));
      expect((await w.run(book, [], { XDG_CONFIG_HOME: config })).code).toBe(0);
      const keyFile = join(config, 'waymark', 'audit.key');
      expect(readFileSync(keyFile, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      const ids = new Set(w.audit('trail').map((r) => r.key));
      expect(ids.size).toBe(1);
      expect([...ids][0]).toMatch(/^[0-9a-f]{16}$/);
      // Another key cannot verify it, and says which key it needs.
      const other = await w.waymark(['audit', book, '--verify'], { XDG_CONFIG_HOME: w.path('other-config') });
      expect(other.code, other.all).toBe(2);
      expect(other.stderr).toContain(`is keyed with key ${String([...ids][0])}, but there is no key`);
      const verify = await w.waymark(['audit', book, '--verify'], { XDG_CONFIG_HOME: config });
      expect(verify.stdout).toContain(`keyed with key ${String([...ids][0])}`);
    },
    T,
  );

  it(
    'audit --export hands out the head; --verify --head proves the trail still extends it, and fails once records after it are cut',
    async () => {
      const w = ws();
      const book = w.write('trail.md', RUNBOOK.replace('sleep 30', 'true'));
      expect((await w.run(book)).code).toBe(0);
      const exported = await w.waymark(['audit', book, '--export']);
      expect(exported.code, exported.all).toBe(0);
      const match = /^waymark audit run=(\S+) head=(\d+):([0-9a-f]{64}) key=([0-9a-f]{16}) exported=(\S+)\n?$/.exec(exported.stdout);
      expect(match, exported.stdout).not.toBeNull();
      const head = `${match?.[2]}:${match?.[3]}`;
      expect(Number(match?.[2])).toBe(trailLines(w).length);

      const intact = await w.waymark(['audit', book, '--verify', '--head', head]);
      expect(intact.code, intact.all).toBe(0);
      expect(intact.stdout).toContain(`extends the exported head ${head}`);

      // Cut the last two records and move the checkpoint's head back: the chain alone looks whole.
      const lines = trailLines(w);
      saveLines(auditFile(w), lines.slice(0, -2));
      const checkpointFile = join(w.runDir('trail'), 'checkpoint.json');
      const checkpoint = JSON.parse(readFileSync(checkpointFile, 'utf8')) as { auditHead: unknown };
      checkpoint.auditHead = { seq: lines.length - 2, lineHash: sha256(lines.at(-3) as string) };
      writeFileSync(checkpointFile, JSON.stringify(checkpoint));
      expect((await w.waymark(['audit', book, '--verify'])).code).toBe(0);
      const cut = await w.waymark(['audit', book, '--verify', '--head', head]);
      expect(cut.code, cut.all).toBe(1);
      expect(cut.stdout).toContain(`does not extend the exported head ${head}`);
    },
    T,
  );
});
