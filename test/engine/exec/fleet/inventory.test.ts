import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { matchHosts, readInventory, type Inventory } from '../../../../src/engine/exec/fleet/inventory.js';
import { removeScratchDirs, scratchDir } from '../../../support/workspace.js';

const INVENTORY = `zeta ansible_connection=local
[computes]
cmp-3
cmp-1
cmp-2
cmp-10
[controllers]
ctl-2
ctl-1
[db]
ctl-1
db-1
[openstack:children]
computes
controllers
[edge:children]
openstack
[ungrouped_like]
ungrouped
`;

let dir: string;
let file: string;
let inventory: Inventory;

beforeAll(async () => {
  dir = scratchDir();
  file = path.join(dir, 'hosts.ini');
  writeFileSync(file, INVENTORY);
  const read = await readInventory(file);
  if ('error' in read) throw new Error(read.error);
  inventory = read;
}, 30_000);

afterAll(removeScratchDirs);

/** What real Ansible says the pattern matches. */
function ansibleListHosts(pattern: string): string[] {
  const out = execFileSync('ansible', ['-i', file, '--list-hosts', pattern], {
    encoding: 'utf8',
    env: { ...process.env, ANSIBLE_NOCOLOR: 'True' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return out
    .split('\n')
    .slice(1)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

describe('readInventory', () => {
  it('lists hosts in the order Ansible lists all, and groups with their children flattened', () => {
    expect(inventory.hosts).toEqual(ansibleListHosts('all'));
    expect(inventory.groups.openstack).toEqual(['cmp-3', 'cmp-1', 'cmp-2', 'cmp-10', 'ctl-2', 'ctl-1']);
    expect(inventory.groups.edge).toEqual(inventory.groups.openstack);
    expect(inventory.groups.ungrouped).toEqual(['zeta']);
    expect(inventory.file).toBe(file);
  });

  // Reproduced: with ANSIBLE_VERBOSITY=1 exported (or `verbosity = 1` in an ansible.cfg beside the
  // runbook), ansible-inventory printed "No config file found; using defaults" before its JSON on
  // stdout, and every fleet block, lint and preflight failed with "ansible-inventory gave no JSON".
  it('reads the listing whatever verbosity or debug the operator set, in the environment or an ansible.cfg', async () => {
    const folder = scratchDir();
    writeFileSync(path.join(folder, 'ansible.cfg'), '[defaults]\nverbosity = 2\n');
    const fromConfig = await readInventory(file, { cwd: folder });
    expect(fromConfig).toEqual(inventory);
    const saved = { verbosity: process.env.ANSIBLE_VERBOSITY, debug: process.env.ANSIBLE_DEBUG };
    process.env.ANSIBLE_VERBOSITY = '1';
    process.env.ANSIBLE_DEBUG = 'True';
    try {
      expect(await readInventory(file)).toEqual(inventory);
    } finally {
      for (const [name, value] of [
        ['ANSIBLE_VERBOSITY', saved.verbosity],
        ['ANSIBLE_DEBUG', saved.debug],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('names the file when Ansible cannot parse it', async () => {
    const bad = path.join(dir, 'bad.ini');
    writeFileSync(bad, '[broken\nx y=\n');
    const read = await readInventory(bad);
    expect(read).toHaveProperty('error');
    expect((read as { error: string }).error).toContain(bad);
    expect((read as { error: string }).error).toMatch(/cannot be read by Ansible/);
  });

  it('names the file when it does not exist, relative to cwd', async () => {
    const read = await readInventory('missing.ini', { cwd: dir });
    expect((read as { error: string }).error).toContain(path.join(dir, 'missing.ini'));
  });

  it('names the package to install when ansible-inventory is missing', async () => {
    const saved = process.env.PATH;
    process.env.PATH = path.join(dir, 'no-such-bin');
    try {
      const read = await readInventory(file);
      expect((read as { error: string }).error).toMatch(/ansible-inventory is not installed.*apt-get install -y ansible/);
    } finally {
      process.env.PATH = saved;
    }
  });
});

describe('matchHosts agrees with ansible --list-hosts', () => {
  const patterns = [
    'all',
    '*',
    'computes',
    'computes:controllers',
    'computes,controllers',
    'openstack:&db',
    'openstack:!cmp-1',
    'computes:!cmp-1:!cmp-2',
    'all:!computes',
    '!computes',
    '&db',
    'cmp-*',
    'cmp-?',
    'cmp-[12]',
    'cmp-[!12]*',
    '~cmp-1.*',
    '~(ctl|db)-1',
    'ctl-1',
    'zeta:db',
    'edge:&controllers:!ctl-2',
    'db:computes:&openstack',
    'ungrouped',
    'ungrouped_like',
    'computes[0]',
    'computes[1:2]',
    'computes[-1]',
    'openstack[2:]',
    'c*:!cmp-10',
    'nothing-here',
    'computes:nothing-here',
  ];
  it.each(patterns)('%s', (pattern) => {
    const ours = matchHosts(pattern, inventory);
    if ('error' in ours) throw new Error(ours.error);
    // Ansible lists a union pattern by pattern; waymark keeps inventory order. Same hosts either way.
    expect([...ours].sort()).toEqual(ansibleListHosts(pattern).sort());
    expect(ours).toEqual(inventory.hosts.filter((host) => ours.includes(host)));
  });
});

describe('matchHosts errors', () => {
  it('names a regex that does not compile', () => {
    expect(matchHosts('~cmp-(', inventory)).toEqual({ error: expect.stringContaining('~cmp-(') });
  });

  it('names a subscript past the end', () => {
    expect(matchHosts('controllers[5]', inventory)).toEqual({ error: expect.stringContaining('controllers[5]') });
  });
});
