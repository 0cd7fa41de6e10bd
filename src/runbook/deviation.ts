/** The `deviation=` attribute: how far a result may depart from the rehearsal's (docs/baseline.md). */
import type { DeviationRule } from './model.js';

/** The factor a result may depart by when the block says nothing: ten times. */
export const DEFAULT_DEVIATION_FACTOR = 10;

/**
 * `10x`, `10×` or `3` (a factor above 1), `rows:±N` or `rows:+-N` (rows within N of the
 * rehearsal's), both joined by a comma (`3x,rows:±100`), or `off`; undefined when it is none of them.
 */
export function parseDeviation(text: string): DeviationRule | undefined {
  const value = text.trim();
  if (value === 'off') return { off: true };
  const rule: DeviationRule = {};
  for (const part of value.split(',').map((p) => p.trim())) {
    // × and ± as escapes: a script of only ASCII is decoded at start without UTF-8's slow path (src/build/bundle.mjs).
    const factor = /^(\d+(?:\.\d+)?)\s*[x\u00d7]?$/.exec(part);
    const rows = /^rows:(?:\u00b1|\+-|\+\/-)(\d+)$/.exec(part);
    if (factor && rule.factor === undefined) {
      const n = Number(factor[1]);
      if (!(n > 1)) return undefined;
      rule.factor = n;
    } else if (rows && rule.rowsWithin === undefined) {
      rule.rowsWithin = Number(rows[1]);
    } else {
      return undefined;
    }
  }
  return rule;
}

/** The rule in the runbook's words, for messages: `10×`, `rows ±100`. */
export function describeDeviationRule(rule: DeviationRule | undefined, on: 'rows' | 'duration'): string {
  const factor = `${rule?.factor ?? DEFAULT_DEVIATION_FACTOR}×`;
  if (on === 'rows' && rule?.rowsWithin !== undefined) return `rows ±${rule.rowsWithin}`;
  return factor;
}
