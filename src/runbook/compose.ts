/**
 * Composed runbooks: a runbook includes per-service fragments (front matter `include:`), whose
 * steps are merged phase by phase (`phase=N`), services within a phase in dependency order
 * (`after:`). The result is one ordinary Runbook, so the engine never knows it was composed.
 */
import { realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Diagnostic, Runbook, Step, VarDecl } from './model.js';
import { parseRunbook } from './parse.js';
import { RunbookReads } from './reads.js';

/** How to read a runbook and its includes. */
export interface ComposeOptions {
  /** Allow includes outside the top runbook's folder (`--allow-outside-includes`). */
  allowOutsideRoot?: boolean;
  /** The command's reads, when it reads a file more than once (lint); otherwise each file is read afresh. */
  reads?: RunbookReads;
}

function readRunbookFile(file: string, reads: RunbookReads): Runbook | Diagnostic {
  try {
    return parseRunbook(reads.text(file), file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    return { file, line: 1, severity: 'error', rule: 'unreadable', message: `cannot read runbook: ${reason}` };
  }
}

function isDiagnostic(value: Runbook | Diagnostic): value is Diagnostic {
  return 'severity' in value;
}

/**
 * The path with symlinks resolved; one that cannot be resolved keeps its path, and reading it
 * reports why. The system's realpath: Node's own in JavaScript asks lstat of each folder on the way
 * (≈ 4 ms of a lint of the 26 runbooks of bench/RESULTS.md's lint-corpus).
 */
function realPath(path: string): string {
  try {
    return realpathSync.native(path);
  } catch {
    return path;
  }
}

/** True when `path` is outside the folder `root` (`..notes.md` inside it is not). */
function isOutside(root: string, path: string): boolean {
  const fromRoot = relative(root, path);
  return fromRoot === '..' || fromRoot.startsWith(`..${sep}`) || isAbsolute(fromRoot);
}

/**
 * How deep includes may nest below the top runbook. A runbook includes a fragment per service,
 * which may include a shared one or two: 16 is far beyond any real composition, and a chain of
 * thousands (generated, or a mistake) stops here with a lint error instead of overflowing the stack.
 */
export const MAX_INCLUDE_DEPTH = 16;

/** A file as a diagnostic shows it: relative to the working directory when it can be. */
function shownPath(file: string): string {
  return relative(process.cwd(), file) || file;
}

/** A long include chain as its first three and last three files, with the count left out between. */
function shortChain(names: string[]): string[] {
  if (names.length <= 8) return names;
  return [...names.slice(0, 3), `… ${names.length - 6} more …`, ...names.slice(-3)];
}

/**
 * The fragments `top` includes, each once, depth first; what keeps one out is reported in
 * `diagnostics`. Files are known by their real path: a symlink may neither leave the folder nor
 * hide a cycle. (Only a runbook with includes resolves them: most have none, and resolving links
 * asks the file system about each folder on the way.)
 */
function includedFragments(top: Runbook, file: string, options: ComposeOptions, reads: RunbookReads, diagnostics: Diagnostic[]): Runbook[] {
  const fragments: Runbook[] = [];
  const root = dirname(resolve(file));
  const realRoot = realPath(root);
  const topReal = realPath(resolve(file));
  const seen = new Set<string>([topReal]);
  const visit = (runbook: Runbook, chain: { real: string; file: string }[]) => {
    for (const include of runbook.includes) {
      const target = resolve(dirname(runbook.file), include.path);
      const shown = isAbsolute(include.path) ? include.path : join(dirname(runbook.file), include.path);
      const real = realPath(target);
      const report = (message: string, rule: string) =>
        diagnostics.push({ file: runbook.file, line: include.line, severity: 'error', rule, message });
      if (!options.allowOutsideRoot && (isOutside(root, target) || isOutside(realRoot, real))) {
        report(
          `include ${include.path} leaves the runbook's folder ${root}; move it inside, or pass --allow-outside-includes`,
          'include-outside',
        );
        continue;
      }
      const cycleAt = chain.findIndex((link) => link.real === real);
      if (cycleAt !== -1) {
        const names = [...chain.slice(cycleAt).map((link) => link.file), target].map(shownPath);
        report(`include cycle: ${names.join(' → ')}`, 'include-cycle');
        continue;
      }
      // The chain holds the top runbook too: a fragment at depth N has N files above it.
      if (chain.length > MAX_INCLUDE_DEPTH) {
        const names = shortChain([...chain.map((link) => link.file), target].map(shownPath));
        report(`includes nest deeper than ${MAX_INCLUDE_DEPTH} files: ${names.join(' → ')}`, 'include-depth');
        continue;
      }
      // A fragment included twice (two services share it) is composed once.
      if (seen.has(real)) continue;
      seen.add(real);
      const fragment = readRunbookFile(shown, reads);
      if (isDiagnostic(fragment)) {
        report(`include ${include.path}: ${fragment.message}`, 'include-unreadable');
        continue;
      }
      diagnostics.push(...fragment.diagnostics);
      fragments.push(fragment);
      visit(fragment, [...chain, { real, file: target }]);
    }
  };
  visit(top, [{ real: topReal, file: resolve(file) }]);
  return fragments;
}

/** Read a runbook and everything it includes, composed into one. Never throws. */
export function composeRunbook(file: string, options: ComposeOptions = {}): Runbook {
  const reads = options.reads ?? new RunbookReads();
  const top = readRunbookFile(file, reads);
  if (isDiagnostic(top)) {
    return { ...parseRunbook('', file), diagnostics: [top] };
  }
  const diagnostics: Diagnostic[] = [...top.diagnostics];
  const fragments = top.includes.length > 0 ? includedFragments(top, file, options, reads, diagnostics) : [];

  // `top` is this call's own parse: it is copied only for fragments to merge into (a runbook of
  // 200,000 variables without includes spent 0.4 s cloning its profiles for nothing).
  const merging = fragments.length > 0;
  const composed: Runbook = {
    ...top,
    vars: merging ? [...top.vars] : top.vars,
    profiles: merging ? structuredClone(top.profiles) : top.profiles,
    connections: merging ? [...top.connections] : top.connections,
    diagnostics,
  };
  if (merging) {
    // By name, so that merging stays linear in the number of variables.
    const declared = new Map(composed.vars.map((v) => [v.name, v]));
    for (const fragment of fragments) mergeDeclarations(composed, declared, fragment, diagnostics);
  }
  composed.steps = orderSteps(top, fragments, diagnostics);
  diagnostics.sort((a, b) => (a.file === b.file ? a.line - b.line : a.file < b.file ? -1 : 1));
  return composed;
}

/** Fragments may declare variables, profiles and connections; the first declaration wins, a conflict is reported. */
function mergeDeclarations(into: Runbook, declared: Map<string, VarDecl>, fragment: Runbook, diagnostics: Diagnostic[]): void {
  for (const decl of fragment.vars) {
    const existing = declared.get(decl.name);
    if (!existing) {
      into.vars.push(decl);
      declared.set(decl.name, decl);
    } else if (existing.default !== decl.default || existing.secret !== decl.secret) {
      diagnostics.push({
        file: fragment.file,
        line: decl.line,
        severity: 'warning',
        rule: 'variable-conflict',
        message: `variable ${decl.name} is declared differently in ${into.file}; that declaration is used`,
      });
    }
  }
  for (const [profile, values] of Object.entries(fragment.profiles)) {
    into.profiles[profile] = { ...values, ...(into.profiles[profile] ?? {}) };
  }
  // The top runbook's inventory wins; a fragment's is used when the top names none.
  if (!into.inventory && fragment.inventory) into.inventory = fragment.inventory;
  for (const connection of fragment.connections) {
    const existing = into.connections.find((c) => c.name === connection.name);
    if (!existing) into.connections.push(connection);
    else if (existing.url !== connection.url || existing.password !== connection.password) {
      diagnostics.push({
        file: fragment.file,
        line: connection.line,
        severity: 'error',
        rule: 'connection-conflict',
        message: `connection ${connection.name} is declared differently elsewhere (${existing.url}); give it another name`,
      });
    }
  }
}

/** Services in dependency order (`after:`), include order where the order is free; a cycle is reported. */
function serviceOrder(fragments: Runbook[], diagnostics: Diagnostic[]): Runbook[] {
  const ordered: Runbook[] = [];
  const state = new Map<Runbook, 'visiting' | 'done'>();
  const byService = (name: string) => fragments.filter((f) => f.service === name);
  const visit = (fragment: Runbook, path: Runbook[]) => {
    const mark = state.get(fragment);
    if (mark === 'done') return;
    if (mark === 'visiting') {
      const cycle = [...path.slice(path.indexOf(fragment)), fragment].map((f) => f.service ?? f.file);
      diagnostics.push({
        file: fragment.file,
        line: 1,
        severity: 'error',
        rule: 'service-cycle',
        message: `service order cycle: ${cycle.join(' → ')} (each "after:" names a service that must come first)`,
      });
      return;
    }
    state.set(fragment, 'visiting');
    for (const name of fragment.after) {
      const before = byService(name);
      if (before.length === 0) {
        diagnostics.push({
          file: fragment.file,
          line: 1,
          severity: 'warning',
          rule: 'unknown-service',
          message: `after: ${name}, but no included fragment declares service: ${name}`,
        });
      }
      for (const other of before) visit(other, [...path, fragment]);
    }
    state.set(fragment, 'done');
    ordered.push(fragment);
  };
  for (const fragment of fragments) visit(fragment, []);
  return ordered;
}

/** All steps, phase by phase; in a phase the runbook's own steps first, then services in order. */
function orderSteps(top: Runbook, fragments: Runbook[], diagnostics: Diagnostic[]): Step[] {
  const groups = [top, ...serviceOrder(fragments, diagnostics)];
  const taken = new Set<string>();
  const blockNames = new Map<string, Step>();
  const entries: { step: Step; group: number; index: number }[] = [];
  groups.forEach((runbook, group) => {
    for (const step of runbook.steps) {
      const named = runbook === top || !runbook.service ? step : prefixStep(step, runbook.service);
      const unique = uniqueStep(named, taken, diagnostics);
      for (const block of unique.blocks) {
        const first = blockNames.get(block.id);
        if (first) {
          diagnostics.push({
            file: unique.file,
            line: block.line,
            severity: 'error',
            rule: 'duplicate-id',
            message: `block name "${block.id}" is also used in ${first.file}:${first.line}; block names must be unique across included files`,
          });
        } else blockNames.set(block.id, unique);
      }
      entries.push({ step: unique, group, index: entries.length });
    }
  });
  entries.sort((a, b) => a.step.phase - b.step.phase || a.group - b.group || a.index - b.index);
  return entries.map((e) => e.step);
}

/** A service fragment's step ids carry the service name, so `nova` and `cinder` may both have `#restart`. */
function prefixStep(step: Step, service: string): Step {
  // fixes= names a step of the same fragment, so it carries the service name too.
  return { ...renameStep(step, `${service}-${step.id}`), fixes: step.fixes.map((id) => `${service}-${id}`) };
}

function renameStep(step: Step, id: string): Step {
  const old = `${step.id}-`;
  return {
    ...step,
    id,
    blocks: step.blocks.map((b) => (b.explicitId || !b.id.startsWith(old) ? b : { ...b, id: `${id}-${b.id.slice(old.length)}` })),
    checklist: step.checklist.map((c) => (c.id.startsWith(old) ? { ...c, id: `${id}-${c.id.slice(old.length)}` } : c)),
  };
}

function uniqueStep(step: Step, taken: Set<string>, diagnostics: Diagnostic[]): Step {
  if (!taken.has(step.id)) {
    taken.add(step.id);
    return step;
  }
  if (step.explicitId) {
    diagnostics.push({
      file: step.file,
      line: step.line,
      severity: 'error',
      rule: 'duplicate-id',
      message: `step id "#${step.id}" is also used in another included file`,
    });
  }
  let n = 2;
  while (taken.has(`${step.id}-${n}`)) n++;
  taken.add(`${step.id}-${n}`);
  return renameStep(step, `${step.id}-${n}`);
}
