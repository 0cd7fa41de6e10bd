/**
 * The screen shows what will run and where a link goes, in a real terminal: the built binary in
 * tmux. Each case was reproduced with the binary before it was fixed; the ink-level tests are in
 * test/ui/inert-text.test.tsx.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { terminalEnv } from '../support/binary.js';
import { useTmuxWorkspace } from '../support/tmux.js';

vi.setConfig({ testTimeout: 120_000 });

const ws = useTmuxWorkspace('wm-tui-truth-');

describe('what the TUI shows is what runs', () => {
  it('reproduced: a confirm line of CJK lost `; touch HIDDEN-WIDE` at the screen edge and a line of tabs ran off it, both under "all N lines shown"; now the whole command is on screen', async () => {
    const wide = `echo ${'漢'.repeat(50)}; touch HIDDEN-WIDE; echo end`;
    const tabs = `echo a${'\t'.repeat(12)}; touch HIDDEN-TABS`;
    writeFileSync(
      join(ws.dir, 'wide.md'),
      ['# Wide', '', '## Wide {#wide}', '', '```sh confirm name=wide', wide, '```', '', '```sh confirm name=tabs', tabs, '```', ''].join(
        '\n',
      ),
    );
    await ws.tmux.startWaymark('wide', ['wide.md', '--state-dir', 'state'], { cwd: ws.dir, columns: 80, rows: 24 });
    await ws.tmux.waitFor('wide', /enter run next/);

    await ws.tmux.keys('wide', ['Enter']);
    let screen = await ws.tmux.waitFor('wide', /wide \(shell\) will run exactly[\s\S]*Type yes/);
    // The command's rows, their marks taken off and joined, are the command.
    const rows = (text: string) =>
      text
        .split('\n')
        .filter((row) => /^ {2}[│┆]/.test(row))
        .map((row) => row.slice(4).trimEnd())
        .join('');
    expect(rows(screen)).toBe(wide);
    expect(screen).not.toContain('…');
    await ws.tmux.type('wide', 'yes');
    await ws.tmux.keys('wide', ['Enter']);
    await ws.tmux.waitFor('wide', /RUN +wide passed/);
    expect(existsSync(join(ws.dir, 'HIDDEN-WIDE'))).toBe(true);

    await ws.tmux.keys('wide', ['Enter']);
    screen = await ws.tmux.waitFor('wide', /tabs \(shell\) will run exactly[\s\S]*Type yes/);
    expect(rows(screen).replace(/ +/g, ' ')).toBe('echo a ; touch HIDDEN-TABS');
    // Nothing ran off the right edge onto a row of its own.
    expect(screen).not.toMatch(/^ (?! )/m);
    await ws.tmux.keys('wide', ['Escape']);
    // ESC and q sent at once read as alt+q: let the confirmation close first.
    await ws.tmux.waitFor('wide', /enter run next/);
    await ws.tmux.keys('wide', ['q']);
    expect(await ws.tmux.waitForExit('wide')).toBe(4);
  });

  it('reproduced: in a terminal with hyperlinks (VTE), `[https://docs.openstack.org/nova](https://evil.example/x.sh)` showed only the docs address and linked to the other; now every link shows where it goes', async () => {
    writeFileSync(
      join(ws.dir, 'links.md'),
      [
        '# Links',
        '',
        '## Read first {#read}',
        '',
        'Read [https://docs.openstack.org/nova](https://evil.example/x.sh) and [the guide][g] and <https://docs.example/ok>.',
        '',
        '[g]: https://evil.example/guide',
        '',
        '```sh name=hi',
        'true',
        '```',
        '',
      ].join('\n'),
    );
    await ws.tmux.startWaymark('links', ['links.md', '--state-dir', 'state'], {
      cwd: ws.dir,
      columns: 100,
      rows: 24,
      env: terminalEnv({ VTE_VERSION: '7600' }),
    });
    const screen = await ws.tmux.waitFor('links', /enter run next/);
    const prose = screen.replace(/\s+/g, ' ');
    expect(prose).toContain('https://docs.openstack.org/nova (https://evil.example/x.sh)');
    expect(prose).toContain('the guide (https://evil.example/guide)');
    expect(prose).toContain('https://docs.example/ok');
    expect(prose).not.toContain('https://docs.example/ok (');
    await ws.tmux.keys('links', ['q']);
    expect(await ws.tmux.waitForExit('links')).toBe(4);
  });
});
