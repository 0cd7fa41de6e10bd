/** `waymark lint FILE... [--json]`: one `FILE:LINE: severity: message` line per finding. */
import { parseArgs } from 'node:util';
import { formatDiagnostic, lintFile } from '../runbook/lint.js';
import { UsageError } from './errors.js';

export const lintHelp = `usage: waymark lint FILE... [--json]

Checks runbooks without running anything. Prints one line per finding,
FILE:LINE: error|warning: message, and exits 2 if there is any error.`;

export async function lintCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
  if (positionals.length === 0) throw new UsageError(`lint needs at least one runbook file\n\n${lintHelp}`);
  const findings = (await Promise.all(positionals.map((file) => lintFile(file)))).flat();
  if (values.json) out.write(`${JSON.stringify(findings, null, 2)}\n`);
  else for (const finding of findings) out.write(`${formatDiagnostic(finding)}\n`);
  return findings.some((f) => f.severity === 'error') ? 2 : 0;
}
