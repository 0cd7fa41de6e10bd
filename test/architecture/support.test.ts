/**
 * Tests spawn the binary one way (issue 16 §2): test/support/ is the one place that builds the path
 * to dist/cli/main.js, runs it, polls for a condition, and starts MariaDB, tmux or sshd. A test file
 * anywhere else that does one of these on its own fails here, with the file, the line and where to
 * go instead. bench/ and testbed/ are not tests and are out of scope.
 *
 * Proven to fail: each rule is checked below against a snippet that breaks it and one that does
 * not; and with `const BIN = join(ROOT, 'dist/cli/main.js');` and a local `async function waitFor`
 * added to test/e2e/approve.test.ts, this test failed naming approve.test.ts and both lines.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/binary.js';

/** One thing only test/support may do, and how to spot it in a test file's text. */
interface Rule {
  what: string;
  pattern: RegExp;
  instead: string;
}

const q = `['"\`]`;
const RULES: Rule[] = [
  {
    what: 'builds the path to the binary',
    pattern: new RegExp(
      `${q}(?:\\./)?dist/cli/main\\.js${q}|${q}dist${q}\\s*,\\s*${q}cli${q}\\s*,\\s*${q}main\\.js${q}|process\\.env\\.WAYMARK_TEST_BIN`,
    ),
    instead: 'BIN from test/support/binary.ts',
  },
  {
    what: 'runs the binary itself',
    pattern:
      /\b(?:execa|execaNode|execaSync|spawn|spawnSync|execFile|execFileSync|fork)\s*\(\s*(?:process\.execPath|['"`]node['"`])\s*,\s*\[\s*BIN\b/,
    instead: 'waymark() / spawnWaymark() of test/support/binary.ts (cwd, env, terminal, fileSizeLimit, timeout are options)',
  },
  {
    what: 'defines its own wait-for-a-condition helper',
    pattern:
      /\bfunction\s+(?:waitFor\w*|waitUntil|until|poll\w*|eventually)\s*[(<]|\b(?:const|let|var)\s+(?:waitFor\w*|waitUntil|until|poll\w*|eventually)\s*=|\bdeadline\s*=\s*(?:Date|performance)\.now\(\)\s*\+|\b(?:for|while)\s*\(.*\)\s*await\s+new\s+Promise\(\s*\(?\w+\)?\s*=>\s*setTimeout\(/,
    instead: 'waitFor / waitForValue of test/support/wait.ts (or vi.waitFor for in-process frames)',
  },
  {
    what: 'starts a MariaDB server',
    pattern: new RegExp(`${q}(?:[\\w./-]*/)?(?:mariadbd|mysqld|mariadb-install-db|mysql_install_db)${q}`),
    instead: 'describeWithMariaDb / startMariaDb of test/support/mariadb.ts',
  },
  {
    what: 'starts tmux',
    pattern: new RegExp(`${q}new-session${q}|\\b(?:execa|execaSync|spawn|spawnSync|execFile|execFileSync)\\s*\\(\\s*${q}tmux${q}`),
    instead: 'useTmuxWorkspace / Tmux of test/support/tmux.ts',
  },
  {
    what: 'starts sshd',
    pattern: new RegExp(`\\b(?:execa|spawn|spawnSync|execFile|execFileSync)\\s*\\(\\s*${q}(?:/usr/sbin/)?sshd${q}`),
    instead: 'startFleet of test/support/fleet.ts or startSshFleet of test/support/sshd-fleet.ts',
  },
];

/** Where `text` breaks a rule: `line: what (use instead)`. */
function violations(text: string): string[] {
  const found: string[] = [];
  const lines = text.split('\n');
  for (const [index, line] of lines.entries()) {
    for (const rule of RULES) if (rule.pattern.test(line)) found.push(`${index + 1}: ${rule.what} (use ${rule.instead})`);
  }
  return found;
}

/** This file: its samples break the rules on purpose. */
const SELF = 'test/architecture/support.test.ts';

/** Test sources outside test/support/ (this one aside), relative to the repository root. */
function testFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const rel = relative(ROOT, path).split(sep).join('/');
      if (entry.isDirectory()) {
        if (rel !== 'test/support') walk(path);
      } else if (/\.(?:ts|tsx|mts|js|mjs)$/.test(entry.name) && rel !== SELF) out.push(rel);
    }
  };
  walk(join(ROOT, 'test'));
  return out;
}

describe('test/support is the one way tests spawn the binary, wait, and start MariaDB, tmux or sshd', () => {
  it('no test file outside test/support does one of these on its own', () => {
    const files = testFiles();
    expect(files.length, 'the walk found the test files').toBeGreaterThan(100);
    const broken = files.flatMap((file) => violations(readFileSync(join(ROOT, file), 'utf8')).map((v) => `${file}:${v}`));
    expect(broken).toEqual([]);
  });

  it.each([
    ["const BIN = join(ROOT, 'dist/cli/main.js');", 'builds the path to the binary'],
    ["resolve(ROOT, 'dist', 'cli', 'main.js')", 'builds the path to the binary'],
    ['const BIN = process.env.WAYMARK_TEST_BIN ?? here;', 'builds the path to the binary'],
    ["await execa(process.execPath, [BIN, 'lint', file], { reject: false });", 'runs the binary itself'],
    ["spawnSync('node', [BIN, '--help'])", 'runs the binary itself'],
    ['async function waitFor(condition: () => boolean, ms: number) {', 'defines its own wait-for-a-condition helper'],
    ['const pollUntil = async () => {', 'defines its own wait-for-a-condition helper'],
    ['const deadline = Date.now() + 5000;', 'defines its own wait-for-a-condition helper'],
    // Reproduced: three in-process session tests polled for a pid file this way, which the rule let pass.
    [
      "for (let i = 0; i < 200 && !existsSync(join(dir, 'long.pid')); i += 1) await new Promise((r) => setTimeout(r, 25));",
      'defines its own wait-for-a-condition helper',
    ],
    ["spawn('/usr/sbin/mariadbd', ['--no-defaults'])", 'starts a MariaDB server'],
    ["spawnSync('mariadb-install-db', args)", 'starts a MariaDB server'],
    ["await execa('tmux', ['-L', socket, 'new-session', '-d'])", 'starts tmux'],
    ["spawn('/usr/sbin/sshd', ['-D', '-f', config])", 'starts sshd'],
  ])('flags %s', (line, what) => {
    expect(violations(line)).toEqual([expect.stringContaining(`1: ${what}`)]);
  });

  it.each([
    "import { BIN, waymark } from '../support/binary.js';",
    "expect(committed, 'regenerate it: node dist/cli/main.js plan x.md > docs/plan.txt').toBe(text);",
    "const writer = execa(process.execPath, [join(ROOT, 'test/e2e/helpers/checkpoint-writer.mjs'), dirname(dirname(BIN))]);",
    'expect(await waitFor(() => existsSync(flag), 20_000)).toBe(true);',
    "spawnSync('mariadb', ['--no-defaults', `--socket=${socket}`], { input: sql })",
    "const socket = join(dir, 'mysqld.sock');",
    'await vi.waitFor(() => expect(isRunning(pid)).toBe(false), { timeout: 15_000 });',
  ])('leaves alone %s', (line) => {
    expect(violations(line)).toEqual([]);
  });
});
