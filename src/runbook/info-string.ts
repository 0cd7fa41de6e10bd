/**
 * The info string of a fence: `LANG [ROLE] [ATTRIBUTES]`.
 * Attributes come as bare `key=value` / `flag` words, or as one brace group in either of
 * Runme's syntaxes: JSON (`{"name":"x","timeout":"30s"}`) or words (`{ name=x timeout=30s }`).
 */

/** One attribute as written: a value, or `true` for a bare flag. */
export interface RawAttribute {
  key: string;
  value: string | true;
}

/** The info string split into its parts; `problems` are syntax errors worth a lint line. */
export interface InfoString {
  lang: string;
  words: string[];
  attributes: RawAttribute[];
  problems: string[];
}

/** Split words on whitespace (and commas inside brace groups), keeping quoted values whole. */
function tokenize(text: string, commaSeparates: boolean): { words: string[]; braces: string[]; problems: string[] } {
  // Most info strings are plain words (`sh check name=x`): split them without the scanner.
  if (!/[{"']/.test(text) && !(commaSeparates && text.includes(','))) {
    return { words: text.match(/\S+/g) ?? [], braces: [], problems: [] };
  }
  const words: string[] = [];
  const braces: string[] = [];
  const problems: string[] = [];
  let current = '';
  let i = 0;
  const flush = () => {
    if (current !== '') words.push(current);
    current = '';
  };
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '{') {
      flush();
      const end = matchingBrace(text, i);
      if (end === -1) {
        problems.push(`unclosed "{" in "${text}"`);
        braces.push(text.slice(i + 1));
        break;
      }
      braces.push(text.slice(i + 1, end));
      i = end + 1;
      continue;
    }
    if (ch === '"' || ch === "'") {
      const end = closingQuote(text, i);
      if (end === -1) {
        problems.push(`unclosed quote in "${text}"`);
        current += text.slice(i + 1);
        break;
      }
      current += unescapeQuoted(text.slice(i + 1, end), ch);
      i = end + 1;
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v' || (commaSeparates && ch === ',')) {
      flush();
      i++;
      continue;
    }
    // The rest of a word up to the next space, quote or brace, in one piece.
    const run = commaSeparates ? WORD_RUN_IN_BRACES : WORD_RUN;
    run.lastIndex = i;
    run.test(text);
    current += text.slice(i, run.lastIndex);
    i = run.lastIndex;
  }
  flush();
  return { words, braces, problems };
}

// Sticky: they match only at lastIndex. Every character they stop at is handled above.
const WORD_RUN = /[^{"' \t\n\r\f\v]+/y;
const WORD_RUN_IN_BRACES = /[^{"' \t\n\r\f\v,]+/y;

/** Index of the quote closing the one at `start`; in double quotes a backslash escapes the next character. */
function closingQuote(text: string, start: number): number {
  if (text[start] === "'") return text.indexOf("'", start + 1);
  // A loop over the characters rather than a regular expression: no match objects for each of thousands of blocks.
  for (let i = start + 1; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 92 /* \\ */) i++;
    else if (ch === 34 /* " */) return i;
  }
  return -1;
}

function matchingBrace(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 34 /* " */ || ch === 39 /* ' */) {
      const end = closingQuote(text, i);
      if (end === -1) return -1;
      i = end;
    } else if (ch === 123 /* { */) depth++;
    else if (ch === 125 /* } */ && --depth === 0) return i;
  }
  return -1;
}

// Inside double quotes only \" and \\ are escapes, so a regex like "^ok\s" keeps its backslash.
function unescapeQuoted(text: string, quote: string): string {
  return quote === '"' ? text.replace(/\\(["\\])/g, '$1') : text;
}

function wordToAttribute(word: string): RawAttribute {
  const eq = word.indexOf('=');
  if (eq <= 0) return { key: word, value: true };
  return { key: word.slice(0, eq), value: word.slice(eq + 1) };
}

function jsonValue(value: unknown): string | true {
  if (value === true) return true;
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function braceAttributes(inner: string): { attributes: RawAttribute[]; problems: string[] } {
  const trimmed = inner.trim();
  if (trimmed.startsWith('"') || trimmed.startsWith("'")) {
    try {
      const parsed: unknown = JSON.parse(`{${inner}}`);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        return {
          attributes: Object.entries(parsed as Record<string, unknown>).map(([key, value]) => ({ key, value: jsonValue(value) })),
          problems: [],
        };
      }
    } catch {
      // Not JSON after all: Runme also accepts `{ "name"=x }`-like word lists, so fall through.
    }
  }
  const { words, problems } = tokenize(inner, true);
  return { attributes: words.map(wordToAttribute), problems };
}

/**
 * Most info strings are plain ASCII words (`sh check name=x timeout=5m`): split them in one pass,
 * as the general path below would (its language, its words, `key=value` words as attributes).
 * Undefined for anything else — a brace group, a quote, a character outside printable ASCII
 * (whose whitespace rules are JavaScript's `\s`) — which the general path reads.
 */
function plainInfoString(info: string): InfoString | undefined {
  let lang: string | undefined;
  const words: string[] = [];
  const attributes: RawAttribute[] = [];
  let start = -1;
  for (let i = 0; i <= info.length; i++) {
    // The end counts as a space, closing the last word.
    const c = i < info.length ? info.charCodeAt(i) : 32;
    if (c === 32 || (c >= 9 && c <= 13)) {
      if (start === -1) continue;
      const word = info.slice(start, i);
      start = -1;
      if (lang === undefined) lang = word;
      else if (word.includes('=')) attributes.push(wordToAttribute(word));
      else words.push(word);
    } else if (c < 32 || c > 126 || c === 34 || c === 39 || c === 123) {
      // A control character, non-ASCII, `"`, `'` or `{`.
      return undefined;
    } else if (start === -1) start = i;
  }
  return { lang: (lang ?? '').toLowerCase(), words, attributes, problems: [] };
}

/** Parse an info string; never throws. */
export function parseInfoString(info: string): InfoString {
  return plainInfoString(info) ?? parseAnyInfoString(info);
}

/** The general reader, for any info string; the one-pass reader of plain ones must agree with it (test/runbook/info-string.test.ts). */
export function parseAnyInfoString(info: string): InfoString {
  const trimmed = info.trim();
  const { words, braces, problems } = tokenize(trimmed, false);
  const attributes: RawAttribute[] = [];
  for (const inner of braces) {
    const parsed = braceAttributes(inner);
    for (const attribute of parsed.attributes) attributes.push(attribute);
    for (const problem of parsed.problems) problems.push(problem);
  }
  // A brace group may directly follow the fence (```{"name":"x"}): then there is no language.
  const startsWithBrace = trimmed.startsWith('{');
  const lang = startsWithBrace ? '' : (words.shift() ?? '');
  const plainWords: string[] = [];
  for (const word of words) {
    if (word.includes('=')) attributes.push(wordToAttribute(word));
    else plainWords.push(word);
  }
  return { lang: lang.toLowerCase(), words: plainWords, attributes, problems };
}
