/** Small builders shared by the runbook tests: documents by line, and findings in a compact form. */
import type { Block, Diagnostic, Runbook, Step } from '../../src/runbook/model.js';
import { parseRunbook } from '../../src/runbook/parse.js';
import { lintRunbook } from '../../src/runbook/lint.js';

/** A document from its lines, so that line N of the file is argument N (1-based) — easy to count. */
export function doc(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

/** Parse a document under a fixed file name. */
export function parse(source: string, file = 'runbooks/upgrade.md'): Runbook {
  return parseRunbook(source, file);
}

/** `LINE severity rule` for every lint finding, in order. */
export function findings(source: string, file = 'runbooks/upgrade.md'): string[] {
  return lintRunbook(parseRunbook(source, file)).map((d) => `${d.line} ${d.severity} ${d.rule}`);
}

/** Every lint finding of a document. */
export function lint(source: string, file = 'runbooks/upgrade.md'): Diagnostic[] {
  return lintRunbook(parseRunbook(source, file));
}

/** The only step of a runbook; fails the test when there is not exactly one. */
export function onlyStep(runbook: Runbook): Step {
  if (runbook.steps.length !== 1) throw new Error(`expected one step, got ${runbook.steps.length}`);
  return runbook.steps[0] as Step;
}

/** The blocks of a one-step runbook whose step is `## S`, built from fence lines. */
export function blocksOf(...lines: string[]): Block[] {
  return onlyStep(parse(doc('## S', '', ...lines))).blocks;
}

/** The single block of `## S` followed by one fence with this info string. */
export function blockWithInfo(info: string): { block: Block; problems: string[] } {
  const runbook = parse(doc('## S', '', `\`\`\`${info}`, 'echo hi', '```'));
  const block = onlyStep(runbook).blocks[0];
  if (!block) throw new Error('no block parsed');
  return { block, problems: runbook.diagnostics.filter((d) => d.rule === 'block-attribute').map((d) => d.message) };
}
