/**
 * wrapWords measures rows in the columns ink gives them. Reproduced: on a confirmation, the
 * `with NAME=value` line of a value in CJK was cut into rows of 40 characters for a 40-column
 * screen, 80 columns each: ink cut every row at the edge, and half the value was never shown.
 */
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { wrapWords } from '../../src/ui/wrap.js';

describe('wrapWords', () => {
  it('cuts a word of wide characters by columns, losing none of it', () => {
    const value = `TARGET=${'漢'.repeat(50)}`;
    const rows = wrapWords(`with ${value}`, 40);
    for (const row of rows) expect(stringWidth(row)).toBeLessThanOrEqual(40);
    expect(rows[0]).toBe('with');
    expect(rows.slice(1).join('')).toBe(value);
  });

  it('fits words by columns, and cuts the last row kept in columns too', () => {
    expect(wrapWords('日本 日本 日本', 10)).toEqual(['日本 日本', '日本']);
    const rows = wrapWords('日本語 日本語 日本語 日本語', 7, 1);
    expect(rows).toHaveLength(1);
    expect(stringWidth(rows[0] as string)).toBeLessThanOrEqual(7);
    expect(rows[0]).toBe('日本語…');
  });
});
