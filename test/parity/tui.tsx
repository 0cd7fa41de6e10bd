/**
 * The TUI face of a parity invocation: `waymark run …` without --headless goes through runCommand,
 * which parses the flags as for a terminal and calls startTui; the test mocks startTui with
 * `tuiFace.start`, which opens the session with the SessionOptions runCommand built, renders the
 * real App over the real UiController (ink-testing-library), and types the scenario's keys.
 * Each key is sent once the one before it is handled and whatever it started has finished.
 */
import { render } from 'ink-testing-library';
import { expect, vi } from 'vitest';
import { RunSession, type SessionOptions } from '../../src/engine/session.js';
import { App } from '../../src/ui/app.js';
import { UiController } from '../../src/ui/controller.js';
import { FinishedScreen } from '../../src/ui/components/FinishedScreen.js';
import { runCommand } from '../../src/cli/run.js';
import { collector, exitCodeOf, type Workspace } from './workspace.js';
import type { FaceResult } from './headless.js';

/** Named keys as a terminal sends them; any other string of a key script is typed character by character. */
export const KEYS: Record<string, string> = {
  enter: '\r',
  space: ' ',
  up: '\u001B[A',
  down: '\u001B[B',
  escape: '\u001B',
  'ctrl-c': '\u0003',
};

/** What a key script becomes: one terminal read per key. */
function reads(script: string[]): string[] {
  return script.flatMap((key) => KEYS[key] ?? [...key]);
}

let pending: { keys: string[]; frames: string[] } | null = null;

/** startTui's stand-in, and what the test gives it: the keys of the coming invocation. */
export const tuiFace = {
  async start(options: SessionOptions): Promise<number> {
    if (!pending) throw new Error('parity: the TUI face started without a key script');
    const { keys, frames } = pending;
    // As startTui: variables from the environment as waymark was started. Secrets come from it too
    // (a scenario never leaves one to the hidden prompt).
    const session = await RunSession.open({
      ...options,
      env: options.env ?? { ...process.env },
      askSecrets: (secrets) => Promise.reject(new Error(`parity: secret ${secrets.map((s) => s.name).join(', ')} would be prompted for`)),
    });
    try {
      // As startTui: a complete run opens on its summary screen, never on the run.
      if (session.finished) await leaveFinished(session, keys, frames);
      else await drive(session, keys, frames);
    } finally {
      await session.close();
    }
    // The engine's exit code for where the run stands, as startTui returns it.
    return session.exitCode();
  },
};

/** The finished-run screen, answered with the key script; it must end by quitting (no new run here). */
async function leaveFinished(session: RunSession, keys: string[], frames: string[]): Promise<void> {
  let choice: 'quit' | 'new-run' | null = null;
  const rendered = render(
    <FinishedScreen
      state={session.state}
      notice={session.finishedHeadline()}
      evidence={session.evidenceNotice()}
      onNewRun={() => (choice = 'new-run')}
      onQuit={() => (choice = 'quit')}
    />,
  );
  try {
    await vi.waitFor(() => expect(rendered.stdin.listenerCount('readable')).toBeGreaterThan(0));
    for (const read of reads(keys)) rendered.stdin.write(read);
    await vi.waitFor(() => expect(choice, 'the key script must end by quitting the finished run').toBe('quit'));
  } finally {
    frames.push(...rendered.frames);
    rendered.unmount();
  }
}

async function drive(session: RunSession, keys: string[], frames: string[]): Promise<void> {
  const controller = new UiController(session, { resume: session.resumed });
  // Each key read reaches the controller as exactly one press, type or otherKey; press returns
  // the promise of what it started (a block, a decision being written).
  let handled = 0;
  const running: Promise<void>[] = [];
  const press = controller.press.bind(controller);
  controller.press = (action) => {
    handled++;
    const started = press(action);
    running.push(started);
    return started;
  };
  for (const name of ['type', 'otherKey'] as const) {
    const original = controller[name].bind(controller) as (...args: unknown[]) => void;
    (controller as unknown as Record<string, (...args: unknown[]) => void>)[name] = (...args) => {
      handled++;
      original(...args);
    };
  }
  const rendered = render(<App controller={controller} durations={new Map()} openPager={() => null} />);
  try {
    await vi.waitFor(() => expect(rendered.stdin.listenerCount('readable')).toBeGreaterThan(0));
    const send = async (read: string) => {
      const before = handled;
      rendered.stdin.write(read);
      await vi.waitFor(() => expect(handled, `key ${JSON.stringify(read)} was not handled`).toBe(before + 1), {
        timeout: 5000,
        interval: 5,
      });
      await Promise.all(running);
    };
    // The resume screen asks for enter before anything else; headless has no such screen. The face's own key.
    if (controller.getSnapshot().prompt?.kind === 'resume') await send(KEYS.enter as string);
    for (const read of reads(keys)) await send(read);
    await vi.waitFor(() => expect(controller.getSnapshot().quit, 'the key script must end by quitting the TUI').toBe(true));
  } finally {
    frames.push(...rendered.frames);
    rendered.unmount();
  }
}

export async function runTui(ws: Workspace, flags: string[], keys: string[]): Promise<FaceResult> {
  const frames: string[] = [];
  pending = { keys, frames };
  const out = collector();
  let exit: number;
  try {
    exit = await runCommand(ws.argv(flags), out.stream);
  } catch (error) {
    exit = exitCodeOf(error);
    // What the entry point prints for it (cli/main.ts).
    frames.push(`waymark: ${(error as Error).message}`);
  } finally {
    pending = null;
  }
  return { exit, shown: frames.join('\n') };
}
