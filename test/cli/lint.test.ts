import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, waymark } from '../support/binary.js';

const planted = 'test/fixtures/planted-errors.md';
const plantedLines = readFileSync(join(ROOT, planted), 'utf8').split('\n');

/** Each planted error: its line, a text that must be on that line of the fixture, and the message. */
const plantedErrors: { line: number; marker: string; message: RegExp }[] = [
  { line: 5, marker: 'TARGET:', message: /^default "juno" of TARGET is not one of its choices/ },
  { line: 11, marker: '${GLANCE_HOST}', message: /^connection glance uses \$\{GLANCE_HOST\}, which is not declared under vars$/ },
  { line: 17, marker: '```sh', message: /^runnable sh block in the introduction/ },
  { line: 23, marker: 'chekc', message: /^unknown role or attribute "chekc"/ },
  { line: 27, marker: 'retry=3', message: /^unknown attribute "retry"/ },
  { line: 31, marker: 'expect=some', message: /^bad expect value "some" for sql/ },
  { line: 35, marker: 'connection=cinder', message: /^sql block uses connection "cinder", which is not declared/ },
  { line: 39, marker: '{#pre}', message: /^duplicate step id "#pre" \(first used on line 21\)$/ },
  { line: 41, marker: 'timeout=soon', message: /^bad timeout value "soon"/ },
  { line: 45, marker: 'exit=256', message: /^bad exit value "256"/ },
  { line: 49, marker: 'severity=warning', message: /^severity= is only for check blocks, not run$/ },
  { line: 55, marker: 'name=restart', message: /^duplicate block name "restart" \(first used on line 49\)$/ },
];

describe('waymark lint', () => {
  it('the fixture has each planted error where the test expects it', () => {
    for (const { line, marker } of plantedErrors) expect(plantedLines[line - 1], `line ${line}`).toContain(marker);
  });

  it('prints exactly one FILE:LINE: error line per planted error, at its line, and exits 2', async () => {
    const { code, stdout, stderr } = await waymark(['lint', planted], { keepFinalNewline: true });
    expect(stderr).toBe('');
    expect(code).toBe(2);
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(plantedErrors.length);
    for (const outputLine of lines) expect(outputLine).toMatch(/^test\/fixtures\/planted-errors\.md:\d+: error: \S/);
    for (const { line, message } of plantedErrors) {
      const atLine = lines.filter((l) => l.startsWith(`${planted}:${line}: error: `));
      expect(atLine, `line ${line}`).toHaveLength(1);
      expect((atLine[0] as string).slice(`${planted}:${line}: error: `.length)).toMatch(message);
    }
  });

  it('prints nothing for a clean runbook and exits 0', async () => {
    const { code, stdout, stderr } = await waymark(['lint', 'test/fixtures/clean.md'], { keepFinalNewline: true });
    expect({ code, stdout, stderr }).toEqual({ code: 0, stdout: '', stderr: '' });
  });

  it('reports invalid YAML front matter at the line of the problem', async () => {
    const { code, stdout } = await waymark(['lint', 'test/fixtures/broken-yaml.md'], { keepFinalNewline: true });
    expect(code).toBe(2);
    expect(stdout).toBe(
      'test/fixtures/broken-yaml.md:5: error: invalid YAML front matter: Plain value cannot start with reserved character @\n',
    );
  });

  it('lints several files in one run, in argument order, and exits 2 if any has an error', async () => {
    const { code, stdout } = await waymark(['lint', 'test/fixtures/clean.md', 'test/fixtures/broken-yaml.md'], { keepFinalNewline: true });
    expect(code).toBe(2);
    expect(
      stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.split(':')[0]),
    ).toEqual(['test/fixtures/broken-yaml.md']);
  });

  it('--json prints parseable findings with file, line, severity and message', async () => {
    const { code, stdout } = await waymark(['lint', '--json', planted], { keepFinalNewline: true });
    expect(code).toBe(2);
    const parsed = JSON.parse(stdout) as { file: string; line: number; severity: string; message: string; rule: string }[];
    expect(parsed).toHaveLength(plantedErrors.length);
    expect(parsed.map((f) => f.line)).toEqual(plantedErrors.map((p) => p.line));
    for (const finding of parsed) {
      expect(finding.file).toBe(planted);
      expect(finding.severity).toBe('error');
      expect(typeof finding.message).toBe('string');
      expect(finding.message.length).toBeGreaterThan(0);
    }
    expect(parsed[8]).toEqual({
      file: planted,
      line: 41,
      severity: 'error',
      rule: 'block-attribute',
      message: 'bad timeout value "soon": expected a duration such as 30s, 5m or 1h',
    });
  });

  it('--json prints an empty list for a clean runbook', async () => {
    const { code, stdout } = await waymark(['lint', 'test/fixtures/clean.md', '--json'], { keepFinalNewline: true });
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual([]);
  });

  it('names a missing file, exits 2 and shows no stack trace', async () => {
    const { code, stdout, stderr } = await waymark(['lint', 'test/fixtures/no-such-runbook.md'], { keepFinalNewline: true });
    expect(code).toBe(2);
    const output = stdout + stderr;
    expect(output).toContain('test/fixtures/no-such-runbook.md');
    expect(output).toContain('no such file');
    expect(output).not.toMatch(/\n\s+at .*(\.js|\.ts):\d+/);
    expect(output).not.toContain('internal error');
  });

  it('exits 2 with usage for an unknown option', async () => {
    const { code, stdout, stderr } = await waymark(['lint', '--bogus', 'test/fixtures/clean.md'], { keepFinalNewline: true });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    // One line of waymark's own, not Node's parser paragraph (issue 12).
    expect(stderr).toContain('waymark: unknown option --bogus for waymark lint; "waymark lint --help" lists its options\n');
    expect(stderr).not.toContain('To specify a positional argument');
    expect(stderr).toContain('usage: waymark lint FILE... [--json]');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('exits 2 with usage when no file is given', async () => {
    const { code, stderr } = await waymark(['lint'], { keepFinalNewline: true });
    expect(code).toBe(2);
    expect(stderr).toContain('lint needs at least one runbook file');
    expect(stderr).toContain('usage: waymark lint FILE... [--json]');
  });
});

describe('waymark lint: control characters (issue 10, item 17)', () => {
  // Reproduced: a confirm line `: '\e[8m'; echo DELETED >> f; : '\e[0m'; systemctl --version`, with real
  // ESC bytes in the runbook, showed only `: '   '; systemctl --version`, and yes ran the hidden command.
  const spoof = ": '\x1b[8m'; echo DELETED >> f; : '\x1b[0m'; systemctl --version";
  const runbook = [
    '---', // 1
    'title: "Spoof\x1b]0;owned\x07"', // 2
    '---', // 3
    '# Nova', // 4
    '', // 5
    '## Restart {#restart}', // 6
    '', // 7
    'Prose with a C1 CSI \x9b2J and a tab\tthat is fine.', // 8
    '', // 9
    '```sh confirm', // 10
    spoof, // 11
    'echo ok\r', // 12 (CRLF: a line end, not a control)
    '```', // 13
    '', // 14
    '- [ ] ticked by \u202eevil', // 15
    '',
  ].join('\n');

  it('reports each line holding one as an error at FILE:LINE, in code, prose, front matter and checklists, and exits 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wm-lint-ctl-'));
    try {
      const file = join(dir, 'spoof.md');
      writeFileSync(file, runbook);
      const { code, stdout } = await waymark(['lint', file], { keepFinalNewline: true });
      expect(code).toBe(2);
      const lines = stdout.trimEnd().split('\n');
      expect(lines.map((l) => l.slice(0, l.indexOf(': error: ')))).toEqual([2, 8, 11, 15].map((n) => `${file}:${n}`));
      expect(lines[2]).toContain('control character U+001B');
      expect(lines[1]).toContain('control character U+009B');
      expect(lines[3]).toContain('control character U+202E');
      // What lint prints is itself inert: no ESC reaches the terminal that runs lint.
      expect(stdout).not.toMatch(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("reports one in an included fragment at the fragment's FILE:LINE", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wm-lint-ctl-'));
    try {
      const top = join(dir, 'top.md');
      const fragment = join(dir, 'frag.md');
      writeFileSync(top, '---\ninclude:\n  - frag.md\n---\n# Top\n\n## Begin {#begin}\n\n```sh\ntrue\n```\n');
      writeFileSync(fragment, `## Fragment {#fragment}\n\n\`\`\`sh confirm\n${spoof}\n\`\`\`\n`);
      const { code, stdout } = await waymark(['lint', top], { keepFinalNewline: true });
      expect(code).toBe(2);
      expect(stdout).toMatch(new RegExp(`^${fragment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:4: error: control character U\\+001B`, 'm'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reproduced: a confirm block `echo "all good"` followed by 14 zero-width spaces and `"; touch PWNED` passed lint, and the confirmation showed only `echo "all good`; now each line holding an invisible character is an error, emoji and a leading byte order mark are not', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wm-lint-inv-'));
    try {
      const file = join(dir, 'invisible.md');
      const text = [
        '\ufeff# Nova \u26a0\ufe0f', // 1: a byte order mark that starts the file, an emoji
        '', // 2
        '## Wipe {#wipe}', // 3
        '', // 4
        '```sh confirm', // 5
        `echo "all good${'\u200b'.repeat(14)}"; touch PWNED`, // 6
        'test "$ENV" != "prod\u2060" && echo wipe', // 7
        '```', // 8
        '', // 9
        'Soft\u00adhyphen and \u{e0041} tags in prose. 👩\u200d💻', // 10
        '',
      ].join('\n');
      writeFileSync(file, text);
      const { code, stdout } = await waymark(['lint', file], { keepFinalNewline: true });
      expect(code).toBe(2);
      const lines = stdout.trimEnd().split('\n');
      expect(lines.map((l) => l.slice(0, l.indexOf(': error: ')))).toEqual([6, 7, 10].map((n) => `${file}:${n}`));
      expect(lines[0]).toContain('invisible character U+200B (shown as ⟨U+200B⟩)');
      expect(lines[1]).toContain('invisible character U+2060');
      expect(lines[2]).toContain('invisible character U+00AD');
      expect(stdout).not.toMatch(/[\u200b\u2060\u00ad]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--json names the rule control-character', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wm-lint-ctl-'));
    try {
      const file = join(dir, 'spoof.md');
      writeFileSync(file, runbook);
      const { stdout } = await waymark(['lint', '--json', file], { keepFinalNewline: true });
      const parsed = JSON.parse(stdout) as { line: number; rule: string; severity: string }[];
      expect(parsed.filter((f) => f.rule === 'control-character').map((f) => [f.line, f.severity])).toEqual([
        [2, 'error'],
        [8, 'error'],
        [11, 'error'],
        [15, 'error'],
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('waymark command line', () => {
  it('exits 2 with usage for an unknown command', async () => {
    const { code, stdout, stderr } = await waymark(['frobnicate'], { keepFinalNewline: true });
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('waymark: unknown command "frobnicate"');
    expect(stderr).toContain('usage:');
    expect(stderr).toContain('waymark lint FILE...');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it('prints usage and exits 2 with no command, 0 with --help', async () => {
    const bare = await waymark([], { keepFinalNewline: true });
    expect(bare.code).toBe(2);
    expect(bare.stdout).toContain('usage:');
    const help = await waymark(['--help'], { keepFinalNewline: true });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('waymark list [DIR]');
  });

  it('prints the command help for lint --help and exits 0', async () => {
    const { code, stdout } = await waymark(['lint', '--help'], { keepFinalNewline: true });
    expect(code).toBe(0);
    expect(stdout).toContain('usage: waymark lint FILE... [--json]');
  });
});
