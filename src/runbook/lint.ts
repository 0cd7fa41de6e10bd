/** Checks that need the whole runbook: connections, variables, references between parts. */
import type { Block, Diagnostic, Runbook } from './model.js';
import { patternShape } from './pattern.js';
import { composeRunbook, type ComposeOptions } from './compose.js';
import { interpolate, parseConnectionUrl, referencedVars } from './connection.js';
import { sharedIdDiagnostics } from './identity.js';
import type { RunbookReads } from './reads.js';
import { sqlParameters } from './sql-parameters.js';
import { captureSites, checkCaptures } from './capture-lint.js';
import { inertFields } from './inert.js';

export { sqlParameters };

type Report = (line: number, message: string, rule: string, severity?: Diagnostic['severity'], file?: string) => void;

/** A nested quantifier in `expect=` can make matching take exponential time: warn before the run does. */
function checkPattern(block: Block, file: string, report: Report): void {
  const pattern = block.attrs.expect;
  if (pattern === undefined) return;
  const nested = patternShape(pattern).nestedQuantifier;
  if (nested === undefined) return;
  report(
    block.line,
    `expect= nests quantifiers in ${nested}: on some output, matching takes exponential time and the check ends as an error when its time runs out; rewrite it without the nesting (for example (a+)+ as a+)`,
    'slow-pattern',
    'warning',
    file,
  );
}

/** Fleet blocks need an inventory to run against; its path may only use declared variables. */
function checkInventory(runbook: Runbook, declared: Set<string>, report: Report): void {
  const inventory = runbook.inventory;
  if (inventory?.path !== undefined) {
    for (const name of referencedVars(inventory.path)) {
      if (!declared.has(name))
        report(inventory.line, `inventory uses \${${name}}, which is not declared under vars`, 'unknown-variable', 'error', inventory.file);
    }
  }
  if (inventory) return;
  for (const step of runbook.steps) {
    for (const block of step.blocks) {
      if (!block.attrs.fleet || block.executor === null) continue;
      report(
        block.line,
        `fleet block ${block.id} (hosts=${block.attrs.fleet.hosts}) has no inventory to run against: name one with inventory: in the front matter or a profile, or give --inventory FILE when running`,
        'no-inventory',
        'warning',
        step.file,
      );
      return;
    }
  }
}

/**
 * Variables reach a block as environment variables, and some environment variables make the
 * block's interpreter run other code than the block's, code no confirmation shows: reproduced, a
 * runbook declaring `BASH_ENV: { default: ./evil.sh }` ran evil.sh before a confirm block whose
 * screen showed only `echo hi`. What each does, for the message.
 */
const INTERPRETER_VARIABLES: Record<string, string> = {
  BASH_ENV: 'bash runs the file it names before the code of every block',
  ENV: 'sh runs the file it names before the code of every block',
  SHELLOPTS: 'it sets shell options for every block',
  BASHOPTS: 'it sets shell options for every block',
  PS4: 'with xtrace, bash expands it, command substitutions and all, before every command',
  PATH: 'it decides which program each command name runs',
  PYTHONPATH: 'python imports modules from it before the block’s own',
  PYTHONHOME: 'python loads its standard library from it',
  PYTHONSTARTUP: 'python may run the file it names',
  PYTHONINSPECT: 'it changes how python runs',
  NODE_OPTIONS: 'node loads the code it names into every node program the block starts',
  PERL5OPT: 'perl takes options from it, -M modules included, in every perl program the block starts',
  PERL5LIB: 'perl loads modules from it',
  RUBYOPT: 'ruby takes options from it, -r libraries included',
  RUBYLIB: 'ruby loads libraries from it',
};

/** Why a variable's name would make it change what a block runs, or null. */
function interpreterVariable(name: string): string | null {
  if (Object.hasOwn(INTERPRETER_VARIABLES, name)) return INTERPRETER_VARIABLES[name] as string;
  if (/^(?:LD|DYLD)_/.test(name))
    return 'the dynamic loader acts on it in every program the block starts (LD_PRELOAD loads a library into each)';
  return null;
}

/** Every problem in a parsed runbook, parse problems included, sorted by line. */
export function lintRunbook(runbook: Runbook): Diagnostic[] {
  const found: Diagnostic[] = [...runbook.diagnostics];
  const report = (line: number, message: string, rule: string, severity: Diagnostic['severity'] = 'error', file = runbook.file) =>
    found.push({ file, line, severity, rule, message });
  const declared = new Set(runbook.vars.map((v) => v.name));

  // Resolve connections with the values lint can know (defaults); unknowable values become a
  // placeholder so the URL's shape can still be checked.
  const sampleValues: Record<string, string> = {};
  for (const v of runbook.vars) sampleValues[v.name] = v.default ?? 'placeholder';
  const connectionNames = new Set<string>();
  for (const connection of runbook.connections) {
    connectionNames.add(connection.name);
    let refsOk = true;
    for (const name of [...referencedVars(connection.url), ...referencedVars(connection.password ?? '')]) {
      if (!declared.has(name)) {
        report(connection.line, `connection ${connection.name} uses \${${name}}, which is not declared under vars`, 'unknown-variable');
        refsOk = false;
      }
    }
    if (!refsOk) continue;
    const target = parseConnectionUrl(interpolate(connection.url, sampleValues));
    // A placeholder can itself be what breaks the URL (`${DB_URL}`, `:${PORT}`): only a URL built
    // from known values is certainly wrong.
    const guessed = referencedVars(connection.url).some((name) => runbook.vars.find((v) => v.name === name)?.default === undefined);
    if ('error' in target && !guessed) report(connection.line, `connection ${connection.name}: ${target.error}`, 'bad-connection');
  }

  // How many steps carry each tag: one pass for all needs= rather than a scan of every step per need.
  let stepsTagged: Map<string, number> | undefined;
  const countTagged = (tag: string): number => {
    if (!stepsTagged) {
      stepsTagged = new Map();
      for (const step of runbook.steps) for (const t of new Set(step.tags)) stepsTagged.set(t, (stepsTagged.get(t) ?? 0) + 1);
    }
    return stepsTagged.get(tag) ?? 0;
  };

  const stepIndex = new Map(runbook.steps.map((step, i) => [step.id, i]));
  runbook.steps.forEach((step, i) => {
    for (const id of step.fixes) {
      const target = stepIndex.get(id);
      const problem =
        target === undefined
          ? `no step has the id ${id}`
          : target >= i
            ? `step ${id} does not come before this step; a fix names an earlier step whose check it remedies`
            : runbook.steps[target]?.blocks.some((b) => b.role === 'check' && b.executor !== null)
              ? null
              : `step ${id} has no check for this step to fix`;
      if (problem)
        found.push({ file: step.file, line: step.line, severity: 'error', rule: 'bad-fixes', message: `fixes=${id}: ${problem}` });
    }
  });

  checkInventory(runbook, declared, report);
  for (const v of runbook.vars) {
    const why = interpreterVariable(v.name);
    if (why)
      report(
        v.line,
        `variable ${v.name} is given to every block as an environment variable, and ${why}: what runs would not be what the screen shows; give it another name`,
        'interpreter-variable',
      );
  }
  // A foreach step is one step per value: one finding for the heading that binds the name.
  const bound = new Set<string>();
  for (const step of runbook.steps) {
    for (const name of Object.keys(step.vars)) {
      const why = interpreterVariable(name);
      const where = `${step.file}:${step.line}:${name}`;
      if (why && !bound.has(where)) {
        bound.add(where);
        report(
          step.line,
          `step ${step.id} gives its blocks ${name} as an environment variable, and ${why}: what runs would not be what the screen shows; give it another name`,
          'interpreter-variable',
          'error',
          step.file,
        );
      }
    }
  }
  for (const [name, site] of captureSites(runbook)) {
    const why = interpreterVariable(name);
    if (why)
      report(
        site.block.line,
        `capture=${name} is given to the blocks after it as an environment variable, and ${why}: what runs would not be what the screen shows; capture under another name`,
        'interpreter-variable',
        'error',
        site.file,
      );
  }
  const captured = checkCaptures(runbook, declared, report);
  for (const step of runbook.steps) {
    for (const block of step.blocks) {
      if (block.executor === 'shell' || block.executor === 'python') {
        checkPattern(block, step.file, report);
        // A check with nothing to run exits 0: it would pass the gate without looking at anything.
        if (block.role === 'check' && !hasCommand(block.code)) {
          report(
            block.line,
            `check ${block.id} has no command (only blank lines and comments): it would pass without checking anything; write the check, or remove the block`,
            'empty-check',
            'error',
            step.file,
          );
        }
      }
      if (block.executor !== 'sql') continue;
      if (block.attrs.connection !== undefined) {
        if (!connectionNames.has(block.attrs.connection)) {
          const known = [...connectionNames].join(', ') || 'none declared';
          report(
            block.line,
            `sql block uses connection "${block.attrs.connection}", which is not declared (connections: ${known})`,
            'unknown-connection',
            'error',
            step.file,
          );
        }
      } else if (runbook.connections.length !== 1) {
        report(
          block.line,
          runbook.connections.length === 0
            ? 'sql block has no connection: declare one under connections in the front matter'
            : `sql block needs connection=NAME: the runbook declares ${runbook.connections.length} connections (${[...connectionNames].join(', ')})`,
          'unknown-connection',
          'error',
          step.file,
        );
      }
      for (const name of new Set(sqlParameters(block.code))) {
        if (!declared.has(name) && !(name in step.vars) && !captured.has(name))
          report(block.line, `sql parameter :${name} is not a declared variable`, 'unknown-variable', 'error', step.file);
      }
    }
    for (const tag of step.needs) {
      const others = countTagged(tag) - (step.tags.includes(tag) ? 1 : 0);
      if (others === 0) {
        found.push({
          file: step.file,
          line: step.line,
          severity: 'error',
          rule: 'unknown-tag',
          message: `needs=${tag}, but no other step has tags=${tag}`,
        });
      }
    }
    if (step.blocks.length === 0 && step.checklist.length === 0 && step.markdown.trim() === '') {
      report(step.line, `step "${step.title}" is empty`, 'empty-step', 'warning', step.file);
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

/** True when shell or python code has a line that is neither blank nor a `#` comment. */
function hasCommand(code: string): boolean {
  return code.split('\n').some((line) => {
    const text = line.trim();
    return text !== '' && !text.startsWith('#');
  });
}

/** lintRunbook, plus what only the runbook's folder can show: another runbook there with the same `id:`. */
export function lintOnDisk(runbook: Runbook, reads?: RunbookReads): Diagnostic[] {
  return [...lintRunbook(runbook), ...sharedIdDiagnostics(runbook, reads)].sort((a, b) => a.line - b.line);
}

/** Read, compose (includes) and lint one runbook. An unreadable file is itself a finding. */
export async function lintFile(file: string, options: ComposeOptions = {}): Promise<Diagnostic[]> {
  return lintOnDisk(composeRunbook(file, options));
}

/**
 * `FILE:LINE: error: message` — the one-line form editors and CI understand. The file and message
 * come from outside (a file name, a front matter key quoted back): a newline in them is shown as `␊`,
 * so a runbook cannot forge a finding's line of its own.
 */
export function formatDiagnostic(d: Diagnostic): string {
  return inertFields`${d.file}:${d.line}: ${d.severity}: ${d.message}`;
}
