/**
 * Lint of `capture=NAME` (docs/capture.md): a captured name is a variable of the blocks after the
 * one that captures it, so it may not be a declared variable too, and nothing may use it before
 * that block has run, in document order.
 */
import type { Block, Diagnostic, Runbook } from './model.js';
import { sqlParameters } from './sql-parameters.js';

type Report = (line: number, message: string, rule: string, severity: Diagnostic['severity'], file: string) => void;

/** Where a name is first captured: the block, and its place in document order. */
interface CaptureSite {
  block: Block;
  /** Index of the block among all the runbook's blocks, in document order. */
  position: number;
  step: number;
  file: string;
}

/** `$NAME` and `${NAME}` in a shell or python block's code. */
function shellReferences(code: string): string[] {
  return [...code.matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((match) => match[1] as string);
}

/** `${NAME}` in prose, as `withValues` (engine/vars.ts) fills it in. */
function proseReferences(text: string): string[] {
  return [...text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((match) => match[1] as string);
}

/** The variables a block's code reads, as it would write them (`$NAME` or `:NAME`). */
function blockReferences(block: Block): { name: string; written: string }[] {
  if (block.executor === 'sql') return sqlParameters(block.code).map((name) => ({ name, written: `:${name}` }));
  if (block.executor === 'shell' || block.executor === 'python')
    return shellReferences(block.code).map((name) => ({ name, written: `$${name}` }));
  return [];
}

/** Where each name is first captured, in document order. */
export function captureSites(runbook: Runbook): Map<string, CaptureSite> {
  const sites = new Map<string, CaptureSite>();
  let position = 0;
  runbook.steps.forEach((step, index) => {
    for (const block of step.blocks) {
      const name = block.executor !== null ? block.attrs.capture?.name : undefined;
      if (name !== undefined && !sites.has(name)) sites.set(name, { block, position, step: index, file: step.file });
      position += 1;
    }
  });
  return sites;
}

/**
 * Report captures that collide with a declared variable, and uses of a captured name before the
 * block that captures it. Returns the captured names: an sql parameter naming one is not an
 * undeclared variable.
 */
export function checkCaptures(runbook: Runbook, declared: ReadonlySet<string>, report: Report): Set<string> {
  const sites = captureSites(runbook);
  // Every finding below is about a captured name: without one, reading each step's prose and each
  // block's code for references is wasted (a third of lint's own work on a 2,000-step runbook).
  if (sites.size === 0) return new Set();
  for (const [name, site] of sites) {
    if (declared.has(name)) {
      report(
        site.block.line,
        `capture=${name} has the name of a declared variable: the capture would hide it; capture under another name`,
        'capture-collision',
        'error',
        site.file,
      );
    }
  }
  let position = 0;
  runbook.steps.forEach((step, index) => {
    for (const name of new Set(proseReferences(step.markdown))) {
      const site = sites.get(name);
      if (site && site.step > index && !declared.has(name)) {
        report(
          step.line,
          `step ${step.id} shows \${${name}} before block ${site.block.id} (line ${site.block.line}) captures it: show it in that step or a later one`,
          'capture-used-before',
          'error',
          step.file,
        );
      }
    }
    for (const block of step.blocks) {
      const seen = new Set<string>();
      for (const { name, written } of blockReferences(block)) {
        const site = sites.get(name);
        if (!site || seen.has(name) || declared.has(name) || name in step.vars) continue;
        seen.add(name);
        if (site.position < position) {
          // Preflight runs checks without the blocks before them: this one would have no value.
          if (block.role === 'check' && block.attrs.preflight !== 'skip') {
            report(
              block.line,
              `check ${block.id} uses ${written}, captured by block ${site.block.id}: waymark preflight cannot judge it early; add preflight=skip`,
              'capture-preflight',
              'warning',
              step.file,
            );
          }
          continue;
        }
        const where =
          site.block === block
            ? 'the block that captures it, before it has run'
            : `block ${site.block.id} (line ${site.block.line}), before it captures it`;
        report(
          block.line,
          `block ${block.id} uses ${written} in ${where}: a capture is only set for the blocks after it`,
          'capture-used-before',
          'error',
          step.file,
        );
      }
      position += 1;
    }
  });
  return new Set(sites.keys());
}
