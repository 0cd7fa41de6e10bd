/**
 * What an sql block expects of its result (docs/runbook-format.md#attributes): the one home of the
 * `expect=` forms for sql and of the rule that an `sql check` without `expect=` expects no rows.
 * The block head is interpreted with it, and the verdict reads the same rule, so a block built by
 * hand (tests, a composed runbook) is judged as a parsed one is.
 */
import type { Executor, Role, SqlExpectation } from './model.js';

/** A check asks "is anything wrong?": the rows it returns are the offenders, so none is a pass. */
export const SQL_CHECK_DEFAULT: SqlExpectation = Object.freeze({ kind: 'empty' });

/** `empty`, `nonempty`, `rows:N` or `value:X`; undefined for anything else. */
export function parseSqlExpect(value: string): SqlExpectation | undefined {
  if (value === 'empty') return { kind: 'empty' };
  if (value === 'nonempty') return { kind: 'nonempty' };
  const rows = /^rows:(\d+)$/.exec(value);
  if (rows) return { kind: 'rows', count: Number(rows[1]) };
  if (value.startsWith('value:')) return { kind: 'value', value: value.slice('value:'.length) };
  return undefined;
}

/**
 * What a block's result is judged against: its own `expect=` when given, no rows for an sql check
 * that gives none, and nothing (any result that is not an error passes) otherwise.
 */
export function effectiveSqlExpectation(block: {
  executor: Executor | null;
  role: Role;
  given?: SqlExpectation;
}): SqlExpectation | undefined {
  if (block.given !== undefined) return block.given;
  return block.executor === 'sql' && block.role === 'check' ? { ...SQL_CHECK_DEFAULT } : undefined;
}
