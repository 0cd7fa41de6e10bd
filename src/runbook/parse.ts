/**
 * Markdown → runbook model. The block scanner (scan.ts) outlines the body, handing marked's lexer
 * (marked-outline.ts) what it does not take on, so fences behave as CommonMark says (tildes,
 * indentation, fences inside lists and quotes, unclosed fences) either way; never throws.
 */
import { slug } from 'github-slugger';
import { basename } from 'node:path';
import type { Block, ChecklistItem, Diagnostic, InventoryDecl, Runbook, Step } from './model.js';
import { DEFAULT_SHELL, DEFAULT_TIMEOUT_MS } from './model.js';
import { parseFrontMatter, sliceFrontMatter, type FrontMatter } from './front-matter.js';
import { parseInfoString } from './info-string.js';
import { interpretBlockHead } from './attributes.js';
import { parseStepHeading } from './heading.js';
import { controlPicture, controlsIn, invisiblesIn } from './inert.js';
import type { Outline, OutlineCode, OutlineSection } from './outline.js';
import { countNewlines, firstLineOf, outlineWithMarked } from './marked-outline.js';
import { NestingTooDeep, scanOutline } from './scan.js';

/** Which block parser reads the body: the scanner (handing marked what it does not take on), or marked alone. */
export type BlockParser = 'scan' | 'marked';

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

/** The Markdown body: the front matter's `lineCount` lines blanked out rather than cut, so the body's lines stay the file's lines. */
function blankFrontMatter(normalized: string, lineCount: number | undefined): string {
  return lineCount === undefined ? normalized : '\n'.repeat(lineCount) + normalized.slice(lineOffset(normalized, lineCount));
}

/** The body the block parser reads from a runbook's text (line ends normalized, front matter blanked). */
export function runbookBody(source: string): string {
  const normalized = source.includes('\r') ? source.replace(/\r\n?/g, '\n') : source;
  return blankFrontMatter(normalized, sliceFrontMatter(normalized)?.lineCount);
}

/**
 * The variables of a step that binds none (all but `foreach=` steps), shared by all of them;
 * frozen, so that a write meant for one step fails rather than reaching all.
 */
const NO_STEP_VARS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * `items` in an array of their exact length: V8 gives an array that was pushed to room for 17
 * at its first push, and a large runbook's steps each keep two such arrays of a few items.
 */
function exactSize<T>(items: T[]): T[] {
  return items.slice();
}

/** The outline of a body nested too deeply to read: no sections but the introduction. */
const UNREAD: Outline = Object.freeze({ sections: [Object.freeze({ line: 1, markdown: '', items: [] })] }) as Outline;

/**
 * The body's steps and blocks, by the block scanner or, for what it leaves to marked, by marked. A
 * body nested too deeply for either is an error at its line, not a stack overflow's message or
 * minutes of work: both stop at scan.ts's MAX_NESTING (marked-outline.ts holds marked to it). A
 * stack overflow short of the limit, which only a much smaller stack could give, is the same error.
 */
function readOutline(
  normalized: string,
  frontMatterLines: number | undefined,
  blockParser: BlockParser,
  report: (at: number, message: string, rule: string) => void,
): Outline {
  try {
    return (
      (blockParser === 'scan' ? scanOutline(normalized, frontMatterLines) : undefined) ??
      outlineWithMarked(blankFrontMatter(normalized, frontMatterLines))
    );
  } catch (error) {
    if (error instanceof NestingTooDeep) report(error.line, error.message, 'nesting');
    else if (error instanceof RangeError && /call stack/i.test(error.message)) report(1, new NestingTooDeep(1).message, 'nesting');
    else throw error;
    return UNREAD;
  }
}

/** Parse a runbook's text. `file` is used for messages and the default id and title. */
export function parseRunbook(source: string, file: string, blockParser: BlockParser = 'scan'): Runbook {
  const diagnostics: Diagnostic[] = [];
  const normalized = source.includes('\r') ? source.replace(/\r\n?/g, '\n') : source;
  reportControls(normalized, file, diagnostics);
  const slice = sliceFrontMatter(normalized);
  const front = slice
    ? parseFrontMatter(slice, file)
    : { vars: [], profiles: {}, connections: [], inventoryByProfile: {}, includes: [], after: [], diagnostics: [] };
  diagnostics.push(...front.diagnostics);
  const report = (at: number, message: string, rule: string, severity: Diagnostic['severity'] = 'error') =>
    diagnostics.push({ file, line: at, severity, rule, message });
  const outline = readOutline(normalized, slice?.lineCount, blockParser, report);
  const sections = outline.sections;
  const firstH1 = outline.firstH1;

  const heads = sections.slice(1).map((section) => {
    const head = parseStepHeading((section.heading as { text: string }).text);
    for (const problem of head.problems) report(section.line, problem, 'step-attribute');
    return head;
  });
  const stepIds = assignStepIds(
    heads,
    sections.slice(1).map((s) => s.line),
    report,
  );

  const toBlocks = (section: OutlineSection, ownerId: string): { blocks: Block[]; checklist: ChecklistItem[] } => {
    const blocks: Block[] = [];
    const checklist: ChecklistItem[] = [];
    for (const item of section.items) {
      if (item.kind === 'task') {
        checklist.push({ id: `${ownerId}-check-${checklist.length + 1}`, line: item.line, text: item.text });
        continue;
      }
      const block = toBlock(item, `${ownerId}-${blocks.length + 1}`, report);
      if (item.note !== undefined && item.note !== '') block.note = item.note;
      blocks.push(block);
    }
    return { blocks: exactSize(blocks), checklist: exactSize(checklist) };
  };

  const introSection = sections[0] as OutlineSection;
  const intro = toBlocks(introSection, 'intro');
  for (const block of intro.blocks) {
    if (block.executor) {
      report(
        block.line,
        `runnable ${block.lang} block in the introduction (before the first "## " step): the introduction is never run; move it into a step or mark it "example"`,
        'intro-block',
      );
    }
  }

  let phase = 0;
  const steps: Step[] = sections.slice(1).flatMap((section, index) => {
    const head = heads[index] as ReturnType<typeof parseStepHeading>;
    const id = stepIds[index] as string;
    // A step without phase= stays in the phase of the step before it.
    phase = head.phase ?? phase;
    const markdown = section.markdown;
    const make = (stepId: string, title: string, vars: Readonly<Record<string, string>>, body: string): Step => {
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
    if (!head.foreach) return [make(id, head.title, NO_STEP_VARS, markdown)];
    // foreach=NAME:a,b,c is one checkpointed step per value, in order, with $NAME set.
    const { name, values } = head.foreach;
    const reference = new RegExp(`\\$\\{${name}\\}|\\$${name}\\b`, 'g');
    return values.map((value) => {
      const step = make(
        `${id}-${slug(value) || 'value'}`,
        head.title.replace(reference, value),
        { [name]: value },
        markdown.replace(reference, value),
      );
      for (const block of step.blocks) if (block.explicitId) block.id = `${block.id}-${slug(value) || 'value'}`;
      return step;
    });
  });

  assignBlockIds([...intro.blocks, ...steps.flatMap((step) => step.blocks)], report);
  const fileBase = basename(file).replace(/\.(md|markdown)$/i, '');
  if (steps.length === 0 && outline !== UNREAD) report(1, 'no steps: a runbook needs at least one "## " heading', 'no-steps');
  diagnostics.sort((a, b) => a.line - b.line);
  return {
    file,
    id: front.id ?? (fileBase.replace(/[^A-Za-z0-9_.-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'runbook'),
    ...(front.idLine !== undefined ? { idLine: front.idLine } : {}),
    title: front.title ?? firstH1 ?? fileBase,
    intro: { markdown: introSection.markdown.replace(/^\n+/, ''), line: 1, blocks: intro.blocks },
    vars: front.vars,
    profiles: front.profiles,
    connections: front.connections,
    ...inventoryOf(front, file),
    shell: front.shell ?? DEFAULT_SHELL,
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
  // Control characters and invisible ones (a zero-width space, a soft hyphen...), in file order.
  const found = [...controlsIn(text), ...invisiblesIn(text)]
    // A byte order mark that starts the file is how some editors save UTF-8; nothing shows it.
    .filter(({ index, char }) => !(index === 0 && char === '\ufeff'))
    .sort((a, b) => a.index - b.index);
  let line = 1;
  let counted = 0;
  let lastReported = 0;
  for (const { index, char } of found) {
    line += countNewlines(text.slice(counted, index));
    counted = index;
    if (line === lastReported) continue;
    lastReported = line;
    const code = `U+${(char.codePointAt(0) as number).toString(16).toUpperCase().padStart(4, '0')}`;
    const control = controlsIn(char).next().done === false;
    diagnostics.push({
      file,
      line,
      severity: 'error',
      rule: 'control-character',
      message: control
        ? `control character ${code} (shown as ${controlPicture(char)}): a terminal acts on it instead of showing it, so a screen could show another command than the one that runs; write it as an escape the command understands (printf '\\033', $'\\e')`
        : `invisible character ${code} (shown as ${controlPicture(char)}): a terminal shows nothing for it, so a command could differ from what the screen shows ("prod" followed by U+200B is not "prod"); delete it, or write it as an escape the command understands (printf '\\u200b')`,
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
    if (first !== undefined)
      report(lines[i] as number, `duplicate step id "#${head.id}" (first used on line ${lines[first] as number})`, 'duplicate-id');
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
  // Made only when a block needs a new id: in a runbook whose blocks are all named, none does.
  let taken: Set<string> | undefined;
  for (const block of blocks) {
    if (named.get(block.id) === block) continue;
    taken ??= new Set(named.keys());
    block.id = uniqueId(block.id, taken);
  }
}

/** A block with its provisional id (`name=` or the default); `assignBlockIds` settles clashes. */
function toBlock(code: OutlineCode, defaultId: string, report: Report): Block {
  const line = code.line;
  const fence = code.fenced ? fenceInfo(code.raw) : undefined;
  const info = fence?.info ?? '';
  const parsed = parseInfoString(info);
  const head = interpretBlockHead(parsed.lang, parsed.words, parsed.attributes);
  for (const problem of parsed.problems) report(line, problem, 'block-attribute');
  for (const problem of head.problems) report(line, problem, 'block-attribute');
  const unclosed = fence !== undefined && !isClosed(code.raw, fence.fence);
  if (unclosed)
    report(
      line,
      `code fence ${fence.fence} is never closed: everything after it, to the end of the file (or of the list or quote it is in), is part of this block`,
      'unclosed-fence',
      'warning',
    );
  return {
    id: head.name ?? defaultId,
    explicitId: head.name !== undefined,
    line,
    info,
    lang: parsed.lang,
    executor: head.executor,
    role: head.role,
    code: code.text,
    attrs: head.attrs,
    runme: head.runme,
    unclosed,
  };
}
