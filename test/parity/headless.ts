/** The headless face of a parity invocation: `waymark run … --headless` in process, answers as flags. */
import { runCommand } from '../../src/cli/run.js';
import { collector, exitCodeOf, type Workspace } from './workspace.js';

/** What one face did in one invocation. */
export interface FaceResult {
  exit: number;
  /** What the operator saw: headless stdout, or every TUI frame. */
  shown: string;
}

export async function runHeadless(ws: Workspace, flags: string[], answers: string[]): Promise<FaceResult> {
  const out = collector();
  let exit: number;
  try {
    exit = await runCommand([...ws.argv(flags), '--headless', ...answers], out.stream);
  } catch (error) {
    exit = exitCodeOf(error);
    // What the entry point prints for it (cli/main.ts).
    out.stream.write(`waymark: ${(error as Error).message}\n`);
  }
  return { exit, shown: out.text() };
}
