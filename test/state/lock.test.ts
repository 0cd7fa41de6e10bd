import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, readFile, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StateError } from '../../src/state/atomic.js';
import { LockHeldError, NO_RUN_YET, acquireLock, liveHolder, type LockHolder } from '../../src/state/lock.js';
import { modeOf, useTempDir } from './temp-dir.js';

const tempDir = useTempDir();
const children: ChildProcess[] = [];

afterEach(() => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});

/** A real live process to stand in for another waymark run. */
async function liveProcess(): Promise<ChildProcess & { pid: number }> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(child);
  await once(child, 'spawn');
  return child as ChildProcess & { pid: number };
}

/** The pid of a process that has exited and been reaped. */
async function deadPid(): Promise<number> {
  const child = await liveProcess();
  child.kill('SIGKILL');
  await once(child, 'exit');
  return child.pid;
}

function holderFile(pid: number, host = hostname()): LockHolder {
  return { pid, user: 'alice', host, operator: 'alice', runId: '20261122T010000Z-aaaa', startedAt: '2026-11-22T01:00:00.000Z' };
}

async function writeLock(content: string): Promise<string> {
  const path = join(tempDir(), 'lock.json');
  await writeFile(path, content, { mode: 0o600 });
  return path;
}

describe('acquireLock', () => {
  it('creates a 0600 lock.json naming this process, user, host, operator and run', async () => {
    const lock = await acquireLock(tempDir(), { runId: 'r1', operator: 'carol' });
    expect(lock.takenOver).toBeNull();
    expect(modeOf(await stat(lock.path))).toBe(0o600);
    const holder = JSON.parse(await readFile(lock.path, 'utf8')) as LockHolder;
    expect(holder).toMatchObject({ pid: process.pid, host: hostname(), operator: 'carol', runId: 'r1' });
    expect(typeof holder.user).toBe('string');
    expect(Number.isNaN(Date.parse(holder.startedAt))).toBe(false);
    expect(await readdir(tempDir())).toEqual(['lock.json']);
  });

  it('refuses a second run while the holder process is alive, naming user, host and pid', async () => {
    const child = await liveProcess();
    const path = await writeLock(JSON.stringify(holderFile(child.pid)));
    const before = await readFile(path, 'utf8');

    const error = await acquireLock(tempDir(), { runId: 'r2', operator: 'bob' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockHeldError);
    const held = error as LockHeldError;
    expect(held.exitCode).toBe(5);
    expect(held.message).toContain('user alice');
    expect(held.message).toContain(`host ${hostname()}`);
    expect(held.message).toContain(`pid ${child.pid}`);
    expect(held.holder.pid).toBe(child.pid);
    expect(await readFile(path, 'utf8')).toBe(before);

    child.kill('SIGKILL');
    await once(child, 'exit');
    const lock = await acquireLock(tempDir(), { runId: 'r2', operator: 'bob' });
    expect(lock.takenOver?.previous).toEqual(holderFile(child.pid));
    expect(lock.takenOver?.notice).toContain(`pid ${child.pid}`);
    expect((JSON.parse(await readFile(path, 'utf8')) as LockHolder).pid).toBe(process.pid);
    expect(await readdir(tempDir())).toEqual(['lock.json']);
  });

  it('refuses while another run in this very process holds it', async () => {
    await acquireLock(tempDir(), { runId: 'r1', operator: 'carol' });
    await expect(acquireLock(tempDir(), { runId: 'r2', operator: 'carol' })).rejects.toThrow(LockHeldError);
  });

  it('refuses a lock held on another host, whose process it cannot check', async () => {
    await writeLock(JSON.stringify(holderFile(await deadPid(), 'elsewhere.example')));
    const error = await acquireLock(tempDir(), { runId: 'r2', operator: 'bob' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockHeldError);
    expect((error as LockHeldError).message).toContain('host elsewhere.example');
    expect((error as LockHeldError).message).toContain('cannot be checked');
  });

  it.each([
    ['empty', ''],
    ['torn', '{"pid":12'],
    ['missing fields', '{"pid":123}'],
    ['a process group pid', JSON.stringify({ ...holderFile(1), pid: -1 })],
  ])('takes over an unreadable (%s) lock with a notice', async (_what, content) => {
    const path = await writeLock(content);
    const lock = await acquireLock(tempDir(), { runId: 'r2', operator: 'bob' });
    expect(lock.takenOver?.previous).toBeNull();
    expect(lock.takenOver?.notice).toContain('could not be read');
    expect((JSON.parse(await readFile(path, 'utf8')) as LockHolder).runId).toBe('r2');
  });

  it('lets exactly one of several simultaneous runs take a free lock', async () => {
    const attempts = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => acquireLock(tempDir(), { runId: `r${i}`, operator: 'x' })),
    );
    expect(attempts.filter((a) => a.status === 'fulfilled')).toHaveLength(1);
    for (const attempt of attempts) {
      if (attempt.status === 'rejected') expect(attempt.reason).toBeInstanceOf(LockHeldError);
    }
  });

  it('lets exactly one of several simultaneous runs take over a dead lock', async () => {
    await writeLock(JSON.stringify(holderFile(await deadPid())));
    const attempts = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) => acquireLock(tempDir(), { runId: `r${i}`, operator: 'x' })),
    );
    const winners = attempts.filter((a) => a.status === 'fulfilled');
    expect(winners).toHaveLength(1);
    const winner = winners[0]?.status === 'fulfilled' ? winners[0].value : null;
    expect((JSON.parse(await readFile(join(tempDir(), 'lock.json'), 'utf8')) as LockHolder).runId).toBe(winner?.holder.runId);
    expect((await readdir(tempDir())).sort()).toEqual(['lock.json']);
  });

  describe('after a run was killed in the middle of a takeover', () => {
    /** What a takeover leaves when SIGKILL lands between linking its marker and renaming over the lock. */
    async function leftMarker(path: string, stale: string, taker: LockHolder): Promise<string> {
      const marker = `${path}.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`;
      await writeFile(marker, JSON.stringify(taker), { mode: 0o600 });
      return marker;
    }

    it('takes over the dead lock and the dead takeover, leaving nothing behind', async () => {
      const stale = JSON.stringify(holderFile(await deadPid()));
      const path = await writeLock(stale);
      await leftMarker(path, stale, { ...holderFile(await deadPid()), runId: 'killed-taker' });

      const lock = await acquireLock(tempDir(), { runId: 'r2', operator: 'bob' });
      expect(lock.takenOver?.notice).toContain('its process is gone');
      expect((JSON.parse(await readFile(path, 'utf8')) as LockHolder).runId).toBe('r2');
      expect(await readdir(tempDir())).toEqual(['lock.json']);
    });

    it('recovers from a second crash inside that recovery too', async () => {
      const stale = JSON.stringify(holderFile(await deadPid()));
      const path = await writeLock(stale);
      const firstTaker = JSON.stringify({ ...holderFile(await deadPid()), runId: 'killed-taker' });
      const marker = await leftMarker(path, stale, JSON.parse(firstTaker) as LockHolder);
      await leftMarker(marker, firstTaker, { ...holderFile(await deadPid()), runId: 'killed-again' });

      const lock = await acquireLock(tempDir(), { runId: 'r2', operator: 'bob' });
      expect(lock.holder.runId).toBe('r2');
      expect(await readdir(tempDir())).toEqual(['lock.json']);
    });

    it('refuses while the process doing the takeover is alive, naming it', async () => {
      const stale = JSON.stringify(holderFile(await deadPid()));
      const path = await writeLock(stale);
      const taker = await liveProcess();
      await leftMarker(path, stale, holderFile(taker.pid));

      const error = await acquireLock(tempDir(), { runId: 'r2', operator: 'bob' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockHeldError);
      expect((error as LockHeldError).message).toContain(`pid ${taker.pid}`);
      expect(await readFile(path, 'utf8')).toBe(stale);
    });

    it('lets exactly one of several simultaneous runs through', async () => {
      const stale = JSON.stringify(holderFile(await deadPid()));
      const path = await writeLock(stale);
      await leftMarker(path, stale, { ...holderFile(await deadPid()), runId: 'killed-taker' });

      const attempts = await Promise.allSettled(
        Array.from({ length: 6 }, (_, i) => acquireLock(tempDir(), { runId: `r${i}`, operator: 'x' })),
      );
      const winners = attempts.filter((a) => a.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      for (const attempt of attempts) {
        if (attempt.status === 'rejected') expect(attempt.reason).toBeInstanceOf(LockHeldError);
      }
      expect(await readdir(tempDir())).toEqual(['lock.json']);
    });
  });
});

describe('releasing a lock', () => {
  it('removes it, so the next run starts without a takeover', async () => {
    const lock = await acquireLock(tempDir(), { runId: 'r1', operator: 'carol' });
    expect(await lock.release()).toBe(true);
    expect(await readdir(tempDir())).toEqual([]);
    const next = await acquireLock(tempDir(), { runId: 'r2', operator: 'carol' });
    expect(next.takenOver).toBeNull();
    expect(next.releaseSync()).toBe(true);
    expect(await readdir(tempDir())).toEqual([]);
  });

  it('leaves a lock that is no longer ours', async () => {
    const lock = await acquireLock(tempDir(), { runId: 'r1', operator: 'carol' });
    const other = JSON.stringify(holderFile((await liveProcess()).pid));
    await writeFile(lock.path, other);
    expect(await lock.release()).toBe(false);
    expect(lock.releaseSync()).toBe(false);
    expect(await readFile(lock.path, 'utf8')).toBe(other);
  });

  it('is a no-op once the lock is gone', async () => {
    const lock = await acquireLock(tempDir(), { runId: 'r1', operator: 'carol' });
    await lock.release();
    expect(await lock.release()).toBe(false);
  });
});

describe('liveHolder', () => {
  it('names the holder while its process lives, and nobody once it is gone', async () => {
    expect(await liveHolder(tempDir())).toBeNull();
    const child = await liveProcess();
    const path = await writeLock(JSON.stringify(holderFile(child.pid)));
    expect(await liveHolder(tempDir())).toEqual(holderFile(child.pid));
    child.kill('SIGKILL');
    await once(child, 'exit');
    expect(await liveHolder(tempDir())).toBeNull();
    expect(await readFile(path, 'utf8')).toBe(JSON.stringify(holderFile(child.pid)));
  });

  it('treats an unreadable lock as held by nobody', async () => {
    await writeLock('');
    expect(await liveHolder(tempDir())).toBeNull();
  });
});

describe('a takeover cleans up and names the run (issue 10, item 19)', () => {
  /** A temp file as acquireLock writes it before linking: `.lock.json.PID.HEX.tmp[SUFFIX]`, holding its writer's record. */
  async function leftTemp(writer: LockHolder, content = JSON.stringify(writer), suffix = ''): Promise<string> {
    const name = `.lock.json.${writer.pid}.${randomBytes(4).toString('hex')}.tmp${suffix}`;
    await writeFile(join(tempDir(), name), content, { mode: 0o600 });
    return name;
  }

  it('reproduced: temp files of runs killed while taking the lock piled up; a takeover removes those of dead processes only', async () => {
    const dead = holderFile(await deadPid());
    await writeLock(JSON.stringify(dead));
    await leftTemp(dead);
    await leftTemp(dead, JSON.stringify(dead), '.1');
    const killedEarly = holderFile(await deadPid());
    const emptyOld = await leftTemp(killedEarly, '');
    const anHourAgo = new Date(Date.now() - 3_600_000);
    await utimes(join(tempDir(), emptyOld), anHourAgo, anHourAgo);
    // Kept: a live writer's, another host's (its pid means nothing here), and a fresh empty one (maybe being written).
    const kept = [
      await leftTemp(holderFile((await liveProcess()).pid)),
      await leftTemp(holderFile(await deadPid(), 'elsewhere.example')),
      await leftTemp(holderFile(await deadPid()), ''),
    ];

    const lock = await acquireLock(tempDir(), { runId: 'r2', operator: 'bob' });
    expect(lock.takenOver?.notice).toContain('removed 3 temporary lock files left by dead processes');
    expect((await readdir(tempDir())).sort()).toEqual(['lock.json', ...kept].sort());
  });

  it('a plain acquisition (no takeover) leaves other temp files alone', async () => {
    const temp = await leftTemp(holderFile(await deadPid()));
    const lock = await acquireLock(tempDir(), { runId: 'r2', operator: 'bob' });
    expect(lock.takenOver).toBeNull();
    expect((await readdir(tempDir())).sort()).toEqual([temp, 'lock.json'].sort());
  });

  it('reproduced: the notice said "run new" for a run that was started fresh; it names the run being taken over', async () => {
    // The dead holder had found no run and started one; current.json now names it, and the new session resumes it.
    const dead = { ...holderFile(await deadPid()), runId: NO_RUN_YET };
    await writeLock(JSON.stringify(dead));
    const lock = await acquireLock(tempDir(), { runId: '20261122T020000Z-bbbb', operator: 'bob' });
    expect(lock.takenOver?.notice).toMatch(
      /^took over the lock of run 20261122T020000Z-bbbb \(user alice on host .*, pid \d+, operator alice, since .*\): its process is gone$/,
    );
    expect(lock.takenOver?.notice).not.toContain('run new');
  });

  it('names the run the lock was taken for after --new-run archived another, not the archived one', async () => {
    await writeLock(JSON.stringify({ ...holderFile(await deadPid()), runId: 'archived-run' }));
    const lock = await acquireLock(tempDir(), { runId: 'its-new-run', operator: 'bob' });
    expect(lock.takenOver?.notice).toContain('took over the lock of run its-new-run (');
  });

  it('a refusal by a live holder that started fresh says so, not "run new"', async () => {
    await writeLock(JSON.stringify({ ...holderFile((await liveProcess()).pid), runId: NO_RUN_YET }));
    const error = await acquireLock(tempDir(), { runId: null, operator: 'bob' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockHeldError);
    expect((error as LockHeldError).message).toContain('operator alice, starting a new run, since');
    expect((error as LockHeldError).message).not.toContain('run new');
  });

  it('with no unfinished run, names the run in the dead lock, or says it had not recorded one', async () => {
    const finished = holderFile(await deadPid());
    await writeLock(JSON.stringify(finished));
    const first = await acquireLock(tempDir(), { runId: null, operator: 'bob' });
    expect(first.takenOver?.notice).toContain(`took over the lock of run ${finished.runId} (`);
    expect(JSON.parse(await readFile(first.path, 'utf8'))).toMatchObject({ runId: NO_RUN_YET });
    await first.release();

    const starting = { ...holderFile(await deadPid()), runId: NO_RUN_YET };
    await writeLock(JSON.stringify(starting));
    const second = await acquireLock(tempDir(), { runId: null, operator: 'bob' });
    expect(second.takenOver?.notice).toMatch(
      new RegExp(`^took over the lock of pid ${starting.pid} \\(.*\\), which had not recorded a run yet: its process is gone$`),
    );
  });
});

describe('what the operator is told (npm run mutate found these unasserted)', () => {
  it('a refusal on this host names the run and says how to clear a lock whose pid is not waymark', async () => {
    const child = await liveProcess();
    const path = await writeLock(JSON.stringify(holderFile(child.pid)));
    const error = await acquireLock(tempDir(), { runId: 'r2', operator: 'bob' }).catch((e: unknown) => e);
    expect(String(error)).toBe(
      `LockHeldError: another run of this runbook is live: user alice on host ${hostname()} (pid ${child.pid}, operator alice, run 20261122T010000Z-aaaa, since 2026-11-22T01:00:00.000Z); ` +
        `wait for that run to finish or stop it; if pid ${child.pid} is not waymark, remove ${path}`,
    );
  });

  it('a refusal by a live process in the middle of a takeover on this host gives the same advice', async () => {
    const stale = JSON.stringify(holderFile(await deadPid()));
    const path = await writeLock(stale);
    const taker = await liveProcess();
    await writeFile(
      `${path}.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`,
      JSON.stringify(holderFile(taker.pid)),
    );
    const error = await acquireLock(tempDir(), { runId: 'r2', operator: 'bob' }).catch((e: unknown) => e);
    expect((error as LockHeldError).message).toContain(
      `; wait for that run to finish or stop it; if pid ${taker.pid} is not waymark, remove ${path}`,
    );
  });

  it('a takeover in progress on another host is refused as one whose process cannot be checked', async () => {
    const stale = JSON.stringify(holderFile(await deadPid()));
    const path = await writeLock(stale);
    await writeFile(
      `${path}.takeover-${createHash('sha256').update(stale).digest('hex').slice(0, 16)}`,
      JSON.stringify(holderFile(4242, 'elsewhere.example')),
    );
    const error = await acquireLock(tempDir(), { runId: 'r2', operator: 'bob' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockHeldError);
    expect((error as LockHeldError).message).toContain(
      `; its process cannot be checked from ${hostname()}; if that run is gone, remove ${path}`,
    );
  });

  it.each([
    ['null', 'null'],
    ['pid 0 (kill would probe our own process group)', JSON.stringify({ ...holderFile(1), pid: 0 })],
  ])('takes over a lock holding %s as unreadable', async (_what, content) => {
    const path = await writeLock(content);
    const lock = await acquireLock(tempDir(), { runId: 'r2', operator: 'bob' });
    expect(lock.takenOver).toEqual({
      previous: null,
      notice: `took over the lock ${path} of run r2: it could not be read (probably left by a crash)`,
    });
  });

  it('an unreadable lock taken over for a new run is named by its path alone', async () => {
    const path = await writeLock('{"pid":');
    const lock = await acquireLock(tempDir(), { runId: null, operator: 'bob' });
    expect(lock.takenOver?.notice).toBe(`took over the lock ${path}: it could not be read (probably left by a crash)`);
  });

  it('a lock file that cannot be created is a state error naming it and the directory to check, not a system error', async () => {
    // A state directory whose path leaves no room for the temp file's name (PATH_MAX is 4096 bytes on Linux).
    let dir = tempDir();
    while (dir.length < 4076 - 201) dir = join(dir, 'd'.repeat(200));
    dir = join(dir, 'e'.repeat(4076 - dir.length - 1));
    const error = await acquireLock(dir, { runId: 'r1', operator: 'carol' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).message).toMatch(
      new RegExp(`^lock file ${dir}/lock\\.json cannot be created: .*ENAMETOOLONG.*; check the permissions of ${dir}$`),
    );
    expect((error as StateError).cause).toMatchObject({ code: 'ENAMETOOLONG' });
  });

  it('liveHolder reports a lock it cannot read as a state error naming the lock file', async () => {
    const notADir = join(tempDir(), 'state');
    await writeFile(notADir, '');
    const error = await liveHolder(notADir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateError);
    expect((error as StateError).message).toMatch(
      new RegExp(`^lock file ${notADir}/lock\\.json cannot be read: .*ENOTDIR.*; check its permissions$`),
    );
    expect((error as StateError).cause).toMatchObject({ code: 'ENOTDIR' });
  });
});

describe('releasing only what is ours (npm run mutate found these unasserted)', () => {
  it.each([
    ['another run id', { runId: 'r9' }],
    ['another start time', { startedAt: '2026-11-22T02:00:00.000Z' }],
    ['another host', { host: 'elsewhere.example' }],
  ])('leaves a lock written since by this same pid for %s (another session took over)', async (_what, change) => {
    const lock = await acquireLock(tempDir(), { runId: 'r1', operator: 'carol' });
    const other = JSON.stringify({ ...lock.holder, ...change });
    await writeFile(lock.path, other);
    expect(await lock.release()).toBe(false);
    expect(lock.releaseSync()).toBe(false);
    expect(await readFile(lock.path, 'utf8')).toBe(other);
  });

  it('leaves a lock rewritten with something unreadable', async () => {
    const lock = await acquireLock(tempDir(), { runId: 'r1', operator: 'carol' });
    await writeFile(lock.path, 'garbage');
    expect(await lock.release()).toBe(false);
    expect(lock.releaseSync()).toBe(false);
    expect(await readFile(lock.path, 'utf8')).toBe('garbage');
  });

  it('releaseSync is a no-op once the lock is gone', async () => {
    const lock = await acquireLock(tempDir(), { runId: 'r1', operator: 'carol' });
    expect(lock.releaseSync()).toBe(true);
    expect(lock.releaseSync()).toBe(false);
  });

  it('a lock that cannot be read at release is a state error telling to remove it by hand', async () => {
    const lock = await acquireLock(tempDir(), { runId: 'r1', operator: 'carol' });
    await rm(lock.path);
    await mkdir(lock.path);
    const advice = `lock file ${lock.path} cannot be released: `;
    await expect(lock.release()).rejects.toThrow(StateError);
    await expect(lock.release()).rejects.toThrow(advice);
    await expect(lock.release()).rejects.toThrow('; remove it by hand once no run is live');
    expect(() => lock.releaseSync()).toThrow(StateError);
    expect(() => lock.releaseSync()).toThrow(advice);
    expect(((await lock.release().catch((e: unknown) => e)) as StateError).cause).toBeInstanceOf(StateError);
  });
});

describe('a third crash inside the recovery is left to a human (npm run mutate found this unasserted)', () => {
  const markerOf = (path: string, content: string): string =>
    `${path}.takeover-${createHash('sha256').update(content).digest('hex').slice(0, 16)}`;

  it.each([
    [
      'a dead pid',
      async () => JSON.stringify({ ...holderFile(await deadPid()), runId: 'killed-thrice' }),
      (text: string) => `pid ${(JSON.parse(text) as LockHolder).pid}, which is gone`,
    ],
    ['nothing readable', async () => '', () => 'a process that left no readable record'],
  ])(
    'refuses with markers three deep, the last left by %s, naming what to remove; removing it lets the next run through',
    async (_what, third, who) => {
      const stale = JSON.stringify(holderFile(await deadPid()));
      const path = await writeLock(stale);
      const first = JSON.stringify({ ...holderFile(await deadPid()), runId: 'killed-taker' });
      const second = JSON.stringify({ ...holderFile(await deadPid()), runId: 'killed-again' });
      const thirdText = await third();
      const marker1 = markerOf(path, stale);
      const marker2 = markerOf(marker1, first);
      const marker3 = markerOf(marker2, second);
      await writeFile(marker1, first);
      await writeFile(marker2, second);
      await writeFile(marker3, thirdText);

      const error = await acquireLock(tempDir(), { runId: 'r2', operator: 'bob' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(StateError);
      expect((error as StateError).message).toBe(
        `lock file ${marker2} was being taken over by ${who(thirdText)}; once no waymark run is live, remove ${marker3} and ${marker2}`,
      );
      expect(await readFile(path, 'utf8')).toBe(stale);

      await rm(marker3);
      await rm(marker2);
      const lock = await acquireLock(tempDir(), { runId: 'r2', operator: 'bob' });
      expect(lock.holder.runId).toBe('r2');
      expect(await readdir(tempDir())).toEqual(['lock.json']);
    },
  );
});

describe('which leftover temp files a takeover removes (npm run mutate found these unasserted)', () => {
  async function tempNamed(name: string, content: string): Promise<string> {
    await writeFile(join(tempDir(), name), content, { mode: 0o600 });
    return name;
  }

  it('says "1 temporary lock file" for one', async () => {
    const dead = holderFile(await deadPid());
    await writeLock(JSON.stringify(dead));
    await tempNamed(`.lock.json.${dead.pid}.abcd1234.tmp`, JSON.stringify(dead));
    const lock = await acquireLock(tempDir(), { runId: 'r2', operator: 'bob' });
    expect(lock.takenOver?.notice).toMatch(/: its process is gone; removed 1 temporary lock file left by dead processes$/);
  });

  it('removes a dead writer’s extra links however many digits they have, and keeps files that are not its temp files', async () => {
    const dead = holderFile(await deadPid());
    await writeLock(JSON.stringify(dead));
    const record = JSON.stringify(dead);
    await tempNamed(`.lock.json.${dead.pid}.abcd1234.tmp.12`, record);
    const kept = [
      // Named like one, but not quite: somebody else's files.
      await tempNamed(`backup.lock.json.${dead.pid}.abcd1234.tmp`, record),
      await tempNamed(`.lock.json.${dead.pid}.abcd1234.tmp.bak`, record),
      // Named for one dead pid, holding the record of another dead pid or of another host: not that writer's.
      await tempNamed(`.lock.json.${dead.pid}.abcd5678.tmp`, JSON.stringify(holderFile(await deadPid()))),
      await tempNamed(`.lock.json.${dead.pid}.abcd9abc.tmp`, JSON.stringify(holderFile(dead.pid, 'elsewhere.example'))),
    ];
    const lock = await acquireLock(tempDir(), { runId: 'r2', operator: 'bob' });
    expect(lock.takenOver?.notice).toContain('; removed 1 temporary lock file left by dead processes');
    expect((await readdir(tempDir())).sort()).toEqual(['lock.json', ...kept].sort());
  });
});
