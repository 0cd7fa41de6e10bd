/** `waymark plan RUNBOOK.md`: the composed order of steps, with where each comes from; runs nothing. */
import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import { loadRunbook } from '../runbook/load.js';
import { ExitCode, UsageError } from '../engine/errors.js';
import { inertFields } from '../runbook/inert.js';

export const planHelp = `usage: waymark plan RUNBOOK.md [--json] [--allow-outside-includes]

Prints the steps in the order a run takes them — includes composed phase by phase,
services in dependency order, foreach steps expanded — with each step's source
(file:line), phase, service, tags and needs. Nothing is run.`;

export async function planCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean' }, 'allow-outside-includes': { type: 'boolean' } },
  });
  if (positionals.length !== 1) throw new UsageError(`plan takes one runbook file\n\n${planHelp}`);
  const runbook = await loadRunbook(positionals[0] as string, { allowOutsideRoot: values['allow-outside-includes'] ?? false });
  const rows = runbook.steps.map((step, i) => ({
    n: i + 1,
    id: step.id,
    title: step.title,
    source: `${relative(process.cwd(), step.file) || step.file}:${step.line}`,
    phase: step.phase,
    service: step.service ?? null,
    tags: step.tags,
    needs: step.needs,
    blocks: step.blocks.filter((b) => b.executor !== null).map((b) => `${b.role} ${b.id}`),
  }));
  if (values.json) {
    out.write(`${JSON.stringify({ runbook: runbook.id, title: runbook.title, steps: rows }, null, 2)}\n`);
    return ExitCode.Complete;
  }
  // Every title, id, file name and tag is a one-line field: a newline in one (a setext heading's
  // second line, a file name) must not start a line of the plan.
  out.write(inertFields`${runbook.title} (${runbook.id}): ${rows.length} steps\n`);
  const width = String(rows.length).length;
  let phase: number | undefined;
  for (const row of rows) {
    if (row.phase !== phase) {
      phase = row.phase;
      out.write(inertFields`phase ${phase}\n`);
    }
    const extras = [
      row.service ? `service ${row.service}` : '',
      row.tags.length ? `tags ${row.tags.join(',')}` : '',
      row.needs.length ? `needs ${row.needs.join(',')}` : '',
    ]
      .filter(Boolean)
      .join(' · ');
    out.write(inertFields`  ${String(row.n).padStart(width)}. ${row.title}  [${row.id}]\n`);
    out.write(
      inertFields`  ${' '.repeat(width)}  ${row.source}${extras ? ` · ${extras}` : ''}${row.blocks.length ? ` · ${row.blocks.length} block(s)` : ''}\n`,
    );
  }
  return ExitCode.Complete;
}
