/** `waymark preflight RUNBOOK.md`: every check of every step, now, read-only (engine/preflight.ts). */
import { parseArgs } from 'node:util';
import { loadRunbook } from '../runbook/load.js';
import { preflightExit, runPreflight } from '../engine/preflight.js';
import { operatorName } from '../engine/operator.js';
import { renderPreflightJunit, renderPreflightMarkdown } from '../report/preflight.js';
import { writeFileAtomic } from '../state/atomic.js';
import { UsageError } from '../engine/errors.js';
import { stateDirFrom } from './options.js';
import { hostLine, hostNameWidth } from './host-lines.js';
import { displayLine } from '../runbook/inert.js';

export const preflightHelp = `usage: waymark preflight RUNBOOK.md [--profile P] [--format md|json|junit] [-o FILE] [--inventory FILE]
                         [--var NAME=VALUE] [--var-file FILE] [--state-dir DIR] [--operator NAME]

Runs every check block of every step now, in order, and no run, verify or rollback block:
which steps would refuse today, and why. The run's checkpoint is not touched; the preflight
keeps its own record under the state dir (preflights/ID/: audit.jsonl, logs, preflight.json).
Checks marked preflight=skip (they depend on an earlier step's effect) are listed as skipped.
Fleet checks (hosts=) run on their hosts through Ansible, as in a run (--inventory as for run);
the report shows each host's result as a gate does.
The report (-o FILE, else stdout after the progress lines) is Markdown, JSON or JUnit XML.
Exit codes: 0 nothing would refuse, 3 a check refused, 2 bad input, 130 stopped by a signal.`;

export async function preflightCommand(argv: string[], out: NodeJS.WritableStream): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      profile: { type: 'string' },
      var: { type: 'string', multiple: true },
      'var-file': { type: 'string', multiple: true },
      'state-dir': { type: 'string' },
      operator: { type: 'string' },
      format: { type: 'string' },
      output: { type: 'string', short: 'o' },
      inventory: { type: 'string' },
      'allow-outside-includes': { type: 'boolean' },
    },
  });
  if (positionals.length !== 1) throw new UsageError(`preflight takes one runbook file\n\n${preflightHelp}`);
  const format = values.format ?? 'md';
  if (format !== 'md' && format !== 'json' && format !== 'junit')
    throw new UsageError(`--format must be md, json or junit, not "${format}"`);
  const runbook = await loadRunbook(positionals[0] as string, { allowOutsideRoot: values['allow-outside-includes'] ?? false });
  // A signal stops the running check (its processes, or a fleet check's ansible-playbook, get
  // TERM as in a run) and the rest; the report still says what was found before it.
  const stop = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stop.signal.aborted) return;
    out.write(`waymark: ${signal} received: stopping the running check; the checks after it are not run\n`);
    stop.abort();
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const signal of signals) process.on(signal, onSignal);
  let result: Awaited<ReturnType<typeof runPreflight>>;
  try {
    result = await runPreflight(runbook, {
      stateDir: stateDirFrom(values['state-dir']),
      operator: operatorName(values.operator),
      ...(values.profile === undefined ? {} : { profile: values.profile }),
      varFlags: values.var ?? [],
      varFiles: values['var-file'] ?? [],
      ...(values.inventory === undefined ? {} : { inventory: values.inventory }),
      onCheck: values.output
        ? (row, phase) => {
            if (phase !== 'finished') return;
            out.write(
              `${row.status.padEnd(7)} ${displayLine(row.step)} / ${displayLine(row.block)}${row.status === 'passed' ? '' : `: ${displayLine(row.reason)}`}\n`,
            );
            // A fleet check's hosts that did not pass, one line each, as a run prints them.
            const hosts = row.hosts ?? [];
            const width = hostNameWidth(hosts);
            for (const host of hosts.filter((h) => h.status !== 'ok' && h.status !== 'skipped')) out.write(`${hostLine(host, width)}\n`);
          }
        : undefined,
      signal: stop.signal,
    });
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
  }
  const text =
    format === 'json'
      ? `${JSON.stringify(result, null, 2)}\n`
      : format === 'junit'
        ? renderPreflightJunit(result)
        : renderPreflightMarkdown(result);
  if (values.output) {
    await writeFileAtomic(values.output, text);
    const skipped = result.checks.filter((c) => c.status === 'skipped').length;
    out.write(
      `preflight ${result.id}${result.interrupted ? ' (stopped by a signal: the check it stopped and those after it were not run)' : ''}: ${result.refusing.length > 0 ? `${result.refusing.length} step(s) would refuse: ${result.refusing.join(', ')}` : 'nothing would refuse'}${skipped ? `; ${skipped} check(s) skipped (preflight=skip)` : ''}; report written to ${values.output}\n`,
    );
  } else out.write(text);
  return preflightExit(result);
}
