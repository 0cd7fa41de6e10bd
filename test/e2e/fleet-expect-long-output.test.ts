/**
 * `expect=` on a fleet host whose stdout is longer than what the host sends back (the last 64 KiB).
 * Reproduced on the old code: a fleet check `expect=(?<![\s\S])(?![\s\S]*ERROR)` ("no ERROR
 * anywhere") on a host that printed ERROR first and then 100 KiB of fine lines PASSED ("1 hosts
 * ok"), since only the tail was matched; the same block run locally is refused. Now a host's
 * output that was cut is never passed on the part that was seen: a pattern that can span lines
 * is an error there, saying the output was too long to check. Real ansible-playbook, local host.
 */
import { expect, it } from 'vitest';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-fleet-expect-');

const LOCAL = 'ansible_connection=local ansible_python_interpreter=/usr/bin/python3';
const NO_ERROR = String.raw`(?<![\s\S])(?![\s\S]*ERROR)`;
// ERROR first, then 100 KiB of fine lines: more than a host sends back.
const SCRIPT = ['echo "ERROR: disk full"', 'for i in $(seq 1 2000); do echo "line $i is fine, padded out to fifty bytes ......"; done'];

function book(w: ReturnType<typeof ws>, hosts: string, pattern: string = NO_ERROR): string {
  w.write('inventory.ini', ['[computes]', `cmp-1 ${LOCAL}`, ''].join('\n'));
  return w.write(
    'check.md',
    [
      '---',
      'inventory: inventory.ini',
      '---',
      '# Check',
      '',
      '## Clean {#clean}',
      '',
      `\`\`\`sh check name=no-errors ${hosts}expect="${pattern}"`,
      ...SCRIPT,
      '```',
      '',
    ].join('\n'),
  );
}

it('a local check that looks for ERROR anywhere is refused on this output', async () => {
  const w = ws();
  const result = await w.run(book(w, ''));
  expect(result.code, result.all).toBe(3);
  expect(result.stdout).toContain('refused: check no-errors');
}, 60_000);

it('a fleet check whose host output was cut is not passed on its last 64 KiB', async () => {
  const w = ws();
  const result = await w.run(book(w, 'hosts=computes '));
  expect(result.code, result.all).toBe(3);
  expect(result.stdout).not.toContain('1 hosts ok');
  expect(result.stdout).toContain('refused: check no-errors');
  expect(result.stdout).toMatch(
    /cmp-1 \(exit 0; stdout was too long to check: only its last 64 KiB arrived \(\d+ KiB before them did not\), and a pattern that can match across lines/,
  );
}, 60_000);

it('a line pattern on a cut host output passes on a whole line it was sent, and is an error when none of them matches', async () => {
  const w = ws();
  const found = await w.run(book(w, 'hosts=computes ', '^line 2000 is fine'));
  expect(found.code, found.all).toBe(0);
  expect(found.stdout).toContain('1 hosts ok');

  // The line is there, but in the part the host did not send: not a failure of the check, an error it says.
  const early = await w.run(book(w, 'hosts=computes ', '^ERROR: disk full$'), ['--new-run']);
  expect(early.code, early.all).toBe(3);
  expect(early.stdout).toMatch(
    /stdout was too long to check: only its last 64 KiB arrived \(\d+ KiB before them did not\), and no whole line of them matches/,
  );
  expect(early.stdout).not.toContain('did not match');
}, 60_000);
