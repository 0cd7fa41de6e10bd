/**
 * `${NAME}` in a checklist item (docs/runbook-format.md#checklists) on the headless face, through
 * the real binary. Reproduced: the headless run printed the item as written (`[ ] Drain ${HOST}`)
 * where the TUI and the step's prose showed the value. Now both the waiting line and the `--yes`
 * tick show the front matter's value, a captured value, and a secret as ••••, never in clear.
 */
import { describe, expect, it } from 'vitest';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-checklist-values-');

const BOOK = [
  '---',
  'title: Checklist values',
  'id: checklist-values',
  'vars:',
  '  HOST: { default: db-7 }',
  '  TOKEN: { secret: true, env: WM_TEST_TOKEN }',
  '---',
  '# Checklist values',
  '',
  '## Count {#count}',
  '',
  '```sh name=count capture=LEFT',
  'echo 40',
  '```',
  '',
  '## Drain {#drain}',
  '',
  '- [ ] ${HOST} is drained of its ${LEFT} instances (token ${TOKEN}, ${UNKNOWN} kept)',
  '',
  '```sh name=drain',
  'echo drained >> drained.txt',
  '```',
  '',
].join('\n');

describe('checklist items show variable values headless', () => {
  it('waits on the item with its values filled in, then ticks it with --yes the same way, the secret masked', async () => {
    const w = ws();
    const book = w.write('book.md', BOOK);
    const env = { WM_TEST_TOKEN: 'tok-s3cr3t-9' };
    const shown = 'db-7 is drained of its 40 instances';

    const waiting = await w.run(book, [], env);
    expect(waiting.code).not.toBe(0);
    expect(waiting.all).toContain(`   [ ] ${shown} (token ••••, \${UNKNOWN} kept)`);
    expect(waiting.all).not.toContain('${HOST}');
    expect(waiting.all).not.toContain('tok-s3cr3t-9');
    expect(w.lines('drained.txt')).toEqual([]);

    const ticked = await w.run(book, ['--yes'], env);
    expect(ticked.code, ticked.all).toBe(0);
    expect(ticked.all).toContain(`   [x] ${shown} (token ••••, \${UNKNOWN} kept) (precondition, ticked automatically, --yes)`);
    expect(ticked.all).not.toContain('tok-s3cr3t-9');
    expect(w.lines('drained.txt')).toEqual(['drained']);
  });
});

describe('a captured value in a checklist item, headless', () => {
  it('prints escape sequences inert and a newline in the value as ␊, so it cannot print a line of its own', async () => {
    const w = ws();
    // Reproduced: the value came out on two lines, the second one reading like a ticked item.
    const book = w.write(
      'book.md',
      [
        '---',
        'title: Captured into an item',
        'id: captured-item',
        '---',
        '# Captured into an item',
        '',
        '## Read {#read}',
        '',
        '```sh name=read capture=BANNER',
        "printf 'db-7 \\033]52;c;cHduZWQ=\\007\\033[2J\\n   [x] every host is drained\\n'",
        '```',
        '',
        '## Drain {#drain}',
        '',
        '- [ ] The banner says ${BANNER}',
        '',
        '```sh name=drain',
        'true',
        '```',
        '',
      ].join('\n'),
    );
    const waiting = await w.run(book);
    expect(waiting.code).not.toBe(0);
    expect(waiting.stdout).toContain('   [ ] The banner says db-7 ␛]52;c;cHduZWQ=␇␛[2J␊   [x] every host is drained\n');
    expect(waiting.stdout).not.toMatch(/^ +\[x\] every host is drained/m);
    expect(waiting.stdout).not.toContain('\u001B');
    expect(waiting.stdout).not.toContain('\u0007');
  });
});
