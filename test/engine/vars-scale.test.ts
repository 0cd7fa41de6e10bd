/**
 * Wide front matter: tens of thousands of variables are read, linted and resolved in time linear in
 * their number. Reproduced: 200,000 variables took over 120 s, because the YAML duplicate-key check
 * compared every key with every earlier one (and profiles and secrets were looked up by scanning).
 * The time budget itself lives in bench/ (`vars-200k`); this test only tells linear from quadratic,
 * by the CPU time (not wall time: the machine may be busy) of 40,000 variables against 10,000:
 * about ×4 when linear, ×16 when quadratic (and minutes in all before the fix).
 */
import { describe, expect, it } from 'vitest';
import { interpolate } from '../../src/runbook/connection.js';
import { lintRunbook } from '../../src/runbook/lint.js';
import { parseRunbook } from '../../src/runbook/parse.js';
import type { Runbook } from '../../src/runbook/model.js';
import { publicValues, resolveVars, type ResolvedVars } from '../../src/engine/vars.js';

const COUNT = 40_000;

/** CPU milliseconds `work` takes in this process. */
function cpuMs(work: () => void): number {
  const before = process.cpuUsage();
  work();
  const used = process.cpuUsage(before);
  return (used.user + used.system) / 1000;
}

/** Read, lint and resolve a wide runbook, as a run does before its first step. */
function readAndResolve(count: number): { runbook: Runbook; resolved: ResolvedVars } {
  const runbook = parseRunbook(wideRunbook(count), 'runbooks/wide.md');
  const errors = lintRunbook(runbook).filter((d) => d.severity === 'error');
  if (errors.length > 0) throw new Error(errors.map((d) => d.message).join('\n'));
  const resolved = resolveVars(runbook, { profile: 'testbed', flags: [`V3=flag`], env: {} });
  if ('errors' in resolved) throw new Error(resolved.errors.join('\n'));
  publicValues(resolved);
  return { runbook, resolved };
}

/** A runbook declaring `count` variables (every other one secret) and a profile setting each. */
function wideRunbook(count: number): string {
  const lines = ['---', 'vars:'];
  for (let i = 0; i < count; i++) lines.push(i % 2 === 0 ? `  V${i}: { default: d${i}, secret: true }` : `  V${i}: d${i}`);
  lines.push('profiles:', '  testbed:');
  for (let i = 0; i < count; i++) lines.push(`    V${i}: p${i}`);
  lines.push(
    'connections:',
    '  db: mysql://root@localhost/nova?socket=${V1}',
    '---',
    '# Wide',
    '',
    '## Step {#step}',
    '',
    '```sh',
    'echo "$V1"',
    '```',
    '',
  );
  return lines.join('\n');
}

describe('variables at scale', () => {
  it(`reads, lints and resolves ${COUNT.toLocaleString('en')} variables with a profile in linear time (was quadratic)`, () => {
    let result: ReturnType<typeof readAndResolve> | undefined;
    const small = cpuMs(() => readAndResolve(COUNT / 4));
    const large = cpuMs(() => (result = readAndResolve(COUNT)));
    expect(large / small, `${COUNT / 4} variables: ${small.toFixed(0)} ms CPU; ${COUNT}: ${large.toFixed(0)} ms`).toBeLessThan(8);

    const { runbook, resolved } = result as ReturnType<typeof readAndResolve>;
    expect(runbook.vars).toHaveLength(COUNT);
    expect(Object.keys(resolved.values)).toHaveLength(COUNT);
    expect([resolved.values.V0, resolved.sources.V0, resolved.values.V3, resolved.sources.V3]).toEqual(['p0', 'profile', 'flag', 'flag']);
    expect(resolved.secretValues).toHaveLength(COUNT / 2);
    const shown = publicValues(resolved);
    expect([shown.V0, shown.V1, shown[`V${COUNT - 1}`]]).toEqual(['••••', 'p1', `p${COUNT - 1}`]);
    expect(interpolate(runbook.connections[0]?.url ?? '', resolved.values)).toBe('mysql://root@localhost/nova?socket=p1');
  }, 60_000);

  it('still reports a duplicate variable, on the line of the second one', () => {
    const runbook = parseRunbook(
      ['---', 'vars:', '  A: 1', '  B: 2', '  A: 3', '---', '## Step', 'text', ''].join('\n'),
      'runbooks/dup.md',
    );
    expect(runbook.diagnostics).toEqual([
      { file: 'runbooks/dup.md', line: 5, severity: 'error', rule: 'yaml', message: 'invalid YAML front matter: Map keys must be unique' },
    ]);
  });
});
