/**
 * Runs one of the build's plain scripts (dist/cli/*.vm.js, see src/build/bundle.mjs) with V8's code
 * cache: on Node 20 only a script, not an ES module, can be given cached code. The TUI's `run`
 * (src/ui/load-tui.ts) and the quick commands `lint`, `status` and `plan` (route.ts) start this
 * way. The cache lives in the operator's cache folder (never in the repository); it is keyed by
 * the script's build id and the Node version, checked against its own checksum, and when it is
 * missing, stale or damaged waymark compiles from source as it would without it. It is never read
 * or written through a link below that folder (which itself may be the operator's link).
 */
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
// Only its synchronous helpers, which need node:fs alone: the bundle leaves fs/promises out of main.js.
import { assertNoSymlinksBelowSync, readBytesNoFollowSync } from '../state/atomic.js';
import { cacheHome } from '../state/cache-home.js';

/**
 * Run `work` with V8 writing a checksum into the code cache it makes and checking the one it is
 * given. A checksum finds what a disk or a crash damages, which V8 would otherwise run (it checks
 * only sizes, versions and flags); no digest kept beside the code could stop someone who can write
 * the folder. V8's own, rather than one of ours: a CRC from node:zlib cost every start ≈ 3.5 ms to
 * load zlib. Only around the cache's use: with the flag left on, every worker thread started later
 * (exec/match.ts) would check V8's whole start-up snapshot, 15-30 ms each.
 */
function withChecksum<T>(work: () => T): T {
  setFlagsFromString('--verify-snapshot-checksum');
  try {
    return work();
  } finally {
    setFlagsFromString('--no-verify-snapshot-checksum');
  }
}

/** When to save a fresh cache: some time after the start (a session), or as the process exits (a command). */
export type SaveWhen = { afterMs: number } | 'at-exit';

/**
 * The cached code in `file`, or undefined when there is none to read; V8 checks it (withChecksum).
 * Never through a link, neither at the file (a link to /dev/zero would hang the start) nor at
 * the folder waymark made for it, and only from a regular file (a FIFO would, too).
 */
function readCache(home: string, file: string): Buffer | undefined {
  try {
    assertNoSymlinksBelowSync(home, dirname(file));
    return readBytesNoFollowSync(file);
  } catch {
    // No cache yet, or none waymark may read: this start compiles from source and saves one.
    return undefined;
  }
}

/** Save the script's compiled code (what has run so far) for the next start, replacing older builds' caches of this script. */
function saveCache(script: Script, home: string, file: string, kind: string): void {
  const folder = dirname(file);
  const temporary = `${file}.${process.pid}.tmp`;
  let madeTemporary = false;
  try {
    mkdirSync(folder, { recursive: true });
    // mkdir is content with a link to a folder: the cache, and the removals below, would land wherever it points.
    assertNoSymlinksBelowSync(home, folder);
    const code = withChecksum(() => script.createCachedData());
    // wx: a file or link already at the temporary name is never written through.
    const fd = openSync(temporary, 'wx', 0o600);
    madeTemporary = true;
    try {
      writeFileSync(fd, code);
    } finally {
      closeSync(fd);
    }
    // A rename, so a start that reads the cache meanwhile sees the old file or the new one, never half of one.
    renameSync(temporary, file);
    for (const name of readdirSync(folder)) {
      if (name.startsWith(`${kind}-`) && name.endsWith('.v8') && join(folder, name) !== file) rmSync(join(folder, name), { force: true });
    }
  } catch {
    // The cache only saves time: a read-only or full disk makes the next start slower, nothing
    // else, and the screen may belong to the TUI, so there is nowhere useful to say so. Only a
    // temporary file this start made is removed: for a folder that cannot be made or looked in
    // (ENOTDIR, EACCES, ENAMETOOLONG) rmSync throws too, from the exit handler, as a stack trace.
    if (madeTemporary) rmSync(temporary, { force: true });
  }
}

/**
 * Compile and run the script at `file` (its first line `// waymark-KIND BUILDID`) and return what
 * it hands to the function it is wrapped in.
 */
export async function runCachedScript<T>(file: string, kind: string, save: SaveWhen): Promise<T> {
  // A Buffer, then decoded: `readFileSync(file, 'utf8')` reads in 8 KB pieces (src/runbook/reads.ts).
  const source = readFileSync(file).toString('utf8');
  const id = new RegExp(`^// waymark-${kind} (\\w+)\\n`).exec(source)?.[1];
  if (!id) throw new Error(`${file} is not waymark's ${kind} script (rebuild with npm run build)`);
  const home = cacheHome();
  const cacheFile = join(home, 'waymark', `${kind}-${id}-${process.version}-${process.arch}.v8`);
  const cachedData = readCache(home, cacheFile);
  const script = withChecksum(() => new Script(source, { filename: file, cachedData }));
  // V8 rejects cached code made under other flags (--cpu-prof, say): then a fresh one is saved.
  if (cachedData === undefined || script.cachedDataRejected) {
    // Saved after the work, so the functions it ran are compiled, and so cached, too.
    if (save === 'at-exit') process.once('exit', () => saveCache(script, home, cacheFile, kind));
    else setTimeout(() => saveCache(script, home, cacheFile, kind), save.afterMs).unref();
  }
  let provided: { value: T } | undefined;
  const start = script.runInThisContext() as (require: NodeJS.Require, url: string, provide: (value: T) => void) => Promise<void>;
  await start(createRequire(file), pathToFileURL(file).href, (value) => {
    provided = { value };
  });
  if (!provided) throw new Error(`${file} did not provide its ${kind} command (rebuild with npm run build)`);
  return provided.value;
}
