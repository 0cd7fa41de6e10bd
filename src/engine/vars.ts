/**
 * Variable values for a run: default < profile < environment < --var (SPEC §1.1). A run's
 * settings are fixed at its start: a resumed run keeps its profile and non-secret values.
 */
import type { Runbook } from '../runbook/model.js';

/** Where a variable's value came from, for the operator and the audit trail. */
export type VarSource = 'default' | 'profile' | 'env' | 'flag' | 'run';

/** The variables of a run, resolved and checked. */
export interface ResolvedVars {
  values: Record<string, string>;
  sources: Record<string, VarSource>;
  /** Names of secret variables (their values must never reach disk or screen). */
  secretNames: string[];
  /** The secret values themselves, for masking. */
  secretValues: string[];
}

/** Options that decide variable values. */
export interface VarInputs {
  profile?: string;
  /** `--var NAME=VALUE` pairs, in the order given. */
  flags: string[];
  env: NodeJS.ProcessEnv;
  /** Non-secret values a resumed run recorded at its start: they win over the environment and the profile. */
  fixed?: Record<string, string>;
}

/** The settings a run recorded at its start (its checkpoint's `profile` and public `vars`). */
export interface RecordedSettings {
  profile: string | null;
  vars: Record<string, string>;
}

/**
 * Where `--profile` and `--var` contradict the settings a run started with, one line each. A
 * secret is not recorded, so a secret given again never contradicts anything.
 */
export function settingsConflicts(runbook: Runbook, recorded: RecordedSettings, inputs: Pick<VarInputs, 'profile' | 'flags'>): string[] {
  const conflicts: string[] = [];
  if (inputs.profile !== undefined && inputs.profile !== recorded.profile) {
    conflicts.push(`--profile ${inputs.profile}: the run was started ${recorded.profile === null ? 'without a profile' : `with --profile ${recorded.profile}`}`);
  }
  for (const flag of inputs.flags) {
    const eq = flag.indexOf('=');
    const name = flag.slice(0, Math.max(eq, 0));
    const was = recorded.vars[name];
    const secret = runbook.vars.find((v) => v.name === name)?.secret ?? true;
    if (eq > 0 && !secret && was !== undefined && was !== flag.slice(eq + 1)) {
      conflicts.push(`--var ${name}=${flag.slice(eq + 1)}: the run was started with ${name}=${was}`);
    }
  }
  return conflicts;
}

/** The recorded values a resumed run keeps: its non-secret variables still declared. */
export function fixedValues(runbook: Runbook, recorded: RecordedSettings): Record<string, string> {
  const fixed: Record<string, string> = {};
  for (const decl of runbook.vars) {
    const value = recorded.vars[decl.name];
    if (!decl.secret && value !== undefined) fixed[decl.name] = value;
  }
  return fixed;
}

/** Resolve variables or return every problem, each naming the thing to fix. */
export function resolveVars(runbook: Runbook, inputs: VarInputs): ResolvedVars | { errors: string[] } {
  const errors: string[] = [];
  const values: Record<string, string> = {};
  const sources: Record<string, VarSource> = {};
  const declared = new Map(runbook.vars.map((v) => [v.name, v]));

  let profile: Record<string, string> = {};
  if (inputs.profile !== undefined) {
    const found = runbook.profiles[inputs.profile];
    if (!found) {
      const known = Object.keys(runbook.profiles);
      errors.push(`no profile "${inputs.profile}" in ${runbook.file} (profiles: ${known.length ? known.join(', ') : 'none declared'})`);
    } else profile = found;
  }

  const flagValues: Record<string, string> = {};
  for (const flag of inputs.flags) {
    const eq = flag.indexOf('=');
    const name = eq > 0 ? flag.slice(0, eq) : '';
    if (!name) {
      errors.push(`--var "${flag}" must be NAME=VALUE`);
      continue;
    }
    if (!declared.has(name)) {
      errors.push(`--var ${name}: ${runbook.file} declares no variable ${name} (declared: ${[...declared.keys()].join(', ') || 'none'})`);
      continue;
    }
    flagValues[name] = flag.slice(eq + 1);
  }

  for (const decl of runbook.vars) {
    const envName = decl.env ?? decl.name;
    const candidates: [VarSource, string | undefined][] = [
      ['flag', flagValues[decl.name]],
      ['run', inputs.fixed?.[decl.name]],
      ['env', inputs.env[envName]],
      ['profile', profile[decl.name]],
      ['default', decl.default],
    ];
    const chosen = candidates.find(([, value]) => value !== undefined);
    if (!chosen) {
      if (decl.required) {
        errors.push(`required variable ${decl.name} has no value: set ${envName} in the environment or pass --var ${decl.name}=...`);
      }
      continue;
    }
    const [source, value] = chosen as [VarSource, string];
    if (decl.choices && !decl.choices.includes(value)) {
      const shown = decl.secret ? 'the given value' : `"${value}"`;
      errors.push(`${decl.name} is ${shown} (from ${source}), not one of: ${decl.choices.join(', ')}`);
      continue;
    }
    if (decl.required && value === '') {
      errors.push(`required variable ${decl.name} is empty`);
      continue;
    }
    values[decl.name] = value;
    sources[decl.name] = source;
  }
  if (errors.length > 0) return { errors };
  const secretNames = runbook.vars.filter((v) => v.secret).map((v) => v.name);
  const secretValues = secretNames.map((n) => values[n]).filter((v): v is string => v !== undefined && v !== '');
  return { values, sources, secretNames, secretValues };
}

/** Variable values safe to show or store: secrets replaced by a mask. */
export function publicValues(vars: ResolvedVars): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [name, value] of Object.entries(vars.values)) shown[name] = vars.secretNames.includes(name) ? '••••' : value;
  return shown;
}
