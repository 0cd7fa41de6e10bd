/**
 * Loads the TUI's `waymark run` from dist/cli/tui.vm.js with V8's code cache (src/cli/code-cache.ts).
 * Compiling ink, React, the engine and their dependencies is most of the first frame's cost, and on
 * Node 20 only a script (not an ES module) can be given cached code.
 */
import { runCachedScript } from '../cli/code-cache.js';

/** `waymark run` as the CLI calls it. */
export type RunCommand = (argv: string[], out: NodeJS.WritableStream) => Promise<number>;

// Late enough that the functions the first frame ran are compiled (and so cached), early enough
// that a session quit straight away has usually left a cache behind.
const SAVE_AFTER_MS = 1000;

/** Compile and run dist/cli/tui.vm.js (at `file`), returning the `waymark run` it provides. */
export function loadTuiRun(file: string): Promise<RunCommand> {
  return runCachedScript<RunCommand>(file, 'tui', { afterMs: SAVE_AFTER_MS });
}
