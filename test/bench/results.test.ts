/**
 * bench/RESULTS.md's table keeps a row for every budget. Reproduced: when the tree was formatted
 * (22b17f4), the table's cells were padded to align, and the benchmark harness, which found a row
 * by "| `name` |" with one space, dropped seven rows at its next write (tui-first-frame, output-1m,
 * output-1m-tui, checkpoint-1000, fleet-200, checkpoint-fleet, tui-grid-1000); nothing noticed.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: the benchmark harness is plain JavaScript without types.
import { resultRows } from '../../bench/lib.mjs';
import { ROOT } from '../support/binary.js';

const rows = resultRows as (text: string, names: string[], columns: number) => Map<string, string>;

/** The benchmarks docs/budgets.md sets a budget for: the names in its table's first column. */
function budgetNames(): string[] {
  const page = readFileSync(join(ROOT, 'docs', 'budgets.md'), 'utf8');
  return page
    .split('\n')
    .filter((line) => /^\|\s*`/.test(line))
    .flatMap((line) => [...(line.split('|')[1] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string));
}

describe("bench/RESULTS.md's table", () => {
  it('finds a row whose cells a formatter padded, and fills in the cells of a row older than a column', () => {
    const text = [
      '| benchmark            | what | verdict |',
      '| -------------------- | ---- | ------- |',
      '| `lint-2000`          | a    | meets   |',
      '| `block-overhead-500` | b    | MISSES  |',
      '|`fleet-200`|c|meets|',
      '| `not-a-benchmark` | d | meets |',
    ].join('\n');
    const found = rows(text, ['lint-2000', 'block-overhead-500', 'fleet-200'], 4);
    expect([...found.keys()]).toEqual(['lint-2000', 'block-overhead-500', 'fleet-200']);
    expect(found.get('lint-2000')).toBe('| `lint-2000`          | a    | meets   | |');
  });

  it('has a row for every benchmark docs/budgets.md sets a budget for', () => {
    const names = budgetNames();
    expect(names).toContain('tui-first-frame');
    expect(names.length).toBeGreaterThanOrEqual(11);
    const found = rows(readFileSync(join(ROOT, 'bench', 'RESULTS.md'), 'utf8'), names, 11);
    expect(names.filter((name) => !found.has(name))).toEqual([]);
  });
});
