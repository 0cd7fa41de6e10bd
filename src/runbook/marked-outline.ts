/**
 * The outline of a Markdown body from marked's block lexer: CommonMark's fences (tildes,
 * indentation, fences inside lists and quotes, unclosed fences) in full. The block scanner
 * (scan.ts) hands it the documents it does not take on, and the differential test holds the
 * two to the same outline.
 */
import { Lexer } from 'marked';
import type { Token, Tokens } from 'marked';
import type { Outline, OutlineItem, OutlineSection } from './outline.js';
import { MAX_NESTING, NestingTooDeep } from './scan.js';

export function countNewlines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
}

/** Up to the first newline; unlike split('\n'), it does not cut up the rest of a long block. */
export function firstLineOf(text: string): string {
  const newline = text.indexOf('\n');
  return newline === -1 ? text : text.slice(0, newline);
}

/** Children of a container token, each with its own raw text (nested items are dedented, lines are kept). */
function childTokens(token: Token): Token[] | undefined {
  if (token.type === 'list') return (token as Tokens.List).items as unknown as Token[];
  if (token.type === 'list_item') return (token as Tokens.ListItem).tokens;
  if (token.type === 'blockquote') {
    const quote = token as Tokens.Blockquote;
    // After a lazy continuation line (`> - a` / `lazy` / `> ~~~`) marked's children can lose or
    // gain a newline against the quote's text, which is line for line the file: lex that text
    // afresh so that raws add up to lines again.
    if (quote.tokens.map((child) => child.raw).join('') === quote.text) return quote.tokens;
    return new Lexer({ gfm: true }).blockTokens(quote.text, []);
  }
  return undefined;
}

/** Walk tokens depth-first, tracking the 1-based line each one starts on. */
function collect(tokens: Token[], startLine: number, found: OutlineItem[]): void {
  let line = startLine;
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] as Token;
    if (token.type === 'code') {
      const code = token as Tokens.Code;
      const item: OutlineItem = { kind: 'code', line, fenced: code.codeBlockStyle !== 'indented', raw: code.raw, text: code.text };
      const after = tokens[index + 1]?.type === 'space' ? tokens[index + 2] : tokens[index + 1];
      if (after?.type === 'paragraph') item.note = (after as Tokens.Paragraph).text.replace(/\s*\n\s*/g, ' ').trim();
      found.push(item);
    } else if (token.type === 'list_item' && (token as Tokens.ListItem).task) {
      const item = token as Tokens.ListItem;
      found.push({ kind: 'task', text: firstLineOf(item.text).trim(), line });
    }
    const children = childTokens(token);
    if (children) collect(children, line, found);
    line += countNewlines(token.raw);
  }
}

interface Gathering {
  section: OutlineSection;
  tokens: Token[];
  bodyLine: number;
}

/**
 * marked's lexer, stopped at the block scanner's nesting limit (scan.ts): it lexes each quote and
 * list item again as a document, through this same method, with no limit of its own. 1,500 list
 * levels on 1,500 lines took it a minute and 1.4 GB; some thousands overflowed the stack. It does
 * not say where, so the error is at line 1.
 */
function boundedLexer(): Lexer {
  const lexer = new Lexer({ gfm: true });
  const blockTokens = lexer.blockTokens.bind(lexer) as (src: string, tokens: Token[], clipped?: boolean) => Token[];
  let depth = 0;
  lexer.blockTokens = ((src: string, tokens: Token[], clipped?: boolean) => {
    // The document itself is the first call: a quote or item at the limit is call MAX_NESTING + 1.
    if (depth > MAX_NESTING) throw new NestingTooDeep(1);
    depth++;
    try {
      return blockTokens(src, tokens, clipped);
    } finally {
      depth--;
    }
  }) as Lexer['blockTokens'];
  return lexer;
}

/** The outline marked's lexer gives `body` (front matter already blanked to empty lines). */
export function outlineWithMarked(body: string): Outline {
  // Block tokens only: inline lexing (emphasis, links) is two thirds of the work and nothing here reads it.
  const tokens = boundedLexer().blockTokens(body, []);
  const gathered: Gathering[] = [{ section: { line: 1, markdown: '', items: [] }, tokens: [], bodyLine: 1 }];
  let line = 1;
  let firstH1: string | undefined;
  for (const token of tokens) {
    if (token.type === 'heading' && (token as Tokens.Heading).depth === 2) {
      gathered.push({
        section: { heading: { text: (token as Tokens.Heading).text, line }, line, markdown: '', items: [] },
        tokens: [],
        bodyLine: line + countNewlines(token.raw),
      });
    } else {
      if (token.type === 'heading' && (token as Tokens.Heading).depth === 1 && firstH1 === undefined)
        firstH1 = (token as Tokens.Heading).text.trim();
      (gathered[gathered.length - 1] as Gathering).tokens.push(token);
    }
    line += countNewlines(token.raw);
  }
  const sections = gathered.map(({ section, tokens: own, bodyLine }) => {
    section.markdown = own.map((t) => t.raw).join('');
    collect(own, bodyLine, section.items);
    return section;
  });
  return firstH1 === undefined ? { sections } : { sections, firstH1 };
}
