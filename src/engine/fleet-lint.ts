/**
 * What lint can say about fleet blocks once it reads the inventory: which hosts each block would
 * touch, a pattern that matches none, an inventory Ansible cannot read, Ansible not installed.
 * Only when the inventory can be known before the run: a path with variables uses their defaults.
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Diagnostic, Runbook } from '../runbook/model.js';
import { interpolate, referencedVars } from '../runbook/connection.js';
import type { LintInventory } from './exec/fleet/inventory-cache.js';

/** Hosts named in a lint note before "and N more". */
const NAMED_HOSTS = 6;

/** Findings about the runbook's fleet blocks against its inventories (the front matter's and each profile's). */
export async function fleetFindings(runbook: Runbook): Promise<Diagnostic[]> {
  const blocks = runbook.steps.flatMap((step) =>
    step.blocks.filter((b) => b.attrs.fleet && b.executor !== null).map((block) => ({ step, block })),
  );
  if (blocks.length === 0) return [];
  // Loaded only for a runbook with fleet blocks: the fleet executor brings child_process, net and
  // more, which linting any other runbook never needs (bench/RESULTS.md, lint-corpus).
  const [{ ansibleAvailable }, { ANSIBLE_PACKAGE_HINT, matchHosts }, { readInventoryForLint }] = await Promise.all([
    import('./exec/fleet/ansible-available.js'),
    import('./exec/fleet/inventory.js'),
    import('./exec/fleet/inventory-cache.js'),
  ]);
  const first = blocks[0] as (typeof blocks)[number];
  if (!(await ansibleAvailable())) {
    return [
      {
        file: first.step.file,
        line: first.block.line,
        severity: 'warning',
        rule: 'no-ansible',
        message: `ansible-playbook is not installed, so fleet blocks cannot run here: ${ANSIBLE_PACKAGE_HINT}`,
      },
    ];
  }
  const decl = runbook.inventory;
  if (!decl) return [];
  const findings: Diagnostic[] = [];
  const defaults = Object.fromEntries(runbook.vars.filter((v) => v.default !== undefined).map((v) => [v.name, v.default as string]));
  const named = new Map<string, string>();
  if (decl.path !== undefined && referencedVars(decl.path).every((name) => name in defaults)) named.set('front matter', decl.path);
  for (const [profile, path] of Object.entries(decl.byProfile)) named.set(`profile ${profile}`, path);
  const cwd = dirname(resolve(decl.file));
  // Every inventory at once: each unremembered one is a Python start of its own (0.5–1 s).
  const reads = [...named].map(([where, written]) => {
    const file = resolve(cwd, interpolate(written, defaults));
    // An inventory that is not there yet (a testbed's, before its fleet is up; the operator's, on
    // another machine) is not a runbook problem: Ansible's words for it vary, so look first.
    return { where, written, read: existsSync(file) ? readInventoryForLint(file, { cwd }) : undefined };
  });
  for (const { where, written, read } of reads) {
    if (read === undefined) continue;
    const { inventory, refused }: LintInventory = await read;
    if (refused !== undefined)
      findings.push({
        file: decl.file,
        line: decl.line,
        severity: 'warning',
        rule: 'inventory-cache',
        message: `inventory cache of the ${where}: ${refused}`,
      });
    // An inventory that is not there yet (a testbed's, before it is up) is not a runbook problem.
    if ('error' in inventory) {
      if (!/does not exist|not found|No such file/i.test(inventory.error))
        findings.push({
          file: decl.file,
          line: decl.line,
          severity: 'warning',
          rule: 'bad-inventory',
          message: `inventory of the ${where}: ${inventory.error}`,
        });
      continue;
    }
    for (const { step, block } of blocks) {
      const pattern = block.attrs.fleet?.hosts as string;
      const hosts = matchHosts(pattern, inventory);
      if ('error' in hosts)
        findings.push({
          file: step.file,
          line: block.line,
          severity: 'error',
          rule: 'bad-hosts',
          message: `hosts=${pattern}: ${hosts.error}`,
        });
      else if (hosts.length === 0)
        findings.push({
          file: step.file,
          line: block.line,
          severity: 'warning',
          rule: 'no-hosts',
          message: `hosts=${pattern} matches no host in ${written} (${where}): the block would do nothing`,
        });
      else {
        const more = hosts.length > NAMED_HOSTS ? `, … and ${hosts.length - NAMED_HOSTS} more` : '';
        findings.push({
          file: step.file,
          line: block.line,
          severity: 'note',
          rule: 'fleet-hosts',
          message: `fleet block ${block.id} would touch ${hosts.length} host(s) of ${written} (${where}): ${hosts.slice(0, NAMED_HOSTS).join(', ')}${more}`,
        });
      }
    }
  }
  return findings;
}
