/**
 * What the runbook parser needs from a Markdown body: its top-level sections (split at `## `
 * headings), and in each the code blocks and checklist items with the line each starts on.
 * Two producers make it: the block scanner (scan.ts, the fast path) and marked's lexer
 * (marked-outline.ts, for what the scanner leaves to it and for the differential test).
 */

/** A code block as written: `raw` from its first line to its last (the fence lines included). */
export interface OutlineCode {
  kind: 'code';
  line: number;
  /** Fenced (``` or ~~~) rather than indented by four spaces. */
  fenced: boolean;
  raw: string;
  /** The code itself, as CommonMark (and marked) give it. */
  text: string;
  /** The paragraph right after the block, on one line. */
  note?: string;
}

/** A task-list item (`- [ ] text`): its first line, without the box. */
export interface OutlineTask {
  kind: 'task';
  line: number;
  text: string;
}

/** A code block or a checklist item, in document order. */
export type OutlineItem = OutlineCode | OutlineTask;

/** The text before the first `## ` heading, or a step: the heading and what follows it. */
export interface OutlineSection {
  heading?: { text: string; line: number };
  line: number;
  /** The Markdown after the heading (for the introduction, the whole of it). */
  markdown: string;
  items: OutlineItem[];
}

/** A body's sections, the first being the introduction, and the text of its first `# ` heading outside steps' headings. */
export interface Outline {
  sections: OutlineSection[];
  firstH1?: string;
}
