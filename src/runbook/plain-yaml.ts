/**
 * A large front matter's `vars:` and `profiles:` read without the yaml library's lexer, parser and
 * composer, when they are plain: mappings of plain words, on lines of their own, with one-line
 * `{ key: value }` maps. A runbook that declares 200,000 variables spent most of its lint in the
 * library's syntax tree and document for them (bench/RESULTS.md, vars-200k). Everything else (the
 * other top-level keys, and a section with anything more: quotes, lists, anchors, comments after a
 * value, numbers) is left to the library, as is the whole front matter when a top-level line is
 * not a plain `key:`. The nodes built here are the library's own (Scalar, YAMLMap, Pair) with
 * their `range` in the front matter's offsets, so the front matter's readers check them as they
 * check parsed ones; test/runbook/plain-yaml.test.ts holds the two ways to the same front matter.
 */
import { Pair, Scalar, YAMLMap } from 'yaml';

/** A top-level entry read here: its position among the top-level entries, and its pair. */
export interface PlainEntry {
  index: number;
  pair: Pair<Scalar, YAMLMap>;
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
/** A word the yaml library reads as a plain scalar, and as a string, true, false or null (never a number). */
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./-]*$/;
/** A one-line flow map of plain words: `{}`, `{ a: b }`, `{a: b, c: d}`. */
const FLOW_MAP =
  /^\{ *(?:[A-Za-z_/][A-Za-z0-9_./-]*: +[A-Za-z_/][A-Za-z0-9_./-]* *(?:, *[A-Za-z_/][A-Za-z0-9_./-]*: +[A-Za-z_/][A-Za-z0-9_./-]* *)*)?\}$/;
/** One `key: value` of such a map, with where it starts. */
const FLOW_ENTRY = /([A-Za-z_/][A-Za-z0-9_./-]*): +([A-Za-z_/][A-Za-z0-9_./-]*)/g;

/** A plain word as the yaml library's core schema resolves it. */
function plainValue(word: string): string | boolean | null {
  switch (word) {
    case 'true':
    case 'True':
    case 'TRUE':
      return true;
    case 'false':
    case 'False':
    case 'FALSE':
      return false;
    case 'null':
    case 'Null':
    case 'NULL':
      return null;
    default:
      return word;
  }
}

function scalar(word: string, start: number): Scalar {
  const node = new Scalar(plainValue(word));
  node.range = [start, start + word.length, start + word.length];
  return node;
}

/** A line of the text: where it starts and ends (before its newline), and its indentation. */
interface Line {
  start: number;
  end: number;
  indent: number;
}

/**
 * The block mapping on `lines[from..to)` whose keys are at `indent`, or undefined when any of it is
 * more than plain words (the caller then leaves the whole section to the yaml library).
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
    if (!PLAIN.test(key)) return undefined;
    const keyNode = scalar(key, line.start + indent);
    const after = content.slice(colon + 1);
    i++;
    if (after === '') {
      // `key:` alone: a map below it when the next lines are indented further, else null.
      let end = i;
      while (end < to && (lines[end] as Line).indent > indent) end++;
      if (end === i) {
        const empty = new Scalar(null);
        const at = line.start + indent + colon + 1;
        empty.range = [at, at, at];
        map.items.push(new Pair(keyNode, empty));
        continue;
      }
      const nested = blockMap(text, lines, i, end, (lines[i] as Line).indent);
      if (!nested) return undefined;
      map.items.push(new Pair(keyNode, nested));
      i = end;
      continue;
    }
    if (!after.startsWith(' ')) return undefined;
    const word = after.trim();
    const valueStart = line.start + indent + colon + 1 + (after.length - after.trimStart().length);
    // (A more indented line after a value, which would continue it, ends the loop above: not plain.)
    if (PLAIN.test(word)) {
      map.items.push(new Pair(keyNode, scalar(word, valueStart)));
    } else if (FLOW_MAP.test(word)) {
      const flow = new YAMLMap();
      flow.flow = true;
      flow.range = [valueStart, valueStart + word.length, valueStart + word.length];
      for (const match of word.matchAll(FLOW_ENTRY)) {
        const at = valueStart + (match.index ?? 0);
        const flowKey = match[1] as string;
        const flowValue = match[2] as string;
        flow.items.push(new Pair(scalar(flowKey, at), scalar(flowValue, at + match[0].length - flowValue.length)));
      }
      map.items.push(new Pair(keyNode, flow));
    } else return undefined;
  }
  const first = lines[from];
  const last = lines[to - 1];
  if (first && last) map.range = [first.start + indent, last.end, last.end];
  return map;
}

/**
 * The top-level entries named in `keys` read here, when plain; undefined when none is, or when the
 * front matter's top level is more than `key:` lines (the library then reads all of it).
 */
export function readPlainEntries(yaml: string, keys: ReadonlySet<string>): PlainSplit | undefined {
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
    const pair = keys.has(top.key) ? plainEntry(yaml, top.start, next, top.key) : undefined;
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

/** The entry `key:` on yaml[start..end) as a pair, when its value is a plain block mapping. */
function plainEntry(yaml: string, start: number, end: number, key: string): Pair<Scalar, YAMLMap> | undefined {
  const firstEnd = yaml.indexOf('\n', start);
  // Only `key:` alone on its line, then the mapping below it.
  if (firstEnd === -1 || firstEnd >= end || yaml.slice(start, firstEnd).trimEnd() !== `${key}:`) return undefined;
  const lines: Line[] = [];
  for (let lineStart = firstEnd + 1; lineStart < end; ) {
    const newline = yaml.indexOf('\n', lineStart);
    const lineEnd = newline === -1 || newline > end ? end : newline;
    const text = yaml.slice(lineStart, lineEnd);
    if (text.includes('\t')) return undefined;
    const content = text.trimEnd();
    const indent = content.length - content.trimStart().length;
    // Blank lines are nothing; a comment line is left to the library, as is anything at the edge.
    if (content !== '') {
      if (content[indent] === '#' || indent === 0) return undefined;
      lines.push({ start: lineStart, end: lineStart + content.length, indent });
    }
    lineStart = lineEnd + 1;
  }
  if (lines.length === 0) return undefined;
  const map = blockMap(yaml, lines, 0, lines.length, (lines[0] as Line).indent);
  if (!map) return undefined;
  return new Pair(scalar(key, start), map);
}
