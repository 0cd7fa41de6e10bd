/**
 * How many columns text takes on the screen, measured as ink measures it (string-width, one
 * grapheme at a time). A face that cuts text into rows by anything else (code points, UTF-16 units)
 * gets rows ink finds too wide, and ink cuts their ends off: a command line of CJK characters lost
 * `; echo HIDDEN` on a confirmation, the next row going on after it.
 */
import stringWidth from 'string-width';

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Columns `text` takes on one row (no newlines, tabs already expanded). */
export function columns(text: string): number {
  return stringWidth(text);
}

/**
 * `text` cut into pieces of at most `width` columns, between graphemes (a wide character never
 * split); a grapheme ink would give no column counts as one, since ink still gives it a cell. With
 * `keepSpaces`, a piece never ends in spaces after other text: they begin the next piece, where
 * the screen shows them.
 */
export function cutColumns(text: string, width: number, options: { keepSpaces?: boolean } = {}): string[] {
  const room = Math.max(1, width);
  const pieces: string[] = [];
  let piece: string[] = [];
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const wide = Math.max(1, stringWidth(segment));
    if (used + wide > room && piece.length > 0) {
      let end = piece.length;
      if (options.keepSpaces) while (end > 1 && piece[end - 1] === ' ' && piece.slice(0, end - 1).some((g) => g !== ' ')) end--;
      pieces.push(piece.slice(0, end).join(''));
      piece = piece.slice(end);
      used = piece.length;
    }
    piece.push(segment);
    used += wide;
  }
  if (piece.length > 0 || pieces.length === 0) pieces.push(piece.join(''));
  return pieces;
}
