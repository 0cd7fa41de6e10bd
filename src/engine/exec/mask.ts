/** Secret masking: every output line passes through a `Masker` before a subscriber, a log or the state directory sees it. */

/** What a masked secret is shown as (SPEC §1.3). */
export const MASK = '••••';

/** Replaces every occurrence of the secrets it was built from with `••••`. */
export interface Masker {
  mask(text: string): string;
  /** True when there is nothing to mask, so hot paths can skip the call. */
  readonly empty: boolean;
}

/**
 * Build a masker from secret values. Every non-empty secret is masked, however short:
 * a leaked 3-character password is still a leaked password.
 */
export function createMasker(secrets: Iterable<string>): Masker {
  const needles = new Set<string>();
  for (const secret of secrets) {
    if (secret === '') continue;
    needles.add(secret);
    // Output is masked line by line, so a multi-line secret (a key file) would never match whole;
    // each of its lines is a secret of its own.
    if (secret.includes('\n')) {
      for (const part of secret.split('\n')) {
        const line = part.replace(/\r$/, '');
        if (line.trim() !== '') needles.add(line);
      }
    }
  }
  // Longest first so that a secret containing another one is masked as a whole.
  const ordered = [...needles].sort((a, b) => b.length - a.length);
  if (ordered.length === 0) return { empty: true, mask: (text) => text };
  return { empty: false, mask: (text) => maskRanges(text, ordered) };
}

/**
 * Mask the union of all occurrences. Replacing one secret after another could leave the
 * tail of an overlapping second secret visible (`abc` and `bcd` in `abcd`); merging ranges cannot.
 */
function maskRanges(text: string, secrets: readonly string[]): string {
  let ranges: Array<[number, number]> | undefined;
  for (const secret of secrets) {
    let at = text.indexOf(secret);
    while (at !== -1) {
      (ranges ??= []).push([at, at + secret.length]);
      at = text.indexOf(secret, at + 1);
    }
  }
  if (ranges === undefined) return text;
  ranges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  let out = '';
  let cursor = 0;
  let openEnd = -1;
  for (const [start, end] of ranges) {
    // Adjacent or overlapping occurrences become one mask: the count of secrets is not shown either.
    if (start <= openEnd) {
      openEnd = Math.max(openEnd, end);
      continue;
    }
    if (openEnd !== -1) cursor = openEnd;
    out += text.slice(cursor, start) + MASK;
    openEnd = end;
  }
  return out + text.slice(openEnd);
}
