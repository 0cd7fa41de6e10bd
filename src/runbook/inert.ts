/**
 * Text made inert before it reaches a terminal or a report. A command's output, a runbook's title,
 * a file name or `--operator` can carry control characters: an OSC sequence retitles the window or
 * writes the clipboard, a cursor move overdraws what the operator reads, `ESC [8m` hides part of a
 * command on a confirmation screen, a carriage return or a bidi override reorders it. Shown inert,
 * each of them is a visible character that does nothing:
 *
 * - C0 controls and DEL become their Unicode control pictures: ESC is `␛`, BEL `␇`, CR `␍`, DEL `␡`.
 *   The rest of an escape sequence is printable already, so OSC 0 reads `␛]0;title␇`. Control
 *   pictures, not caret notation: `^[` is also what a regex such as `^[a-z]` prints.
 * - C1 controls (U+0080 to U+009F; U+009B is a one-character CSI) and the Unicode controls that
 *   reorder or break text (bidi embeddings, overrides and isolates, U+2028, U+2029) have no
 *   picture and become `⟨U+009B⟩`.
 * - Invisible characters (Unicode's default-ignorable and format characters: zero-width space
 *   U+200B, word joiner U+2060, soft hyphen U+00AD, byte order mark U+FEFF, Hangul fillers, tag
 *   characters U+E0000 to U+E0FFF...) and combining marks with no character to sit on (at the start
 *   of a line, after a tab) become `⟨U+200B⟩`. The screen shows nothing for them, yet a command gets
 *   them: `"prod\u200b"` is not `"prod"`. And ink gives each a column the terminal does not, so the
 *   end of the line (`; touch PWNED` after 14 of them) fell off a confirmation that said `all 1 line
 *   shown`. Emoji keep what they are made of: U+FE0E and U+FE0F after a character, U+200D between
 *   two pictographs.
 * - Tab stays a tab, so that a face can expand tabs after this; newline stays a newline only when
 *   the text is several lines (`lines`), and is `␊` in a one-line field (`inertFields` builds
 *   output lines from such fields).
 * - With `colour`, a plain SGR colour sequence (`ESC [ 31 m`, 256 and true colours, bold, dim,
 *   italic, underline and their resets) is kept as it is. Only command output asks for it, never
 *   under NO_COLOR; anything else an SGR can do (conceal, blink, inverse) is shown inert.
 *
 * A face shows a line with `displayLine`: inert, then tabs expanded (`expandTabs`), so that what
 * a width is measured on is what the terminal shows.
 *
 * Inert text has nothing left to make inert: applying it twice changes nothing. This lives on the
 * lowest floor (beside the runbook model) because lint reports the same characters, and the
 * faces (cli, ui, report) and the engine can all import it. Logs never pass through it: they keep
 * the bytes a command wrote.
 */

/** How `inert` treats what can be kept. */
export interface InertOptions {
  /** The text is several lines: keep `\n` (otherwise it is shown as `␊`). */
  lines?: boolean;
  /** Keep plain SGR colour sequences (command output, when colour is wanted). */
  colour?: boolean;
}

/** Every character a terminal acts on instead of showing, except tab and newline. */
const CONTROL_CLASS = '\\x00-\\x08\\x0b-\\x1f\\x7f-\\x9f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069\\u2028\\u2029';
const CONTROL = new RegExp(`[${CONTROL_CLASS}]`);
const CONTROL_OR_NEWLINE = new RegExp(`[${CONTROL_CLASS}\\n]`);
const CONTROL_ALL = new RegExp(CONTROL.source, 'g');
const CONTROL_OR_NEWLINE_ALL = new RegExp(CONTROL_OR_NEWLINE.source, 'g');
/** A whole SGR sequence (kept with `colour` when it only colours), or one control character. */
const SGR_OR_CONTROL = new RegExp(`\\x1b\\[([0-9;]{0,64})m|[${CONTROL_CLASS}]`, 'g');
const SGR_OR_CONTROL_OR_NEWLINE = new RegExp(`\\x1b\\[([0-9;]{0,64})m|[${CONTROL_CLASS}\\n]`, 'g');

/** SGR parameters that only colour or weigh text: reset, bold, dim, italic, underline, fore- and background colours. */
const COLOUR_CODES = new Set([0, 1, 2, 3, 4, 22, 23, 24, 39, 49]);

function isColourCode(code: number): boolean {
  return (
    COLOUR_CODES.has(code) ||
    (code >= 30 && code <= 37) ||
    (code >= 40 && code <= 47) ||
    (code >= 90 && code <= 97) ||
    (code >= 100 && code <= 107)
  );
}

/** True when every parameter of an SGR sequence is a plain colour (`38;5;N` and `38;2;R;G;B` included). */
function isPlainColour(parameters: string): boolean {
  if (parameters === '') return true;
  const codes = parameters.split(';').map((p) => (p === '' ? 0 : Number(p)));
  for (let i = 0; i < codes.length; i++) {
    const code = codes[i] as number;
    if (code === 38 || code === 48) {
      const form = codes[i + 1];
      const width = form === 5 ? 1 : form === 2 ? 3 : -1;
      if (width < 0 || i + 1 + width >= codes.length) return false;
      if (codes.slice(i + 2, i + 2 + width).some((c) => c > 255)) return false;
      i += 1 + width;
    } else if (!isColourCode(code)) return false;
  }
  return true;
}

/** The visible stand-in for one control character (or invisible one: see `invisiblesIn`). */
export function controlPicture(char: string): string {
  const code = char.codePointAt(0) as number;
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return `⟨U+${code.toString(16).toUpperCase().padStart(4, '0')}⟩`;
}

/**
 * A character the screen shows nothing for: default-ignorable and format characters, and a run of
 * combining marks with no character before it to sit on (the start of the text or of a line, a tab).
 * Some of them are allowed back by `keptInvisible` (emoji).
 */
const INVISIBLE = /[\p{Default_Ignorable_Code_Point}\p{Cf}]|(?<=^|[\n\t])\p{M}+/u;
const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'gu');
/**
 * A quick test, without Unicode properties, that `INVISIBLE` may match: every default-ignorable or
 * format code point (as UTF-16: the astral ones by their high surrogate), or a non-ASCII character
 * that starts the text, a line or follows a tab. Output lines are many; most have none.
 */
const MAYBE_INVISIBLE_CLASS =
  '\\u00ad\\u034f\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890\\u0891\\u08e2\\u115f\\u1160\\u17b4\\u17b5\\u180b-\\u180f\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u206f\\u3164\\ufe00-\\ufe0f\\ufeff\\uffa0\\ufff0-\\ufffb\\ud804\\ud80d\\ud82f\\ud834\\udb40-\\udb43';
const MAYBE_INVISIBLE = new RegExp(`[${MAYBE_INVISIBLE_CLASS}]`);
const NON_ASCII_AFTER_BREAK = /[\n\t][\u0300-\uffff]/;
/** One scan that finds nothing in clean text: no control, no newline, nothing that may be invisible. */
const NOTHING_TO_SHOW = new RegExp(`[${CONTROL_CLASS}\\n${MAYBE_INVISIBLE_CLASS}]`);

function mayHaveInvisibles(text: string): boolean {
  return (
    MAYBE_INVISIBLE.test(text) ||
    text.charCodeAt(0) >= 0x300 ||
    ((text.includes('\t') || text.includes('\n')) && NON_ASCII_AFTER_BREAK.test(text))
  );
}

const PICTOGRAPH_BEFORE = /\p{Extended_Pictographic}[\u{fe0f}\u{1f3fb}-\u{1f3ff}]?$/u;
const PICTOGRAPH_AFTER = /^\p{Extended_Pictographic}/u;

/** True for the invisible characters emoji are made of: a presentation selector after a character, a joiner between two pictographs. */
function keptInvisible(text: string, index: number, char: string): boolean {
  if (char === '\ufe0e' || char === '\ufe0f') return index > 0 && !INVISIBLE.test(text[index - 1] as string);
  if (char !== '\u200d') return false;
  return PICTOGRAPH_BEFORE.test(text.slice(Math.max(0, index - 4), index)) && PICTOGRAPH_AFTER.test(text.slice(index + 1, index + 3));
}

/** Every invisible character in `text` that is not part of an emoji, in order: what `inert` shows and lint reports. */
export function* invisiblesIn(text: string): Generator<{ index: number; char: string }> {
  if (!mayHaveInvisibles(text) || text.search(INVISIBLE) === -1) return;
  for (const match of text.matchAll(INVISIBLE_ALL)) {
    let index = match.index;
    for (const char of match[0]) {
      if (!keptInvisible(text, index, char)) yield { index, char };
      index += char.length;
    }
  }
}

/** `text` with its invisible characters shown (see the module comment). */
function showInvisibles(text: string): string {
  if (!mayHaveInvisibles(text) || text.search(INVISIBLE) === -1) return text;
  let shown = '';
  let at = 0;
  for (const { index, char } of invisiblesIn(text)) {
    shown += text.slice(at, index) + controlPicture(char);
    at = index + char.length;
  }
  return shown + text.slice(at);
}

/** `text` with every control character and escape sequence shown instead of acted on (see the module comment). */
export function inert(text: string, options: InertOptions = {}): string {
  // Invisible characters first: the pictures of control characters are visible and never count as
  // a base for a combining mark that had none.
  // Clean text, by far the most common, costs one scan (a tab may be followed by a mark).
  if (text.search(NOTHING_TO_SHOW) === -1 && text.charCodeAt(0) < 0x300 && !text.includes('\t')) return text;
  const visible = showInvisibles(text);
  if (visible.search(options.lines ? CONTROL : CONTROL_OR_NEWLINE) === -1) return visible;
  if (options.colour) {
    return visible.replace(options.lines ? SGR_OR_CONTROL : SGR_OR_CONTROL_OR_NEWLINE, (match: string, parameters: string | undefined) => {
      if (parameters === undefined) return controlPicture(match);
      return isPlainColour(parameters) ? match : `␛${match.slice(1)}`;
    });
  }
  // Without colour each control character stands alone. ESC, by far the most common (coloured
  // output), is swapped natively: a callback per match costs three times as much.
  const shown = visible.includes('\x1b') ? visible.replaceAll('\x1b', '␛') : visible;
  const pattern = options.lines ? CONTROL_ALL : CONTROL_OR_NEWLINE_ALL;
  return shown.search(pattern) === -1 ? shown : shown.replace(pattern, controlPicture);
}

/** Several lines of text made inert, newlines kept: what goes to a terminal as a whole (CLI output, reports). */
export function inertLines(text: string): string {
  return inert(text, { lines: true });
}

/**
 * Output lines built from one-line fields, as a template tag: every interpolated value is made
 * inert in its one-line form (newline `␊`, CR `␍`, U+2028 and U+2029 shown), while the template's
 * own text, the layout, keeps its newlines. So no file name, title, operator or message can start a
 * line of its own (forge a `FILE:LINE: error:` line an editor or CI reads), which `inertLines` over
 * the whole write cannot tell apart from the layout. E.g. inertFields`${file}:${line}: ${message}\n`.
 */
export function inertFields(layout: TemplateStringsArray, ...fields: unknown[]): string {
  let text = layout[0] as string;
  for (let i = 0; i < fields.length; i++) text += inert(String(fields[i])) + (layout[i + 1] as string);
  return text;
}

/** Every control character in `text` (tab and newline are not), in order: what lint reports. */
export function* controlsIn(text: string): Generator<{ index: number; char: string }> {
  if (text.search(CONTROL) === -1) return;
  for (const match of text.matchAll(CONTROL_ALL)) yield { index: match.index, char: match[0] };
}

/** Columns between tab stops, as a terminal sets them. */
export const TAB_STOP = 8;

/** A plain SGR sequence kept by `inert` with `colour`: it takes no column. */
const KEPT_SGR = /^\x1b\[[0-9;]{0,64}m/;

/** Columns a terminal gives one code point: 0 for combining marks and joiners, 2 for wide (CJK, emoji), else 1. */
export function columnsOf(codePoint: number): number {
  if (
    (codePoint >= 0x300 && codePoint <= 0x36f) ||
    (codePoint >= 0x200b && codePoint <= 0x200d) ||
    (codePoint >= 0xfe00 && codePoint <= 0xfe0f)
  )
    return 0;
  if (
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0xa4cf && codePoint !== 0x303f) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    (codePoint >= 0x1f300 && codePoint <= 0x1f64f) ||
    (codePoint >= 0x1f900 && codePoint <= 0x1f9ff) ||
    (codePoint >= 0x20000 && codePoint <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/**
 * `line` with each tab replaced by the spaces up to the next stop (every `TAB_STOP` columns), as a
 * terminal would move the cursor. A face measures and cuts lines by width, and a tab measured as
 * one column (or none) cost the last characters of every tab-separated row (issue 12: `host\tcmp-5`
 * showed as `host    cmp-`). Expects inert text: a kept colour sequence takes no column, and no
 * other control is left to move the cursor. A newline starts the columns again.
 */
export function expandTabs(line: string, tabStop = TAB_STOP): string {
  if (!line.includes('\t')) return line;
  let shown = '';
  let column = 0;
  for (let i = 0; i < line.length; ) {
    const char = line[i] as string;
    if (char === '\t') {
      const pad = tabStop - (column % tabStop);
      shown += ' '.repeat(pad);
      column += pad;
      i += 1;
      continue;
    }
    if (char === '\x1b') {
      const sgr = KEPT_SGR.exec(line.slice(i, i + 70));
      if (sgr) {
        shown += sgr[0];
        i += sgr[0].length;
        continue;
      }
    }
    const codePoint = line.codePointAt(i) as number;
    const unit = codePoint > 0xffff ? 2 : 1;
    shown += line.slice(i, i + unit);
    column = char === '\n' ? 0 : column + columnsOf(codePoint);
    i += unit;
  }
  return shown;
}

/** One line of a command's output as a face shows it: inert (its plain colours kept with `colour`), tabs expanded. */
export function displayLine(line: string, options: { colour?: boolean } = {}): string {
  return expandTabs(inert(line, { colour: options.colour ?? false }));
}
