/**
 * Word wrap for rows the layout must count (notes, messages, notices). ink's own `wrap` keeps the
 * space it broke at as the next row's first character and leaves the row count to the layout.
 */
import { inertLines } from '../runbook/inert.js';
import { columns, cutColumns } from './columns.js';

/**
 * `text` as rows of at most `width` columns, at most `maxRows` of them (the last ends in … if cut).
 * The text is made inert first, so that rows are counted as they will be shown.
 */
export function wrapWords(source: string, width: number, maxRows = Infinity): string[] {
  const text = inertLines(source);
  const room = Math.max(1, width);
  const rows: string[] = [];
  let row = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let rest = word;
    if (columns(rest) > room) {
      // A word longer than a row: cut it hard (in columns, as ink measures them).
      if (row) rows.push(row);
      row = '';
      const pieces = cutColumns(rest, room);
      rows.push(...pieces.slice(0, -1));
      rest = pieces.at(-1) ?? '';
    }
    if (!row) row = rest;
    else if (columns(row) + 1 + columns(rest) <= room) row += ` ${rest}`;
    else {
      rows.push(row);
      row = rest;
    }
  }
  if (row || rows.length === 0) rows.push(row);
  if (rows.length <= maxRows) return rows;
  const kept = rows.slice(0, maxRows);
  kept[maxRows - 1] = `${room > 1 ? (cutColumns(kept[maxRows - 1] ?? '', room - 1)[0] ?? '') : ''}…`;
  return kept;
}
