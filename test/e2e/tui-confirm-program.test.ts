/**
 * The confirmation names the program that runs the block and shows each value as it is, the built
 * binary in a real 80x24 terminal and headless.
 *
 * Reproduced before the fix, with a runbook whose front matter says `shell: ./wrapper`:
 * - the confirmation said `hello (shell) will run exactly:` and headless `It will run:` followed
 *   by the code alone: the wrapper every block runs through was named nowhere;
 * - the values' line was `with MSG=x B=prod ML=first second TOKEN=••••`: `x B=prod` read as two
 *   variables, and the newline and the two spaces of `first\n  second` were gone.
 */
import { chmodSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { terminalEnv } from '../support/binary.js';
import { useTmuxWorkspace } from '../support/tmux.js';

vi.setConfig({ testTimeout: 120_000 });

const ws = useTmuxWorkspace('wm-tui-prog-');

const BOOK = `---
id: wrapped
shell: ./wrapper --login
vars:
  MSG:
    default: "x B=prod"
  ML:
    default: "first\\n  second"
  TOKEN:
    secret: true
---
# Wrapped

## Go {#go}

\`\`\`sh confirm name=hello
printf '%s|%s|%s\\n' "$MSG" "$ML" "$TOKEN" > out.txt
\`\`\`
`;

/** The shell the runbook names: it notes its arguments, then runs the code with bash. */
const WRAPPER = `#!/bin/sh
echo "wrapper $1 $2" >> wrapper.log
shift
exec bash "$@"
`;

function setUp(): void {
  writeFileSync(join(ws.dir, 'wrapped.md'), BOOK);
  writeFileSync(join(ws.dir, 'wrapper'), WRAPPER);
  chmodSync(join(ws.dir, 'wrapper'), 0o755);
}

describe('the confirmation shows what runs', () => {
  it('names the runbook shell and its arguments, and one quoted value per row (secret masked), counted in "all N lines shown"', async () => {
    setUp();
    const env = terminalEnv({ TOKEN: 's3cr3t value' });
    await ws.tmux.startWaymark('go', ['wrapped.md', '--state-dir', 'state'], { cwd: ws.dir, columns: 80, rows: 24, env });
    await ws.tmux.waitFor('go', /enter run next/);
    await ws.tmux.keys('go', ['Enter']);
    const screen = await ws.tmux.waitFor('go', /will run exactly[\s\S]*Type yes/);
    expect(screen).toContain('hello (shell) will run exactly:\n  via ./wrapper --login -c <code>, <code> being:\n  │ printf');
    const rows = screen.split('\n').map((row) => row.trimEnd());
    expect(rows).toContain('  with MSG="x B=prod"');
    expect(rows).toContain('       ML="first\\n  second"');
    expect(rows).toContain('       TOKEN=••••');
    expect(screen).not.toContain('s3cr3t');
    expect(screen).toContain('all 4 lines shown');

    await ws.tmux.type('go', 'yes');
    await ws.tmux.keys('go', ['Enter']);
    await ws.tmux.waitFor('go', /RUN +hello passed/);
    // What the screen named is what ran.
    expect(ws.lines('wrapper.log')).toEqual(['wrapper --login -c']);
    expect(ws.lines('out.txt')).toEqual(['x B=prod|first', '  second|s3cr3t value']);
    await ws.tmux.keys('go', ['q']);
    await ws.tmux.waitForExit('go');
  });

  it('a value wider than the screen continues on rows marked ┆ with nothing lost, and yes waits until its end was shown', async () => {
    setUp();
    const long = `${'word '.repeat(40)}END`;
    const env = terminalEnv({ TOKEN: 'zq-secret', MSG: long });
    await ws.tmux.startWaymark('long', ['wrapped.md', '--state-dir', 'state'], { cwd: ws.dir, columns: 80, rows: 12, env });
    await ws.tmux.waitFor('long', /enter run next/);
    await ws.tmux.keys('long', ['Enter']);
    let screen = await ws.tmux.waitFor('long', /will run exactly[\s\S]*Type yes/);
    expect(screen).toMatch(/yes once the end is shown/);
    await ws.tmux.type('long', 'yes');
    await ws.tmux.keys('long', ['Enter']);
    await ws.tmux.waitFor('long', /read the whole command first/);
    // Down moves the window one row: every row passes through it, each screen awaited by its
    // position, and each row kept under its number (two rows of a value may read the same).
    const rows = new Map<number, string>();
    const keep = (text: string): void => {
      const lines = text.split('\n');
      const from = lines.findIndex((line) => line.includes('<code> being:')) + 1;
      const at = lines.findIndex((line) => /^ {2}(lines \d+-\d+ of|all \d+ lines)/.test(line));
      const first = Number(/lines (\d+)-/.exec(lines[at] ?? '')?.[1] ?? 1);
      lines.slice(from, at).forEach((line, i) => rows.set(first + i, line.trimEnd()));
    };
    keep(screen);
    for (let row = 2; !/\(end\)/.test(screen); row++) {
      expect(row).toBeLessThan(20);
      await ws.tmux.keys('long', ['Down']);
      screen = await ws.tmux.waitFor('long', new RegExp(`lines ${row}-\\d+ of \\d+`));
      keep(screen);
    }
    const all = [...rows.keys()].sort((a, b) => a - b).map((n) => rows.get(n) ?? '');
    // The value's rows, their marks taken off and joined, are the value, quoted.
    const value = all.filter((row) => /^ {2}with MSG=|^ {5}┆ /.test(row)).map((row) => row.replace(/^ {2}with |^ {5}┆ /, ''));
    expect(value.join('')).toBe(`MSG=${JSON.stringify(long)}`);
    expect(all.at(-1)).toBe('       TOKEN=••••');
    await ws.tmux.keys('long', ['Escape']);
    await ws.tmux.waitFor('long', /enter run next/);
    await ws.tmux.keys('long', ['q']);
    await ws.tmux.waitForExit('long');
  });

  // Reproduced: a foreach step binding RELEASE=pike, in a runbook whose RELEASE defaults to ocata,
  // showed `with RELEASE=ocata` on the confirmation of a block that then ran with pike.
  it("a foreach step's own value is the one shown, as the block gets it", async () => {
    writeFileSync(
      join(ws.dir, 'f.md'),
      [
        '---',
        'id: f',
        'vars:',
        '  RELEASE:',
        '    default: ocata',
        '---',
        '# F',
        '',
        '## Go to $RELEASE {#go foreach=RELEASE:pike}',
        '',
        '```sh confirm name=up',
        'echo "$RELEASE" > out.txt',
        '```',
        '',
      ].join('\n'),
    );
    await ws.tmux.startWaymark('each', ['f.md', '--state-dir', 'state'], { cwd: ws.dir, columns: 80, rows: 24 });
    await ws.tmux.waitFor('each', /enter run next/);
    await ws.tmux.keys('each', ['Enter']);
    const screen = await ws.tmux.waitFor('each', /will run exactly[\s\S]*Type yes/);
    expect(screen.split('\n').map((row) => row.trimEnd())).toContain('  with RELEASE="pike"');
    await ws.tmux.type('each', 'yes');
    await ws.tmux.keys('each', ['Enter']);
    await ws.tmux.waitFor('each', /RUN +up-pike passed/);
    expect(ws.lines('out.txt')).toEqual(['pike']);
    await ws.tmux.keys('each', ['q']);
    await ws.tmux.waitForExit('each');
  });

  it('headless names the program and lists each value quoted where it asks for a confirmation, and the audit records the program', async () => {
    setUp();
    const waiting = await ws.waymark(['run', 'wrapped.md', '--headless']);
    expect(waiting.code, waiting.all).toBe(4);
    expect(waiting.stdout).toContain(
      `waiting: block hello needs confirmation before it runs. It will run:\n   via ./wrapper --login -c <code>, <code> being:\n   > printf`,
    );
    // The values, one a line, quoted as on the screen.
    expect(waiting.stdout).toContain(`   with MSG="x B=prod"\n        ML="first\\n  second"\n`);
    const ran = await ws.waymark(['run', 'wrapped.md', '--headless', '--yes']);
    expect(ran.code, ran.all).toBe(0);
    expect(ws.lines('wrapper.log')).toEqual(['wrapper --login -c']);
    const audit = (readdirSync(join(ws.dir, 'state'), { recursive: true }) as string[]).find((name) => name.endsWith('audit.jsonl'));
    const trail = readFileSync(join(ws.dir, 'state', audit ?? 'audit.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(trail.filter((r) => r.type === 'block-confirmed').map((r) => [r.block, r.program])).toEqual([
      ['hello', './wrapper --login -c <code>'],
    ]);
  });
});
