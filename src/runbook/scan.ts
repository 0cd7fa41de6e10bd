/**
 * A block scanner for runbook bodies: one pass over the lines that finds what the runbook
 * parser needs (ATX and setext headings, fenced and indented code, paragraphs for block notes,
 * lists and their task items) without building marked's token tree, which is most of lint's
 * time on a large runbook. It follows CommonMark as marked implements it (tildes, fence
 * indentation, closing fences, unclosed fences running to the end, lazy list lines); the
 * differential test (test/runbook/scan-differential.test.ts) holds it to marked's outline.
 *
 * Block quotes are read as documents of their own once their `>` markers are off (as marked
 * lexes them). What it does not take on it hands back: `scanOutline` returns undefined for a
 * body with a quote's lazy continuation line, a quote in a list item, an HTML block other than a comment, a tab outside code, or a line where marked's
 * paragraph and setext rules part ways, and the parser reads that body with marked instead.
 * Tables, comments and link definitions are skipped whole; list items are read recursively.
 */
import type { Outline, OutlineCode, OutlineItem, OutlineSection } from './outline.js';

/** Thrown inside the scan when the body holds something only marked reads; never escapes. */
class LeaveToMarked extends Error {}

/**
 * How deep quotes and list items may nest. Each level is read as a document of its own, from a
 * copy of its lines: nesting a level deeper on each line made a 4 MB runbook take 7 s and 2.8 GB
 * (and 9 MB exhaust the heap), and some thousand levels overflowed the stack, in marked too.
 * Runbooks nest a handful of levels; 32 is far beyond any, and bounds the copies to 32 of the body.
 */
export const MAX_NESTING = 32;

/** A quote or list item nested deeper than MAX_NESTING, at this line of the file (1-based; 1 when marked found it). */
export class NestingTooDeep extends Error {
  constructor(readonly line: number) {
    super(
      `quotes and lists nest more than ${MAX_NESTING} levels deep, more than waymark reads: flatten the nesting (a runbook needs a handful)`,
    );
  }
}

const BLANK = /^[ \t]*$/;
const ATX = /^ {0,3}(#{1,6})(?=\s|$)(.*)$/;
const HR = /^ {0,3}((?:-[\t ]*){3,}|(?:_[ \t]*){3,}|(?:\*[ \t]*){3,})$/;
const SETEXT = /^ {0,3}(=+|-+)[ \t]*$/;
const FENCE_START = /^ {0,3}(?:`{3,}(?=[^`]*$)|~{3,})/;
/** Backticks with a backtick in the info string: a paragraph line, but the end of a setext heading's text in marked. */
const FENCE_LIKE = /^ {0,3}(?:`{3,}|~{3,})/;
const LIST_START = /^( {0,3})([*+-]|\d{1,9}[.)])(?=[ \t]|$)/;
/** A list item that may interrupt a paragraph (CommonMark: a bullet, or 1, with content). */
const INTERRUPTING_ITEM = /^ {0,3}(?:[*+-]|1[.)]) +[^ ]/;
/** A list item that ends a table's rows. */
const INTERRUPTING_ITEM_START = /^ {0,3}(?:[*+-]|1[.)])[ \t]/;
const QUOTE = /^ {0,3}>/;
/** A quote line's marker, which marked takes off with one space after it. */
const QUOTE_MARKER = /^ {0,3}> ?/;
const HTML = /^ {0,3}</;
const COMMENT_START = /^ {0,3}<!--/;
// marked's link reference definition: a label (which may run over lines), a URL (perhaps on the next line), a title.
const DEF_BLOCK =
  / {0,3}\[((?!\s*\])(?:\\[\s\S]|[^[\]\\\n]|\n(?![ \t]*\n))+)\]: *(?:\n[ \t]*)?([^<\s][^\s]*|<(?:\\.|[^\n<>\\])*>)(?:(?: +(?:\n[ \t]*)?| *\n[ \t]*)((?:"(?:\\[\s\S]|[^"\\])*"|'(?:\\[\s\S]|[^'\\\n]|\n(?!\n))*'|\((?:\\[\s\S]|[^()\\])*\))))? *(?:\n+|$)/y;
// marked's HTML comment block: to the line holding `-->`, or to the end.
const COMMENT_BLOCK = / {0,3}<!--(?:-?>|[\s\S]*?(?:-->|$))[^\n]*/y;
const DEF = /^ {0,3}\[/;
/** Could start a link reference definition (`[label]: url`), whose label may run on to the next line. */
const isDefLike = (text: string): boolean => DEF.test(text) && (!text.includes(']') || text.includes(']:'));
const PIPE_ROW = /^ {0,3}\|?(?:[:\- ]*\|)+[:\- ]*$/;
const TABLE_ALIGN = /^ {0,3}(?:\| *)?:?-+:? *(?:\| *:?-+:? *)*(?:\| *)?$/;
const TASK = /^\[[ xX]\][ \t]+\S/;
const TASK_BOX = /^\[[ xX]\][ \t]+/;
/** A task item's whole text when it is one line that Scan.block reads as a paragraph (see readItem). */
const ONE_LINE_TASK = /^\[[ xX]\][ \t]+[^\n\t|<`\]]*$/;
// marked's fence and indented-code rules, anchored where the scan stands (sticky) instead of at a copy's start.
const FENCE_BLOCK =
  /( {0,3})(`{3,}(?=[^`\n]*(?:\n|$))|~{3,})([^\n]*)(?:\n|$)(?:|([\s\S]*?)(?:\n|$))(?: {0,3}(?:(?=`)\2`*|(?=~)\2~*) *(?=\n|$)|$)/y;
const INDENTED_BLOCK = /(?:(?: {4}| {0,3}\t)[^\n]+(?:\n(?:[ \t]*(?:\n|$))*)?)+/y;
const CODE_INDENT = /^(?: {0,3}\t| {1,4})/gm;

/** Characters a block other than a paragraph can start with (after up to three spaces). */
const BLOCK_LEADS = new Set('#`~-_*+=<>|:[0123456789'.split('').map((c) => c.charCodeAt(0)));
/** Characters a table's alignment row can start with. */
const ALIGN_LEADS = new Set('|:-'.split('').map((c) => c.charCodeAt(0)));

/** True when `line` (no tab in it) is text no block but a paragraph can start with: most prose, read without a regex. */
function isProse(line: string, indent: number): boolean {
  return indent < 4 && indent < line.length && !BLOCK_LEADS.has(line.charCodeAt(indent));
}

/** True when `line` may be a table's alignment row. */
function mayBeAlignRow(line: string | undefined): boolean {
  return line !== undefined && ALIGN_LEADS.has(line.charCodeAt(indentOf(line))) && TABLE_ALIGN.test(line);
}

function indentOf(line: string): number {
  let n = 0;
  while (line.charCodeAt(n) === 32) n++;
  return n;
}

/** A heading's text as marked gives it: trimmed, without a closing run of `#` that follows a space. */
function atxText(rest: string): string {
  let text = rest.trim();
  if (text.endsWith('#')) {
    let end = text.length;
    while (end > 0 && text[end - 1] === '#') end--;
    const bare = text.slice(0, end);
    if (bare === '' || bare.endsWith(' ') || bare.endsWith('\t')) text = bare.trim();
  }
  return text;
}

/** A fenced block's code: lines lose as much indentation as the opening fence had (backtick fences only, as in marked). */
function fencedText(raw: string, content: string | undefined): string {
  let text = content ?? '';
  const indent = /^(\s+)(?:```)/.exec(raw)?.[1];
  if (indent !== undefined) {
    text = text
      .split('\n')
      .map((line) => {
        const lead = /^\s+/.exec(line)?.[0];
        return lead === undefined ? line : line.slice(Math.min(lead.length, indent.length));
      })
      .join('\n');
  }
  if (content !== undefined && (text === '' || text.endsWith('\n'))) text += '\n';
  return text;
}

/** An indented block's code: trailing blank lines dropped when there are two or more, then four columns of indentation off each line. */
function indentedText(raw: string): string {
  const lines = raw.split('\n');
  let last = lines.length - 1;
  while (last >= 0 && BLANK.test(lines[last] as string)) last--;
  const kept = lines.length - last <= 2 ? raw : lines.slice(0, last + 1).join('\n');
  return kept.replace(CODE_INDENT, '');
}

/** No `)` without its `(` and no `(` left open, backslash escapes skipped, as marked checks a link's URL. */
function balancedParentheses(url: string): boolean {
  let depth = 0;
  for (let i = 0; i < url.length; i++) {
    if (url[i] === '\\') i++;
    else if (url[i] === '(') depth++;
    else if (url[i] === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

/** How many cells marked finds in a table's header row (a pipe after a backslash is text). */
function headerCells(header: string): number {
  const marked = header.replace(/\|/g, (_pipe, offset: number, row: string) => {
    let escaped = false;
    for (let at = offset - 1; at >= 0 && row[at] === '\\'; at--) escaped = !escaped;
    return escaped ? '|' : ' |';
  });
  const cells = marked.split(/ \|/);
  if (!(cells[0] as string).trim()) cells.shift();
  if (cells.length > 0 && !(cells[cells.length - 1] as string).trim()) cells.pop();
  return cells.length;
}

/** Text inside a list item that marked reads as a line of text, not the start of a block of its own. */
function isPlainItemLine(text: string): boolean {
  return !(
    indentOf(text) >= 4 ||
    FENCE_LIKE.test(text) ||
    ATX.test(text) ||
    HR.test(text) ||
    SETEXT.test(text) ||
    QUOTE.test(text) ||
    HTML.test(text) ||
    LIST_START.test(text) ||
    isDefLike(text) ||
    (TABLE_ALIGN.test(text) && /[:|]/.test(text)) ||
    text.includes('|')
  );
}

class Scan {
  /** How many lines the body has (one more than its newlines). */
  readonly count: number;
  /** Where each line starts in the body, and after them the body's length plus one (where a line after the last would start). */
  readonly starts: Int32Array;
  /** The line last asked for, which is often asked for again at once: lines are sliced from the body when needed, not kept. */
  private cachedIndex = -1;
  private cachedLine = '';
  readonly sections: OutlineSection[] = [];
  firstH1: string | undefined;
  /** The line the last paragraph (text) started on. */
  lastWasText = -1;
  /** The code block whose note the next block gives, if that block is a paragraph. */
  awaitingNote: OutlineCode | undefined;
  /** Where the current section's Markdown starts. */
  sectionStart = 0;
  /** The body ends in a space that marked reads as a newline. */
  spaceAtEnd = false;
  /** In a list item: what was found, and paragraphs after code blocks (notes only if the list is loose). */
  readonly found: OutlineItem[] = [];
  readonly notes: { code: OutlineCode; note: string }[] = [];
  /**
   * Whether text is a paragraph (a note when it follows code). In a list item it is not (a note only
   * if the list is loose) until a nested list has been read: marked's lexer leaves its "top level"
   * state set after lexing one, and reads the rest of the item as at the top.
   */
  textIsParagraph: boolean;
  /** In a list item: a blank line between two of its blocks, which makes the list loose. */
  blankBetween = false;
  /** In a list item: the kind of its first block (a task item needs text first). */
  firstBlock: 'text' | 'other' | undefined;

  /**
   * `top`: the document's body, or else a list item's text (dedented, as marked lexes it), whose
   * first line is line `lineBase + 1` of the file.
   */
  constructor(
    readonly body: string,
    readonly top = true,
    readonly lineBase = 0,
    /** A block quote's text (its `>` markers taken off): read as a document, but its headings are not steps. */
    readonly quote = false,
    /** How many quotes and list items hold this text (0 for the document). */
    readonly depth = 0,
  ) {
    if (depth > MAX_NESTING) throw new NestingTooDeep(lineBase + 1);
    this.textIsParagraph = top || quote;
    // Offsets, not a split into line strings: for a long runbook, tens of thousands of strings that
    // outlive the young generation, each copied by the GC and each page of them a page fault.
    // One pass, into a typed array that doubles when full (a plain array's pushes cost more here).
    let starts = new Int32Array(64 + (body.length >> 5));
    let count = 1;
    for (let at = body.indexOf('\n'); at !== -1; at = body.indexOf('\n', at + 1)) {
      if (count === starts.length - 1) {
        const larger = new Int32Array(starts.length * 2);
        larger.set(starts);
        starts = larger;
      }
      starts[count++] = at + 1;
    }
    starts[count] = body.length + 1;
    this.count = count;
    this.starts = starts;
    this.sections.push({ line: 1, markdown: '', items: [] });
  }

  get items(): OutlineItem[] {
    return this.top ? (this.sections[this.sections.length - 1] as OutlineSection).items : this.found;
  }

  /** Line `i` (0-based), which must exist. */
  line(i: number): string {
    if (i !== this.cachedIndex) {
      this.cachedLine = this.body.slice(this.starts[i], (this.starts[i + 1] as number) - 1);
      this.cachedIndex = i;
    }
    return this.cachedLine;
  }

  /** Line `i`, or undefined past the last line. */
  lineAt(i: number): string | undefined {
    return i < this.count ? this.line(i) : undefined;
  }

  /** Lines `from` to `to` (exclusive) as one text, joined by their newlines. */
  linesBetween(from: number, to: number): string {
    return to <= from ? '' : this.body.slice(this.starts[from], (this.starts[to] as number) - 1);
  }

  /** Where line `i` starts; the body's length past the last line. */
  offsetOf(i: number): number {
    return i < this.count ? (this.starts[i] as number) : this.body.length;
  }

  /** The first line at or after `from` that starts at or after `offset`. */
  lineAfter(offset: number, from: number): number {
    let i = from;
    while (i < this.count && (this.starts[i] as number) < offset) i++;
    return i;
  }

  /**
   * Read the body from line `from` (0-based) on. The lines before it (a runbook's front matter) are
   * read as if blank, and left out of the first section's Markdown.
   */
  run(from = 0): Outline {
    let i = Math.min(from, this.count);
    this.sectionStart = this.offsetOf(i);
    let blankRun = false;
    while (i < this.count) {
      if (BLANK.test(this.line(i))) {
        blankRun = true;
        i++;
        continue;
      }
      if (blankRun && this.firstBlock !== undefined) this.blankBetween = true;
      blankRun = false;
      const start = i;
      i = this.block(i);
      this.firstBlock ??= this.lastWasText === start ? 'text' : 'other';
    }
    const last = this.sections[this.sections.length - 1] as OutlineSection;
    last.markdown = this.spaceAtEnd ? `${this.body.slice(this.sectionStart, -1)}\n` : this.body.slice(this.sectionStart);
    return this.firstH1 === undefined ? { sections: this.sections } : { sections: this.sections, firstH1: this.firstH1 };
  }

  /** Read the block starting at line `i` (top level); returns the line after it. */
  block(i: number): number {
    const text = this.line(i);
    if (BLANK.test(text)) return i + 1;
    if (text.includes('\t')) throw new LeaveToMarked();
    const awaiting = this.awaitingNote;
    this.awaitingNote = undefined;
    const indent = indentOf(text);
    if (isProse(text, indent) && !mayBeAlignRow(this.lineAt(i + 1))) return this.paragraph(i, awaiting);
    if (indent >= 4) return this.indentedCode(i);
    if (FENCE_START.test(text)) return this.fencedCode(i);
    const atx = ATX.exec(text);
    if (atx) {
      this.heading(i, i, (atx[1] as string).length, atxText(atx[2] as string));
      return i + 1;
    }
    if (HR.test(text)) return i + 1;
    if (COMMENT_START.test(text)) return this.comment(i);
    if (DEF.test(text)) {
      const next = this.definition(i);
      if (next !== undefined) return next;
    }
    if (text.charCodeAt(indent) === 62 /* > */) {
      if (this.top || this.quote) return this.blockQuote(i);
      throw new LeaveToMarked();
    }
    if (HTML.test(text) || isDefLike(text) || PIPE_ROW.test(text)) throw new LeaveToMarked();
    if (LIST_START.test(text)) return this.list(i);
    const align = this.lineAt(i + 1);
    if (align !== undefined && TABLE_ALIGN.test(align) && /[:|]/.test(align)) {
      // marked tries a table at every line of a list item's text, not only at a block's start.
      if (!this.top && !this.quote) throw new LeaveToMarked();
      return this.table(i);
    }
    return this.paragraph(i, awaiting);
  }

  /**
   * A block quote: its `>` lines, read as a document of their own once the markers are off (as
   * marked lexes a quote), line for line, so its code blocks and tasks keep their lines. Its
   * headings are not steps, and a note is a paragraph inside the quote. A lazy continuation line
   * (text without `>` that marked's paragraph rule draws into the quote) is left to marked; a
   * blank line, the end, or an ATX heading (which interrupts a paragraph) ends the quote.
   */
  blockQuote(i: number): number {
    let j = i;
    while (j < this.count && QUOTE.test(this.line(j))) {
      if (this.line(j).includes('\t')) throw new LeaveToMarked();
      j++;
    }
    if (j < this.count && !BLANK.test(this.line(j)) && !ATX.test(this.line(j))) throw new LeaveToMarked();
    const text = this.linesBetween(i, j)
      .split('\n')
      .map((line) => line.replace(QUOTE_MARKER, ''))
      .join('\n');
    const inner = new Scan(text, false, this.lineBase + i, true, this.depth + 1);
    inner.run();
    this.items.push(...inner.found);
    return j;
  }

  /** A link reference definition (`[id]: url "title"`), or undefined when marked would not read one here. */
  definition(i: number): number | undefined {
    DEF_BLOCK.lastIndex = this.starts[i] as number;
    const match = DEF_BLOCK.exec(this.body);
    if (!match) return undefined;
    // marked refuses a URL with unbalanced parentheses and reads the lines otherwise; leave that to it.
    if (!(match[2] as string).startsWith('<') && !balancedParentheses(match[2] as string)) throw new LeaveToMarked();
    // Its raw text stops before the newlines after it, which are a space of their own (a list can turn loose on them).
    let end = DEF_BLOCK.lastIndex;
    while (end > 0 && this.body[end - 1] === '\n') end--;
    return this.lineAfter(end + 1, i + 1);
  }

  /** An HTML comment (`<!-- ... -->`), which may run over several lines; it holds nothing for the outline. */
  comment(i: number): number {
    COMMENT_BLOCK.lastIndex = this.starts[i] as number;
    if (!COMMENT_BLOCK.exec(this.body)) throw new LeaveToMarked();
    const end = COMMENT_BLOCK.lastIndex;
    // marked's comment takes one newline after it along; a lone space left at the end becomes a newline.
    if (this.top && end === this.body.length - 2 && this.body.endsWith('\n ')) this.spaceAtEnd = true;
    return this.lineAfter(end + 1, i + 1);
  }

  indentedCode(i: number): number {
    INDENTED_BLOCK.lastIndex = this.starts[i] as number;
    const match = INDENTED_BLOCK.exec(this.body);
    if (!match) throw new LeaveToMarked();
    const raw = match[0];
    const code: OutlineCode = { kind: 'code', line: this.lineBase + i + 1, fenced: false, raw, text: indentedText(raw) };
    this.items.push(code);
    this.awaitingNote = code;
    // The blank lines the match took in are the next space's in marked (they can make a list loose).
    let next = this.lineAfter(INDENTED_BLOCK.lastIndex, i + 1);
    while (next > i + 1 && BLANK.test(this.line(next - 1))) next--;
    return next;
  }

  fencedCode(i: number): number {
    FENCE_BLOCK.lastIndex = this.starts[i] as number;
    const match = FENCE_BLOCK.exec(this.body);
    if (!match) throw new LeaveToMarked();
    const raw = match[0];
    const code: OutlineCode = { kind: 'code', line: this.lineBase + i + 1, fenced: true, raw, text: fencedText(raw, match[4]) };
    this.items.push(code);
    this.awaitingNote = code;
    return this.lineAfter(FENCE_BLOCK.lastIndex + 1, i + 1);
  }

  /** A heading from line `first` to line `last` (a setext heading's underline). */
  heading(first: number, last: number, depth: number, text: string): void {
    // Headings inside a list item are neither steps nor the title.
    if (!this.top) return;
    if (depth !== 2) {
      if (depth === 1 && this.firstH1 === undefined) this.firstH1 = text.trim();
      return;
    }
    const current = this.sections[this.sections.length - 1] as OutlineSection;
    current.markdown = this.body.slice(this.sectionStart, this.starts[first]);
    // marked gives a single newline after a heading to the heading, and more than one to what follows.
    const end = (this.starts[last] as number) + this.line(last).length;
    const next = this.lineAt(last + 1);
    this.sectionStart =
      end < this.body.length && (end + 1 === this.body.length || (next !== undefined && !BLANK.test(next))) ? end + 1 : end;
    this.sections.push({ heading: { text, line: first + 1 }, line: first + 1, markdown: '', items: [] });
  }

  /** A GFM table: its header at line `i`, the alignment row under it, then rows up to a blank line or a block's start. */
  table(i: number): number {
    const header = this.line(i).trimStart();
    const align = this.line(i + 1).replace(/^ {0,3}/, '');
    // Without as many header cells as alignment cells marked reads no table, and the lines' fate is its own.
    if (headerCells(header) !== align.replace(/^\||\| *$/g, '').split('|').length) throw new LeaveToMarked();
    let j = i + 2;
    for (; j < this.count; j++) {
      const row = this.line(j);
      if (row.includes('\t') || HTML.test(row)) throw new LeaveToMarked();
      if (
        /^ *$/.test(row) ||
        indentOf(row) >= 4 ||
        HR.test(row) ||
        ATX.test(row) ||
        QUOTE.test(row) ||
        FENCE_START.test(row) ||
        INTERRUPTING_ITEM_START.test(row)
      )
        break;
    }
    return j;
  }

  /** A paragraph, or a setext heading if an underline ends it. */
  paragraph(i: number, awaiting: OutlineCode | undefined): number {
    // Backticks with a backtick in the info string start a paragraph that marked never lets an underline make a heading.
    if (FENCE_LIKE.test(this.line(i))) throw new LeaveToMarked();
    let j = i + 1;
    for (; j < this.count; j++) {
      const text = this.line(j);
      if (BLANK.test(text)) break;
      if (text.includes('\t')) throw new LeaveToMarked();
      if (isProse(text, indentOf(text)) && !mayBeAlignRow(this.lineAt(j + 1))) continue;
      const underline = SETEXT.exec(text);
      if (underline) {
        const lines = this.linesBetween(i, j);
        this.heading(i, j, (underline[1] as string).startsWith('=') ? 1 : 2, lines.trim());
        return j + 1;
      }
      if (ATX.test(text) || FENCE_START.test(text) || HR.test(text) || INTERRUPTING_ITEM.test(text) || COMMENT_START.test(text)) break;
      // Lines where marked's paragraph and setext rules part ways, or blocks only marked reads.
      // A quote interrupts a paragraph and a setext heading's text alike.
      if (QUOTE.test(text)) break;
      if (FENCE_LIKE.test(text) || LIST_START.test(text) || HTML.test(text) || PIPE_ROW.test(text)) throw new LeaveToMarked();
      const next = this.lineAt(j + 1);
      if (mayBeAlignRow(next) && !/^ {0,3}-+[ \t]*$/.test(next as string)) throw new LeaveToMarked();
      // In a list item marked appends indented lines to the text as code, blank lines after them included.
      if (!this.textIsParagraph && indentOf(text) >= 4) throw new LeaveToMarked();
      // There marked also tries a link definition at each line, which may take the next line as its URL.
      if (!this.textIsParagraph && isDefLike(text)) throw new LeaveToMarked();
    }
    this.lastWasText = i;
    if (awaiting) {
      const note = this.linesBetween(i, j)
        .replace(/\s*\n\s*/g, ' ')
        .trim();
      if (this.textIsParagraph) awaiting.note = note;
      else this.notes.push({ code: awaiting, note });
    }
    return j;
  }

  /** A list: its items' extent first, then each item's text read as marked lexes it. */
  list(i: number): number {
    const marker = (LIST_START.exec(this.line(i)) as RegExpExecArray)[2] as string;
    const ordered = marker.length > 1;
    const sameList = sameListPattern(ordered ? marker.slice(-1) : marker, ordered);
    const items: ListItem[] = [];
    let j = i;
    while (j < this.count && sameList.test(this.line(j)) && !HR.test(this.line(j))) {
      const item = this.listItem(j);
      items.push(item);
      j = item.next;
    }
    const last = items[items.length - 1] as ListItem;
    if (j === this.count && this.top) {
      // marked trims the list's end and turns a lone trailing space after it into a newline.
      const start = this.starts[i] as number;
      const kept = this.body.slice(start).trimEnd().length;
      if (this.body.length - start - kept === 1 && this.body.endsWith(' ')) this.spaceAtEnd = true;
    }
    last.text = last.text.trimEnd();
    // A blank line after an item that another follows makes the list loose, as does one between an item's blocks.
    let loose = items
      .slice(0, -1)
      .some((item) => /\n[ \t]*\n[ \t]*$/.test(this.body.slice(this.starts[item.line], this.offsetOf(item.next))));
    const scans = items.map((item) => {
      const scan = readItem(item.text, this.lineBase + item.line, this.depth + 1);
      if (scan.blankBetween) loose = true;
      return scan;
    });
    items.forEach((item, n) => {
      const scan = scans[n] as ItemReading;
      if (TASK.test(item.text)) {
        // marked makes an item a task only when its text comes first (not a setext heading or a block).
        if (scan.firstBlock !== 'text') throw new LeaveToMarked();
        this.items.push({ kind: 'task', line: this.lineBase + item.line + 1, text: firstLine(item.text).replace(TASK_BOX, '').trim() });
      }
      if (loose) for (const { code, note } of scan.notes) code.note = note;
      this.items.push(...scan.found);
    });
    this.textIsParagraph = true;
    // Blank lines after the list are the container's, as in marked, where they can make an outer list loose.
    while (j > i && BLANK.test(this.line(j - 1))) j--;
    return j;
  }

  /** One item from its marker line: where it ends, and its text (the content, dedented to the item's column). */
  listItem(i: number): ListItem {
    const text = this.line(i);
    const start = LIST_START.exec(text) as RegExpExecArray;
    const markerEnd = start[0].length;
    const after = text.slice(markerEnd);
    if (after.includes('\t') || after.trim() === '') throw new LeaveToMarked();
    const gap = indentOf(after);
    if (gap > 4) throw new LeaveToMarked();
    const column = markerEnd + gap;
    const lines = [after.slice(gap)];
    const edge = Math.min(3, column - 1);
    const { ends, lazyEnds, html } = itemEndPatterns(edge);
    let blankBefore = false;
    // marked judges a lazy line by the line before it, cut at the item's column as it cuts lines it keeps.
    let before = after;
    let beforeLazy = false;
    let j = i + 1;
    for (; j < this.count; j++) {
      const line = this.line(j);
      if (line.includes('\t')) throw new LeaveToMarked();
      if (ends.test(line)) break;
      if (BLANK.test(line) || indentOf(line) >= column) {
        blankBefore = BLANK.test(line);
        beforeLazy = false;
        lines.push(line.slice(column));
      } else {
        if (blankBefore) break;
        if (indentOf(before) >= 4 || lazyEnds.test(before)) break;
        if (html.test(before)) throw new LeaveToMarked();
        if (!beforeLazy) {
          const bare = before.replace(/^(?: {0,3}(?:(?:[*+-]|\d{1,9}[.)])[ \t]+|>[ \t]?))+/, '');
          if (FENCE_START.test(bare) || ATX.test(bare) || HR.test(bare)) break;
        }
        // A lazy continuation line: part of the item's text, as written.
        if (!isPlainItemLine(line.trimStart())) throw new LeaveToMarked();
        beforeLazy = true;
        lines.push(line);
      }
      before = line.slice(column);
    }
    return { line: i, next: j, text: lines.join('\n') };
  }
}

/** What `list` needs of a list item's text read as blocks. */
type ItemReading = Pick<Scan, 'firstBlock' | 'blankBetween' | 'found' | 'notes'>;

/** An item that is one line of prose: a paragraph and nothing else, as a Scan of it would find. */
const PROSE_ITEM: ItemReading = Object.freeze({
  firstBlock: 'text',
  blankBetween: false,
  found: Object.freeze([]) as unknown as OutlineItem[],
  notes: Object.freeze([]) as unknown as ItemReading['notes'],
});

/**
 * Read a list item's text (its first line is line `lineBase + 1` of the file). One line of prose
 * (a checklist item, most often) is a paragraph without anything in it: known without a Scan of its
 * own, which splits the text into lines — thousands of times in a long runbook.
 */
function readItem(text: string, lineBase: number, depth: number): ItemReading {
  // As Scan.block and Scan.paragraph judge a line: prose, not a table's header (there is no next
  // line to align it), and not backticks that marked keeps apart; or a task's box and text without
  // the characters that could make it a link definition (`]:`), a table row, HTML or code.
  if (
    !text.includes('\n') &&
    !text.includes('\t') &&
    ((isProse(text, indentOf(text)) && !FENCE_LIKE.test(text)) || ONE_LINE_TASK.test(text))
  )
    return PROSE_ITEM;
  const scan = new Scan(text, false, lineBase, false, depth);
  scan.run();
  return scan;
}

/** The patterns that end a list item whose content is at column `edge + 1` or more (edge is 0–3). */
interface ItemEndPatterns {
  /** A line that starts another block, ending the item. */
  ends: RegExp;
  /** A line before a lazy one that makes it not lazy. */
  lazyEnds: RegExp;
  /** HTML at the item's edge, which the scanner leaves to marked. */
  html: RegExp;
}

// Built once per edge and per marker, not per item: a long runbook has thousands of list items.
const itemEnds = new Map<number, ItemEndPatterns>();
const sameLists = new Map<string, RegExp>();

function itemEndPatterns(edge: number): ItemEndPatterns {
  let patterns = itemEnds.get(edge);
  if (patterns === undefined) {
    patterns = {
      ends: new RegExp(
        `^ {0,${edge}}(?:\`\`\`|~~~|#{1,6}(?:\\s|$)|<|>|(?:[*+-]|\\d{1,9}[.)])(?:[ \\t]|$)|(?:-[ \\t]*){3,}$|(?:_[ \\t]*){3,}$|(?:\\*[ \\t]*){3,}$)`,
      ),
      lazyEnds: new RegExp(`^ {0,${edge}}(?:\`\`\`|~~~|#{1,6}(?:\\s|$)|(?:-[ \\t]*){3,}$|(?:_[ \\t]*){3,}$|(?:\\*[ \\t]*){3,}$)`),
      html: new RegExp(`^ {0,${edge}}<`),
    };
    itemEnds.set(edge, patterns);
  }
  return patterns;
}

/** A marker line of the same list: `-`, `*` or `+` as given, or any number followed by `.` or `)` as given. */
function sameListPattern(marker: string, ordered: boolean): RegExp {
  const key = `${ordered ? 'n' : 'b'}${marker}`;
  let pattern = sameLists.get(key);
  if (pattern === undefined) {
    pattern = ordered ? new RegExp(`^ {0,3}\\d{1,9}\\${marker}(?=[ \\t]|$)`) : new RegExp(`^ {0,3}\\${marker}(?=[ \\t]|$)`);
    sameLists.set(key, pattern);
  }
  return pattern;
}

/** A list item: its marker's line (0-based, in the container), the line after it, and its text. */
interface ListItem {
  line: number;
  next: number;
  text: string;
}

function firstLine(text: string): string {
  const newline = text.indexOf('\n');
  return newline === -1 ? text : text.slice(0, newline);
}

/**
 * The outline of `text` read from line `from` (0-based) on, or undefined when marked must read it. A
 * runbook's front matter is skipped so, rather than blanked in a copy of the text: the lines keep their
 * numbers, and the first section's Markdown starts after it (parse.ts drops its leading newlines).
 */
export function scanOutline(text: string, from = 0): Outline | undefined {
  try {
    return new Scan(text).run(from);
  } catch (error) {
    if (error instanceof LeaveToMarked) return undefined;
    throw error;
  }
}
