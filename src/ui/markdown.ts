/** A step's prose rendered for the terminal, with a local Marked instance (never marked's global options). */
import { Marked } from 'marked';
import { markedTerminal } from 'marked-terminal';
import { inertLines } from '../runbook/inert.js';

const cache = new Map<string, string>();

/**
 * Render Markdown to terminal text at `width` columns. Code blocks are left out: the block list shows
 * them. The source is made inert first, so every sequence in the result is the renderer's own.
 */
export function renderMarkdown(source: string, width: number): string {
  const markdown = inertLines(source);
  const key = `${width}\u0000${markdown}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  // No `:shortcode:` emoji: a runbook's `:name:` stays as written, and emoji widths vary between
  // terminals (the bundle leaves node-emoji's 320 kB table out, see src/build/no-emoji.mjs).
  const marked = new Marked(markedTerminal({ width, reflowText: true, tab: 2, showSectionPrefix: false, emoji: false }));
  marked.use({
    renderer: {
      code: () => '',
      // Every link shows where it goes. marked-terminal, in a terminal it thinks supports
      // hyperlinks (VTE, iTerm2, WezTerm, VS Code), writes an OSC 8 link that shows the text alone:
      // `[https://docs.openstack.org/nova](https://evil.example/x.sh)` read as the docs and opened
      // the other. No OSC 8 from a runbook reaches the terminal.
      link(token) {
        const text = this.parser.parseInline(token.tokens);
        return token.text === token.href || text === '' ? token.href : `${text} (${token.href})`;
      },
    },
  });
  // Checklist items are shown (and ticked) by the step view itself, not as prose.
  const prose = markdown
    .split('\n')
    .filter((line) => !/^\s*(?:[-*+]|\d+[.)])\s+\[[ xX]\]/.test(line))
    .join('\n');
  let text: string;
  try {
    text = (marked.parse(prose, { async: false }) as string).replace(/\n{3,}/g, '\n\n').trim();
  } catch (error) {
    // Rendering is cosmetic: show the source rather than lose the step.
    text = `${markdown.trim()}\n(could not render: ${(error as Error).message})`;
  }
  if (cache.size > 50) cache.clear();
  cache.set(key, text);
  return text;
}
