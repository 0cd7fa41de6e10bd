/**
 * SIGKILL at random moments. A 120-step runbook of very short blocks, each appending its id to a
 * counter file, is run headless and killed again and again, so that kills land in the lock, the
 * checkpoint snapshot, the journal and the audit writes as well as in blocks. After every kill
 * the state on disk must say exactly what happened: it parses, no passed block ran again, every
 * journaled transition has its audit record (or is the tail the next resume appends, marked
 * recovered, and then does), and the trail verifies. Resuming with --rerun-interrupted must
 * finish the run with every block run once, except blocks the operator chose to re-run after
 * they were interrupted mid-flight.
 *
 * Kills: at least 200 under CI, 12 otherwise (WM_CRASH_KILLS overrides); WM_CRASH_SEED replays a
 * sequence of kill moments.
 */
import { randomBytes } from 'node:crypto';
import { sealTransition, type DueMeta } from '../../src/engine/audit-trail.js';
import type { RunEvent } from '../../src/engine/run-state.js';
import { findAuditKey } from '../../src/state/audit-key.js';
import { verifyAudit } from '../../src/state/audit.js';
import { underCi } from '../support/ci.js';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnWaymark, waymark } from '../support/binary.js';
import { groupMembers, writtenPid } from '../support/processes.js';
import { waitFor } from '../support/wait.js';
import { loadCheckpointSync, lockHolderPid, useWorkspace, type AuditLine, type StatusJson } from '../support/workspace.js';

const ws = useWorkspace('wm-crash-');

const CI = underCi();
const KILLS = Number(process.env.WM_CRASH_KILLS ?? (CI ? 200 : 12));
const SEED = Number(process.env.WM_CRASH_SEED ?? Date.now() % 1_000_000);
const STEPS = 120;
/** Every Nth kill also asks the binary itself (`status`, `audit --verify`); the others check the same facts in process. */
const BINARY_CHECK_EVERY = 8;

/** mulberry32: a small seeded PRNG, so a failing sequence of kill moments can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 120 steps of one or two very short blocks; every block appends its id to $COUNTER as its last act. */
function crashRunbook(): { text: string; blocks: string[] } {
  const blocks: string[] = [];
  let text =
    '---\ntitle: Many short steps\nid: crash\nvars:\n  COUNTER:\n    required: true\n  TOKEN:\n    required: true\n---\n# Many short steps\n\n';
  for (let step = 1; step <= STEPS; step += 1) {
    text += `## Step ${step} {#s${step}}\n\n`;
    for (let n = 1; n <= (step % 3 === 0 ? 2 : 1); n += 1) {
      const id = `s${step}b${n}`;
      blocks.push(id);
      // Most blocks take no time, so most of a session is waymark's own writes; a few sleep briefly.
      text += `\`\`\`sh name=${id}\n[ $((RANDOM % 4)) -ne 0 ] || sleep 0.0$((RANDOM % 5))\necho ${id} >> "$COUNTER"\n\`\`\`\n\n`;
    }
  }
  return { text, blocks };
}

/** Processes still running a block of this chain (found by the token in their environment). */
function blockProcesses(token: string): number[] {
  const found: number[] = [];
  const needle = `TOKEN=${token}`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').split('\0').includes(needle)) found.push(Number(entry));
    } catch {
      // Gone, or not ours to read: not a block of this chain.
    }
  }
  return found;
}

interface Checkpoint {
  run: string;
  status: string;
  steps: { id: string; status: string; blocks: { id: string; status: string; executions: number }[] }[];
}

/** One run from a fresh state directory to completion, killed as often as the trial wants. */
class Chain {
  readonly state: string;
  readonly counter: string;
  readonly token = randomBytes(8).toString('hex');
  /** Blocks seen passed after some kill, with their executions then: none may be lost or run again later. */
  readonly passedSoFar = new Map<string, number>();
  /** Journaled transitions whose audit record the next resume must append (a kill fell between the two writes). */
  pending = new Set<number>();
  /** How many records were appended marked recovered, over the chain. */
  recovered = 0;
  kills = 0;

  constructor(
    readonly dir: string,
    readonly book: string,
    readonly blocks: string[],
  ) {
    mkdirSync(dir);
    this.state = join(dir, 'state');
    this.counter = join(dir, 'counter.txt');
  }

  args(): string[] {
    return [
      'run',
      this.book,
      '--headless',
      '--rerun-interrupted',
      '--state-dir',
      this.state,
      '--var',
      `COUNTER=${this.counter}`,
      '--var',
      `TOKEN=${this.token}`,
    ];
  }

  counts(): Map<string, number> {
    const counts = new Map<string, number>();
    if (!existsSync(this.counter)) return counts;
    for (const line of readFileSync(this.counter, 'utf8').split('\n')) {
      if (line === '') continue;
      expect(this.blocks, `counter line "${line}"`).toContain(line);
      counts.set(line, (counts.get(line) ?? 0) + 1);
    }
    return counts;
  }

  runDir(): string | null {
    const current = join(this.state, 'crash', 'current.json');
    if (!existsSync(current)) return null;
    return join(this.state, 'crash', 'runs', (JSON.parse(readFileSync(current, 'utf8')) as { runId: string }).runId);
  }

  checkpoint(): Checkpoint | null {
    const dir = this.runDir();
    if (dir === null || !existsSync(join(dir, 'checkpoint.json'))) return null;
    // It must parse: a kill never leaves half a snapshot, and a torn journal line is not a transition.
    return loadCheckpointSync(dir) as unknown as Checkpoint;
  }

  audit(): AuditLine[] {
    const dir = this.runDir();
    if (dir === null || !existsSync(join(dir, 'audit.jsonl'))) return [];
    const text = readFileSync(join(dir, 'audit.jsonl'), 'utf8');
    expect(text === '' || text.endsWith('\n'), 'the audit trail ends with a whole record').toBe(true);
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as AuditLine);
  }

  /** block-started records per block. */
  starts(audit: AuditLine[]): Map<string, number> {
    const starts = new Map<string, number>();
    for (const record of audit)
      if (record.type === 'block-started') starts.set(String(record.block), (starts.get(String(record.block)) ?? 0) + 1);
    return starts;
  }

  /**
   * Journal and audit trail reconciled: every transition up to the checkpoint's last has exactly one
   * record, except a tail of journal lines past the last audited transition whose record the next
   * resume appends; those lines carry the record due, sealed with the key. A tail seen pending after
   * one kill must be recorded by the next check, unless it is still pending (no resume got that far).
   * The trail verifies with the key against the head the checkpoint saw.
   */
  async reconcileTrail(): Promise<void> {
    const dir = this.runDir() as string;
    const key = await findAuditKey();
    expect(key, 'the audit key exists').not.toBeNull();
    const audit = this.audit();
    const recorded = new Map<number, AuditLine>();
    for (const record of audit) {
      if (typeof record.transition !== 'number') continue;
      expect(recorded.has(record.transition), `transition ${record.transition} recorded twice`).toBe(false);
      recorded.set(record.transition, record);
    }
    this.recovered = audit.filter((r) => r.recovered).length;
    const lastAudited = Math.max(0, ...recorded.keys());
    const snapshot = JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8')) as {
      journalSeq?: number;
      auditHead?: { seq: number; lineHash: string };
    };
    const journalPath = join(dir, 'checkpoint.journal');
    const text = existsSync(journalPath) ? readFileSync(journalPath, 'utf8') : '';
    const entries = text
      .slice(0, text.lastIndexOf('\n') + 1)
      .split('\n')
      .filter(Boolean)
      .map(
        (l) =>
          JSON.parse(l) as { seq: number; event: RunEvent; meta?: Partial<DueMeta> & { auditHead?: { seq: number; lineHash: string } } },
      );
    const snapshotSeq = snapshot.journalSeq ?? 0;
    let head = snapshot.auditHead;
    const pending = new Set<number>();
    for (let seq = 1; seq <= snapshotSeq; seq += 1)
      expect(recorded.has(seq), `transition ${seq} (compacted into the snapshot) has no audit record`).toBe(true);
    for (const entry of entries) {
      if (entry.seq <= snapshotSeq) continue;
      head = entry.meta?.auditHead ?? head;
      const due = entry.meta?.due;
      expect(due, `journal transition ${entry.seq} carries the record it is due`).toBeDefined();
      if (!due) continue;
      expect(entry.meta?.seal).toBe(sealTransition(key!, entry.seq, entry.event, due));
      const record = recorded.get(entry.seq);
      if (record) {
        expect(record.type, `record of transition ${entry.seq}`).toBe(due.type);
      } else {
        expect(
          entry.seq,
          `transition ${entry.seq} (${entry.event.type}) has no audit record, before transition ${lastAudited} that has one`,
        ).toBeGreaterThan(lastAudited);
        pending.add(entry.seq);
      }
    }
    for (const seq of this.pending)
      expect(recorded.has(seq) || pending.has(seq), `transition ${seq}, pending at the last kill, lost its record`).toBe(true);
    this.pending = pending;
    const verdict = await verifyAudit(join(dir, 'audit.jsonl'), { ...(head ? { head } : {}), key });
    expect(verdict, 'the audit trail verifies').toMatchObject({ ok: true, authenticated: true });
  }

  /** What must hold after any kill. Returns the checkpoint's run status. */
  async checkAfterKill(withBinary: boolean): Promise<string | null> {
    const checkpoint = this.checkpoint();
    const counts = this.counts();
    if (checkpoint === null) {
      // Killed before the run existed on disk: nothing can have run.
      expect(counts.size, 'blocks ran before the run was checkpointed').toBe(0);
      return null;
    }
    const audit = this.audit();
    const starts = this.starts(audit);
    const blocks = checkpoint.steps.flatMap((s) => s.blocks);
    expect(blocks.map((b) => b.id)).toEqual(this.blocks);
    const inFlight = blocks.filter((b) => b.status === 'running');
    expect(inFlight.length, 'at most one block is in flight').toBeLessThanOrEqual(1);

    for (const block of blocks) {
      const count = counts.get(block.id) ?? 0;
      // Write-ahead: no block runs before the checkpoint and the audit trail say it started.
      expect(count, `${block.id} ran more often than the checkpoint knows`).toBeLessThanOrEqual(block.executions);
      expect(count, `${block.id} ran more often than the audit trail knows`).toBeLessThanOrEqual(starts.get(block.id) ?? 0);
      if (block.status === 'passed') {
        expect(count, `${block.id} is passed but never ran`).toBeGreaterThanOrEqual(1);
        if ((starts.get(block.id) ?? 0) === 1) expect(count, `${block.id} ran more than once`).toBe(1);
        if (!this.passedSoFar.has(block.id)) this.passedSoFar.set(block.id, block.executions);
      }
    }
    for (const [id, executions] of this.passedSoFar) {
      const now = blocks.find((b) => b.id === id);
      expect(now?.status, `${id} was passed and is lost`).toBe('passed');
      expect(now?.executions, `${id} was passed and ran again`).toBe(executions);
    }
    await this.reconcileTrail();
    if (!withBinary) return checkpoint.status;

    const verify = await waymark(['audit', this.book, '--verify', '--state-dir', this.state]);
    expect(verify.code, verify.all).toBe(0);

    const result = await waymark(['status', this.book, '--json', '--state-dir', this.state]);
    expect(result.code, result.all).toBe(0);
    const status = JSON.parse(result.stdout) as StatusJson;
    expect(status.run).toBe(checkpoint.run);
    const shown = new Map(status.steps.flatMap((s) => s.blocks).map((b) => [b.id, b.status]));
    expect([...shown.values()], 'a dead run shows nothing running').not.toContain('running');
    for (const block of inFlight) expect(shown.get(block.id), `${block.id} was in flight`).toBe('interrupted');
    if (checkpoint.status === 'running') expect(status.status).toBe('interrupted');
    return checkpoint.status;
  }

  /** What must hold once the run is complete. */
  async checkComplete(): Promise<void> {
    const status = JSON.parse((await waymark(['status', this.book, '--json', '--state-dir', this.state])).stdout) as StatusJson;
    expect(status.status).toBe('complete');
    expect(status.steps.every((s) => s.status === 'passed')).toBe(true);

    const audit = this.audit();
    const counts = this.counts();
    const starts = this.starts(audit);
    const firstStarts = [...new Set(audit.filter((r) => r.type === 'block-started').map((r) => String(r.block)))];
    expect(firstStarts, 'blocks started in runbook order').toEqual(this.blocks);
    for (const id of this.blocks) {
      const count = counts.get(id) ?? 0;
      const started = starts.get(id) ?? 0;
      expect(count, `${id} never ran`).toBeGreaterThanOrEqual(1);
      // Each execution beyond the first is a re-run of an interrupted one, so it may have run twice (or more).
      expect(count, `${id} ran ${count} times in ${started} executions`).toBeLessThanOrEqual(started);
      const mine = audit
        .map((r, i) => ({ r, i }))
        .filter(({ r }) => r.block === id && (r.type === 'block-started' || r.type === 'block-finished'));
      expect(mine.filter(({ r }) => r.type === 'block-finished').length, `${id} finished once`).toBeLessThanOrEqual(1);
      const startIdx = mine.filter(({ r }) => r.type === 'block-started').map(({ i }) => i);
      for (let k = 1; k < startIdx.length; k += 1) {
        const between = audit.slice((startIdx[k - 1] as number) + 1, startIdx[k]);
        // Re-run only after the session running it died: a later session resumed, and the block had not finished.
        expect(
          between.some((r) => r.type === 'run-resumed'),
          `${id} re-run within one session`,
        ).toBe(true);
        expect(
          between.some((r) => r.type === 'block-finished' && r.block === id),
          `${id} re-run after it finished`,
        ).toBe(false);
        // ...and the audit trail says it was found interrupted before it ran again.
        expect(
          between.some((r) => (r.type === 'interrupted-found' || r.type === 'block-interrupted') && r.block === id),
          `${id} re-run with no interruption recorded`,
        ).toBe(true);
      }
    }
    const verify = await waymark(['audit', this.book, '--verify', '--state-dir', this.state]);
    expect(verify.code, verify.all).toBe(0);
    // Reconciled: every transition of the whole run has its record, exactly once.
    await this.reconcileTrail();
    expect(this.pending.size, 'transitions still waiting for their record at the end').toBe(0);
    const transitions = audit.flatMap((r) => (typeof r.transition === 'number' ? [r.transition] : []));
    expect(transitions).toEqual(Array.from({ length: transitions.length }, (_, i) => i + 1));
  }
}

describe('SIGKILL at random moments', () => {
  it(
    `loses nothing that passed, re-runs nothing silently, and resumes to completion (${KILLS} kills, seed ${SEED})`,
    async () => {
      const random = prng(SEED);
      const { text, blocks } = crashRunbook();
      const book = ws().write('crash.md', text);
      const started = Date.now();
      const stats = { kills: 0, beforeHeader: 0, chainsCompleted: 0, completedUnkilled: 0, rerunBlocks: 0, pendingSeen: 0, recovered: 0 };
      let chain: Chain | null = null;
      // How long waymark takes to print its header (it has opened the session by then).
      let headerMs = 800;
      let chains = 0;

      const finish = async (c: Chain): Promise<void> => {
        await c.checkComplete();
        const counts = c.counts();
        stats.rerunBlocks += [...counts.values()].filter((n) => n > 1).length;
        stats.recovered += c.recovered;
        stats.chainsCompleted += 1;
      };

      while (stats.kills < KILLS || chain !== null) {
        if (chain === null) {
          chains += 1;
          chain = new Chain(ws().path(`chain-${chains}`), book, blocks);
        }
        const wantKill = stats.kills < KILLS;
        const child = spawnWaymark(chain.args(), { cwd: ws().dir });
        let exited = false;
        void child.on('exit', () => {
          exited = true;
        });
        let header = false;
        const spawned = Date.now();
        child.stdout?.on('data', (chunk: Buffer) => {
          if (header || !String(chunk).includes('waymark: ')) return;
          header = true;
          headerMs = 0.8 * headerMs + 0.2 * (Date.now() - spawned);
        });

        let killed = false;
        if (wantKill) {
          if (random() < 0.25) {
            // Late in start-up, where the session takes the lock, reconciles and writes checkpoint and audit.
            const delay = headerMs * (0.6 + 0.45 * random());
            await waitFor(() => exited, delay);
            stats.beforeHeader += header ? 0 : 1;
          } else {
            await waitFor(() => header || exited, 20_000, 5);
            await waitFor(() => exited, random() * 700);
          }
          if (!exited) killed = child.kill('SIGKILL');
        }
        const result = await child;
        if (killed && result.signal === 'SIGKILL') {
          stats.kills += 1;
          chain.kills += 1;
          // The block in flight, if any, was orphaned by the kill: let it end before counting.
          expect(await waitFor(() => blockProcesses(chain!.token).length === 0, 10_000), 'orphaned block processes ended').toBe(true);
          const runStatus = await chain.checkAfterKill(stats.kills % BINARY_CHECK_EVERY === 0);
          stats.pendingSeen += chain.pending.size > 0 ? 1 : 0;
          if (runStatus === 'complete') {
            await finish(chain);
            chain = null;
          }
          continue;
        }
        // It finished before the kill, or no kill was wanted: it must have completed.
        expect(result.exitCode, String(result.all)).toBe(0);
        expect(String(result.stdout)).toMatch(/run \S+ complete/);
        stats.completedUnkilled += 1;
        await finish(chain);
        chain = null;
      }

      const seconds = (Date.now() - started) / 1000;
      console.info(
        `crash test: ${stats.kills} kills (${stats.beforeHeader} during start-up) over ${chains} runs, ` +
          `${stats.chainsCompleted} completed and verified, ${stats.rerunBlocks} blocks ran twice after an interrupted execution, ` +
          `${stats.pendingSeen} kills between a journal line and its audit record (${stats.recovered} records recovered), ` +
          `${seconds.toFixed(1)} s, seed ${SEED}`,
      );
      expect(stats.kills).toBeGreaterThanOrEqual(KILLS);
      expect(stats.chainsCompleted).toBe(chains);
    },
    // WM_CRASH_TIMEOUT_MS: for timing the CI count on a machine busier than CI's.
    Number(process.env.WM_CRASH_TIMEOUT_MS ?? (CI ? 300_000 : 150_000)),
  );
});

describe('a resume that cannot write its checkpoint', () => {
  it('has already audited the interrupted block it found, so a crash there loses no record', async () => {
    const w = ws();
    // Many steps make the checkpoint much bigger than the audit trail, so a file size limit can
    // let audit records through and stop the checkpoint write: a crash exactly at that write.
    let text =
      '---\nid: big\n---\n# Big\n\n## Long {#long}\n\n```sh name=long\necho $$ > shell.pid\nsleep 30\necho long >> counter.txt\n```\n\n';
    for (let i = 1; i <= 150; i += 1) text += `## Filler step number ${i} {#filler-${i}}\n\n\`\`\`sh name=filler-${i}\ntrue\n\`\`\`\n\n`;
    const book = w.write('big.md', text);
    const first = w.spawn(['run', book, '--headless']);
    // A whole pid line, not just the file: an empty one read as pid 0, and kill(-0) signals this test's own group.
    expect(await waitFor(() => writtenPid(w.path('shell.pid')) !== undefined, 20_000)).toBe(true);
    process.kill(await lockHolderPid(w), 'SIGKILL');
    await first;
    const shell = writtenPid(w.path('shell.pid')) as number;
    process.kill(-shell, 'SIGKILL'); // the orphaned block: not what this test is about
    expect(await waitFor(() => groupMembers(shell).length === 0, 5000)).toBe(true);

    const checkpointFile = join(w.runDir('big'), 'checkpoint.json');
    const checkpointBefore = readFileSync(checkpointFile, 'utf8');
    const auditBytes = statSync(join(w.runDir('big'), 'audit.jsonl')).size;
    const limit = 16 * 1024;
    expect(auditBytes + 4096).toBeLessThan(limit);
    expect(checkpointBefore.length).toBeGreaterThan(limit);

    // `ulimit -f` counts 512-byte blocks in sh: writes past `limit` bytes fail with EFBIG.
    const limited = await waymark(['run', book, '--headless', '--rerun-interrupted', '--state-dir', w.state], {
      cwd: w.dir,
      fileSizeLimit: limit / 512,
    });
    expect(limited.code, limited.all).toBe(2);
    expect(limited.stderr).toMatch(/checkpoint\.json cannot be written/);
    expect(readFileSync(checkpointFile, 'utf8')).toBe(checkpointBefore);
    const found = w.audit('big').filter((r) => r.type === 'interrupted-found');
    expect(found).toEqual([expect.objectContaining({ block: 'long' })]);
    expect(w.audit('big').filter((r) => r.type === 'block-started')).toHaveLength(1);

    // The next resume finds it again (recorded again, never lost) and waits for the operator.
    const next = await w.run(book);
    expect(next.code, next.all).toBe(4);
    expect(w.audit('big').filter((r) => r.type === 'interrupted-found')).toHaveLength(2);
    expect((await w.waymark(['audit', book, '--verify'])).code).toBe(0);
    expect(w.lines('counter.txt')).toEqual([]);
  }, 60_000);
});
