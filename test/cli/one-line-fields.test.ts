/**
 * A field that is one line of a command's output (a finding's file and message, a title, an id, an
 * operator, a file name) shows a newline as `␊`: no runbook text and no file name can start a line
 * of its own. Reproduced: `lint` printed a front matter key "x\n/etc/passwd:1: error: forged" raw,
 * so an editor or CI reading `FILE:LINE: severity: message` lines saw a forged error; `plan` printed
 * a title over two lines. `--json` keeps the real values.
 */
import { describe, expect, it } from 'vitest';
import { waymark } from '../support/binary.js';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-one-line-');
const T = 30_000;

/** A runbook whose front matter has a key and a title that each hold a newline (YAML's "\n"). */
const FORGING = '---\n"x\\n/etc/passwd:1: error: forged": 1\ntitle: "a\\nb"\n---\n# T\n\n## S\n\n```sh run\necho\n```\n';

/** A file name that holds a newline, then what would be a lint line of its own. */
const FORGING_NAME = 'bad\nevil.md:1: error: forged.md';

/** The lines of some output. */
const linesOf = (text: string) => text.split('\n');

describe('waymark lint: one line per finding', () => {
  it(
    'reproduced: an unknown front matter key with a newline printed a line "/etc/passwd:1: error: forged"; now the finding stays on its line, with ␊',
    async () => {
      ws().write('n.md', FORGING);
      const { code, stdout, stderr } = await waymark(['lint', 'n.md'], { cwd: ws().dir });
      expect(stderr).toBe('');
      expect(code).toBe(0);
      expect(linesOf(stdout)).toEqual(['n.md:2: warning: unknown front matter key "x␊/etc/passwd:1: error: forged"']);
      expect(stdout).not.toMatch(/^\/etc\/passwd:1:/m);
    },
    T,
  );

  it(
    'reproduced: a file name with a newline started a forged finding line; now each finding is one line naming the file with ␊',
    async () => {
      ws().write(FORGING_NAME, '# T\n\n## Empty\n');
      const { stdout } = await waymark(['lint', FORGING_NAME], { cwd: ws().dir });
      expect(linesOf(stdout)).toEqual(['bad␊evil.md:1: error: forged.md:3: warning: step "Empty" is empty']);
      expect(stdout).not.toMatch(/^evil\.md:1:/m);
    },
    T,
  );

  it(
    '--json still gives the real file name and message, newline included',
    async () => {
      ws().write('n.md', FORGING);
      ws().write(FORGING_NAME, '# T\n\n## Empty\n');
      const { stdout } = await waymark(['lint', '--json', 'n.md', FORGING_NAME], { cwd: ws().dir });
      const findings = JSON.parse(stdout) as { file: string; message: string }[];
      expect(findings.map((f) => [f.file, f.message])).toEqual(
        expect.arrayContaining([
          ['n.md', 'unknown front matter key "x\n/etc/passwd:1: error: forged"'],
          [FORGING_NAME, 'step "Empty" is empty'],
        ]),
      );
    },
    T,
  );
});

/** A runbook whose title (front matter) and whose step's title (a setext heading) each span two lines. */
const TWO_LINE_TITLES = '---\nid: n\ntitle: "a\\nb"\n---\n# T\n\nLine one\nevil.md:1: error: forged\n---\n\n```sh run\necho\n```\n';

describe('waymark plan: one line per title, id and source', () => {
  it(
    'reproduced: a front matter title "a\\nb" was printed over two lines, and a setext heading\'s second line started a line of its own; now each title is on its line, with ␊',
    async () => {
      ws().write('n.md', TWO_LINE_TITLES);
      const { code, stdout } = await waymark(['plan', 'n.md'], { cwd: ws().dir });
      expect(code).toBe(0);
      const lines = linesOf(stdout);
      expect(lines[0]).toBe('a␊b (n): 1 steps');
      expect(lines).toContain('  1. Line one␊evil.md:1: error: forged  [line-oneevilmd1-error-forged]');
      expect(lines).toHaveLength(4);
      expect(stdout).not.toMatch(/^(b|evil\.md:1:)/m);
    },
    T,
  );

  it(
    "reproduced: a file name with a newline split each step's source over two lines; now the source is one line",
    async () => {
      ws().write(FORGING_NAME, '---\nid: f\n---\n# T\n\n## S\n\n```sh run\necho\n```\n');
      const { stdout } = await waymark(['plan', FORGING_NAME], { cwd: ws().dir });
      expect(linesOf(stdout)).toEqual(['T (f): 1 steps', 'phase 0', '  1. S  [s]', '     bad␊evil.md:1: error: forged.md:6 · 1 block(s)']);
    },
    T,
  );

  it(
    '--json still gives the real titles and source, newline included',
    async () => {
      ws().write(FORGING_NAME, TWO_LINE_TITLES);
      const { stdout } = await waymark(['plan', '--json', FORGING_NAME], { cwd: ws().dir });
      const plan = JSON.parse(stdout) as { title: string; steps: { title: string; source: string }[] };
      expect(plan.title).toBe('a\nb');
      expect(plan.steps.map((s) => [s.title, s.source])).toEqual([['Line one\nevil.md:1: error: forged', `${FORGING_NAME}:7`]]);
    },
    T,
  );
});

describe('waymark status: one line per title, operator and file name', () => {
  it(
    'reproduced: --operator "ann\\nbob" and a two-line setext step title each started a line of the status; now they stay on their lines, with ␊',
    async () => {
      ws().write('n.md', TWO_LINE_TITLES);
      const run = await ws().run('n.md', ['--operator', 'ann\nbob']);
      expect(run.code, run.all).toBe(0);
      const { code, stdout } = await ws().waymark(['status', 'n.md']);
      expect(code).toBe(0);
      const lines = linesOf(stdout);
      expect(lines[0]).toBe('a␊b');
      expect(lines[1]).toMatch(/^run \S+ by ann␊bob, started \S+: complete, 1\/1 steps done$/);
      expect(lines[2]).toMatch(/^ {2}passed {6}line-oneevilmd1-error-forged: Line one␊evil\.md:1: error: forged \(\d+ms\)$/);
      expect(lines).toHaveLength(3);
      expect(stdout).not.toMatch(/^(b|bob|evil\.md:1:)/m);

      const json = JSON.parse((await ws().waymark(['status', 'n.md', '--json'])).stdout) as {
        operator: string;
        steps: { title: string }[];
      };
      expect(json.operator).toBe('ann\nbob');
      expect(json.steps[0]?.title).toBe('Line one\nevil.md:1: error: forged');
    },
    T,
  );

  it(
    'reproduced: a runbook never run, titled after its file name (no title, no heading), printed that name over two lines; now one line',
    async () => {
      ws().write(FORGING_NAME, '## S\n\n```sh run\necho\n```\n');
      const { stdout } = await ws().waymark(['status', FORGING_NAME]);
      expect(linesOf(stdout)).toEqual([`bad␊evil.md:1: error: forged: never run (state dir ${ws().state})`]);
    },
    T,
  );
});

describe('plan and status refusing a runbook: one line per file name', () => {
  it(
    'reproduced: plan of a missing file whose name holds a newline printed "evil.md:1: error: forged.md: cannot read runbook" as a line of its own; now the message is one line',
    async () => {
      const { code, stderr } = await waymark(['plan', FORGING_NAME], { cwd: ws().dir });
      expect(code).toBe(2);
      expect(linesOf(stderr)).toEqual(['waymark: bad␊evil.md:1: error: forged.md: cannot read runbook: no such file']);
    },
    T,
  );

  it(
    "reproduced: status of a runbook with lint errors printed its file name's second line as a line of its own; now the header and each finding are one line",
    async () => {
      ws().write(FORGING_NAME, '# T\n\n## S\n\n```sh timeout=soon\necho\n```\n');
      const { code, stderr } = await ws().waymark(['status', FORGING_NAME]);
      expect(code).toBe(2);
      expect(linesOf(stderr)).toEqual([
        'waymark: bad␊evil.md:1: error: forged.md has lint errors; nothing was run:',
        expect.stringMatching(/^bad␊evil\.md:1: error: forged\.md:5: error: bad timeout value "soon"/),
      ]);
    },
    T,
  );
});

describe('headless run, list and audit: one line per title and operator', () => {
  it(
    "reproduced: a headless run printed its banner's title and operator, and a setext step title, over several lines; now each stays on its line",
    async () => {
      ws().write('n.md', TWO_LINE_TITLES);
      const run = await ws().run('n.md', ['--operator', 'ann\nbob']);
      expect(run.code, run.all).toBe(0);
      const lines = linesOf(run.stdout);
      expect(lines[0]).toMatch(/^waymark: a␊b — run \S+, operator ann␊bob$/);
      expect(lines).toContain('== step 1/1 line-oneevilmd1-error-forged: Line one␊evil.md:1: error: forged');
      expect(run.stdout).not.toMatch(/^(b|bob|evil\.md:1:)/m);
    },
    T,
  );

  it(
    'reproduced: list printed a front matter title "a\\nb" over two lines; now one line per runbook',
    async () => {
      ws().write('n.md', TWO_LINE_TITLES);
      const { code, stdout } = await ws().waymark(['list', '.']);
      expect(code).toBe(0);
      expect(linesOf(stdout)).toEqual([expect.stringMatching(/^n\.md +1 steps +never run +a␊b$/)]);
    },
    T,
  );

  it(
    'reproduced: the audit trail printed --operator "ann\\nbob" so that "bob@host" began a line; now each record is one line',
    async () => {
      ws().write('n.md', TWO_LINE_TITLES);
      expect((await ws().run('n.md', ['--operator', 'ann\nbob'])).code).toBe(0);
      const { code, stdout } = await ws().waymark(['audit', 'n.md']);
      expect(code).toBe(0);
      const lines = linesOf(stdout);
      expect(lines.length).toBeGreaterThan(2);
      for (const line of lines) expect(line).toMatch(/^\d+ \S+ ann␊bob@\S+ [\w-]+ \{/);
    },
    T,
  );
});
