/** `waymark RUNBOOK.md`: the interactive TUI over a run session. */
import type { SessionOptions } from '../engine/session.js';
import { UsageError } from '../cli/errors.js';

/** Exit code for where the run stands when the operator leaves the TUI (SPEC §4). */
const EXIT_FOR: Record<string, number> = { complete: 0, failed: 1, refused: 3, waiting: 4, running: 4, interrupted: 130 };

export async function startTui(options: SessionOptions): Promise<number> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    throw new UsageError('the interactive TUI needs a terminal (stdout is not one); to run without it, add --headless (see waymark run --help)');
  }
  // chalk (inside ink and marked-terminal) ignores NO_COLOR; FORCE_COLOR=0 must be set before they load.
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') process.env.FORCE_COLOR = '0';
  const [{ render }, { App }, { UiController }, { RunSession }, { stepDurations }] = await Promise.all([
    import('ink'),
    import('./app.js'),
    import('./controller.js'),
    import('../engine/session.js'),
    import('../engine/estimate.js'),
  ]);
  const session = await RunSession.open(options);
  let status: string | undefined;
  try {
    const controller = new UiController(session, { resume: session.resumed });
    const durations = await stepDurations(options.stateDir, session.runbook, session.state.run);
    const onSignal = () => {
      // SIGTERM/SIGHUP: stop the running block like ctrl+c would, then leave.
      session.cancel();
      void controller.press('quit').then(() => controller.press('run-next'));
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
    const app = render(<App controller={controller} durations={durations} />, { exitOnCtrlC: false, maxFps: 30, patchConsole: false });
    await app.waitUntilExit();
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  } finally {
    await session.close();
    status = session.state.status;
  }
  return EXIT_FOR[status] ?? 0;
}
