/**
 * A front matter's simple entries read without the yaml library's lexer, parser and composer. Most
 * front matters are simple: `key: value` lines, nested mappings, lists of words. The library spent
 * ≈ 1 ms a front matter of a few lines on code that had not yet warmed up, and a quarter of a
 * second per 10,000 variables of a large one (bench/RESULTS.md, lint-corpus and vars-200k).
 *
 * An entry is read here when it is only: mappings of plain keys on lines of their own; one-line
 * values that are plain words or sentences, "double" or 'single' quoted text without escapes,
 * `[a, "b"]` lists and `{ a: b }` maps of words; lists of such values in `- item` lines; comments on
 * lines of their own or after a value. A value the core schema reads as a number other than a
 * plain decimal integer, an anchor, a tag, a block scalar, a value continued on the next line: the
 * whole entry is left to the library, and so is the whole front matter when a top-level line is not
 * a plain `key:`. The nodes built here are the library's own (Scalar, YAMLMap, YAMLSeq, Pair) with
 * their `range` in the front matter's offsets, so the front matter's readers check them as they
 * check parsed ones; test/runbook/plain-yaml.test.ts holds the two ways to the same front matter.
 */
import { Pair, Scalar, YAMLMap, YAMLSeq } from 'yaml';

/** A top-level entry read here: its position among the top-level entries, and its pair. */
export interface PlainEntry {
  index: number;
  pair: Pair<Scalar, Scalar | YAMLMap | YAMLSeq>;
}

/** The front matter split: entries read here, and the rest of the text for the yaml library. */
export interface PlainSplit {
  read: PlainEntry[];
  /** The other entries' text, in order; `restOffset` maps an offset in it back to the front matter. */
  rest: string;
  restOffset: (offset: number) => number;
  /** How many top-level entries the front matter has. */
  entries: number;
}

/** A top-level line: a plain key, then `:` and a space or the line's end. */
const TOP_KEY = /^([A-Za-z_][A-Za-z0-9_-]*):(?: |$)/;
/** A key this reader takes: a word the yaml library reads as a plain scalar, never a number. */
const PLAIN_KEY = /^[A-Za-z_/][A-Za-z0-9_./-]*$/;
/** A one-line flow map of plain words: `{}`, `{ a: b }`, `{a: b, c: d}`. */
const FLOW_MAP =
  /^\{ *(?:[A-Za-z_/][A-Za-z0-9_./-]*: +[A-Za-z_/][A-Za-z0-9_./-]* *(?:, *[A-Za-z_/][A-Za-z0-9_./-]*: +[A-Za-z_/][A-Za-z0-9_./-]* *)*)?\}$/;
/** One `key: value` of such a map, with where it starts. */
const FLOW_ENTRY = /([A-Za-z_/][A-Za-z0-9_./-]*): +([A-Za-z_/][A-Za-z0-9_./-]*)/g;
/** What may start a plain value: not a YAML indicator (quotes, flow collections, anchors, tags, block scalars...). */
const PLAIN_START = /^[^-?:,[\]{}#&*!|>'"%@`\s]/;
/** Characters this reader never takes inside a value: controls, tabs, and what YAML may read as a line break or a byte-order mark. */
const UNTAKEN = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff]/;
/** Whitespace other than the space: tabs, carriage returns, no-break and other Unicode spaces. */
const OTHER_WHITESPACE = /[^\S ]/;
/** An item of a one-line flow sequence: a word without flow indicators, colons or comments. */
const FLOW_WORD = /^[A-Za-z0-9_./$-][A-Za-z0-9_./$-]*$/;
/** The core schema's numbers (yaml's schema/core), which this reader leaves to the library... */
const NUMBER =
  /^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
/** ...but for a plain decimal integer, exact as a double. */
const DECIMAL = /^(?:0|[1-9][0-9]{0,14})$/;

/** A plain word as the yaml library's core schema resolves it, or undefined when this reader leaves it to the library. */
function plainValue(word: string): string | boolean | number | null | undefined {
  switch (word) {
    case 'true':
    case 'True':
    case 'TRUE':
      return true;
    case 'false':
    case 'False':
    case 'FALSE':
      return false;
    case '~':
    case 'null':
    case 'Null':
    case 'NULL':
      return null;
    default:
      if (DECIMAL.test(word)) return Number(word);
      return NUMBER.test(word) ? undefined : word;
  }
}

function scalar(value: string | boolean | number | null, start: number, length: number): Scalar {
  const node = new Scalar(value);
  node.range = [start, start + length, start + length];
  return node;
}

/** A key: a PLAIN_KEY word, so never a number, but `null` and `true` are what they are. */
function keyScalar(word: string, start: number): Scalar {
  const value = plainValue(word);
  return scalar(value === undefined ? word : value, start, word.length);
}

/** Whether nothing but spaces, and perhaps a comment after one (` # ...`), follows `from` on the line. */
function endsValue(text: string, from: number): boolean {
  let end = from;
  while (end < text.length && text.charCodeAt(end) === 32) end++;
  return end === text.length || (end > from && text.charCodeAt(end) === 35) /* # */;
}

/**
 * The one-line value that starts `text` (a scalar, a flow sequence or a flow map), with `start` its
 * offset in the front matter; undefined when it is more than this reader takes.
 */
function inlineValue(text: string, start: number): Scalar | YAMLMap | YAMLSeq | undefined {
  if (UNTAKEN.test(text)) return undefined;
  const first = text[0];
  if (first === '"' || first === "'") {
    const close = text.indexOf(first, 1);
    if (close === -1 || !endsValue(text, close + 1)) return undefined;
    const content = text.slice(1, close);
    // Escapes in double quotes, and a doubled quote in single ones, are the library's to read.
    if (first === '"' && content.includes('\\')) return undefined;
    return scalar(content, start, close + 1);
  }
  if (first === '[') {
    const close = text.indexOf(']');
    if (close === -1 || !endsValue(text, close + 1)) return undefined;
    const seq = new YAMLSeq();
    seq.flow = true;
    seq.range = [start, start + close + 1, start + close + 1];
    const inner = text.slice(1, close);
    if (inner.trim() === '') return seq;
    let at = 1;
    for (const part of inner.split(',')) {
      const lead = part.length - part.trimStart().length;
      const item = part.trim();
      const itemStart = start + at + lead;
      at += part.length + 1;
      if (item.length >= 2 && (item[0] === '"' || item[0] === "'") && item.at(-1) === item[0]) {
        const content = item.slice(1, -1);
        if (/["'\\#[\]{}]/.test(content)) return undefined;
        seq.items.push(scalar(content, itemStart, item.length));
        continue;
      }
      const value = FLOW_WORD.test(item) ? plainValue(item) : undefined;
      if (value === undefined) return undefined;
      seq.items.push(scalar(value, itemStart, item.length));
    }
    return seq;
  }
  // Up to a comment or the trailing spaces (plainEntry took no other whitespace).
  const word = text.slice(0, text.search(/ +#| *$/));
  if (FLOW_MAP.test(word)) {
    const flow = new YAMLMap();
    flow.flow = true;
    flow.range = [start, start + word.length, start + word.length];
    for (const match of word.matchAll(FLOW_ENTRY)) {
      const at = start + (match.index ?? 0);
      const flowKey = match[1] as string;
      const flowValue = match[2] as string;
      const value = plainValue(flowValue);
      if (value === undefined) return undefined;
      flow.items.push(new Pair(keyScalar(flowKey, at), scalar(value, at + match[0].length - flowValue.length, flowValue.length)));
    }
    return flow;
  }
  // A plain scalar: never an indicator first, never `: ` or a trailing `:` (a mapping), nor `#` after a space (a comment).
  if (!PLAIN_START.test(word) || word.includes(': ') || word.endsWith(':') || word.includes(' #')) return undefined;
  const value = plainValue(word);
  return value === undefined ? undefined : scalar(value, start, word.length);
}

/** A line of the text: where it starts and ends (before its newline), and its indentation. */
interface Line {
  start: number;
  end: number;
  indent: number;
}

/** The lines from `from` on that are indented more than `indent`: the block below a `key:` or `- `. */
function blockEnd(lines: Line[], from: number, to: number, indent: number): number {
  let end = from;
  while (end < to && (lines[end] as Line).indent > indent) end++;
  return end;
}

/** An empty value (`key:` with nothing below it) where the yaml library puts it: just after the colon. */
function emptyScalar(at: number): Scalar {
  return scalar(null, at, 0);
}

/**
 * The block mapping on `lines[from..to)` whose keys are at `indent`, or undefined when any of it is
 * more than this reader takes (the caller then leaves the whole entry to the yaml library).
 */
function blockMap(text: string, lines: Line[], from: number, to: number, indent: number): YAMLMap | undefined {
  const map = new YAMLMap();
  let i = from;
  while (i < to) {
    const line = lines[i] as Line;
    if (line.indent !== indent) return undefined;
    const content = text.slice(line.start + indent, line.end);
    const colon = content.indexOf(':');
    if (colon <= 0) return undefined;
    const key = content.slice(0, colon);
    if (!PLAIN_KEY.test(key)) return undefined;
    const keyNode = keyScalar(key, line.start + indent);
    const after = content.slice(colon + 1);
    // `key:` then a space or the line's end; `key:x` is one plain word, not a mapping.
    if (after !== '' && !after.startsWith(' ')) return undefined;
    const below = blockEnd(lines, i + 1, to, indent);
    const valueText = after.trimStart();
    if (valueText === '' || valueText.startsWith('#')) {
      // Nothing but perhaps a comment on the key's line: the value is the block below it.
      const value = block(text, lines, i + 1, below, indent, line.start + indent + colon + 1 + after.length - valueText.length);
      if (!value) return undefined;
      map.items.push(new Pair(keyNode, value));
      i = below;
      continue;
    }
    // A value on the key's line: nothing may be indented below it (that would continue it).
    if (below !== i + 1) return undefined;
    const inline = inlineValue(valueText, line.start + indent + colon + 1 + after.length - valueText.length);
    if (!inline) return undefined;
    map.items.push(new Pair(keyNode, inline));
    i++;
  }
  const first = lines[from];
  const last = lines[to - 1];
  if (first && last) map.range = [first.start + indent, last.end, last.end];
  return map;
}

/**
 * What a `key:` with no value on its line holds: the block on `lines[from..to)` (a mapping, or a
 * list of `- value` lines), or an empty value at `at` when there is none; undefined when not taken.
 */
function block(text: string, lines: Line[], from: number, to: number, indent: number, at: number): Scalar | YAMLMap | YAMLSeq | undefined {
  if (from === to) return emptyScalar(at);
  const nested = (lines[from] as Line).indent;
  if (nested <= indent) return undefined;
  const first = text.slice((lines[from] as Line).start + nested, (lines[from] as Line).end);
  return first === '-' || first.startsWith('- ') ? blockSeq(text, lines, from, to, nested) : blockMap(text, lines, from, to, nested);
}

/** The list of `- value` lines on `lines[from..to)` at `indent`, each value on its own line. */
function blockSeq(text: string, lines: Line[], from: number, to: number, indent: number): YAMLSeq | undefined {
  const seq = new YAMLSeq();
  for (let i = from; i < to; i++) {
    const line = lines[i] as Line;
    const content = text.slice(line.start + indent, line.end);
    if (line.indent !== indent || !content.startsWith('- ')) return undefined;
    const valueText = content.slice(2).trimStart();
    // Only words, sentences and quoted text: a nested list or mapping is the library's.
    if (valueText[0] === '[' || valueText[0] === '{') return undefined;
    const item = inlineValue(valueText, line.start + indent + content.length - valueText.length);
    if (!item) return undefined;
    seq.items.push(item);
  }
  const first = lines[from] as Line;
  const last = lines[to - 1] as Line;
  seq.range = [first.start + indent, last.end, last.end];
  return seq;
}

/**
 * The top-level entries read here, when this reader takes them; undefined when it takes none, or
 * when the front matter's top level is more than `key:` lines (the library then reads all of it).
 */
export function readPlainEntries(yaml: string): PlainSplit | undefined {
  // The top-level entries: each from its `key:` line to the next one.
  const tops: { key: string; start: number }[] = [];
  for (let start = 0; start < yaml.length; ) {
    const newline = yaml.indexOf('\n', start);
    const end = newline === -1 ? yaml.length : newline;
    const first = yaml.charCodeAt(start);
    // A line at the left edge that is not blank nor a comment starts an entry, and must be a plain key.
    if (end > start && first !== 32 && first !== 35 /* # */) {
      const match = TOP_KEY.exec(yaml.slice(start, end));
      if (!match) return undefined;
      tops.push({ key: match[1] as string, start });
    } else if (tops.length === 0 && end > start && first === 32) return undefined;
    start = end + 1;
  }
  const read: PlainEntry[] = [];
  const kept: { from: number; to: number }[] = [];
  tops.forEach((top, index) => {
    const next = tops[index + 1]?.start ?? yaml.length;
    const pair = plainEntry(yaml, top.start, next);
    if (pair) read.push({ index, pair });
    else kept.push({ from: top.start, to: next });
  });
  if (read.length === 0) return undefined;
  // The text before the first entry (comments, blank lines) stays with the rest.
  const head = tops[0]?.start ?? 0;
  if (head > 0) kept.unshift({ from: 0, to: head });
  const pieces = kept.map((piece) => yaml.slice(piece.from, piece.to));
  const starts: number[] = [];
  let at = 0;
  for (const piece of pieces) {
    starts.push(at);
    at += piece.length;
  }
  const restOffset = (offset: number): number => {
    // The last piece that starts at or before the offset; an offset past the end stays past it.
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] as number) <= offset) low = mid;
      else high = mid - 1;
    }
    const piece = kept[low];
    return piece ? piece.from + offset - (starts[low] as number) : offset;
  };
  return { read, rest: pieces.join(''), restOffset, entries: tops.length };
}

/** The entry on yaml[start..end) (its `key:` line, and the lines below it) as a pair, when this reader takes all of it. */
function plainEntry(yaml: string, start: number, end: number): PlainEntry['pair'] | undefined {
  const lines: Line[] = [];
  for (let lineStart = start; lineStart < end; ) {
    const newline = yaml.indexOf('\n', lineStart);
    const lineEnd = newline === -1 || newline > end ? end : newline;
    const text = yaml.slice(lineStart, lineEnd);
    // Only spaces: YAML reads a no-break or other Unicode space as text, where trim() would drop it.
    if (OTHER_WHITESPACE.test(text)) return undefined;
    const content = text.replace(/ +$/, '');
    const indent = content.length - content.replace(/^ +/, '').length;
    // Blank lines and comment lines are nothing in a block.
    if (content !== '' && content[indent] !== '#') lines.push({ start: lineStart, end: lineStart + content.length, indent });
    lineStart = lineEnd + 1;
  }
  const map = blockMap(yaml, lines, 0, lines.length, 0);
  const pair = map?.items.length === 1 ? map.items[0] : undefined;
  return pair as PlainEntry['pair'] | undefined;
}
