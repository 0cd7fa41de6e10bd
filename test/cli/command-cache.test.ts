/**
 * `lint`, `status` and `plan` start from scripts of their own with V8's code cache
 * (src/cli/code-cache.ts, src/build/bundle.mjs), as the TUI does: the first start leaves a cache
 * in the operator's cache folder, and a damaged one never changes what the command says; it is
 * replaced by a good one. Runs the built binary (`npm run build` first).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, type WaymarkOptions, waymark } from '../support/binary.js';

// waymark() passes this worker's environment on: the binary's cache goes to a folder of this file's own.
const cacheHome = mkdtempSync(join(tmpdir(), 'wm-command-cache-'));
process.env.XDG_CACHE_HOME = cacheHome;
afterAll(() => rmSync(cacheHome, { recursive: true, force: true }));

const folder = join(cacheHome, 'waymark');
const caches = (command: string) =>
  existsSync(folder) ? readdirSync(folder).filter((name) => name.startsWith(`${command}-`) && name.endsWith('.v8')) : [];

/**
 * Run waymark with a preload that writes down the built-ins the process loaded, as it exits.
 * NODE_EXTRA_CA_CERTS, when the machine sets it, makes Node load crypto before any of waymark's code
 * runs: it is left out.
 */
async function loaded(args: string[], options: Omit<WaymarkOptions, 'env'> = {}) {
  const preload = join(cacheHome, 'loaded-modules.cjs');
  writeFileSync(
    preload,
    "process.on('exit', () => require('node:fs').writeFileSync(process.env.LOADED_OUT, process.moduleLoadList.join('\\n')));\n",
  );
  const out = join(cacheHome, `loaded-${args[0]}.txt`);
  // An earlier run's list must not stand in for this one's, should this one not get as far as its exit.
  rmSync(out, { force: true });
  const result = await waymark(args, {
    ...options,
    env: { NODE_OPTIONS: `--require ${preload}`, LOADED_OUT: out, NODE_EXTRA_CA_CERTS: undefined },
  });
  return { ...result, modules: readFileSync(out, 'utf8').split('\n') };
}

describe('the quick commands start with the code cache', () => {
  it('lint saves one on its first start, says the same with it, and replaces a damaged one without changing its findings', async () => {
    const first = await waymark(['lint', 'test/fixtures/planted-errors.md'], { keepFinalNewline: true });
    expect(first.code).toBe(2);
    expect(caches('lint')).toHaveLength(1);
    const file = join(folder, caches('lint')[0] as string);
    const saved = readFileSync(file);

    // A cache V8 takes is kept as it is.
    expect(await waymark(['lint', 'test/fixtures/planted-errors.md'], { keepFinalNewline: true })).toEqual(first);
    expect(readFileSync(file).equals(saved)).toBe(true);

    // Reproduced before V8's checksum was asked for: V8 checks a cache's sizes, versions and flags,
    // not its code, so it took this one (byte flipped) and ran it, and kept it.
    const damaged = Buffer.from(saved);
    damaged[damaged.length - 100] = (damaged[damaged.length - 100] as number) ^ 0xff;
    writeFileSync(file, damaged);
    expect(await waymark(['lint', 'test/fixtures/planted-errors.md'], { keepFinalNewline: true })).toEqual(first);
    expect(caches('lint')).toHaveLength(1);
    const replaced = readFileSync(file);
    expect(replaced.equals(damaged)).toBe(false);
    // ...and the one saved in its place is good: the next start keeps it.
    expect(await waymark(['lint', 'test/fixtures/planted-errors.md'], { keepFinalNewline: true })).toEqual(first);
    expect(readFileSync(file).equals(replaced)).toBe(true);
  }, 30_000);

  it('lint reads a runbook the block scanner leaves to marked (an HTML block, a lazy quote line), which its script loads only then', async () => {
    const book = join(cacheHome, 'html-and-quote.md');
    writeFileSync(
      book,
      [
        '# Mixed',
        '',
        '<div>',
        '',
        '```sh',
        'true',
        '```',
        '',
        '</div>',
        '',
        '## Step',
        '',
        '> a quote',
        'lazy line',
        '',
        '```sh name=twice',
        'echo one',
        '```',
        '',
        '```sh name=twice',
        'echo two',
        '```',
        '',
      ].join('\n'),
    );
    const result = await waymark(['lint', book], { keepFinalNewline: true });
    expect(result.code).toBe(2);
    expect(result.stdout.trim().split('\n')).toEqual([
      `${book}:5: error: runnable sh block in the introduction (before the first "## " step): the introduction is never run; move it into a step or mark it "example"`,
      `${book}:20: error: duplicate block name "twice" (first used on line 16)`,
    ]);
    // marked is not in the lint script (its rule tables would be built at every start): it comes from node_modules when needed.
    expect(readFileSync(join(ROOT, 'dist', 'cli', 'lint.vm.js'), 'utf8')).not.toContain('blockquoteSetextReplace');
  }, 30_000);

  it("lint starts without Node's ES module loader, fs/promises, crypto or child_process, which a command from a module chunk (list) does load", async () => {
    // Reproduced before the fix: main.js was an ES module, so every lint began with Node's module
    // loader reading it through fs/promises, and its `import ... from 'node:fs'` ran each getter of
    // the built-in, loading fs streams (bench/RESULTS.md, lint-corpus); and the lint script loaded
    // fs/promises for the inventory cache's writes, which a warm cache never makes. Also reproduced:
    // crypto (≈ 4 ms), loaded by main.js for the code cache's sha256 and by the lint script for a state
    // folder's name, and child_process, for Ansible: neither is used by a runbook without fleet
    // blocks.
    const esmLoad = 'NativeModule internal/modules/esm/load';
    const fsPromises = 'NativeModule internal/fs/promises';
    const crypto = 'NativeModule crypto';
    const childProcess = 'NativeModule child_process';
    // zlib (≈ 3.5 ms) was loaded for the code cache's CRC, before V8's own checksum replaced it.
    const zlib = 'NativeModule zlib';
    const lint = await loaded(['lint', 'runbooks/demo.md']);
    expect(lint.code).toBe(0);
    expect(lint.modules).not.toContain(zlib);
    expect(lint.modules).not.toContain(esmLoad);
    expect(lint.modules).not.toContain(fsPromises);
    expect(lint.modules).not.toContain(crypto);
    expect(lint.modules).not.toContain(childProcess);
    const list = await loaded(['list', 'runbooks']);
    expect(list.code).toBe(0);
    expect(list.modules).toContain(esmLoad);
    expect(list.modules).toContain(fsPromises);
    const run = await loaded(['run', 'runbooks/demo.md', '--headless', '--state-dir', join(cacheHome, 'run-state')]);
    expect(run.modules).toContain(crypto);
    expect(run.modules).toContain(childProcess);
  }, 30_000);

  it('a lint whose stderr is a pipe it never writes to does not make that stream, and its output to a file is whole', async () => {
    // Reproduced before the fix: main.ts asked process.stderr whether it was drained before ending
    // a quick command, and for a pipe Node then made a socket for it, loading net (≈ 2.5 ms of each
    // lint). With stdout in a file, as a shell's `> FILE` has it, net is loaded for stderr or not at all.
    const piped = await waymark(['lint', 'test/fixtures/planted-errors.md'], { keepFinalNewline: true });
    expect(piped.stdout).toContain('error:');
    const outFile = join(cacheHome, 'lint-out.txt');
    const toFile = await loaded(['lint', 'test/fixtures/planted-errors.md'], { stdoutFile: outFile, keepFinalNewline: true });
    expect(toFile.code).toBe(piped.code);
    expect(toFile.stderr).toBe('');
    expect(readFileSync(outFile, 'utf8')).toBe(piped.stdout);
    expect(toFile.modules).not.toContain('NativeModule net');
  }, 30_000);

  it('plan and status have caches of their own', async () => {
    const plan = await waymark(['plan', 'runbooks/demo.md'], { keepFinalNewline: true });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain('Set up the sandbox');
    const status = await waymark(['status', 'runbooks/demo.md', '--state-dir', join(cacheHome, 'state')], { keepFinalNewline: true });
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain('never run');
    expect(caches('plan')).toHaveLength(1);
    expect(caches('status')).toHaveLength(1);
  }, 30_000);

  it('a lint that lets the young generation grow (a front matter over 256 KB) leaves a cache later lints keep', async () => {
    // Lint holds V8's young generation and lets it grow for a large front matter
    // (src/runbook/young-generation.ts). V8 checks a code cache against the flags a script is
    // compiled under: a cache saved under other flags than the next start's would be replaced at
    // every start. At most one replacement is allowed, after the first start ever.
    const dir = mkdtempSync(join(cacheHome, 'large-front-matter-'));
    const large = join(dir, 'large.md');
    const vars = Array.from({ length: 20_000 }, (_, n) => `  V${n}: value-${n}`).join('\n');
    writeFileSync(large, `---\nid: large\nvars:\n${vars}\n---\n\n## Step\n\n\`\`\`sh\necho "$V1"\n\`\`\`\n`);
    expect(readFileSync(large, 'utf8').length).toBeGreaterThan(256 * 1024);
    for (const name of caches('lint')) rmSync(join(folder, name));

    const lint = async (file: string) => {
      const result = await waymark(['lint', file]);
      expect(result.code, result.stderr).toBe(0);
      return readFileSync(join(folder, caches('lint')[0] as string));
    };
    await lint(large);
    await lint('runbooks/demo.md');
    const settled = await lint('runbooks/demo.md');
    expect(await lint(large)).toEqual(settled);
    expect(await lint('runbooks/demo.md')).toEqual(settled);
    expect(caches('lint')).toHaveLength(1);
  }, 60_000);
});

describe('a cache waymark cannot use changes nothing but the time a start takes', () => {
  const planted = ['lint', 'test/fixtures/planted-errors.md'];
  /** lint's findings (exit 2, nothing on stderr) with the cache in `home`; killed after 10 s, so a hang fails the test. */
  const lintWith = (home: string) => waymark(planted, { env: { XDG_CACHE_HOME: home }, keepFinalNewline: true, timeout: 10_000 });
  /** What lint says with a cache folder of its own that works. */
  const expected = async () => {
    const result = await lintWith(mkdtempSync(join(cacheHome, 'good-')));
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('');
    return result;
  };

  it.each([
    ['a FIFO', (file: string) => execFileSync('mkfifo', [file])],
    ['a link to /dev/zero', (file: string) => symlinkSync('/dev/zero', file)],
  ])(
    '%s in place of the cache file: lint says the same at once, and saves a good cache there',
    async (_, plant) => {
      // Reproduced before the fix: the cache was read with a plain readFileSync, which follows links
      // and waits in open(2) for a FIFO's writer: every lint hung (killed here after 10 s), reading
      // nothing from a FIFO or endless zeros from /dev/zero.
      const want = await expected();
      const home = mkdtempSync(join(cacheHome, 'planted-'));
      await lintWith(home);
      const file = join(home, 'waymark', readdirSync(join(home, 'waymark')).find((name) => name.startsWith('lint-')) as string);
      rmSync(file);
      plant(file);
      expect(await lintWith(home)).toEqual(want);
      expect(lstatSync(file).isFile()).toBe(true);
      expect(await lintWith(home)).toEqual(want);
    },
    60_000,
  );

  it.each([
    ['$XDG_CACHE_HOME is /dev/null (ENOTDIR)', () => '/dev/null'],
    [
      '$XDG_CACHE_HOME/waymark is a file',
      () => {
        const home = mkdtempSync(join(cacheHome, 'file-'));
        writeFileSync(join(home, 'waymark'), 'not a folder');
        return home;
      },
    ],
    ['$XDG_CACHE_HOME is too long a name (ENAMETOOLONG)', () => join(cacheHome, 'x'.repeat(5000))],
  ])(
    'a cache that cannot be saved (%s): the same findings and exit code, nothing on stderr',
    async (_, home) => {
      // Reproduced before the fix: the exit handler that saves the cache removed its temporary file
      // after a failure with rmSync, which throws for a folder it cannot look in: lint's stderr got
      // `Error: ENOTDIR ... at rmSync ... at saveCache`, a stack trace.
      expect(await lintWith(home())).toEqual(await expected());
    },
    60_000,
  );

  it("never writes through, nor removes files in, a waymark folder that is a link; a cache home that is one is the operator's, and used", async () => {
    // Reproduced before the fix: with $XDG_CACHE_HOME/waymark a link to another folder, lint saved
    // its cache in that folder and removed the lint-*.v8 files it found there as other builds' caches.
    const want = await expected();
    const home = mkdtempSync(join(cacheHome, 'linked-folder-'));
    const victim = mkdtempSync(join(cacheHome, 'victim-'));
    writeFileSync(join(victim, 'lint-precious.v8'), 'precious');
    symlinkSync(victim, join(home, 'waymark'));
    expect(await lintWith(home)).toEqual(want);
    expect(readdirSync(victim)).toEqual(['lint-precious.v8']);
    expect(readFileSync(join(victim, 'lint-precious.v8'), 'utf8')).toBe('precious');

    // $XDG_CACHE_HOME itself may be a link the operator made (~/.cache -> /data/cache).
    const data = mkdtempSync(join(cacheHome, 'data-'));
    const linkedHome = join(cacheHome, 'linked-home');
    symlinkSync(data, linkedHome);
    expect(await lintWith(linkedHome)).toEqual(want);
    expect(readdirSync(join(data, 'waymark')).filter((name) => name.startsWith('lint-'))).toHaveLength(1);
  }, 60_000);
});
