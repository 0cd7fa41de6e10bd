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
