/**
 * The shape of an `expect=` regular expression (JavaScript syntax, no `u` flag), read from its
 * source without running it: whether it can match across a line end, and whether it nests
 * quantifiers the way that makes backtracking exponential. Conservative where in doubt.
 */

/** What `patternShape` found. */
export interface PatternShape {
  /**
   * Some part of the pattern can match a newline (`\s`, `[^x]`, `\n`, a back-reference, ...), so it
   * may match across lines; false means matching each line alone finds what matching the whole text finds.
   */
  spansLines: boolean;
  /** The first quantified group that holds a quantifier itself, such as `(a+)+`, as written. */
  nestedQuantifier?: string;
}

/** One group being read: what quantifiers it holds so far, and where it starts. */
interface Frame {
  start: number;
  /** Holds a quantifier that repeats (`*`, `+`, `{2,}`, `{1,5}`). */
  repeats: boolean;
  /** Holds a quantifier without an upper bound (`*`, `+`, `{2,}`). */
  unbounded: boolean;
}

/** A quantifier at `i`: its length, and whether it repeats and has no upper bound. */
interface Quantifier {
  length: number;
  repeats: boolean;
  unbounded: boolean;
}

const NEWLINE = 10;
// Escapes that can match a newline: \n itself, whitespace, non-digits and non-word characters.
const NEWLINE_CLASSES = new Set(['n', 's', 'D', 'W']);
// Escapes of one known character.
const CONTROL_ESCAPES: Record<string, number> = { t: 9, n: 10, v: 11, f: 12, r: 13, b: 8 };

/** Read the shape of a regular expression's source. */
export function patternShape(source: string): PatternShape {
  let spansLines = false;
  let nestedQuantifier: string | undefined;
  const stack: Frame[] = [{ start: 0, repeats: false, unbounded: false }];
  const top = (): Frame => stack[stack.length - 1] as Frame;

  // After an atom that ends at `i`: a quantifier there marks the frame (and is skipped over).
  const afterAtom = (i: number, group?: Frame): number => {
    const q = quantifierAt(source, i);
    if (q === undefined) return i;
    const frame = top();
    if (group !== undefined && nestedQuantifier === undefined && ((q.repeats && group.unbounded) || (q.unbounded && group.repeats))) {
      nestedQuantifier = source.slice(group.start, i + q.length);
    }
    frame.repeats ||= q.repeats;
    frame.unbounded ||= q.unbounded;
    return i + q.length;
  };

  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (c === '\\') {
      const escaped = readEscape(source, i);
      if (escaped.newline) spansLines = true;
      i = afterAtom(i + escaped.length);
    } else if (c === '[') {
      const cls = readClass(source, i);
      if (cls.newline) spansLines = true;
      i = afterAtom(i + cls.length);
    } else if (c === '(') {
      stack.push({ start: i, repeats: false, unbounded: false });
      i += groupPrefixLength(source, i);
    } else if (c === ')' && stack.length > 1) {
      const group = stack.pop() as Frame;
      const parent = top();
      parent.repeats ||= group.repeats;
      parent.unbounded ||= group.unbounded;
      i = afterAtom(i + 1, group);
    } else {
      if (c === '\n') spansLines = true;
      // `^`, `$` and `|` take no quantifier; anything else is an atom (`.` never matches a newline here).
      i = c === '^' || c === '$' || c === '|' ? i + 1 : afterAtom(i + 1);
    }
  }
  return nestedQuantifier === undefined ? { spansLines } : { spansLines, nestedQuantifier };
}

/** `(`, `(?:`, `(?=`, `(?!`, `(?<=`, `(?<!` or `(?<name>`: how many characters open the group. */
function groupPrefixLength(source: string, i: number): number {
  if (source[i + 1] !== '?') return 1;
  const next = source[i + 2];
  if (next === ':' || next === '=' || next === '!') return 3;
  if (next === '<') {
    if (source[i + 3] === '=' || source[i + 3] === '!') return 4;
    const close = source.indexOf('>', i + 3);
    return close === -1 ? 3 : close - i + 1;
  }
  return 2;
}

/** The quantifier starting at `i`, with its lazy `?`, or undefined. */
function quantifierAt(source: string, i: number): Quantifier | undefined {
  const c = source[i];
  let q: Quantifier | undefined;
  if (c === '*' || c === '+') q = { length: 1, repeats: true, unbounded: true };
  else if (c === '?') q = { length: 1, repeats: false, unbounded: false };
  else if (c === '{') {
    const braces = /^\{(\d+)(,(\d*))?\}/.exec(source.slice(i, i + 32));
    if (braces === null) return undefined;
    const [text, min, comma, max] = braces as unknown as [string, string, string | undefined, string | undefined];
    const unbounded = comma !== undefined && (max === undefined || max === '');
    const upper = unbounded ? Infinity : Number(comma === undefined ? min : max);
    q = { length: text.length, repeats: upper > 1, unbounded };
  }
  if (q !== undefined && source[i + q.length] === '?') q.length += 1;
  return q;
}

/** An escape at `i` (the backslash): its length, the one character it stands for, whether it can match a newline. */
function readEscape(source: string, i: number): { length: number; code?: number; newline: boolean } {
  const c = source[i + 1];
  if (c === undefined) return { length: 1, code: 92, newline: false };
  if (NEWLINE_CLASSES.has(c)) return { length: 2, newline: true, ...(c === 'n' ? { code: NEWLINE } : {}) };
  const control = CONTROL_ESCAPES[c];
  if (control !== undefined) return { length: 2, code: control, newline: false };
  const hex = c === 'x' ? /^[0-9a-fA-F]{2}/.exec(source.slice(i + 2)) : c === 'u' ? /^[0-9a-fA-F]{4}/.exec(source.slice(i + 2)) : null;
  if (hex !== null) {
    const code = parseInt(hex[0], 16);
    return { length: 2 + hex[0].length, code, newline: code === NEWLINE };
  }
  if (c === 'c' && /[A-Za-z]/.test(source[i + 2] ?? '')) {
    const code = (source.charCodeAt(i + 2) as number) % 32;
    return { length: 3, code, newline: code === NEWLINE };
  }
  // A back-reference (\1, \k<name>) repeats what a group matched; an octal escape may be a newline.
  if (/[0-9]/.test(c) || c === 'k') return { length: 2, newline: true };
  if (/[dwSB]/.test(c)) return { length: 2, newline: false };
  return { length: 2, code: source.charCodeAt(i + 1), newline: false };
}

/** A character class at `i` (the `[`): its length, and whether it can match a newline. */
function readClass(source: string, i: number): { length: number; newline: boolean } {
  const negated = source[i + 1] === '^';
  let j = i + (negated ? 2 : 1);
  let holdsNewline = false;
  let previous: number | undefined;
  let first = true;
  // In JavaScript a `]` right after `[` (or `[^`) closes an empty class.
  while (j < source.length && source[j] !== ']') {
    let code: number | undefined;
    if (source[j] === '\\') {
      const escaped = readEscape(source, j);
      if (escaped.newline) holdsNewline = true;
      code = escaped.code;
      j += escaped.length;
    } else if (source[j] === '-' && !first && previous !== undefined && source[j + 1] !== ']' && j + 1 < source.length) {
      // A range: previous-next.
      const next = source[j + 1] === '\\' ? readEscape(source, j + 1) : { length: 1, code: source.charCodeAt(j + 1), newline: false };
      if (next.newline || next.code === undefined || (previous <= NEWLINE && NEWLINE <= next.code)) holdsNewline = true;
      j += 1 + next.length;
      previous = undefined;
      first = false;
      continue;
    } else {
      code = source.charCodeAt(j);
      j += 1;
    }
    if (code === NEWLINE) holdsNewline = true;
    previous = code;
    first = false;
  }
  const length = Math.min(source.length, j + 1) - i;
  return { length, newline: negated ? !holdsNewline : holdsNewline };
}
