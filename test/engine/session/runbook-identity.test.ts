/**
 * A run belongs to one runbook: the file's canonical path, or its front matter `id:`. Two files
 * that share a name never share a state folder, a state folder never serves another runbook, and
 * state folders of older versions (named by the file name alone) keep working or say the one
 * command that settles them. Issue 10, item 3.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { execSync } from 'node:child_process';
import { dirname, join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RunSession } from '../../../src/engine/session.js';
import { readRun } from '../../../src/engine/runs.js';
import { stepDurations } from '../../../src/engine/estimate.js';
import { composeRunbook } from '../../../src/runbook/compose.js';
import { lintFile } from '../../../src/runbook/lint.js';
import { statusCommand } from '../../../src/cli/status.js';
import { listRunbooks } from '../../../src/cli/list.js';

let dir = '';
let state = '';
let sessions: RunSession[] = [];

beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'wm-identity-')));
  state = join(dir, 'state');
  sessions = [];
});

afterEach(async () => {
  for (const session of sessions) await session.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Two steps: a check that passes, then a block that changes things. Blocks count into counter.txt beside the runbook. */
function upgrade(front = ''): string {
  return `${front ? `---\n${front}\n---\n` : ''}# Upgrade

## Database healthy {#db}

\`\`\`sh check name=db-healthy
echo db-healthy >> counter.txt
\`\`\`

## Migrate {#migrate}

\`\`\`sh name=migrate
echo migrate >> counter.txt
\`\`\`
`;
}

function write(name: string, text: string): string {
  const file = join(dir, name);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
  return file;
}

function counter(runbookFile: string): string[] {
  const file = join(runbookFile, '..', 'counter.txt');
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

async function open(file: string): Promise<RunSession> {
  const session = await RunSession.open({ runbookFile: file, stateDir: state, env: {}, killGraceMs: 200, operator: 'alice' });
  sessions.push(session);
  return session;
}

async function close(session: RunSession): Promise<void> {
  sessions = sessions.filter((s) => s !== session);
  await session.close();
}

/** Run the next block, as the headless face does (the session closes the step it completes). */
async function step(session: RunSession): Promise<void> {
  const next = session.next();
  if (next.kind === 'run') await session.runBlock(next.step, next.block);
  else throw new Error(`nothing to run: ${next.kind}`);
}

/** Run until the first block has passed and its step is finished: the run is left unfinished. */
async function startAndStop(file: string): Promise<string> {
  const session = await open(file);
  await step(session);
  const run = session.state.run;
  await close(session);
  return run;
}

async function runToEnd(session: RunSession): Promise<void> {
  while (session.next().kind !== 'complete') await step(session);
}

/** Every file under the state directory with its bytes and mode, to prove a refusal changed nothing. */
function snapshot(): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) {
        out[`${relative(state, path)}/`] = statSync(path).mode.toString(8);
        walk(path);
      } else out[relative(state, path)] = `${statSync(path).mode.toString(8)} ${readFileSync(path, 'base64')}`;
    }
  };
  walk(state);
  return out;
}

function folders(): string[] {
  return readdirSync(state).sort();
}

describe('two runbooks never share a run', () => {
  it('reproduced: glance/upgrade.md resumed nova/upgrade.md, counted its passed db-healthy check and ran migrate; now it starts its own run', async () => {
    const nova = write('nova/upgrade.md', upgrade());
    const glance = write('glance/upgrade.md', upgrade());
    const novaRun = await startAndStop(nova);
    expect(counter(nova)).toEqual(['db-healthy']);

    const session = await open(glance);
    expect(session.resumed).toBe(false);
    expect(session.state.run).not.toBe(novaRun);
    expect(session.next()).toMatchObject({ kind: 'run', block: { id: 'db-healthy' } });
    await runToEnd(session);
    expect(counter(glance)).toEqual(['db-healthy', 'migrate']);
    await close(session);

    // nova's run is untouched and still nova's to resume.
    const again = await open(nova);
    expect(again.resumed).toBe(true);
    expect(again.state.run).toBe(novaRun);
    expect(again.next()).toMatchObject({ kind: 'run', block: { id: 'migrate' } });
    expect(folders()).toEqual([expect.stringMatching(/^upgrade@[0-9a-f]{12}$/), expect.stringMatching(/^upgrade@[0-9a-f]{12}$/)]);
  });

  it("reproduced: status, report, list and time estimates of glance showed nova's run; now they show only glance's own", async () => {
    const nova = write('nova/upgrade.md', upgrade());
    const glance = write('glance/upgrade.md', upgrade());
    const session = await open(nova);
    await runToEnd(session);
    await close(session);

    expect(await readRun(state, composeRunbook(glance))).toBeNull();
    expect((await stepDurations(state, composeRunbook(glance), 'none')).size).toBe(0);
    expect((await stepDurations(state, composeRunbook(nova), 'none')).size).toBe(2);
    let printed = '';
    const out = new Writable({
      write: (chunk, _encoding, done) => {
        printed += String(chunk);
        done();
      },
    });
    expect(await statusCommand([glance, '--json', '--state-dir', state], out)).toBe(0);
    expect(JSON.parse(printed)).toMatchObject({ runbook: 'upgrade', run: null, status: 'none' });
    const rows = await listRunbooks(dir, state);
    expect(rows.find((r) => r.file.endsWith('nova/upgrade.md'))?.lastRun).toMatchObject({ status: 'complete' });
    expect(rows.find((r) => r.file.endsWith('glance/upgrade.md'))?.lastRun).toBeNull();
  });

  it.each([
    ['a b.md', 'a-b.md'],
    ['ä b.md', 'b.md'],
  ])('reproduced: "%s" and "%s" were slugged to one state folder; now each has its own', async (first, second) => {
    const one = write(first, upgrade());
    const two = write(second.replace('.md', '-other/') + second, upgrade());
    // Same folder as well as different folders: the names alone must already keep them apart.
    const three = write(second, upgrade());
    const run = await startAndStop(one);
    for (const other of [two, three]) {
      const session = await open(other);
      expect(session.resumed).toBe(false);
      expect(session.state.run).not.toBe(run);
      await close(session);
    }
    expect(new Set(folders()).size).toBe(3);
    const resumed = await open(one);
    expect(resumed.state.run).toBe(run);
  });
});

describe('a state folder serves one runbook', () => {
  it("reproduced: a copy of a runbook with the same id, in another folder, resumed the original's run; now it is refused (exit 2) naming both files, and nothing changes", async () => {
    const original = write('ops/upgrade.md', upgrade('id: upgrade-nova'));
    const copy = write('elsewhere/upgrade.md', upgrade('id: upgrade-nova'));
    await startAndStop(original);
    const before = snapshot();
    const refused = RunSession.open({ runbookFile: copy, stateDir: state, env: {}, operator: 'alice' });
    await expect(refused).rejects.toMatchObject({ exitCode: 2 });
    const message = ((await refused.catch((e: unknown) => e)) as Error).message;
    expect(message).toContain(original);
    expect(message).toContain(copy);
    expect(message).toContain('its own id');
    // The original is still there: this is a copy, not the runbook moved, so no line adopts the folder.
    expect(message).not.toContain('record that');
    expect(snapshot()).toEqual(before);
    expect(counter(copy)).toEqual([]);
    // Readers refuse the same way rather than show the other runbook's run.
    await expect(readRun(state, composeRunbook(copy))).rejects.toMatchObject({ exitCode: 2 });
  });

  it('refuses a state folder whose runbook.json names another file, and a broken runbook.json, changing nothing', async () => {
    const file = write('ops/upgrade.md', upgrade('id: upgrade-nova'));
    await startAndStop(file);
    const record = join(state, 'upgrade-nova', 'runbook.json');
    expect(JSON.parse(readFileSync(record, 'utf8'))).toEqual({ id: 'upgrade-nova', file });
    writeFileSync(record, JSON.stringify({ id: 'upgrade-nova', file: '/srv/runbooks/other.md' }));
    const before = snapshot();
    const refused = RunSession.open({ runbookFile: file, stateDir: state, env: {}, operator: 'alice' });
    await expect(refused).rejects.toMatchObject({ exitCode: 2, message: expect.stringContaining('/srv/runbooks/other.md') });
    const message = ((await refused.catch((e: unknown) => e)) as Error).message;
    expect(message).toContain(file);
    expect(snapshot()).toEqual(before);
    // The named file is gone, so the refusal offers the one line that records this file instead.
    const fix = `echo '{"id":"upgrade-nova","file":"${file}"}' > ${record}`;
    expect(message).toContain(fix);
    execSync(fix);
    expect((await open(file)).resumed).toBe(true);
    await close(sessions[0] as RunSession);

    writeFileSync(record, '{"id": "upgrade-nova"');
    await expect(RunSession.open({ runbookFile: file, stateDir: state, env: {}, operator: 'alice' })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining(`${record} cannot be parsed`),
    });
  });
});

describe('a runbook whose id changed', () => {
  it("reproduced: adding an id: to a runbook mid-run started a new run that re-ran its passed check; now it is refused, naming the unfinished run's folder", async () => {
    const file = write('nova/upgrade.md', upgrade());
    const run = await startAndStop(file);
    const folder = join(state, folders()[0] as string);
    writeFileSync(file, upgrade('id: nova-upgrade'));
    const before = snapshot();
    const refused = RunSession.open({ runbookFile: file, stateDir: state, env: {}, operator: 'alice' });
    await expect(refused).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining(`unfinished run in state folder ${folder}`),
    });
    await expect(refused.catch((e: unknown) => (e as Error).message)).resolves.toContain('remove its id: again');
    expect(snapshot()).toEqual(before);
    expect(counter(file)).toEqual(['db-healthy']);

    // Back to how it was, the run resumes; once it is finished, the new id starts afresh.
    writeFileSync(file, upgrade());
    const session = await open(file);
    expect(session.state.run).toBe(run);
    await runToEnd(session);
    await close(session);
    writeFileSync(file, upgrade('id: nova-upgrade'));
    expect((await open(file)).resumed).toBe(false);
  });
});

describe('lint: one id per runbook in a folder', () => {
  it('reports an id that a sibling runbook also has, naming both files; other folders may reuse it', async () => {
    const one = write('ops/one.md', upgrade('title: One\nid: upgrade'));
    const two = write('ops/two.md', upgrade('id: upgrade'));
    write('ops/three.md', upgrade('id: three'));
    const elsewhere = write('other/four.md', upgrade('id: upgrade'));
    const found = (await lintFile(one)).filter((d) => d.rule === 'duplicate-runbook-id');
    expect(found).toEqual([expect.objectContaining({ file: one, line: 3, severity: 'error' })]);
    expect(found[0]?.message).toContain(`${two} (line 2)`);
    expect((await lintFile(elsewhere)).filter((d) => d.rule === 'duplicate-runbook-id')).toEqual([]);
    // A run of either is refused before anything runs.
    await expect(RunSession.open({ runbookFile: two, stateDir: state, env: {} })).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringContaining(one),
    });
    expect(existsSync(state)).toBe(false);
  });

  it('rejects an id that cannot name a folder', async () => {
    for (const id of ['../up', '.hidden', 'a/b', 'a b', 'x'.repeat(101)]) {
      const file = write('bad.md', upgrade(`id: "${id}"`));
      expect((await lintFile(file)).filter((d) => d.severity === 'error').map((d) => d.message)).toEqual([
        expect.stringMatching(/^id ".*" must start with a letter or digit/),
      ]);
    }
  });
});

describe('state folders of older versions', () => {
  /** Turn this runbook's state folder into what an older waymark left: no runbook.json, named by the file name alone. */
  function makeOld(from: string, to: string): void {
    rmSync(join(state, from, 'runbook.json'));
    if (from !== to) renameSync(join(state, from), join(state, to));
  }

  it('adopts an older folder named by the file name when its runs were started from this file, and resumes the run', async () => {
    const file = write('nova/upgrade.md', upgrade());
    const run = await startAndStop(file);
    const [folder] = folders();
    makeOld(folder as string, 'upgrade');

    const session = await open(file);
    expect(session.resumed).toBe(true);
    expect(session.state.run).toBe(run);
    expect(session.notices).toContain(
      `state folder ${join(state, 'upgrade')}, written by an older waymark for this runbook, is now ${join(state, folder as string)}`,
    );
    expect(folders()).toEqual([folder]);
    expect(JSON.parse(readFileSync(join(state, folder as string, 'runbook.json'), 'utf8'))).toEqual({ id: null, file });
    await runToEnd(session);
    expect(counter(file)).toEqual(['db-healthy', 'migrate']);
  });

  it("keeps using an older folder named by the id, once it knows its runs are this runbook's", async () => {
    const file = write('ops/upgrade.md', upgrade('id: upgrade-nova'));
    const run = await startAndStop(file);
    makeOld('upgrade-nova', 'upgrade-nova');
    expect((await readRun(state, composeRunbook(file)))?.state.run).toBe(run);
    const session = await open(file);
    expect(session.state.run).toBe(run);
    expect(existsSync(join(state, 'upgrade-nova', 'runbook.json'))).toBe(true);
  });

  it('reproduced: an older folder of nova/upgrade.md was resumed by glance/upgrade.md; now glance keeps apart and nova adopts it', async () => {
    const nova = write('nova/upgrade.md', upgrade());
    const glance = write('glance/upgrade.md', upgrade());
    const run = await startAndStop(nova);
    makeOld(folders()[0] as string, 'upgrade');
    const before = snapshot();

    expect(await readRun(state, composeRunbook(glance))).toBeNull();
    const session = await open(glance);
    expect(session.resumed).toBe(false);
    expect(session.next()).toMatchObject({ kind: 'run', block: { id: 'db-healthy' } });
    await close(session);
    for (const [path, content] of Object.entries(before)) expect(snapshot()[path], path).toBe(content);

    expect((await readRun(state, composeRunbook(nova)))?.state.run).toBe(run);
    expect((await open(nova)).state.run).toBe(run);
    expect(folders()).not.toContain('upgrade');
  });

  it('reproduced: an older folder whose runs name the runbook relatively ("upgrade.md", started in nova/) was adopted by glance/upgrade.md started in glance/; a relative name proves no owner', async () => {
    const nova = write('nova/upgrade.md', upgrade());
    const glance = write('glance/upgrade.md', upgrade());
    const cwd = process.cwd();
    try {
      process.chdir(dirname(nova));
      await startAndStop('upgrade.md');
      makeOld(folders()[0] as string, 'upgrade');
      process.chdir(dirname(glance));
      const before = snapshot();
      await expect(open('upgrade.md')).rejects.toMatchObject({
        exitCode: 2,
        message: expect.stringContaining('relative to wherever waymark was started then'),
      });
      expect(snapshot()).toEqual(before);
      expect(counter(glance)).toEqual([]);
    } finally {
      process.chdir(cwd);
    }
  });

  it('refuses an older folder whose runs name a file it cannot find, with the one mv that adopts it; after that mv the run resumes', async () => {
    const file = write('nova/upgrade.md', upgrade());
    const run = await startAndStop(file);
    const folder = folders()[0] as string;
    makeOld(folder, 'upgrade');
    // An older waymark recorded the file as given on its command line, relative to where it was started.
    const checkpoint = join(state, 'upgrade', 'runs', run, 'checkpoint.json');
    writeFileSync(checkpoint, JSON.stringify({ ...JSON.parse(readFileSync(checkpoint, 'utf8')), runbookFile: 'runbooks/upgrade.md' }));
    const before = snapshot();

    const refused = RunSession.open({ runbookFile: file, stateDir: state, env: {}, operator: 'alice' });
    await expect(refused).rejects.toMatchObject({ exitCode: 2 });
    const message = ((await refused.catch((e: unknown) => e)) as Error).message;
    expect(message).toContain('runbooks/upgrade.md');
    expect(message).toContain(file);
    expect(message).toContain(`mv ${join(state, 'upgrade')} ${join(state, folder)}`);
    expect(snapshot()).toEqual(before);

    renameSync(join(state, 'upgrade'), join(state, folder));
    const session = await open(file);
    expect(session.resumed).toBe(true);
    expect(session.state.run).toBe(run);
    expect(JSON.parse(readFileSync(join(state, folder, 'runbook.json'), 'utf8'))).toEqual({ id: null, file });
  });
});
