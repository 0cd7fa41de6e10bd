/**
 * The TUI face of a failing notifier (docs/notify.md): the status line says so, and the run goes
 * on; the engine runs the notifier, so the TUI notifies as headless does.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { KEY, flat, useScreens } from './harness.js';

const ui = useScreens();

describe('a failing notifier in the TUI', () => {
  it('shows notify-failed on the status line, and the run completes', async () => {
    const file = join(ui.dir(), 'notified.md');
    writeFileSync(
      file,
      '---\ntitle: Notified\nnotify: echo "hook said no" >&2; exit 3\n---\n# Notified\n\n## Only {#only}\n\n```sh name=only\necho done >> counter.txt\n```\n',
    );
    const screen = await ui.open(file);
    screen.press(KEY.enter);
    await screen.until((f) => expect(flat(f)).toContain('notify-failed: run-complete: exit 3'));
    expect(screen.lines('counter.txt')).toEqual(['done']);
    expect(screen.session.state.status).toBe('complete');
  });
});
