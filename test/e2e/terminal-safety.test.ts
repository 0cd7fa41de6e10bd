/**
 * Escape sequences never reach the operator's terminal or a report (issue 10, item 16). A block
 * that prints OSC 0 (window title), OSC 52 (clipboard), cursor moves, a lone ESC, a C1 CSI and BEL,
 * an operator name and a file name that carry escapes: headless output, failure evidence, status,
 * the audit listing, error messages and the Markdown report show them as visible, inert text.
 * The block's log keeps the bytes the command wrote.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-e2e-inert-');
const T = 60_000;

/** Any character a terminal acts on; tab and newline are text. */
// eslint-disable-next-line no-control-regex
const ACTING = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

/** printf lines that each try something on the terminal, and how each must look once inert. */
const NASTY = [
  ['title\\033]0;PWNED\\007 after', 'title␛]0;PWNED␇ after'],
  ['clip\\033]52;c;ZWNobyBoaQ==\\007 done', 'clip␛]52;c;ZWNobyBoaQ==␇ done'],
  ['move\\033[2J\\033[H here', 'move␛[2J␛[H here'],
  ['lone \\033 esc', 'lone ␛ esc'],
  ['c1 \\302\\233 31m csi', 'c1 ⟨U+009B⟩ 31m csi'],
  ['bell\\007 ring', 'bell␇ ring'],
  ['\\033[31mred\\033[0m plain', '␛[31mred␛[0m plain'],
] as const;

const printAll = NASTY.map(([raw]) => `printf '${raw}\\n'`).join('\n');

const RUNBOOK = `# Escapes

## Print {#print}

\`\`\`sh name=nasty
${printAll}
\`\`\`

## Fail {#fail}

\`\`\`sh check name=nasty-check
${printAll}
exit 1
\`\`\`
`;

const OPERATOR = 'op\x1b]0;OWNED\x07';

describe('text from outside is shown inert', () => {
  it(
    'reproduced: a block set the pane title (OSC 0) and the clipboard (OSC 52) through headless --output and the failure evidence; now stdout holds no control character',
    async () => {
      const book = ws().write('escapes.md', RUNBOOK);
      const run = await ws().run(book, ['--output', '--operator', OPERATOR]);
      expect(run.code, run.all).toBe(3);
      expect(run.all).not.toMatch(ACTING);
      // --output: every line, in order, as text.
      for (const [, shown] of NASTY) expect(run.stdout).toContain(`   | ${shown}`);
      // The refused check's evidence (its output's tail) is inert too, and the operator in the banner.
      for (const [, shown] of NASTY) expect(run.stdout).toContain(`   ${shown}\n`);
      expect(run.stdout).toContain('operator op␛]0;OWNED␇');

      // The log keeps the bytes the command wrote.
      const log = readFileSync(join(ws().runDir('escapes'), 'logs', 'nasty.1.log'), 'utf8');
      expect(log).toContain('title\x1b]0;PWNED\x07 after');
      expect(log).toContain('c1 \x9b 31m csi');
    },
    T,
  );

  it(
    'status, audit and the Markdown report show the operator and the evidence inert; the report file has no ESC',
    async () => {
      const book = ws().write('escapes.md', RUNBOOK);
      await ws().run(book, ['--operator', OPERATOR]);
      const status = await ws().waymark(['status', book]);
      expect(status.all).toContain('by op␛]0;OWNED␇');
      expect(status.all).not.toMatch(ACTING);
      const audit = await ws().waymark(['audit', book]);
      expect(audit.code, audit.all).toBe(0);
      expect(audit.all).not.toMatch(ACTING);

      const report = await ws().waymark(['report', book]);
      expect(report.code, report.all).toBe(0);
      expect(report.stdout).toContain('- Operator: op␛]0;OWNED␇');
      for (const [, shown] of NASTY) expect(report.stdout).toContain(shown);
      expect(report.all).not.toMatch(ACTING);
      const written = await ws().waymark(['report', book, '-o', ws().path('report.md')]);
      expect(written.code, written.all).toBe(0);
      const file = readFileSync(ws().path('report.md'), 'utf8');
      expect(file).toContain('title␛]0;PWNED␇ after');
      expect(file).not.toMatch(ACTING);
    },
    T,
  );

  it(
    'a title taken from a file name, and an error message naming a file, are inert',
    async () => {
      // No "# " heading and no front matter title: the title is the file's name.
      const book = ws().write('up\x1b]0;OWNED\x07grade.md', '## Only {#only}\n\n```sh\ntrue\n```\n');
      const run = await ws().run(book);
      expect(run.code, run.all).toBe(0);
      expect(run.stdout).toContain('waymark: up␛]0;OWNED␇grade —');
      expect(run.all).not.toMatch(ACTING);

      const missing = await ws().run(ws().path('gone\x1b]52;c;eA==\x07.md'));
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('gone␛]52;c;eA==␇.md');
      expect(missing.all).not.toMatch(ACTING);
    },
    T,
  );

  it(
    'reproduced: `yes` ran `echo DELETED >> f`, hidden by ESC[8m on the confirmation; now such a runbook does not load, and nothing runs',
    async () => {
      const spoof = ": '\x1b[8m'; echo DELETED >> f; : '\x1b[0m'; systemctl --version";
      const book = ws().write('spoof.md', `# Spoof\n\n## Restart {#restart}\n\n\`\`\`sh confirm\n${spoof}\n\`\`\`\n`);
      const run = await ws().run(book, ['--yes']);
      expect(run.code, run.all).toBe(2);
      expect(run.all).toContain(`${book}:6: error: control character U+001B`);
      expect(run.all).not.toMatch(ACTING);
      expect(ws().lines('f')).toEqual([]);
    },
    T,
  );
});
