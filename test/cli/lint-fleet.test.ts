/**
 * `waymark lint` on fleet blocks, with the real ansible-inventory: the hosts each block would
 * touch, a pattern that matches nothing, a fleet block with no inventory, and Ansible missing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waymark } from '../support/binary.js';

const dir = mkdtempSync(join(tmpdir(), 'wm-lint-fleet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const lint = (file: string, env: Record<string, string> = {}) => waymark(['lint', file], { cwd: dir, env, timeout: 60_000, keepFinalNewline: true });

writeFileSync(
  join(dir, 'inventory.ini'),
  ['[controllers]', 'ctl-1 ansible_connection=local', '[computes]', ...Array.from({ length: 8 }, (_, i) => `cmp-${i + 1} ansible_connection=local`), ''].join('\n'),
);
const book = (inventoryLine: string, pattern: string) =>
  ['---', inventoryLine, '---', '# Fleet', '', '## Computes', '', `\`\`\`sh hosts=${pattern} batch=1,25%`, 'true', '```', ''].join('\n');

describe('waymark lint on fleet blocks', () => {
  it('says which hosts each fleet block would touch, naming the inventory, and exits 0', async () => {
    writeFileSync(join(dir, 'touch.md'), book('inventory: inventory.ini', 'computes:!cmp-2'));
    const result = await lint('touch.md');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('touch.md:8: note: fleet block computes-1 would touch 7 host(s) of inventory.ini (front matter): cmp-1, cmp-3, cmp-4, cmp-5, cmp-6, cmp-7, … and 1 more\n');
  }, 60_000);

  it('warns when a pattern matches no host of the inventory', async () => {
    writeFileSync(join(dir, 'none.md'), book('inventory: inventory.ini', 'computes:&ctl-*'));
    const result = await lint('none.md');
    expect(result.stdout).toContain('none.md:8: warning: hosts=computes:&ctl-* matches no host in inventory.ini (front matter): the block would do nothing');
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
    expect(result.stdout).toBe('noansible.md:8: warning: ansible-playbook is not installed, so fleet blocks cannot run here: install the Debian package ansible (apt-get install -y ansible)\n');
  }, 60_000);
});
