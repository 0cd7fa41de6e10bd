/** SQL results as the operator reads them: in a result table, a log, a report or an `expect=value:X`. */

/** How SQL NULL is shown (and what `expect=value:NULL` compares with). */
export const NULL_TEXT = 'NULL';

/** A column value as text: Buffers as UTF-8, dates as ISO 8601, NULL as `NULL`. */
export function formatSqlValue(value: unknown): string {
  if (value === null || value === undefined) return NULL_TEXT;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  return JSON.stringify(value) ?? String(value);
}

/**
 * Column names made unique (`id`, `id (2)`): rows are records keyed by column, and
 * `SELECT a.id, b.id` must not lose a column.
 */
export function uniqueColumnNames(names: readonly string[]): string[] {
  const seen = new Map<string, number>();
  const taken = new Set(names);
  return names.map((name) => {
    const count = (seen.get(name) ?? 0) + 1;
    seen.set(name, count);
    if (count === 1) return name;
    let candidate = `${name} (${count})`;
    while (taken.has(candidate)) candidate += "'";
    taken.add(candidate);
    return candidate;
  });
}

/** The lines an sql block shows in the live pane and writes to its log: a tab-separated table or a summary. */
export function sqlResultLines(result: {
  rows: Record<string, string>[];
  columns: string[];
  affectedRows?: number;
  error?: string;
}): string[] {
  if (result.error !== undefined) return [`ERROR: ${result.error}`];
  if (result.columns.length === 0) {
    const affected = result.affectedRows ?? 0;
    return [`${affected} row${affected === 1 ? '' : 's'} affected`];
  }
  const lines = [result.columns.join('\t')];
  for (const row of result.rows) lines.push(result.columns.map((column) => row[column] ?? '').join('\t'));
  lines.push(`(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`);
  return lines;
}
