/**
 * Markdown → runbook model. Built on marked's lexer so fences behave as CommonMark says
 * (tildes, indentation, fences inside lists and quotes, unclosed fences); never throws.
 */
import { Lexer } from 'marked';
import type { Token, Tokens } from 'marked';
import { slug } from 'github-slugger';
import { basename } from 'node:path';
import type { Block, ChecklistItem, Diagnostic, InventoryDecl, Runbook, Step } from './model.js';
import { DEFAULT_TIMEOUT_MS } from './model.js';
import { parseFrontMatter, sliceFrontMatter, type FrontMatter } from './front-matter.js';
import { parseInfoString } from './info-string.js';
import { interpretBlockHead } from './attributes.js';
import { parseStepHeading } from './heading.js';
import { controlPicture, controlsIn } from './inert.js';

/** A code block or checklist item found while walking, before ids are assigned. */
type Found = { kind: 'code'; token: Tokens.Code; line: number; note?: string } | { kind: 'task'; text: string; line: number };

/** Index of the first character of line `lines + 1` (0-based count of lines to pass). */
function lineOffset(text: string, lines: number): number {
  let index = 0;
  for (let n = 0; n < lines; n++) {
    const next = text.indexOf('\n', index);
    if (next === -1) return text.length;
    index = next + 1;
  }
  return index;
}

function countNewlines(text: string): number {
  let count = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) count++;
  return count;
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
function collect(tokens: Token[], startLine: number, found: Found[]): void {
  let line = startLine;
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] as Token;
    if (token.type === 'code') {
      const code: Found = { kind: 'code', token: token as Tokens.Code, line };
      const after = tokens[index + 1]?.type === 'space' ? tokens[index + 2] : tokens[index + 1];
      if (after?.type === 'paragraph') code.note = (after as Tokens.Paragraph).text.replace(/\s*\n\s*/g, ' ').trim();
      found.push(code);
    } else if (token.type === 'list_item' && (token as Tokens.ListItem).task) {
      const item = token as Tokens.ListItem;
      found.push({ kind: 'task', text: firstLineOf(item.text).trim(), line });
    }
    const children = childTokens(token);
    if (children) collect(children, line, found);
    line += countNewlines(token.raw);
  }
}

/** Up to the first newline; unlike split('\n'), it does not cut up the rest of a long block. */
function firstLineOf(text: string): string {
  const newline = text.indexOf('\n');
  return newline === -1 ? text : text.slice(0, newline);
}

/** The info string exactly as written on the opening fence line. */
function fenceInfo(raw: string): { info: string; fence: string } | undefined {
  const match = /^ {0,3}(`{3,}|~{3,})(.*)$/.exec(firstLineOf(raw));
  if (!match) return undefined;
  return { fence: match[1] as string, info: (match[2] as string).trim() };
}

function isClosed(raw: string, fence: string): boolean {
  let end = raw.length;
  while (end > 0 && raw[end - 1] === '\n') end--;
  const start = raw.lastIndexOf('\n', end - 1);
  if (start === -1) return false;
  const last = raw.slice(start + 1, end).trim();
  const char = fence[0] as string;
  if (last.length < fence.length) return false;
  for (let i = 0; i < last.length; i++) if (last[i] !== char) return false;
  return true;
}

interface Section {
  heading?: Tokens.Heading;
  line: number;
  tokens: Token[];
  bodyLine: number;
}

/** Parse a runbook's text. `file` is used for messages and the default id and title. */
export function parseRunbook(source: string, file: string): Runbook {
  const diagnostics: Diagnostic[] = [];
  const normalized = source.includes('\r') ? source.replace(/\r\n?/g, '\n') : source;
  reportControls(normalized, file, diagnostics);
  const slice = sliceFrontMatter(normalized);
  const front = slice ? parseFrontMatter(slice, file) : { vars: [], profiles: {}, connections: [], inventoryByProfile: {}, includes: [], after: [], diagnostics: [] };
  diagnostics.push(...front.diagnostics);
  // Blank out the front matter rather than cut it, so marked's lines stay the file's lines.
  const body = slice ? '\n'.repeat(slice.lineCount) + normalized.slice(lineOffset(normalized, slice.lineCount)) : normalized;
  // Block tokens only: inline lexing (emphasis, links) is two thirds of the work and nothing here reads it.
  const tokens = new Lexer({ gfm: true }).blockTokens(body, []);

  const sections: Section[] = [{ line: 1, bodyLine: 1, tokens: [] }];
  let line = 1;
  let firstH1: string | undefined;
  for (const token of tokens) {
    if (token.type === 'heading' && (token as Tokens.Heading).depth === 2) {
      sections.push({ heading: token as Tokens.Heading, line, tokens: [], bodyLine: line + countNewlines(token.raw) });
    } else {
      if (token.type === 'heading' && (token as Tokens.Heading).depth === 1 && firstH1 === undefined) {
        firstH1 = (token as Tokens.Heading).text.trim();
      }
      (sections[sections.length - 1] as Section).tokens.push(token);
    }
    line += countNewlines(token.raw);
  }

  const report = (at: number, message: string, rule: string, severity: Diagnostic['severity'] = 'error') =>
    diagnostics.push({ file, line: at, severity, rule, message });

  const heads = sections.slice(1).map((section) => {
    const head = parseStepHeading((section.heading as Tokens.Heading).text);
    for (const problem of head.problems) report(section.line, problem, 'step-attribute');
    return head;
  });
  const stepIds = assignStepIds(heads, sections.slice(1).map((s) => s.line), report);

  const toBlocks = (section: Section, ownerId: string): { blocks: Block[]; checklist: ChecklistItem[] } => {
    const found: Found[] = [];
    collect(section.tokens, section.bodyLine, found);
    const blocks: Block[] = [];
    const checklist: ChecklistItem[] = [];
    for (const item of found) {
      if (item.kind === 'task') {
        checklist.push({ id: `${ownerId}-check-${checklist.length + 1}`, line: item.line, text: item.text });
        continue;
      }
      const block = toBlock(item.token, item.line, `${ownerId}-${blocks.length + 1}`, report);
      if (item.note) block.note = item.note;
      blocks.push(block);
    }
    return { blocks, checklist };
  };

  const introSection = sections[0] as Section;
  const intro = toBlocks(introSection, 'intro');
  for (const block of intro.blocks) {
    if (block.executor) {
      report(block.line, `runnable ${block.lang} block in the introduction (before the first "## " step): the introduction is never run; move it into a step or mark it "example"`, 'intro-block');
    }
  }

  let phase = 0;
  const steps: Step[] = sections.slice(1).flatMap((section, index) => {
    const head = heads[index] as ReturnType<typeof parseStepHeading>;
    const id = stepIds[index] as string;
    // A step without phase= stays in the phase of the step before it.
    phase = head.phase ?? phase;
    const markdown = section.tokens.map((t) => t.raw).join('');
    const make = (stepId: string, title: string, vars: Record<string, string>, body: string): Step => {
      const { blocks, checklist } = toBlocks(section, stepId);
      const step: Step = {
        id: stepId,
        explicitId: head.id !== undefined,
        title,
        line: section.line,
        optional: head.optional,
        tags: head.tags,
        extra: head.extra,
        blocks,
        checklist,
        markdown: body,
        file,
        phase,
        needs: head.needs,
        fixes: head.fixes,
        vars,
      };
      if (front.service !== undefined) step.service = front.service;
      return step;
    };
    if (!head.foreach) return [make(id, head.title, {}, markdown)];
    // foreach=NAME:a,b,c is one checkpointed step per value, in order, with $NAME set.
    const { name, values } = head.foreach;
    const reference = new RegExp(`\\$\\{${name}\\}|\\$${name}\\b`, 'g');
    return values.map((value) => {
      const step = make(`${id}-${slug(value) || 'value'}`, head.title.replace(reference, value), { [name]: value }, markdown.replace(reference, value));
      for (const block of step.blocks) if (block.explicitId) block.id = `${block.id}-${slug(value) || 'value'}`;
      return step;
    });
  });

  assignBlockIds([...intro.blocks, ...steps.flatMap((step) => step.blocks)], report);
  const fileBase = basename(file).replace(/\.(md|markdown)$/i, '');
  if (steps.length === 0) report(1, 'no steps: a runbook needs at least one "## " heading', 'no-steps');
  diagnostics.sort((a, b) => a.line - b.line);
  return {
    file,
    id: front.id ?? (fileBase.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'runbook'),
    ...(front.idLine !== undefined ? { idLine: front.idLine } : {}),
    title: front.title ?? firstH1 ?? fileBase,
    intro: { markdown: introSection.tokens.map((t) => t.raw).join('').replace(/^\n+/, ''), line: 1, blocks: intro.blocks },
    vars: front.vars,
    profiles: front.profiles,
    connections: front.connections,
    ...inventoryOf(front, file),
    shell: front.shell ?? 'bash',
    timeoutMs: front.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(front.notify ? { notify: front.notify } : {}),
    steps,
    diagnostics,
    includes: front.includes,
    after: front.after,
    ...(front.service !== undefined ? { service: front.service } : {}),
  };
}

/** The runbook's `inventory:` declarations, if it has any. */
function inventoryOf(front: FrontMatter, file: string): { inventory?: InventoryDecl } {
  if (!front.inventory && Object.keys(front.inventoryByProfile).length === 0) return {};
  return {
    inventory: {
      ...(front.inventory ? { path: front.inventory.path } : {}),
      line: front.inventory?.line ?? 1,
      file,
      byProfile: front.inventoryByProfile,
    },
  };
}

/**
 * A control character in the runbook (an ESC, a lone CR inside a line, a bidi override) can make
 * a confirmation show another command than the one that runs: one error per line that has any.
 * Tab and the line ends are text; the rest would be written as an escape the command understands.
 */
function reportControls(text: string, file: string, diagnostics: Diagnostic[]): void {
  let line = 1;
  let counted = 0;
  let lastReported = 0;
  for (const { index, char } of controlsIn(text)) {
    line += countNewlines(text.slice(counted, index));
    counted = index;
    if (line === lastReported) continue;
    lastReported = line;
    const code = `U+${char.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    diagnostics.push({
      file,
      line,
      severity: 'error',
      rule: 'control-character',
      message: `control character ${code} (shown as ${controlPicture(char)}): a terminal acts on it instead of showing it, so a screen could show another command than the one that runs; write it as an escape the command understands (printf '\\033', $'\\e')`,
    });
  }
}

type Report = (line: number, message: string, rule: string, severity?: Diagnostic['severity']) => void;

/** `base`, or the first of `base-2`, `base-3`, ... not in `taken`; the result is added to `taken`. */
function uniqueId(base: string, taken: Set<string>): string {
  let candidate = base;
  for (let n = 2; taken.has(candidate); n++) candidate = `${base}-${n}`;
  taken.add(candidate);
  return candidate;
}

/**
 * Explicit ids win; slugs avoid them and each other with `-2`, `-3`. A repeated explicit id is
 * an error and is made unique the same way, so that state and reports never mix two steps up.
 */
function assignStepIds(heads: ReturnType<typeof parseStepHeading>[], lines: number[], report: Report): string[] {
  const explicit = new Map<string, number>();
  heads.forEach((head, i) => {
    if (head.id === undefined) return;
    const first = explicit.get(head.id);
    if (first !== undefined) report(lines[i] as number, `duplicate step id "#${head.id}" (first used on line ${lines[first] as number})`, 'duplicate-id');
    else explicit.set(head.id, i);
  });
  const taken = new Set(explicit.keys());
  return heads.map((head, i) => {
    if (head.id !== undefined && explicit.get(head.id) === i) return head.id;
    return uniqueId(head.id ?? (slug(head.title) || 'step'), taken);
  });
}

/**
 * Block ids in document order: `name=` ids win over the `STEPID-N` defaults (a default that
 * collides gets `-2`, `-3`); a repeated `name=` is an error and is made unique the same way.
 */
function assignBlockIds(blocks: Block[], report: Report): void {
  const named = new Map<string, Block>();
  for (const block of blocks) {
    if (!block.explicitId) continue;
    const first = named.get(block.id);
    if (first !== undefined) report(block.line, `duplicate block name "${block.id}" (first used on line ${first.line})`, 'duplicate-id');
    else named.set(block.id, block);
  }
  const taken = new Set(named.keys());
  for (const block of blocks) {
    if (named.get(block.id) !== block) block.id = uniqueId(block.id, taken);
  }
}

/** A block with its provisional id (`name=` or the default); `assignBlockIds` settles clashes. */
function toBlock(token: Tokens.Code, line: number, defaultId: string, report: Report): Block {
  const fence = token.codeBlockStyle === 'indented' ? undefined : fenceInfo(token.raw);
  const info = fence?.info ?? '';
  const parsed = parseInfoString(info);
  const head = interpretBlockHead(parsed.lang, parsed.words, parsed.attributes);
  for (const problem of parsed.problems) report(line, problem, 'block-attribute');
  for (const problem of head.problems) report(line, problem, 'block-attribute');
  const unclosed = fence !== undefined && !isClosed(token.raw, fence.fence);
  if (unclosed) report(line, `code fence ${fence.fence} is never closed: everything after it, to the end of the file (or of the list or quote it is in), is part of this block`, 'unclosed-fence', 'warning');
  return {
    id: head.name ?? defaultId,
    explicitId: head.name !== undefined,
    line,
    info,
    lang: parsed.lang,
    executor: head.executor,
    role: head.role,
    code: token.text,
    attrs: head.attrs,
    runme: head.runme,
    unclosed,
  };
}
