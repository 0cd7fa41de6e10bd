/**
 * Variable values for a run: default < profile < environment < --var-file < --var (docs/runbook-format.md#variables); a
 * secret with none of these may be typed at the TUI's prompt. A run's settings are fixed at its
 * start: a resumed run keeps its profile and non-secret values.
 */
import type { Runbook, VarDecl } from '../runbook/model.js';
import type { VarFileEntry } from './var-file.js';
import { inert } from '../runbook/inert.js';
import { MASK } from './exec/mask.js';

/** Where a variable's value came from, for the operator and the audit trail. */
export type VarSource = 'default' | 'profile' | 'env' | 'file' | 'flag' | 'prompt' | 'run';

/** The variables of a run, resolved and checked. */
export interface ResolvedVars {
  values: Record<string, string>;
  sources: Record<string, VarSource>;
  /** Names of secret variables (their values must never reach disk or screen). */
  secretNames: string[];
  /** The secret values themselves, for masking. */
  secretValues: string[];
  /** What the operator should know: a secret given on the command line, where others can read it. */
  warnings: string[];
}

/** Options that decide variable values. */
export interface VarInputs {
  profile?: string;
  /** `--var NAME=VALUE` pairs, in the order given. */
  flags: string[];
  /** The lines of the `--var-file`s, in the order given (a later one wins). */
  files?: VarFileEntry[];
  /** Secrets typed at the TUI's prompt, for those that had no value from anywhere else. */
  prompted?: Record<string, string>;
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
export function settingsConflicts(
  runbook: Runbook,
  recorded: RecordedSettings,
  inputs: Pick<VarInputs, 'profile' | 'flags' | 'files'>,
): string[] {
  const conflicts: string[] = [];
  if (inputs.profile !== undefined && inputs.profile !== recorded.profile) {
    conflicts.push(
      `--profile ${inputs.profile}: the run was started ${recorded.profile === null ? 'without a profile' : `with --profile ${recorded.profile}`}`,
    );
  }
  const given: [string, string, string][] = [];
  for (const flag of inputs.flags) {
    const eq = flag.indexOf('=');
    if (eq > 0) given.push([`--var ${flag}`, flag.slice(0, eq), flag.slice(eq + 1)]);
  }
  for (const entry of inputs.files ?? []) given.push([`${entry.where}: ${entry.name}=${entry.value}`, entry.name, entry.value]);
  for (const [where, name, value] of given) {
    const was = recorded.vars[name];
    const secret = runbook.vars.find((v) => v.name === name)?.secret ?? true;
    if (!secret && was !== undefined && was !== value) conflicts.push(`${where}: the run was started with ${name}=${was}`);
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
  const fileValues: Record<string, string> = {};
  for (const entry of inputs.files ?? []) {
    if (!declared.has(entry.name))
      errors.push(
        `${entry.where}: ${runbook.file} declares no variable ${entry.name} (declared: ${[...declared.keys()].join(', ') || 'none'})`,
      );
    else fileValues[entry.name] = entry.value;
  }

  const warnings: string[] = [];
  for (const decl of runbook.vars) {
    const envName = decl.env ?? decl.name;
    const chosen = candidates(decl, {
      flag: flagValues,
      file: fileValues,
      run: inputs.fixed ?? {},
      env: inputs.env,
      profile,
      prompt: inputs.prompted ?? {},
    }).find(([, value]) => value !== undefined);
    if (!chosen) {
      if (decl.required) {
        const ways = decl.secret
          ? `set ${envName} in the environment, put ${decl.name}=... in a --var-file, or start the TUI to be asked for it`
          : `set ${envName} in the environment or pass --var ${decl.name}=...`;
        errors.push(`required variable ${decl.name} has no value: ${ways}`);
      }
      continue;
    }
    if (decl.secret && chosen[0] === 'flag') warnings.push(commandLineWarning(decl));
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
  return { values, sources, secretNames, secretValues, warnings };
}

/** Each source's value for `decl`, strongest first; the prompt only counts where nothing else gave one. */
function candidates(
  decl: VarDecl,
  from: Record<'flag' | 'file' | 'run' | 'profile' | 'prompt', Record<string, string>> & { env: NodeJS.ProcessEnv },
): [VarSource, string | undefined][] {
  return [
    ['flag', from.flag[decl.name]],
    ['file', from.file[decl.name]],
    ['run', from.run[decl.name]],
    ['env', from.env[decl.env ?? decl.name]],
    ['profile', from.profile[decl.name]],
    ['default', decl.default],
    ['prompt', decl.secret ? from.prompt[decl.name] : undefined],
  ];
}

/** The secret variables of `runbook` that no source gives a value: the TUI asks the operator for them. */
export function unsetSecrets(runbook: Runbook, inputs: VarInputs): VarDecl[] {
  const flag = Object.fromEntries(
    inputs.flags.filter((f) => f.indexOf('=') > 0).map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)]),
  );
  const file = Object.fromEntries((inputs.files ?? []).map((entry) => [entry.name, entry.value]));
  const profile = (inputs.profile !== undefined ? runbook.profiles[inputs.profile] : undefined) ?? {};
  const from = { flag, file, run: inputs.fixed ?? {}, env: inputs.env, profile, prompt: {} };
  return runbook.vars.filter((decl) => decl.secret && candidates(decl, from).every(([, value]) => value === undefined));
}

/** The warning for a secret given with `--var`: any user of the machine can read a process's arguments. */
function commandLineWarning(decl: VarDecl): string {
  return (
    `secret ${decl.name} was given on the command line (--var), where any user of this machine can read it ` +
    `(ps, /proc/PID/cmdline) while waymark runs; give it in the environment (${decl.env ?? decl.name}), ` +
    `in a --var-file readable only by you (chmod 600), or type it at the TUI's prompt`
  );
}

/**
 * The variables of a run that is over, as its checkpoint recorded them (secrets masked): enough
 * to show it, nothing to run with. Nothing is asked for, and no source is read again.
 */
export function recordedVars(runbook: Runbook, recorded: RecordedSettings): ResolvedVars {
  const values = { ...recorded.vars };
  const sources: Record<string, VarSource> = Object.fromEntries(Object.keys(values).map((name) => [name, 'run' as const]));
  const secretNames = runbook.vars.filter((decl) => decl.secret).map((decl) => decl.name);
  return { values, sources, secretNames, secretValues: [], warnings: [] };
}

/**
 * `${NAME}` in a runbook's prose (a step's text, a block's remedy, a checklist item) shows the
 * variable's value from `shown` (secrets already masked); unknown names stay as written. The value
 * goes in inert and on one line (a newline is `␊`): a captured value is a command's output, and
 * its newline would otherwise start a line of the prose's own (a `[x] …` item, a heading).
 */
export function withValues(text: string, shown: Record<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (ref, name: string) => {
    const value = shown[name];
    return value === undefined ? ref : inert(value);
  });
}

/** Variable values safe to show or store: secrets replaced by a mask. */
export function publicValues(vars: ResolvedVars): Record<string, string> {
  const shown: Record<string, string> = {};
  const secret = new Set(vars.secretNames);
  for (const [name, value] of Object.entries(vars.values)) shown[name] = secret.has(name) ? '••••' : value;
  return shown;
}

/** A digest of each secret's value, made with `mac` (keyed: the value cannot be guessed from it offline). */
export function secretDigests(vars: ResolvedVars, mac: (text: string) => string): Record<string, string> {
  const digests: Record<string, string> = {};
  for (const name of vars.secretNames) {
    const value = vars.values[name];
    if (value !== undefined) digests[name] = mac(`secret ${name}=${value}`);
  }
  return digests;
}

/** The secrets whose value differs from the one a run started with, by name. */
export function changedSecrets(vars: ResolvedVars, recorded: Record<string, string> | undefined, mac: (text: string) => string): string[] {
  const now = secretDigests(vars, mac);
  return Object.entries(recorded ?? {})
    .filter(([name, digest]) => now[name] !== undefined && now[name] !== digest)
    .map(([name]) => name);
}

const QUOTED: Record<string, string> = { '\\': '\\\\', '"': '\\"', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * One variable as a face shows it beside a command: `NAME="value"`, the value in double quotes
 * with `\`, `"`, newlines (`\n`), carriage returns (`\r`) and tabs (`\t`) escaped, so that all
 * its spaces and line breaks are there to read and no value looks like two variables (`x B=prod`
 * is `MSG="x B=prod"`). Other control characters are left for the face to show inert (␛). A
 * masked secret shows as the mask, unquoted.
 */
export function shownVariable(name: string, value: string): string {
  return `${name}=${value === MASK ? MASK : `"${value.replace(/[\\"\n\r\t]/g, (c) => QUOTED[c] ?? c)}"`}`;
}

/** The values (as shown: secrets masked) of the variables a command mentions by name. */
export function usedValues(command: string, shown: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(shown).filter(([name]) => command.includes(name)));
}
