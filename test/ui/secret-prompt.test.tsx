/** The TUI's hidden prompt for secrets no flag, file or environment gave (issue 10 item 15). */
import { render } from 'ink-testing-library';
import { describe, expect, it, vi } from 'vitest';
import type { VarDecl } from '../../src/runbook/model.js';
import { SecretPrompt } from '../../src/ui/components/SecretPrompt.js';
import { KEY, plain } from './harness.js';

const secret = (name: string, required = true): VarDecl => ({
  name,
  line: 1,
  secret: true,
  required,
  description: `the ${name.toLowerCase()}`,
});

describe('SecretPrompt', () => {
  it('never shows what is typed, nor how much, and hands the values over on enter', async () => {
    const onDone = vi.fn();
    const frames: string[] = [];
    const screen = render(<SecretPrompt secrets={[secret('DB_PASSWORD'), secret('API_TOKEN')]} onDone={onDone} onCancel={vi.fn()} />);
    const record = () => frames.push(plain(screen.lastFrame()));
    record();
    expect(frames[0]).toContain('› DB_PASSWORD (the db_password):\n');
    for (const ch of 'hunter2-longer') {
      screen.stdin.write(ch);
      await vi.waitFor(() => expect(plain(screen.lastFrame())).toContain('DB_PASSWORD (the db_password): ••••'));
      record();
    }
    // Backspace edits what cannot be seen.
    screen.stdin.write(KEY.backspace);
    screen.stdin.write('r');
    screen.stdin.write(KEY.enter);
    await vi.waitFor(() => expect(plain(screen.lastFrame())).toContain('› API_TOKEN'));
    record();
    // A paste with its newline, in one read.
    screen.stdin.write('tok-3f9a1c\r');
    await vi.waitFor(() => expect(onDone).toHaveBeenCalledTimes(1));
    record();
    expect(onDone).toHaveBeenCalledWith({ DB_PASSWORD: 'hunter2-longer', API_TOKEN: 'tok-3f9a1c' });
    for (const frame of frames) {
      expect(frame).not.toMatch(/hunter|longer|tok-|3f9a/);
      expect(frame).not.toMatch(/•{5,}/);
    }
    // The same mask for 1 character as for 14: the length does not show.
    expect(frames[1]).toBe(frames[14]);
  });

  it('asks again for a required secret left empty, and lets an optional one stay unset', async () => {
    const onDone = vi.fn();
    const screen = render(<SecretPrompt secrets={[secret('PW'), secret('EXTRA', false)]} onDone={onDone} onCancel={vi.fn()} />);
    screen.stdin.write(KEY.enter);
    await vi.waitFor(() => expect(plain(screen.lastFrame())).toContain('PW is required'));
    screen.stdin.write('s3cret-pw');
    screen.stdin.write(KEY.enter);
    await vi.waitFor(() => expect(plain(screen.lastFrame())).toContain('› EXTRA'));
    screen.stdin.write(KEY.enter);
    await vi.waitFor(() => expect(onDone).toHaveBeenCalledWith({ PW: 's3cret-pw' }));
  });

  it('cancels on esc', async () => {
    const onCancel = vi.fn();
    const screen = render(<SecretPrompt secrets={[secret('PW')]} onDone={vi.fn()} onCancel={onCancel} />);
    screen.stdin.write(KEY.escape);
    await vi.waitFor(() => expect(onCancel).toHaveBeenCalled());
  });
});
