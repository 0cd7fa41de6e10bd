/**
 * Secret masking: every piece of output, row and message passes through a `Masker` before a
 * subscriber, a log or the state directory sees it.
 */

/** What a masked secret is shown as (docs/running.md#how-secrets-are-masked). */
export const MASK = '••••';

/**
 * The shortest piece of a secret that is masked on its own. Values get cut: MariaDB keeps the first
 * 128 characters of a value in an error message, a column or a line gets cut to a width. So besides
 * whole secrets, any start (prefix) and any end (suffix) of a secret this long or longer is masked.
 */
export const MIN_FRAGMENT = 8;

/** Replaces every occurrence of the secrets it was built from, and of their long enough starts and ends, with `••••`. */
export interface Masker {
  mask(text: string): string;
  /** True when there is nothing to mask, so hot paths can skip the call. */
  readonly empty: boolean;
  /** A masking stream for one output stream, whose text may arrive cut anywhere. */
  stream(): MaskingStream;
}

/**
 * Masks text that arrives in pieces cut anywhere, even inside a secret: it holds back the end of what
 * it was given until it can tell whether a secret starts there. What it gives out, joined, is exactly
 * `mask()` of all the text given in.
 */
export interface MaskingStream {
  /** The masked text that is final so far (possibly ''); the end of `text` may be held back. */
  push(text: string): string;
  /** The stream ended: the text held back, masked. */
  end(): string;
}

/** One value to look for: a secret, or one line of a multi-line secret. */
interface Needle {
  value: string;
  /** Its first and last `MIN_FRAGMENT` characters; null when it is shorter (then only the whole value is masked). */
  head: string | null;
  tail: string | null;
}

/**
 * Build a masker from secret values. Every non-empty secret is masked, however short:
 * a leaked 3-character password is still a leaked password.
 */
export function createMasker(secrets: Iterable<string>): Masker {
  const values = new Set<string>();
  for (const secret of secrets) {
    if (secret === '') continue;
    // A match never spans a line: each line of a multi-line secret (a key file) is a secret of its own,
    // so output can be masked as soon as a line is complete, and the newlines stay.
    for (const part of secret.split('\n')) {
      const line = part.replace(/\r$/, '');
      if (line.trim() !== '') values.add(line);
    }
  }
  const needles = [...values].map(needleOf);
  if (needles.length === 0) return { empty: true, mask: (text) => text, stream: () => ({ push: (text) => text, end: () => '' }) };
  const longest = Math.max(...needles.map((n) => n.value.length));
  return {
    empty: false,
    mask: (text) => render(text, findSpans(text, needles), text.length, false).text,
    stream: () => new MaskedStream(needles, longest),
  };
}

function needleOf(value: string): Needle {
  if (value.length < MIN_FRAGMENT) return { value, head: null, tail: null };
  return { value, head: value.slice(0, MIN_FRAGMENT), tail: value.length > MIN_FRAGMENT ? value.slice(-MIN_FRAGMENT) : null };
}

/**
 * Where secrets are in `text`, as flat [start, end, start, end, ...] pairs: whole short secrets, and for
 * the others every run that starts with the first `MIN_FRAGMENT` characters of a secret and goes on as
 * far as the text agrees with it (a cut-off start), and likewise every run ending with its last ones.
 * A whole occurrence is such a run too. Two `indexOf` scans per secret; matching goes character by
 * character only where the scan found something.
 */
function findSpans(text: string, needles: readonly Needle[]): number[] {
  const spans: number[] = [];
  for (const { value, head, tail } of needles) {
    if (head === null) {
      for (let at = text.indexOf(value); at !== -1; at = text.indexOf(value, at + 1)) spans.push(at, at + value.length);
      continue;
    }
    for (let at = text.indexOf(head); at !== -1; at = text.indexOf(head, at + 1)) {
      const limit = Math.min(text.length, at + value.length);
      let end = at + MIN_FRAGMENT;
      while (end < limit && text.charCodeAt(end) === value.charCodeAt(end - at)) end += 1;
      spans.push(at, end);
    }
    if (tail === null) continue;
    for (let at = text.indexOf(tail); at !== -1; at = text.indexOf(tail, at + 1)) {
      const end = at + MIN_FRAGMENT;
      // Text index i holds the secret's character i + shift when the run ends where the secret ends.
      const shift = value.length - end;
      const limit = Math.max(0, end - value.length);
      let start = at;
      while (start > limit && text.charCodeAt(start - 1) === value.charCodeAt(start - 1 + shift)) start -= 1;
      spans.push(start, end);
    }
  }
  return spans;
}

/**
 * `text` up to `limit`, each group of overlapping or touching spans shown as one `••••` (so neither
 * the length nor the count of secrets shows). `continuing`: the text given out before ended inside a
 * mask, so a span at 0 continues it. `reach` is where the last mask ends (-1: none), possibly past `limit`.
 */
function render(text: string, spans: readonly number[], limit: number, continuing: boolean): { text: string; reach: number } {
  const starts: Array<[number, number]> = [];
  for (let i = 0; i < spans.length; i += 2) if ((spans[i] as number) < limit) starts.push([spans[i] as number, spans[i + 1] as number]);
  let maskEnd = continuing ? 0 : -1;
  if (starts.length === 0) return { text: limit === text.length ? text : text.slice(0, limit), reach: maskEnd };
  starts.sort((a, b) => a[0] - b[0]);
  let out = '';
  for (const [start, end] of starts) {
    if (start <= maskEnd) {
      maskEnd = Math.max(maskEnd, end);
      continue;
    }
    out += text.slice(Math.max(0, maskEnd), start) + MASK;
    maskEnd = end;
  }
  return { text: maskEnd >= limit ? out : out + text.slice(Math.max(0, maskEnd), limit), reach: maskEnd };
}

/**
 * A `MaskingStream`. Every span that starts before the last `longest` characters of what it holds is
 * known in full, and none crosses a newline; so it gives out everything up to that point (or up to the
 * last newline, if later), and keeps the rest. A secret cut by that point is masked up to it, and the
 * part after it (`#carry`) is masked when it is given out, continuing the same `••••`.
 */
class MaskedStream implements MaskingStream {
  readonly #needles: readonly Needle[];
  readonly #longest: number;
  #held = '';
  /** How many characters at the start of `#held` belong to a secret whose start was given out masked. */
  #carry = 0;
  /** The text given out so far ended inside a mask. */
  #open = false;

  constructor(needles: readonly Needle[], longest: number) {
    this.#needles = needles;
    this.#longest = longest;
  }

  push(text: string): string {
    const held = this.#held + text;
    let cut = Math.max(held.length - this.#longest, held.lastIndexOf('\n') + 1);
    // Never between the two halves of a surrogate pair (an emoji would become two broken characters).
    const high = held.charCodeAt(cut - 1);
    if (cut < held.length && high >= 0xd800 && high <= 0xdbff) cut -= 1;
    if (cut <= 0) {
      this.#held = held;
      return '';
    }
    return this.#giveOut(held, cut);
  }

  end(): string {
    const rest = this.#giveOut(this.#held, this.#held.length);
    this.#open = false;
    return rest;
  }

  #giveOut(held: string, cut: number): string {
    const spans = findSpans(held, this.#needles);
    if (this.#carry > 0) spans.push(0, this.#carry);
    const { text, reach } = render(held, spans, cut, this.#open);
    this.#carry = Math.max(0, reach - cut);
    this.#open = reach >= cut;
    this.#held = held.slice(cut);
    return text;
  }
}
