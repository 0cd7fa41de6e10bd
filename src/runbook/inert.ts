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
 * - Tab stays a tab, so that a face can expand tabs after this; newline stays a newline only when
 *   the text is several lines (`lines`), and is `␊` in a one-line field.
 * - With `colour`, a plain SGR colour sequence (`ESC [ 31 m`, 256 and true colours, bold, dim,
 *   italic, underline and their resets) is kept as it is. Only command output asks for it, never
 *   under NO_COLOR; anything else an SGR can do (conceal, blink, inverse) is shown inert.
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
  return COLOUR_CODES.has(code) || (code >= 30 && code <= 37) || (code >= 40 && code <= 47) || (code >= 90 && code <= 97) || (code >= 100 && code <= 107);
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

/** The visible stand-in for one control character. */
export function controlPicture(char: string): string {
  const code = char.charCodeAt(0);
  if (code < 0x20) return String.fromCharCode(0x2400 + code);
  if (code === 0x7f) return '\u2421';
  return `⟨U+${code.toString(16).toUpperCase().padStart(4, '0')}⟩`;
}

/** `text` with every control character and escape sequence shown instead of acted on (see the module comment). */
export function inert(text: string, options: InertOptions = {}): string {
  if (text.search(options.lines ? CONTROL : CONTROL_OR_NEWLINE) === -1) return text;
  if (options.colour) {
    return text.replace(options.lines ? SGR_OR_CONTROL : SGR_OR_CONTROL_OR_NEWLINE, (match: string, parameters: string | undefined) => {
      if (parameters === undefined) return controlPicture(match);
      return isPlainColour(parameters) ? match : `␛${match.slice(1)}`;
    });
  }
  // Without colour each control character stands alone. ESC, by far the most common (coloured
  // output), is swapped natively: a callback per match costs three times as much.
  const shown = text.includes('\x1b') ? text.replaceAll('\x1b', '␛') : text;
  const pattern = options.lines ? CONTROL_ALL : CONTROL_OR_NEWLINE_ALL;
  return shown.search(pattern) === -1 ? shown : shown.replace(pattern, controlPicture);
}

/** Several lines of text made inert, newlines kept: what goes to a terminal as a whole (CLI output, reports). */
export function inertLines(text: string): string {
  return inert(text, { lines: true });
}

/** Every control character in `text` (tab and newline are not), in order: what lint reports. */
export function* controlsIn(text: string): Generator<{ index: number; char: string }> {
  if (text.search(CONTROL) === -1) return;
  for (const match of text.matchAll(CONTROL_ALL)) yield { index: match.index, char: match[0] };
}
