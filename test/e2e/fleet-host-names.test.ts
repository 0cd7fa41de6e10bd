/**
 * Host names Ansible reads as pattern operators. Reproduced on the old code: with a YAML inventory
 * holding a host named `!nope`, a `batch=1 pause=confirm` block planned `!nope` alone as its canary;
 * Ansible read the batch's `!nope` as "all hosts but !nope" (plus the host itself), so the script ran
 * on a1 and a2 as well, their results were dropped as not of the batch, and they would run again in
 * their own batches. Now such a block ends with an error naming the host, and nothing runs. Real
 * ansible-playbook, local hosts.
 */
import { expect, it } from 'vitest';
import { useWorkspace } from '../support/workspace.js';

const ws = useWorkspace('wm-fleet-names-');

const host = (name: string): string[] => [
  `    ${JSON.stringify(name)}:`,
  '      ansible_connection: local',
  '      ansible_python_interpreter: /usr/bin/python3',
];

it.each(['!nope', '&also'])(
  'refuses a block whose hosts include %j, and runs nothing anywhere',
  async (odd) => {
    const w = ws();
    w.write('inventory.yml', ['all:', '  hosts:', ...host(odd), ...host('a1'), ...host('a2'), ''].join('\n'));
    const book = w.write(
      'names.md',
      [
        '---',
        'inventory: inventory.yml',
        '---',
        '# Names',
        '',
        '## Hosts {#hosts}',
        '',
        '```sh name=touch hosts=all batch=1 pause=confirm',
        `echo "$WAYMARK_HOST" >> ${w.path('ran.log')}`,
        '```',
        '',
      ].join('\n'),
    );
    const ran = await w.run(book, ['--yes']);
    expect(ran.code, ran.all).toBe(1);
    expect(ran.stdout).toContain(
      `hosts=all matches ${JSON.stringify(odd)} in ${w.path('inventory.yml')}: Ansible reads a host name starting with ! or & as a pattern`,
    );
    expect(w.lines('ran.log')).toEqual([]);
  },
  60_000,
);

it('runs a block whose pattern leaves such a host out', async () => {
  const w = ws();
  w.write('inventory.yml', ['all:', '  hosts:', ...host('!nope'), ...host('a1'), ...host('a2'), ''].join('\n'));
  const book = w.write(
    'names.md',
    [
      '---',
      'inventory: inventory.yml',
      '---',
      '# Names',
      '',
      '## Hosts {#hosts}',
      '',
      '```sh name=touch hosts=a1:a2 batch=1',
      `echo "$WAYMARK_HOST" >> ${w.path('ran.log')}`,
      '```',
      '',
    ].join('\n'),
  );
  const ran = await w.run(book, ['--yes']);
  expect(ran.code, ran.all).toBe(0);
  expect(w.lines('ran.log')).toEqual(['a1', 'a2']);
}, 60_000);
