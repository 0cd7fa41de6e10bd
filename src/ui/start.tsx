/** `waymark RUNBOOK.md`: the interactive TUI over a run session. */
import type { RunSession, SessionOptions } from '../engine/session.js';
import type { VarDecl } from '../runbook/model.js';
import { ExitCode, UsageError } from '../engine/errors.js';
import { preloadProcessRunner } from '../engine/output.js';

/** ink and the screen's modules, loaded the way they need the environment to be. */
async function loadTui() {
  // chalk (inside ink and marked-terminal) ignores NO_COLOR; FORCE_COLOR=0 must be set before they load.
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') process.env.FORCE_COLOR = '0';
  // ink draws nothing until exit when CI or CONTINUOUS_INTEGRATION is set (it reads them once, as
  // it loads). This is a terminal an operator is looking at, so hide them while ink loads; blocks
  // still see them afterwards.
  const ciVars = (['CI', 'CONTINUOUS_INTEGRATION'] as const).map((name) => [name, process.env[name]] as const);
  for (const [name] of ciVars) delete process.env[name];
  try {
    return await Promise.all([
      import('ink'),
      import('./app.js'),
      import('./controller.js'),
      import('../engine/estimate.js'),
      import('./components/SecretPrompt.js'),
      import('./components/FinishedScreen.js'),
    ]);
  } finally {
    for (const [name, value] of ciVars) if (value !== undefined) process.env[name] = value;
  }
}

/** The hidden prompt for secrets that nothing gave, on its own screen before the run's. */
async function askSecrets(loading: ReturnType<typeof loadTui>, secrets: VarDecl[]): Promise<Record<string, string>> {
  const [{ render }, , , , { SecretPrompt }] = await loading;
  const given: { values?: Record<string, string> } = {};
  const done = (values?: Record<string, string>): void => {
    if (values) given.values = values;
    app.unmount();
  };
  const app = render(<SecretPrompt secrets={secrets} onDone={done} onCancel={() => done()} />, { exitOnCtrlC: false, patchConsole: false });
  await app.waitUntilExit();
  if (!given.values) throw new UsageError(`no value given for secret ${secrets.map((s) => s.name).join(', ')}; nothing was run`);
  return given.values;
}

/**
 * The summary of a complete run, on its own screen: q quits, n (behind a typed yes) asks for a new
 * run. Nothing of the finished run is changed either way.
 */
async function askAboutFinished(loading: ReturnType<typeof loadTui>, session: RunSession): Promise<'new-run' | 'quit' | 'signal'> {
  const [{ render }, , , , , { FinishedScreen }] = await loading;
  let choice: 'new-run' | 'quit' | 'signal' = 'quit';
  const done = (chosen: 'new-run' | 'quit' | 'signal'): void => {
    choice = chosen;
    app.unmount();
  };
  // A signal (the terminal closed) leaves like q does, so the lock is released.
  const onSignal = (): void => done('signal');
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  process.stdin.setRawMode(true);
  const app = render(
    <FinishedScreen
      state={session.state}
      notice={session.finishedHeadline()}
      evidence={session.evidenceNotice()}
      onNewRun={() => done('new-run')}
      onQuit={() => done('quit')}
    />,
    {
      exitOnCtrlC: false,
      patchConsole: false,
    },
  );
  for (const signal of signals) process.on(signal, onSignal);
  try {
    await app.waitUntilExit();
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
  }
  return choice;
}

export async function startTui(options: SessionOptions): Promise<number> {
  if (!process.stdout.isTTY || !process.stdin.isTTY) {
    throw new UsageError(
      'the interactive TUI needs a terminal (stdout is not one); to run without it, add --headless (see waymark run --help)',
    );
  }
  // The session is opened while the TUI's modules load: opening waits on the disk (lock, checkpoint,
  // audit, each synced) and loading is all CPU, so the two overlap instead of adding up.
  const { RunSession } = await import('../engine/session.js');
  const loading = loadTui();
  // Variables are resolved from the environment as the operator started waymark (CI hidden below).
  const open = (newRun?: true) =>
    RunSession.open({
      ...options,
      ...(newRun ? { newRun } : {}),
      env: options.env ?? { ...process.env },
      askSecrets: (secrets) => askSecrets(loading, secrets),
    });
  const [opened, loaded] = await Promise.allSettled([open(), loading]);
  // A runbook or lock problem is the operator's to fix, and says more than a module that failed to load.
  if (opened.status === 'rejected') throw opened.reason;
  let session = opened.value;
  if (loaded.status === 'rejected') {
    await session.close();
    throw loaded.reason;
  }
  // The runbook's last run is complete: show it, and start another only when the operator says so.
  if (session.finished) {
    let choice: 'new-run' | 'quit' | 'signal';
    try {
      choice = await askAboutFinished(loading, session);
    } finally {
      await session.close();
    }
    if (choice !== 'new-run') return choice === 'signal' ? ExitCode.Signal : ExitCode.Complete;
    session = await open(true);
  }
  const [{ render }, { App }, { UiController }, { durationsFor }] = loaded.value;
  let signalled = false;
  const cleanups: (() => void)[] = [];
  try {
    const controller = new UiController(session, { resume: session.resumed });
    cleanups.push(controller.watchApprovals());
    const durations = await durationsFor(options.stateDir, session.runbook, session.state);
    // The terminal can go away under us (an ssh link drops, the window is closed): writes then fail
    // with EIO. There is nothing left to draw on, but the run must still be closed properly — the
    // SIGHUP handler below cancels the block, and the session records it and releases the lock.
    // While the TUI owns the terminal its handler is the only one (the CLI's own, for pipes, would
    // throw on EIO); it hands back only if the terminal is still there.
    let terminalGone = false;
    const onTerminalGone = (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EIO' && error.code !== 'EPIPE' && error.code !== 'ENXIO') throw error;
      terminalGone = true;
    };
    const cliHandlers = process.stdout.listeners('error') as ((error: Error) => void)[];
    process.stdout.removeAllListeners('error');
    process.stdout.on('error', onTerminalGone);
    process.stdin.on('error', onTerminalGone);
    cleanups.push(() => {
      if (terminalGone) return;
      process.stdout.off('error', onTerminalGone);
      for (const handler of cliHandlers) process.stdout.on('error', handler);
    });
    const onSignal = () => {
      // SIGINT/SIGTERM/SIGHUP from outside: stop the running block like ctrl+c would, then leave.
      signalled = true;
      session.stop();
      void controller.press('quit').then(() => controller.press('run-next'));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    process.on('SIGHUP', onSignal);
    // Raw mode before the first frame: ink switches it on only after that frame, and an enter
    // pressed in between would arrive as a cooked "\n" (not ink's return) and be lost, its echo
    // moving the cursor under ink's redraw.
    process.stdin.setRawMode(true);
    const app = render(<App controller={controller} durations={durations} />, { exitOnCtrlC: false, maxFps: 30, patchConsole: false });
    // The frame is up: load the process runner now, before the operator's first key needs it.
    // A failure to load surfaces when a block runs, where it can be reported.
    setImmediate(preloadProcessRunner);
    await app.waitUntilExit();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('SIGHUP', onSignal);
  } finally {
    await session.close();
    for (const cleanup of cleanups) cleanup();
  }
  // The engine's rule, as for headless: 0 when the selected steps are done, else what the run waits for.
  return session.exitCode({ signalled });
}
