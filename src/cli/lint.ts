/** `waymark lint FILE... [--json]`: one `FILE:LINE: severity: message` line per finding. */
import { parseArgs } from 'node:util';
import { formatDiagnostic, lintOnDisk } from '../runbook/lint.js';
import { composeRunbook } from '../runbook/compose.js';
import { RunbookReads } from '../runbook/reads.js';
import type { Diagnostic } from '../runbook/model.js';
import { fleetFindings } from '../engine/fleet-lint.js';
import { ExitCode, UsageError } from '../engine/errors.js';
import { optionError } from './options.js';

export const lintHelp = `usage: waymark lint FILE... [--json] [--allow-outside-includes]

Checks runbooks without running anything. Prints one line per finding,
FILE:LINE: error|warning|note: message, and exits 2 if there is any error.
For fleet blocks (hosts=), the notes say which hosts of the inventory each
block would touch, when the inventory can be read. What ansible-inventory says
about a static inventory file (not a directory, script or plugin configuration)
is remembered in $XDG_CACHE_HOME/waymark/inventory (~/.cache/waymark/inventory)
until the file, ansible-inventory, ansible.cfg or an ANSIBLE_* variable changes;
remove that folder to make lint ask Ansible again (docs/fleet.md).`;

export async function lintCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseOptions(argv);
  if (positionals.length === 0) throw new UsageError(`lint needs at least one runbook file\n\n${lintHelp}`);
  // One invocation reads each file once, however many of its runbooks are siblings of each other.
  const reads = new RunbookReads();
  const findings = (
    await Promise.all(positionals.map((file) => lintWithFleet(file, values['allow-outside-includes'] ?? false, reads)))
  ).flat();
  if (values.json) out.write(`${JSON.stringify(findings, null, 2)}\n`);
  else for (const finding of findings) out.write(`${formatDiagnostic(finding)}\n`);
  return findings.some((f) => f.severity === 'error') ? ExitCode.BadInput : ExitCode.Complete;
}

/** A runbook's findings, with what its inventory says about its fleet blocks (docs/fleet.md). */
async function lintWithFleet(file: string, allowOutsideRoot: boolean, reads: RunbookReads): Promise<Diagnostic[]> {
  const runbook = composeRunbook(file, { allowOutsideRoot, reads });
  const found = lintOnDisk(runbook, reads);
  // An unreadable or broken runbook says so first; its fleet is not worth asking Ansible about.
  if (found.some((d) => d.severity === 'error')) return found;
  return [...found, ...(await fleetFindings(runbook))].sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
}

/** The command's flags; a bad one is a usage error that shows this command's help. */
function parseOptions(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      options: { json: { type: 'boolean' }, 'allow-outside-includes': { type: 'boolean' } },
    });
  } catch (error) {
    const usage = optionError(error, 'lint');
    throw usage ? new UsageError(`${usage.message}\n\n${lintHelp}`) : error;
  }
}
