// Writes a large, realistic runbook for benchmarks: front matter with vars,
// profiles and connections, then N steps shaped like an OpenStack upgrade —
// each an H2 with attributes, prose, a sh check, a sh run block, an sql check
// and a checklist item, with the attribute forms varied the way authors vary them.
// Deterministic: the same N always gives the same file.
//
//   node bench/gen-runbook.mjs [STEPS] [OUT.md]     (defaults: 2000, a temp dir)
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const SERVICES = ['nova-api', 'nova-scheduler', 'nova-conductor', 'glance-api', 'cinder-volume', 'neutron-server', 'keystone'];
const TABLES = ['compute_nodes', 'instances', 'services', 'block_device_mapping', 'migrations'];

function frontMatter(steps) {
  return `---
title: Generated ${steps}-step control-plane upgrade
id: generated-${steps}
vars:
  DB_SOCKET: /run/mysqld/mysqld.sock
  TARGET:
    default: mitaka
    description: release to upgrade to
    choices: [kilo, liberty, mitaka]
  CONTROLLER:
    default: ctl-1
    description: controller being upgraded
  DB_PASSWORD:
    secret: true
    env: NOVA_DB_PASSWORD
profiles:
  testbed: { DB_SOCKET: /tmp/testbed/mysqld.sock, CONTROLLER: tb-ctl-1 }
  production: { CONTROLLER: ctl-1 }
connections:
  nova: mysql://root@localhost/nova?socket=\${DB_SOCKET}
  glance:
    url: mysql://glance@db1:3306/glance
    password: \${DB_PASSWORD}
shell: bash
timeout: 10m
---

# Generated ${steps}-step control-plane upgrade

This runbook was generated for benchmarks. It upgrades the control plane of
\`\${CONTROLLER}\` to **\${TARGET}** one service at a time. Read each step
before running it; checks are gates and refuse to let you past a failure.

\`\`\`text
Expected duration: about ${Math.max(1, Math.round(steps / 20))} hours.
\`\`\`
`;
}

function step(i) {
  const n = i + 1;
  const service = SERVICES[i % SERVICES.length];
  const table = TABLES[i % TABLES.length];
  const id = `s${n}-${service}`;
  const optional = i % 9 === 4 ? ' optional' : '';
  const heading = `## ${n}. Upgrade ${service} on the controller (pass ${Math.floor(i / SERVICES.length) + 1}) {#${id}${optional} tags=control,${service.split('-')[0]}}`;
  // Vary the three attribute syntaxes (Runme JSON, Runme braces, bare words).
  const checkAttrs =
    i % 3 === 0
      ? `{"name":"${id}-active","timeout":"30s"}`
      : i % 3 === 1
        ? `{ name=${id}-active timeout=30s retries=3 delay=2s }`
        : `name=${id}-active expect=^active$ severity=warning`;
  const runAttrs = i % 4 === 0 ? `name=${id}-upgrade timeout=5m confirm` : `name=${id}-upgrade timeout=5m`;
  const sqlConnection = i % 5 === 0 ? 'connection=glance' : 'connection=nova';
  const override = i % 6 === 0 ? ' override=allowed' : '';
  return `
${heading}

Before touching \`${service}\` on \`\${CONTROLLER}\`, make sure the previous
service came back cleanly. This step stops ${service}, installs the \`\${TARGET}\`
packages and starts it again; see the [upgrade notes](https://docs.openstack.org/)
for the details of pass ${n}. *Do not* skip the database check: rows with a
NULL \`host\` break the online data migrations later.

\`\`\`sh check ${checkAttrs}
systemctl is-active ${service}
\`\`\`

\`\`\`sh run ${runAttrs}
systemctl stop ${service}
apt-get install -y --only-upgrade "${service}=\${TARGET}*"
systemctl start ${service}
\`\`\`

\`\`\`sql check name=${id}-null-hosts ${sqlConnection}${override}
SELECT id, host FROM ${table}
 WHERE host IS NULL AND deleted = 0 AND :TARGET <> ''
\`\`\`

\`\`\`sh rollback name=${id}-rollback
apt-get install -y --allow-downgrades "${service}=\${PREVIOUS:-liberty}*"
\`\`\`

- [ ] ${service} shows as up in the service list for pass ${n}
`;
}

/** The runbook's Markdown text for `steps` steps. */
export function runbookText(steps) {
  const parts = [frontMatter(steps)];
  for (let i = 0; i < steps; i++) parts.push(step(i));
  return parts.join('');
}

/** Write a `steps`-step runbook into `dir` (a new temp dir by default); returns its path. */
export function generateRunbook({ steps = 2000, dir = mkdtempSync(join(tmpdir(), 'wm-bench-')) } = {}) {
  const file = join(dir, `generated-${steps}.md`);
  writeFileSync(file, runbookText(steps));
  return file;
}

/**
 * A bare runbook for the engine's own overhead: `steps` steps, each with one
 * ```` ```sh ```` block running `code` and nothing else (no checklists, no
 * confirms), so a headless run goes start to finish without a person.
 */
export function shellStepsText(steps, { id, title, code }) {
  const parts = [
    `---\ntitle: ${title}\nid: ${id}\n---\n\n# ${title}\n\nGenerated for benchmarks: ${steps} step(s), each running \`${code}\`.\n`,
  ];
  for (let n = 1; n <= steps; n++) {
    parts.push(`\n## Step ${n} {#s${n}}\n\nRuns \`${code}\`.\n\n\`\`\`sh\n${code}\n\`\`\`\n`);
  }
  return parts.join('');
}

/** `steps` steps of `true` (the per-block overhead benchmark); returns the file's path. */
export function generateTrueRunbook({ steps = 500, dir = mkdtempSync(join(tmpdir(), 'wm-bench-')) } = {}) {
  const file = join(dir, `true-${steps}.md`);
  writeFileSync(file, shellStepsText(steps, { id: `true-${steps}`, title: `${steps} true blocks`, code: 'true' }));
  return file;
}

/** One step whose one block prints `lines` lines (`seq 1 LINES`); returns the file's path. */
export function generateSeqRunbook({ lines = 1_000_000, dir = mkdtempSync(join(tmpdir(), 'wm-bench-')) } = {}) {
  const file = join(dir, `seq-${lines}.md`);
  writeFileSync(file, shellStepsText(1, { id: `seq-${lines}`, title: `One block printing ${lines} lines`, code: `seq 1 ${lines}` }));
  return file;
}

/**
 * Wide front matter: `vars` variables (every hundredth a secret) and a profile setting each, then
 * one display-only step. Returns the file's path.
 */
export function generateVarsRunbook({ vars = 200_000, dir = mkdtempSync(join(tmpdir(), 'wm-bench-')) } = {}) {
  const lines = ['---', `title: ${vars} variables`, `id: vars-${vars}`, 'vars:'];
  for (let i = 0; i < vars; i++) lines.push(i % 100 === 0 ? `  V${i}: { default: d${i}, secret: true }` : `  V${i}: d${i}`);
  lines.push('profiles:', '  testbed:');
  for (let i = 0; i < vars; i++) lines.push(`    V${i}: p${i}`);
  lines.push('---', '', `# ${vars} variables`, '', '## Show {#show}', '', '```text', 'display only', '```', '');
  const file = join(dir, `vars-${vars}.md`);
  writeFileSync(file, lines.join('\n'));
  return file;
}

/**
 * A runbook of `blocks` steps, each with one fleet block on `pattern` (`hosts=PATTERN` and `attrs`,
 * e.g. `batch=1,25% max-fail=10%`) running `code`, with `inventory` in its front matter.
 */
export function fleetRunbookText({ blocks = 1, pattern = 'fleet', attrs = '', code = 'true', inventory = 'inventory.ini' } = {}) {
  const parts = [
    `---\ntitle: ${blocks} fleet block(s)\nid: fleet-${blocks}\ninventory: ${inventory}\n---\n\n# ${blocks} fleet block(s)\n\nGenerated for benchmarks.\n`,
  ];
  for (let n = 1; n <= blocks; n++) {
    parts.push(
      `\n## Fleet step ${n} {#f${n}}\n\nRuns \`${code}\` on every host of \`${pattern}\`.\n\n\`\`\`sh hosts=${pattern}${attrs ? ` ${attrs}` : ''}\n${code}\n\`\`\`\n`,
    );
  }
  return parts.join('');
}

/** The names of `hosts` generated hosts: h1 … hN. */
export const fleetHostNames = (hosts) => Array.from({ length: hosts }, (_, i) => `h${i + 1}`);

/** An INI inventory: group `group` with `hosts` hosts h1 … hN, each run on this machine (`ansible_connection=local`). */
export function localInventoryText(hosts, group = 'fleet') {
  // Ansible's own Python (as for localhost): no interpreter discovery on each host, and no warning about it.
  return `[${group}]\n${fleetHostNames(hosts)
    .map((host) => `${host} ansible_connection=local ansible_python_interpreter="{{ ansible_playbook_python }}"`)
    .join('\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const steps = Number(process.argv[2] ?? 2000);
  const out = process.argv[3];
  if (out) writeFileSync(out, runbookText(steps));
  console.log(out ?? generateRunbook({ steps }));
}
