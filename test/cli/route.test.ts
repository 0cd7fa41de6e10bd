/**
 * The CLI face in process (issue 12, "CLI face"). Reproduced before it: `waymark --version` was an
 * unknown command; the usage listed the TUI form nowhere; `waymark RUNBOOK.md --help` and
 * `waymark --state-dir X RUNBOOK.md` failed with Node's parseArgs paragraph or "unknown command
 * --state-dir"; `waymark runbooks/` said "unknown command" where headless says "it is a directory".
 */
import '../support/config-home.js';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { route } from '../../src/cli/route.js';
import { ExitCode, OperatorError } from '../../src/engine/errors.js';
import { ROOT } from '../support/binary.js';
import { capture } from '../support/capture.js';

async function waymark(...argv: string[]): Promise<{ code: number; stdout: string }> {
  const stdout = capture();
  const code = await route(argv, { stdout });
  return { code, stdout: stdout.text };
}

/** The operator error `waymark ...argv` stops with. */
async function refusal(...argv: string[]): Promise<OperatorError> {
  const error = await waymark(...argv).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OperatorError);
  return error as OperatorError;
}

const folders: string[] = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});
/** A scratch folder with a copy of the `complete` fixture (its blocks write beside it) and a state dir. */
function workspace(): { dir: string; book: string; state: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wm-route-'));
  folders.push(dir);
  copyFileSync(join(ROOT, 'test/fixtures/engine/complete.md'), join(dir, 'complete.md'));
  return { dir, book: join(dir, 'complete.md'), state: join(dir, 'state') };
}

describe('waymark --version and the usage', () => {
  it('prints the version of package.json', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await waymark('--version')).toEqual({ code: ExitCode.Complete, stdout: `waymark ${version}\n` });
  });

  it('shows the TUI form `waymark RUNBOOK.md` first, and --version', async () => {
    const { code, stdout } = await waymark();
    expect(code).toBe(ExitCode.BadInput);
    const lines = stdout.split('\n');
    expect(lines[lines.indexOf('usage:') + 1]).toMatch(/^ {2}waymark RUNBOOK\.md /);
    expect(stdout).toContain('waymark --version');
  });
});

describe('waymark RUNBOOK.md with options', () => {
  it('`waymark RUNBOOK.md --help` prints the help of the TUI form and of run', async () => {
    const { book } = workspace();
    const { code, stdout } = await waymark(book, '--help');
    expect(code).toBe(ExitCode.Complete);
    expect(stdout).toMatch(/^usage: waymark RUNBOOK\.md \[options\]\n/);
    expect(stdout).toContain('usage: waymark run RUNBOOK.md --headless [options]');
    expect((await waymark('run', book, '--headless', '-h')).stdout).toMatch(/^usage: waymark run RUNBOOK\.md --headless/);
  });

  it('takes common options before the runbook: `waymark --state-dir X RUNBOOK.md --headless` runs it', async () => {
    const { dir, book, state } = workspace();
    const { code, stdout } = await waymark('--state-dir', state, '--operator', 'alice', book, '--headless');
    expect(code, stdout).toBe(ExitCode.Complete);
    expect(readFileSync(join(dir, 'counter.txt'), 'utf8')).toBe('first: hello\nsecond\n');
  });

  it('takes them before a command too: `waymark --state-dir X status RUNBOOK.md`', async () => {
    const { book, state } = workspace();
    await waymark('run', book, '--headless', '--state-dir', state);
    const { code, stdout } = await waymark('--state-dir', state, 'status', book, '--json');
    expect(code).toBe(ExitCode.Complete);
    expect(JSON.parse(stdout)).toMatchObject({ runbook: 'complete', status: 'complete' });
  });

  it('says a folder is a directory, as headless does, before anything loads', async () => {
    const { dir } = workspace();
    for (const argv of [[dir], ['run', dir], ['--state-dir', join(dir, 'state'), dir]]) {
      const error = await refusal(...argv);
      expect(error.message).toBe(
        `${dir}: cannot read runbook: it is a directory (name a runbook file in it, or see "waymark list ${dir}")`,
      );
      expect(error.exitCode).toBe(ExitCode.BadInput);
    }
  });
});

describe("bad options get one line of waymark's own, never Node's parser paragraph", () => {
  it('names an unknown option and where the options are listed', async () => {
    const { book } = workspace();
    const error = await refusal(book, '--headless', '--bogus');
    expect(error.message).toBe('unknown option --bogus for waymark run; "waymark run --help" lists its options');
    expect(error.exitCode).toBe(ExitCode.BadInput);
    expect((await refusal('status', book, '-x')).message).toBe(
      'unknown option -x for waymark status; "waymark status --help" lists its options',
    );
  });

  it('says an option needs a value, or takes none', async () => {
    const { book } = workspace();
    expect((await refusal(book, '--headless', '--state-dir')).message).toBe(
      '--state-dir needs a value, as in --state-dir VALUE; "waymark run --help" lists its options',
    );
    expect((await refusal('status', book, '--json=yes')).message).toBe(
      '--json takes no value (write --json alone); "waymark status --help" lists its options',
    );
  });

  it('asks for a runbook when only options are given', async () => {
    expect((await refusal('--state-dir', '/tmp/x')).message).toBe(
      'no runbook or command given (--state-dir /tmp/x): waymark RUNBOOK.md [options], or "waymark --help"',
    );
  });

  it('still calls an unknown word an unknown command', async () => {
    expect((await refusal('frobnicate')).message).toMatch(
      /^unknown command "frobnicate": not a command, and no runbook file of that name\n\nwaymark — /,
    );
  });
});
