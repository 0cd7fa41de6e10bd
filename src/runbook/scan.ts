/**
 * A block scanner for runbook bodies: one pass over the lines that finds what the runbook
 * parser needs (ATX and setext headings, fenced and indented code, paragraphs for block notes,
 * lists and their task items) without building marked's token tree, which is most of lint's
 * time on a large runbook. It follows CommonMark as marked implements it (tildes, fence
 * indentation, closing fences, unclosed fences running to the end, lazy list lines); the
 * differential test (test/runbook/scan-differential.test.ts) holds it to marked's outline.
 *
 * What it does not take on it hands back: `scanOutline` returns undefined for a body with a
 * block quote, an HTML block, a link definition, a table, a tab outside code, or a list item
 * holding more than lines of text (code, a nested list, a second paragraph), and the parser
 * reads that body with marked instead. Runbooks rarely have them; a generated runbook never.
 */
import type { Outline, OutlineCode, OutlineItem, OutlineSection } from './outline.js';

/** Thrown inside the scan when the body holds something only marked reads; never escapes. */
class LeaveToMarked extends Error {}

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
const HTML = /^ {0,3}</;
const DEF = /^ {0,3}\[/;
/** Could start a link reference definition (`[label]: url`), whose label may run on to the next line. */
const isDefLike = (text: string): boolean => DEF.test(text) && (!text.includes(']') || text.includes(']:'));
const PIPE_ROW = /^ {0,3}\|?(?:[:\- ]*\|)+[:\- ]*$/;
const TABLE_ALIGN = /^ {0,3}(?:\| *)?:?-+:? *(?:\| *:?-+:? *)*(?:\| *)?$/;
const TASK = /^\[[ xX]\][ \t]+\S/;
const TASK_BOX = /^\[[ xX]\][ \t]+/;
// marked's fence and indented-code rules, anchored where the scan stands (sticky) instead of at a copy's start.
const FENCE_BLOCK = /( {0,3})(`{3,}(?=[^`\n]*(?:\n|$))|~{3,})([^\n]*)(?:\n|$)(?:|([\s\S]*?)(?:\n|$))(?: {0,3}(?:(?=`)\2`*|(?=~)\2~*) *(?=\n|$)|$)/y;
const INDENTED_BLOCK = /(?:(?: {4}| {0,3}\t)[^\n]+(?:\n(?:[ \t]*(?:\n|$))*)?)+/y;
const CODE_INDENT = /^(?: {0,3}\t| {1,4})/gm;

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
  readonly lines: string[];
  readonly starts: number[];
  readonly sections: OutlineSection[] = [];
  firstH1: string | undefined;
  /** The code block whose note the next block gives, if that block is a paragraph. */
  awaitingNote: OutlineCode | undefined;
  /** Where the current section's Markdown starts. */
  sectionStart = 0;
  /** The body ends in a space that marked reads as a newline. */
  spaceAtEnd = false;

  constructor(readonly body: string) {
    this.lines = body.split('\n');
    this.starts = new Array<number>(this.lines.length);
    let offset = 0;
    for (let i = 0; i < this.lines.length; i++) {
      this.starts[i] = offset;
      offset += (this.lines[i] as string).length + 1;
    }
    this.sections.push({ line: 1, markdown: '', items: [] });
  }

  get items(): OutlineItem[] {
    return (this.sections[this.sections.length - 1] as OutlineSection).items;
  }

  line(i: number): string {
    return this.lines[i] as string;
  }

  /** The first line at or after `from` that starts at or after `offset`. */
  lineAfter(offset: number, from: number): number {
    let i = from;
    while (i < this.lines.length && (this.starts[i] as number) < offset) i++;
    return i;
  }

  run(): Outline {
    let i = 0;
    while (i < this.lines.length) i = this.block(i);
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
    if (indentOf(text) >= 4) return this.indentedCode(i);
    if (FENCE_START.test(text)) return this.fencedCode(i);
    const atx = ATX.exec(text);
    if (atx) {
      this.heading(i, i, (atx[1] as string).length, atxText(atx[2] as string));
      return i + 1;
    }
    if (HR.test(text)) return i + 1;
    if (QUOTE.test(text) || HTML.test(text) || isDefLike(text) || PIPE_ROW.test(text)) throw new LeaveToMarked();
    if (LIST_START.test(text)) return this.list(i);
    const align = this.lines[i + 1];
    if (align !== undefined && TABLE_ALIGN.test(align) && /[:|]/.test(align)) return this.table(i);
    return this.paragraph(i, awaiting);
  }

  indentedCode(i: number): number {
    INDENTED_BLOCK.lastIndex = this.starts[i] as number;
    const match = INDENTED_BLOCK.exec(this.body);
    if (!match) throw new LeaveToMarked();
    const raw = match[0];
    const code: OutlineCode = { kind: 'code', line: i + 1, fenced: false, raw, text: indentedText(raw) };
    this.items.push(code);
    this.awaitingNote = code;
    return this.lineAfter(INDENTED_BLOCK.lastIndex, i + 1);
  }

  fencedCode(i: number): number {
    FENCE_BLOCK.lastIndex = this.starts[i] as number;
    const match = FENCE_BLOCK.exec(this.body);
    if (!match) throw new LeaveToMarked();
    const raw = match[0];
    const code: OutlineCode = { kind: 'code', line: i + 1, fenced: true, raw, text: fencedText(raw, match[4]) };
    this.items.push(code);
    this.awaitingNote = code;
    return this.lineAfter(FENCE_BLOCK.lastIndex + 1, i + 1);
  }

  /** A heading from line `first` to line `last` (a setext heading's underline). */
  heading(first: number, last: number, depth: number, text: string): void {
    if (depth !== 2) {
      if (depth === 1 && this.firstH1 === undefined) this.firstH1 = text.trim();
      return;
    }
    const current = this.sections[this.sections.length - 1] as OutlineSection;
    current.markdown = this.body.slice(this.sectionStart, this.starts[first]);
    // marked gives a single newline after a heading to the heading, and more than one to what follows.
    const end = (this.starts[last] as number) + this.line(last).length;
    const next = this.lines[last + 1];
    this.sectionStart = end < this.body.length && (end + 1 === this.body.length || (next !== undefined && !BLANK.test(next))) ? end + 1 : end;
    this.sections.push({ heading: { text, line: first + 1 }, line: first + 1, markdown: '', items: [] });
  }

  /** A GFM table: its header at line `i`, the alignment row under it, then rows up to a blank line or a block's start. */
  table(i: number): number {
    const header = this.line(i).trimStart();
    const align = this.line(i + 1).replace(/^ {0,3}/, '');
    // Without as many header cells as alignment cells marked reads no table, and the lines' fate is its own.
    if (headerCells(header) !== align.replace(/^\||\| *$/g, '').split('|').length) throw new LeaveToMarked();
    let j = i + 2;
    for (; j < this.lines.length; j++) {
      const row = this.line(j);
      if (row.includes('\t') || HTML.test(row)) throw new LeaveToMarked();
      if (/^ *$/.test(row) || indentOf(row) >= 4 || HR.test(row) || ATX.test(row) || QUOTE.test(row) || FENCE_START.test(row) || INTERRUPTING_ITEM_START.test(row)) break;
    }
    return j;
  }

  /** A paragraph, or a setext heading if an underline ends it. */
  paragraph(i: number, awaiting: OutlineCode | undefined): number {
    // Backticks with a backtick in the info string start a paragraph that marked never lets an underline make a heading.
    if (FENCE_LIKE.test(this.line(i))) throw new LeaveToMarked();
    let j = i + 1;
    for (; j < this.lines.length; j++) {
      const text = this.line(j);
      if (BLANK.test(text)) break;
      if (text.includes('\t')) throw new LeaveToMarked();
      const underline = SETEXT.exec(text);
      if (underline) {
        const lines = this.lines.slice(i, j).join('\n');
        this.heading(i, j, (underline[1] as string).startsWith('=') ? 1 : 2, lines.trim());
        return j + 1;
      }
      if (ATX.test(text) || FENCE_START.test(text) || HR.test(text) || INTERRUPTING_ITEM.test(text)) break;
      // Lines where marked's paragraph and setext rules part ways, or blocks only marked reads.
      if (FENCE_LIKE.test(text) || LIST_START.test(text) || QUOTE.test(text) || HTML.test(text) || PIPE_ROW.test(text)) throw new LeaveToMarked();
      const next = this.lines[j + 1];
      if (next !== undefined && TABLE_ALIGN.test(next) && !/^ {0,3}-+[ \t]*$/.test(next)) throw new LeaveToMarked();
    }
    if (awaiting) awaiting.note = this.lines.slice(i, j).join('\n').replace(/\s*\n\s*/g, ' ').trim();
    return j;
  }

  /** A list of items that hold lines of text; anything more and marked reads the body. */
  list(i: number): number {
    const marker = (LIST_START.exec(this.line(i)) as RegExpExecArray)[2] as string;
    const ordered = marker.length > 1;
    const sameList = ordered ? new RegExp(`^ {0,3}\\d{1,9}\\${marker.slice(-1)}(?=[ \\t]|$)`) : new RegExp(`^ {0,3}\\${marker}(?=[ \\t]|$)`);
    let j = i;
    while (j < this.lines.length && sameList.test(this.line(j)) && !HR.test(this.line(j))) j = this.listItem(j);
    if (j === this.lines.length) {
      // marked trims the list's end and turns a lone trailing space after it into a newline.
      const start = this.starts[i] as number;
      const kept = this.body.slice(start).trimEnd().length;
      if (this.body.length - start - kept === 1 && this.body.endsWith(' ')) this.spaceAtEnd = true;
    }
    return j;
  }

  /** One item from its marker line; returns the line after it (blank lines after it included). */
  listItem(i: number): number {
    const text = this.line(i);
    const start = LIST_START.exec(text) as RegExpExecArray;
    const markerEnd = start[0].length;
    const after = text.slice(markerEnd);
    if (after.includes('\t') || after.trim() === '') throw new LeaveToMarked();
    const gap = indentOf(after);
    if (gap > 4) throw new LeaveToMarked();
    const content = after.slice(gap);
    const column = markerEnd + gap;
    if (TASK.test(content)) {
      this.items.push({ kind: 'task', line: i + 1, text: content.replace(TASK_BOX, '').trim() });
    } else if (!isPlainItemLine(content)) {
      throw new LeaveToMarked();
    }
    const edge = Math.min(3, column - 1);
    const ends = new RegExp(`^ {0,${edge}}(?:\`\`\`|~~~|#{1,6}(?:\\s|$)|<|>|(?:[*+-]|\\d{1,9}[.)])(?:[ \\t]|$)|(?:-[ \\t]*){3,}$|(?:_[ \\t]*){3,}$|(?:\\*[ \\t]*){3,}$)`);
    const lazyEnds = new RegExp(`^ {0,${edge}}(?:\`\`\`|~~~|#{1,6}(?:\\s|$)|(?:-[ \\t]*){3,}$|(?:_[ \\t]*){3,}$|(?:\\*[ \\t]*){3,}$)`);
    let blankBefore = false;
    // marked judges a lazy line by the line before it, cut at the item's column as it cuts lines it keeps.
    let before = after;
    let beforeLazy = false;
    let j = i + 1;
    for (; j < this.lines.length; j++) {
      const line = this.line(j);
      if (line.includes('\t')) throw new LeaveToMarked();
      if (ends.test(line)) break;
      if (BLANK.test(line)) {
        blankBefore = true;
        beforeLazy = false;
      } else if (indentOf(line) >= column) {
        // More in the item after a blank line is a second paragraph or a block: marked's to read.
        if (blankBefore || !isPlainItemLine(line.slice(column))) throw new LeaveToMarked();
        beforeLazy = false;
      } else {
        if (blankBefore) break;
        if (indentOf(before) >= 4 || lazyEnds.test(before)) break;
        if (new RegExp(`^ {0,${edge}}<`).test(before)) throw new LeaveToMarked();
        if (!beforeLazy) {
          const bare = before.replace(/^(?: {0,3}(?:(?:[*+-]|\d{1,9}[.)])[ \t]+|>[ \t]?))+/, '');
          if (FENCE_START.test(bare) || ATX.test(bare) || HR.test(bare)) break;
        }
        // A lazy continuation line: part of the item's text.
        if (!isPlainItemLine(line.trimStart())) throw new LeaveToMarked();
        beforeLazy = true;
      }
      before = line.slice(column);
    }
    return j;
  }
}

/** The outline of `body` (front matter already blanked to empty lines), or undefined when marked must read it. */
export function scanOutline(body: string): Outline | undefined {
  try {
    return new Scan(body).run();
  } catch (error) {
    if (error instanceof LeaveToMarked) return undefined;
    throw error;
  }
}
