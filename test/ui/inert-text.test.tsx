/**
 * What the TUI draws is inert (issue 10, items 16 and 17): the confirmation shows the exact command
 * with no styling from the runbook at all, the output pane shows a command's escapes as text (its
 * plain colours kept unless NO_COLOR), and the header shows an operator's escapes as text.
 * A runbook with an ESC in it no longer loads (lint), so the confirm screen is tested directly.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { render } from 'ink-testing-library';
import stringWidth from 'string-width';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfirmBlock } from '../../src/ui/components/ConfirmBlock.js';
import { OutputPane } from '../../src/ui/components/OutputPane.js';
import { Header } from '../../src/ui/components/Header.js';
import { StepList } from '../../src/ui/components/StepList.js';
import type { Block } from '../../src/runbook/model.js';
import type { RunState } from '../../src/engine/run-state.js';

/** Every character a terminal acts on, but ESC starting a plain colour sequence. */
// eslint-disable-next-line no-control-regex
const ACTING = /\x1b(?!\[[0-9;]*m)|[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

const spoof = ": '\x1b[8m'; echo DELETED >> f; : '\x1b[0m'; systemctl --version";

function block(code: string): Block {
  return {
    id: 'restart',
    explicitId: true,
    line: 10,
    info: 'sh confirm',
    lang: 'sh',
    executor: 'shell',
    role: 'run',
    code,
    attrs: { confirm: true },
    runme: {},
    unclosed: false,
  } as Block;
}

function state(overrides: Partial<RunState> = {}): RunState {
  return {
    version: 1,
    runbook: 'r',
    runbookFile: 'r.md',
    title: 'Upgrade',
    run: '20261204T000000Z-abcd',
    operator: 'tester',
    host: 'vm',
    profile: null,
    startedAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
    status: 'running',
    vars: {},
    steps: [{ id: 's1', title: 'Step one', status: 'pending', blocks: [], ticked: {} }],
    ...overrides,
  } as RunState;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the confirmation screen', () => {
  it("reproduced: ESC[8m hid `echo DELETED` and showed only `: '   '; systemctl --version`; now every escape is shown, none styles the screen", () => {
    const { lastFrame, unmount } = render(
      <ConfirmBlock
        block={block(spoof)}
        command={spoof}
        program="bash -e -o pipefail -c <code>"
        vars={{}}
        rollback={false}
        scroll={0}
        seenEnd={false}
        width={100}
        height={12}
      />,
    );
    const frame = lastFrame() ?? '';
    expect(frame).toContain(": '␛[8m'; echo DELETED >> f; : '␛[0m'; systemctl --version");
    expect(frame).not.toContain('\x1b[8m');
    unmount();
  });

  it('shows even a plain colour from the runbook text as text, and a CR that would overdraw the line', () => {
    const code = 'echo \x1b[32mSAFE\x1b[0m\rrm -rf /srv';
    const { lastFrame, unmount } = render(
      <ConfirmBlock
        block={block(code)}
        command={code}
        program="bash -e -o pipefail -c <code>"
        vars={{}}
        rollback={false}
        scroll={0}
        seenEnd={false}
        width={100}
        height={12}
      />,
    );
    expect(lastFrame()).toContain('echo ␛[32mSAFE␛[0m␍rm -rf /srv');
    unmount();
  });

  /** The command as the confirmation's rows give it back: each row without its `  │ ` or `  ┆ ` mark, continuations joined. */
  function commandShown(frame: string): string {
    return frame
      .split('\n')
      .filter((row) => /^ {2}[│┆]/.test(row))
      .map((row) => (row.startsWith('  │') ? `\n${row.slice(4)}` : row.slice(4)))
      .join('')
      .slice(1);
  }

  it('reproduced: 14 zero-width spaces made `echo "all good"` all the line showed, and `; touch PWNED` ran unseen; now every character is on screen', () => {
    const code = `echo "all good${'\u200b'.repeat(14)}"; touch PWNED`;
    const { lastFrame, unmount } = render(
      <ConfirmBlock
        block={block(code)}
        command={code}
        program="bash -e -o pipefail -c <code>"
        vars={{}}
        rollback={false}
        scroll={0}
        seenEnd={false}
        width={80}
        height={12}
      />,
    );
    const frame = lastFrame() ?? '';
    expect(frame).toContain('; touch PWNED');
    expect(commandShown(frame)).toBe(`echo "all good${'⟨U+200B⟩'.repeat(14)}"; touch PWNED`);
    unmount();
  });

  it('reproduced: a line of wide characters was cut at the screen edge and its continuation began 15 characters later, hiding `; echo HIDDEN`; now no row is wider than the screen and none is lost', () => {
    const code = `echo ${'漢'.repeat(50)}; echo HIDDEN-TAIL; echo end\necho 🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀🚀; echo ROCKET`;
    const { lastFrame, unmount } = render(
      <ConfirmBlock
        block={block(code)}
        command={code}
        program="bash -e -o pipefail -c <code>"
        vars={{}}
        rollback={false}
        scroll={0}
        seenEnd={false}
        width={80}
        height={12}
      />,
    );
    const frame = lastFrame() ?? '';
    expect(frame).not.toContain('…');
    expect(commandShown(frame)).toBe(code);
    for (const row of frame.split('\n')) expect(stringWidth(row)).toBeLessThanOrEqual(80);
    unmount();
  });

  it('reproduced: tabs took no column in the layout and eight on the terminal, so the line ran off the screen and `; echo TABHIDDEN` was overdrawn; now tabs are spaces and every row fits', () => {
    const code = `echo a${'\t'.repeat(12)}; echo TABHIDDEN`;
    const { lastFrame, unmount } = render(
      <ConfirmBlock
        block={block(code)}
        command={code}
        program="bash -e -o pipefail -c <code>"
        vars={{}}
        rollback={false}
        scroll={0}
        seenEnd={false}
        width={80}
        height={12}
      />,
    );
    const frame = lastFrame() ?? '';
    expect(frame).not.toContain('\t');
    // ink drops the spaces that end a row: compare with each run of spaces as one.
    expect(commandShown(frame).replace(/ +/g, ' ')).toBe('echo a ; echo TABHIDDEN');
    for (const row of frame.split('\n')) expect(stringWidth(row)).toBeLessThanOrEqual(80);
    unmount();
  });
});

const nasty = [
  'title\x1b]0;PWNED\x07 after',
  'clip\x1b]52;c;ZWNobyBoaQ==\x07 done',
  'move\x1b[2J\x1b[H here',
  'lone \x1b esc',
  'c1 \x9b31m csi',
  'bell\x07 ring',
  '\x1b[31mred\x1b[0m plain',
];

describe('the output pane', () => {
  it('reproduced: a block retitled the pane with OSC 0 and wrote the clipboard with OSC 52; now they are text, and plain colour stays', () => {
    vi.stubEnv('NO_COLOR', '');
    const { lastFrame, unmount } = render(
      <OutputPane
        output={{ block: 'nasty', lines: nasty.map((text) => ({ text, stream: 'stdout' as const })), scrolledBack: 0, total: nasty.length }}
        running={false}
        width={80}
        height={10}
      />,
    );
    const frame = lastFrame() ?? '';
    for (const shown of [
      'title␛]0;PWNED␇ after',
      'clip␛]52;c;ZWNobyBoaQ==␇ done',
      'move␛[2J␛[H here',
      'lone ␛ esc',
      'c1 ⟨U+009B⟩31m csi',
      'bell␇ ring',
    ])
      expect(frame).toContain(shown);
    expect(frame).toContain('\x1b[31mred');
    expect(frame).not.toMatch(ACTING);
    unmount();
  });

  it('under NO_COLOR shows the colour sequences too, so no ESC of the command reaches the terminal', () => {
    vi.stubEnv('NO_COLOR', '1');
    const { lastFrame, unmount } = render(
      <OutputPane
        output={{ block: 'nasty', lines: nasty.map((text) => ({ text, stream: 'stdout' as const })), scrolledBack: 0, total: nasty.length }}
        running={false}
        width={80}
        height={10}
      />,
    );
    const frame = lastFrame() ?? '';
    expect(frame).toContain('␛[31mred␛[0m plain');
    expect(frame).not.toContain('\x1b[31mred');
    unmount();
  });
});

describe('the header and the step list', () => {
  it('show an operator, a title and a step title with escapes as text', () => {
    const run = state({
      operator: 'op\x1b]0;OWNED\x07',
      title: 'Upgrade\x1b]52;c;eA==\x07',
      steps: [{ id: 's1', title: 'Step\x1b[2J one', status: 'pending', blocks: [], ticked: {} }] as unknown as RunState['steps'],
    });
    const header = render(<Header state={run} width={120} timeLeftMs={null} />);
    expect(header.lastFrame()).toContain('Upgrade␛]52;c;eA==␇');
    expect(header.lastFrame()).toContain('operator op␛]0;OWNED␇');
    expect(header.lastFrame()).not.toMatch(ACTING);
    header.unmount();
    const list = render(<StepList state={run} current={0} width={40} height={3} />);
    expect(list.lastFrame()).toContain('Step␛[2J one');
    list.unmount();
  });
});

describe('every face draws through the inert Text', () => {
  it("no file of the TUI takes Text from ink itself (it would write a command's escapes to the terminal)", () => {
    const ui = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/ui');
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? files(join(dir, entry.name)) : [join(dir, entry.name)],
      );
    const offenders = files(ui).filter(
      (file) =>
        /\.tsx?$/.test(file) &&
        !file.endsWith('inert-text.tsx') &&
        /import\s*\{[^}]*\bText\b[^}]*\}\s*from\s*'ink'/.test(readFileSync(file, 'utf8')),
    );
    expect(offenders).toEqual([]);
  });
});
