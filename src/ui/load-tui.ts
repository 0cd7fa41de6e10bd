/**
 * Loads the TUI's `waymark run` from dist/cli/tui.vm.js with V8's code cache. Compiling ink, React,
 * the engine and their dependencies is most of the first frame's cost, and on Node 20 only a
 * script (not an ES module) can be given cached code. The cache lives in the operator's cache
 * folder (never in the repository); it is keyed by the script's build id and the Node version,
 * checked against its own digest, and when it is missing, stale or damaged waymark compiles from
 * source as it would without it.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Script } from 'node:vm';

/** `waymark run` as the CLI calls it. */
export type RunCommand = (argv: string[], out: NodeJS.WritableStream) => Promise<number>;

const DIGEST_BYTES = 32;
// Late enough that the functions the first frame ran are compiled (and so cached), early enough
// that a session quit straight away has usually left a cache behind.
const SAVE_AFTER_MS = 1000;

function cacheFolder(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'waymark');
}

/** The cached code in `file` if its digest checks out; a damaged cache must never reach V8. */
function readCache(file: string): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    // No cache yet (or none readable): this start compiles from source and saves one.
    return undefined;
  }
  if (data.length <= DIGEST_BYTES) return undefined;
  const code = data.subarray(DIGEST_BYTES);
  return createHash('sha256').update(code).digest().equals(data.subarray(0, DIGEST_BYTES)) ? code : undefined;
}

/** Save the script's compiled code (what has run so far) for the next start, replacing older builds' caches. */
function saveCache(script: Script, file: string): void {
  const folder = dirname(file);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    mkdirSync(folder, { recursive: true });
    const code = script.createCachedData();
    writeFileSync(temporary, Buffer.concat([createHash('sha256').update(code).digest(), code]));
    // A rename, so a start that reads the cache meanwhile sees the old file or the new one, never half of one.
    renameSync(temporary, file);
    for (const name of readdirSync(folder)) {
      if (name.startsWith('tui-') && name.endsWith('.v8') && join(folder, name) !== file) rmSync(join(folder, name), { force: true });
    }
  } catch {
    // The cache only saves time: a read-only or full disk makes the next start slower, nothing
    // else, and the screen belongs to the TUI now, so there is nowhere useful to say so.
    rmSync(temporary, { force: true });
  }
}

/** Compile and run dist/cli/tui.vm.js (at `file`), returning the `waymark run` it provides. */
export async function loadTuiRun(file: string): Promise<RunCommand> {
  const source = readFileSync(file, 'utf8');
  const id = /^\/\/ waymark-tui (\w+)\n/.exec(source)?.[1];
  if (!id) throw new Error(`${file} is not waymark's TUI script (rebuild with npm run build)`);
  const cacheFile = join(cacheFolder(), `tui-${id}-${process.version}-${process.arch}.v8`);
  const cachedData = readCache(cacheFile);
  const script = new Script(source, { filename: file, cachedData });
  // V8 rejects cached code made under other flags (--cpu-prof, say): then a fresh one is saved.
  if (cachedData === undefined || script.cachedDataRejected) setTimeout(() => saveCache(script, cacheFile), SAVE_AFTER_MS).unref();
  let run: RunCommand | undefined;
  const start = script.runInThisContext() as (require: NodeJS.Require, url: string, provide: (command: RunCommand) => void) => Promise<void>;
  await start(createRequire(file), pathToFileURL(file).href, (command) => {
    run = command;
  });
  if (!run) throw new Error(`${file} did not provide the run command (rebuild with npm run build)`);
  return run;
}
