/**
 * `waymark lint` on fleet blocks, with the real ansible-inventory: the hosts each block would
 * touch, a pattern that matches nothing, a fleet block with no inventory, and Ansible missing.
 */
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SETTLED_MS } from '../../src/engine/exec/fleet/inventory-cache.js';
import { waymark } from '../support/binary.js';

const dir = mkdtempSync(join(tmpdir(), 'wm-lint-fleet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** lint in the test's folder, with a cache folder of its own unless the test names another. */
const lint = (file: string, env: NodeJS.ProcessEnv = {}) =>
  waymark(['lint', file], {
    cwd: dir,
    env: { XDG_CACHE_HOME: join(dir, 'cache'), ...(env as Record<string, string>) },
    timeout: 60_000,
    keepFinalNewline: true,
  });

writeFileSync(
  join(dir, 'inventory.ini'),
  [
    '[controllers]',
    'ctl-1 ansible_connection=local',
    '[computes]',
    ...Array.from({ length: 8 }, (_, i) => `cmp-${i + 1} ansible_connection=local`),
    '',
  ].join('\n'),
);
const book = (inventoryLine: string, pattern: string) =>
  ['---', inventoryLine, '---', '# Fleet', '', '## Computes', '', `\`\`\`sh hosts=${pattern} batch=1,25%`, 'true', '```', ''].join('\n');

describe('waymark lint on fleet blocks', () => {
  it('says which hosts each fleet block would touch, naming the inventory, and exits 0', async () => {
    writeFileSync(join(dir, 'touch.md'), book('inventory: inventory.ini', 'computes:!cmp-2'));
    const result = await lint('touch.md');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe(
      'touch.md:8: note: fleet block computes-1 would touch 7 host(s) of inventory.ini (front matter): cmp-1, cmp-3, cmp-4, cmp-5, cmp-6, cmp-7, … and 1 more\n',
    );
  }, 60_000);

  it('warns when a pattern matches no host of the inventory', async () => {
    writeFileSync(join(dir, 'none.md'), book('inventory: inventory.ini', 'computes:&ctl-*'));
    const result = await lint('none.md');
    expect(result.stdout).toContain(
      'none.md:8: warning: hosts=computes:&ctl-* matches no host in inventory.ini (front matter): the block would do nothing',
    );
  }, 60_000);

  it('warns once when a runbook has fleet blocks and no inventory at all', async () => {
    writeFileSync(join(dir, 'noinv.md'), book('title: no inventory', 'all'));
    const result = await lint('noinv.md');
    expect(result.stdout.match(/warning/g)).toHaveLength(1);
    expect(result.stdout).toContain('noinv.md:8: warning: fleet block computes-1 (hosts=all) has no inventory to run against');
  }, 60_000);

  it('warns once that Ansible is not installed, naming the package, when ansible-playbook is not on the PATH', async () => {
    writeFileSync(join(dir, 'noansible.md'), book('inventory: inventory.ini', 'computes'));
    // A PATH with nothing on it: node itself is started by its full path.
    const emptyPath = mkdtempSync(join(dir, 'path-'));
    const result = await lint('noansible.md', { PATH: emptyPath });
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(
      'noansible.md:8: warning: ansible-playbook is not installed, so fleet blocks cannot run here: install the Debian package ansible (apt-get install -y ansible)\n',
    );
  }, 60_000);
});

describe('waymark lint remembers static inventories (the editor loop)', () => {
  const cache = mkdtempSync(join(dir, 'xdg-'));
  const entries = () =>
    existsSync(join(cache, 'waymark', 'inventory'))
      ? readdirSync(join(cache, 'waymark', 'inventory')).filter((n) => n.endsWith('.json'))
      : [];
  const env = { ...process.env, XDG_CACHE_HOME: cache };
  const forged = JSON.stringify({ hosts: ['remembered-1'], groups: { all: ['remembered-1'], computes: ['remembered-1'], ungrouped: [] } });

  it('answers the next lint from the cache without Ansible, keeps no host variables, and asks again once the inventory changes', async () => {
    writeFileSync(join(dir, 'cached.ini'), ['[computes]', 'web-1 ansible_password=hunter2-secret', 'web-2', ''].join('\n'));
    writeFileSync(join(dir, 'cached.md'), book('inventory: cached.ini', 'computes'));
    const first = await lint('cached.md', env);
    expect(first.stdout).toBe(
      'cached.md:8: note: fleet block computes-1 would touch 2 host(s) of cached.ini (front matter): web-1, web-2\n',
    );
    expect(entries()).toHaveLength(1);
    const entry = join(cache, 'waymark', 'inventory', entries()[0] as string);
    expect(readFileSync(entry, 'utf8')).not.toContain('hunter2');
    // What lint says next comes from the entry, not from a new ansible-inventory.
    writeFileSync(entry, forged);
    expect((await lint('cached.md', env)).stdout).toContain('would touch 1 host(s) of cached.ini (front matter): remembered-1');
    // An edited inventory is a new entry: Ansible reads it.
    writeFileSync(join(dir, 'cached.ini'), ['[computes]', 'web-1', 'web-2', 'web-3', ''].join('\n'));
    expect((await lint('cached.md', env)).stdout).toContain('would touch 3 host(s) of cached.ini (front matter): web-1, web-2, web-3');
    expect(entries()).toHaveLength(2);
  }, 60_000);

  it('never follows a link planted as an entry: it warns and asks Ansible', async () => {
    writeFileSync(join(dir, 'linked.ini'), ['[computes]', 'db-1', ''].join('\n'));
    writeFileSync(join(dir, 'linked.md'), book('inventory: linked.ini', 'computes'));
    const before = new Set(entries());
    await lint('linked.md', env);
    const name = entries().find((n) => !before.has(n)) as string;
    const entry = join(cache, 'waymark', 'inventory', name);
    rmSync(entry);
    writeFileSync(join(dir, 'elsewhere.json'), forged);
    symlinkSync(join(dir, 'elsewhere.json'), entry);
    const result = await lint('linked.md', env);
    expect(result.stdout).toContain('would touch 1 host(s) of linked.ini (front matter): db-1');
    expect(result.stdout).toContain(
      `linked.md:2: warning: inventory cache of the front matter: ${entry} is a symbolic link or not a regular file; waymark did not follow it`,
    );
    expect(readFileSync(join(dir, 'elsewhere.json'), 'utf8')).toBe(forged);
  }, 60_000);

  it('never reads or writes through a cache folder that is a link', async () => {
    const home = mkdtempSync(join(dir, 'xdg-linked-'));
    const elsewhere = mkdtempSync(join(dir, 'elsewhere-'));
    mkdirSync(join(home, 'waymark'));
    symlinkSync(elsewhere, join(home, 'waymark', 'inventory'));
    writeFileSync(join(dir, 'folder.ini'), ['[computes]', 'db-2', ''].join('\n'));
    writeFileSync(join(dir, 'folder.md'), book('inventory: folder.ini', 'computes'));
    const result = await lint('folder.md', { ...process.env, XDG_CACHE_HOME: home });
    expect(result.stdout).toContain('would touch 1 host(s) of folder.ini (front matter): db-2');
    expect(result.stdout).toContain(
      `folder.md:2: warning: inventory cache of the front matter: ${join(home, 'waymark', 'inventory')} is a symbolic link`,
    );
    expect(readdirSync(elsewhere)).toEqual([]);
  }, 60_000);

  it('never reads or writes through a waymark folder that is a link, above the inventory folder', async () => {
    // Reproduced before the fix: only inventory/ itself was looked at, so with
    // $XDG_CACHE_HOME/waymark a link, lint made inventory/ in the folder it points to and wrote its
    // entry there (and, for a settled file, its stamp).
    const home = mkdtempSync(join(dir, 'xdg-linked-waymark-'));
    const elsewhere = mkdtempSync(join(dir, 'elsewhere-'));
    symlinkSync(elsewhere, join(home, 'waymark'));
    writeFileSync(join(dir, 'parent.ini'), ['[computes]', 'db-3', ''].join('\n'));
    writeFileSync(join(dir, 'parent.md'), book('inventory: parent.ini', 'computes'));
    const result = await lint('parent.md', { ...process.env, XDG_CACHE_HOME: home });
    expect(result.stdout).toContain('would touch 1 host(s) of parent.ini (front matter): db-3');
    expect(result.stdout).toContain(
      `parent.md:2: warning: inventory cache of the front matter: ${join(home, 'waymark')} is a symbolic link or not a regular file; waymark did not follow it`,
    );
    expect(readdirSync(elsewhere)).toEqual([]);
  }, 60_000);

  it('skips hashing a settled inventory whose stamp still matches, and never trusts one whose file changed, its times set back', async () => {
    // Reproduced before the stamps: every lint of a fleet runbook loaded node:crypto (≈ 6-8 ms of
    // its start) to hash the inventory, changed or not. A stamp must not outlive a change that keeps
    // the size and sets the modification time back (as rsync or tar do): the change time moves.
    const home = mkdtempSync(join(dir, 'xdg-stamp-'));
    const folder = join(home, 'waymark', 'inventory');
    const stamps = () => (existsSync(folder) ? readdirSync(folder).filter((n) => n.endsWith('.stamp')) : []);
    const inventory = join(dir, 'stamped.ini');
    writeFileSync(inventory, ['[computes]', 'web-1', 'web-2', ''].join('\n'));
    // A whole second, which utimes can set back exactly.
    const old = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
    utimesSync(inventory, old, old);
    writeFileSync(join(dir, 'stamped.md'), book('inventory: stamped.ini', 'computes'));
    const preload = join(dir, 'loaded-modules.cjs');
    writeFileSync(
      preload,
      "process.on('exit', () => require('node:fs').writeFileSync(process.env.LOADED_OUT, process.moduleLoadList.join('\\n')));\n",
    );
    const out = join(dir, 'loaded.txt');
    const stampedLint = () =>
      lint('stamped.md', { XDG_CACHE_HOME: home, NODE_OPTIONS: `--require ${preload}`, LOADED_OUT: out, NODE_EXTRA_CA_CERTS: undefined });
    const loadedCrypto = () => readFileSync(out, 'utf8').split('\n').includes('NativeModule crypto');

    // Just changed (its change time is now): it may change again within the tick, so no stamp yet.
    expect((await stampedLint()).stdout).toContain('would touch 2 host(s) of stamped.ini (front matter): web-1, web-2');
    expect(stamps()).toEqual([]);
    await new Promise((done) => setTimeout(done, SETTLED_MS + 100));
    expect((await stampedLint()).stdout).toContain('would touch 2 host(s)');
    expect(stamps()).toHaveLength(1);
    expect(loadedCrypto()).toBe(true);
    // From now on the stamp names the entry: no hashing, so no crypto, and what the entry says.
    const entry = join(folder, readdirSync(folder).find((n) => n.endsWith('.json')) as string);
    writeFileSync(entry, forged);
    expect((await stampedLint()).stdout).toContain('would touch 1 host(s) of stamped.ini (front matter): remembered-1');
    expect(loadedCrypto()).toBe(false);
    // Same file, same size, modification time set back: only the change time (and the bytes) tell.
    const before = statSync(inventory, { bigint: true });
    writeFileSync(inventory, ['[computes]', 'web-7', 'web-8', ''].join('\n'));
    utimesSync(inventory, old, old);
    const after = statSync(inventory, { bigint: true });
    expect([after.ino, after.size, after.mtimeNs]).toEqual([before.ino, before.size, before.mtimeNs]);
    expect((await stampedLint()).stdout).toContain('would touch 2 host(s) of stamped.ini (front matter): web-7, web-8');
  }, 60_000);

  it('writes no stamp while an ANSIBLE_* variable is set: its value may be a secret', async () => {
    const home = mkdtempSync(join(dir, 'xdg-ansible-var-'));
    const inventory = join(dir, 'with-var.ini');
    writeFileSync(inventory, ['[computes]', 'var-1', ''].join('\n'));
    const old = new Date(Date.now() - 60_000);
    utimesSync(inventory, old, old);
    writeFileSync(join(dir, 'with-var.md'), book('inventory: with-var.ini', 'computes'));
    await new Promise((done) => setTimeout(done, SETTLED_MS + 100));
    const env = { XDG_CACHE_HOME: home, ANSIBLE_BECOME_PASSWORD_FILE: join(dir, 'no-such-file') };
    expect((await lint('with-var.md', env)).stdout).toContain('would touch 1 host(s) of with-var.ini (front matter): var-1');
    expect((await lint('with-var.md', env)).stdout).toContain('would touch 1 host(s)');
    const names = readdirSync(join(home, 'waymark', 'inventory'));
    expect(names.filter((n) => n.endsWith('.json'))).toHaveLength(1);
    expect(names.filter((n) => n.endsWith('.stamp'))).toEqual([]);
  }, 60_000);

  it('always asks Ansible about a script inventory: its hosts can change without the file changing', async () => {
    const script = join(dir, 'script-inventory.py');
    writeFileSync(
      script,
      [
        '#!/usr/bin/env python3',
        'import json',
        'print(json.dumps({"computes": {"hosts": ["live-1"]}, "_meta": {"hostvars": {}}}))',
        '',
      ].join('\n'),
    );
    chmodSync(script, 0o755);
    writeFileSync(join(dir, 'script.md'), book('inventory: script-inventory.py', 'computes'));
    const before = entries().length;
    expect((await lint('script.md', env)).stdout).toContain('would touch 1 host(s) of script-inventory.py (front matter): live-1');
    expect(entries()).toHaveLength(before);
  }, 60_000);
});
