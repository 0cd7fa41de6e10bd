/** `waymark lint FILE... [--json]`: one `FILE:LINE: severity: message` line per finding. */
import { parseArgs } from 'node:util';
import { formatDiagnostic, lintFile } from '../runbook/lint.js';
import { ExitCode, UsageError } from '../engine/errors.js';
import { optionError } from './options.js';

export const lintHelp = `usage: waymark lint FILE... [--json] [--allow-outside-includes]

Checks runbooks without running anything. Prints one line per finding,
FILE:LINE: error|warning: message, and exits 2 if there is any error.`;

export async function lintCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseOptions(argv);
  if (positionals.length === 0) throw new UsageError(`lint needs at least one runbook file\n\n${lintHelp}`);
  const findings = (await Promise.all(positionals.map((file) => lintFile(file, { allowOutsideRoot: values['allow-outside-includes'] ?? false })))).flat();
  if (values.json) out.write(`${JSON.stringify(findings, null, 2)}\n`);
  else for (const finding of findings) out.write(`${formatDiagnostic(finding)}\n`);
  return findings.some((f) => f.severity === 'error') ? ExitCode.BadInput : ExitCode.Complete;
}

/** The command's flags; a bad one is a usage error that shows this command's help. */
function parseOptions(argv: string[]) {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' }, 'allow-outside-includes': { type: 'boolean' } } });
  } catch (error) {
    const usage = optionError(error, 'lint');
    throw usage ? new UsageError(`${usage.message}\n\n${lintHelp}`) : error;
  }
}
