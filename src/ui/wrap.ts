/**
 * Word wrap for rows the layout must count (notes, messages, notices). ink's own `wrap` keeps the
 * space it broke at as the next row's first character and leaves the row count to the layout.
 */
import { inertLines } from '../runbook/inert.js';

/**
 * `text` as rows of at most `width` characters, at most `maxRows` of them (the last ends in … if cut).
 * The text is made inert first, so that rows are counted as they will be shown.
 */
export function wrapWords(source: string, width: number, maxRows = Infinity): string[] {
  const text = inertLines(source);
  const room = Math.max(1, width);
  const rows: string[] = [];
  let row = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    let rest = word;
    while ([...rest].length > room) {
      // A word longer than a row: cut it hard.
      if (row) rows.push(row);
      row = '';
      rows.push([...rest].slice(0, room).join(''));
      rest = [...rest].slice(room).join('');
    }
    if (!row) row = rest;
    else if ([...row].length + 1 + [...rest].length <= room) row += ` ${rest}`;
    else {
      rows.push(row);
      row = rest;
    }
  }
  if (row || rows.length === 0) rows.push(row);
  if (rows.length <= maxRows) return rows;
  const kept = rows.slice(0, maxRows);
  const last = [...(kept[maxRows - 1] ?? '')];
  kept[maxRows - 1] = `${last.slice(0, room - 1).join('')}…`;
  return kept;
}
