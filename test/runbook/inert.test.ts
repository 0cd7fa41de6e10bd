/**
 * The one sanitiser every face shows text through (issue 10, items 16 and 17): control characters
 * and escape sequences come out visible and inert; plain SGR colour survives only when asked for.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { controlsIn, displayLine, expandTabs, inert, inertFields, inertLines, invisiblesIn } from '../../src/runbook/inert.js';

/** Any character a terminal acts on: C0 but tab (newline counted separately), DEL, C1, bidi and line separators. */
const ACTING = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;
/** The same, once every plain colour sequence is taken out. */
const PLAIN_COLOUR =
  /\x1b\[(?:(?:[0-49]|2[234]|3[0-79]|4[0-79]|9[0-7]|10[0-7]|[34]8;5;\d{1,3}|[34]8;2;\d{1,3};\d{1,3};\d{1,3})?(?:;|(?=m)))*m/g;

describe('inert', () => {
  it('shows OSC 0 (window title) and OSC 52 (clipboard) as text: reproduced, a block retitled the tmux pane', () => {
    expect(inert('\x1b]0;pwned\x07')).toBe('␛]0;pwned␇');
    expect(inert('\x1b]52;c;ZWNobyBoaQ==\x1b\\')).toBe('␛]52;c;ZWNobyBoaQ==␛\\');
  });

  it('shows cursor moves, a lone ESC, C1 controls, BEL, CR and DEL', () => {
    expect(inert('a\x1b[2J\x1b[Hb')).toBe('a␛[2J␛[Hb');
    expect(inert('lone \x1b')).toBe('lone ␛');
    expect(inert('\x9b31mred')).toBe('⟨U+009B⟩31mred');
    expect(inert('ding\x07')).toBe('ding␇');
    expect(inert('rm -rf /\rls')).toBe('rm -rf /␍ls');
    expect(inert('x\x7fy')).toBe('x␡y');
  });

  it('shows bidi overrides and line separators, which reorder or break what a screen shows', () => {
    expect(inert('a\u202eb\u2066c\u2028d')).toBe('a⟨U+202E⟩b⟨U+2066⟩c⟨U+2028⟩d');
  });

  it('keeps tabs for the face to expand; newlines only in several-line text', () => {
    expect(inert('a\tb')).toBe('a\tb');
    expect(inert('a\nb')).toBe('a␊b');
    expect(inertLines('a\nb\x1b[8m')).toBe('a\nb␛[8m');
  });

  it('reproduced: a confirm line hid `echo DELETED` behind ESC[8m; without colour every SGR is shown', () => {
    const line = ": '\x1b[8m'; echo DELETED >> f; : '\x1b[0m'; systemctl --version";
    expect(inert(line)).toBe(": '␛[8m'; echo DELETED >> f; : '␛[0m'; systemctl --version");
    expect(inert(line, { colour: true })).toContain('␛[8m');
  });

  it('keeps plain colour when asked, and shows everything else an SGR can do', () => {
    expect(inert('\x1b[31mred\x1b[0m \x1b[1;38;5;208mo\x1b[m \x1b[48;2;1;2;3mt\x1b[39;49m', { colour: true })).toBe(
      '\x1b[31mred\x1b[0m \x1b[1;38;5;208mo\x1b[m \x1b[48;2;1;2;3mt\x1b[39;49m',
    );
    expect(inert('\x1b[31mred', { colour: false })).toBe('␛[31mred');
    for (const hiding of ['\x1b[8m', '\x1b[7m', '\x1b[5m', '\x1b[38;5m', '\x1b[38;5;999m', '\x1b[38;2;1;2m', '\x1b[31;8m']) {
      expect(inert(hiding, { colour: true })).toBe(`␛${hiding.slice(1)}`);
    }
  });

  it('reproduced: 14 zero-width spaces in `echo "all good…"; touch PWNED` hid `; touch PWNED` on the confirmation (ink gave each a column the terminal did not); now each is shown', () => {
    const zw = '\u200b'.repeat(3);
    expect(inert(`echo "all good${zw}"; touch PWNED`)).toBe('echo "all good⟨U+200B⟩⟨U+200B⟩⟨U+200B⟩"; touch PWNED');
    // `"prod\u200b"` is not `"prod"`, whatever the screen shows.
    expect(inert('[ "$ENV" != "prod\u200b" ]')).toBe('[ "$ENV" != "prod⟨U+200B⟩" ]');
  });

  it('shows every invisible character: joiners, soft hyphen, byte order mark, fillers, tags, a combining mark with nothing to sit on', () => {
    expect(inert('a\u2060b\u00adc\ufeffd\u3164e\u180ef')).toBe('a⟨U+2060⟩b⟨U+00AD⟩c⟨U+FEFF⟩d⟨U+3164⟩e⟨U+180E⟩f');
    expect(inert('rm\u200d -rf\u200c')).toBe('rm⟨U+200D⟩ -rf⟨U+200C⟩');
    // ASCII smuggled in tag characters, invisible after a letter.
    expect(inert('ok\u{e0072}\u{e006d}')).toBe('ok⟨U+E0072⟩⟨U+E006D⟩');
    // A mark at the start of a line or after a tab has no character to sit on: ink gave it a column.
    expect(inert('\u0301rm -rf /x /', { lines: true })).toBe('⟨U+0301⟩rm -rf /x /');
    expect(inert('a\n\u0301\u0302b\t\u0303c', { lines: true })).toBe('a\n⟨U+0301⟩⟨U+0302⟩b\t⟨U+0303⟩c');
    // On a character, a mark is an accent.
    expect(inert('cafe\u0301 na\u0308ive')).toBe('cafe\u0301 na\u0308ive');
  });

  it('keeps what emoji are made of: a presentation selector after a character, a joiner between pictographs', () => {
    for (const emoji of ['⚠\ufe0f', '❤\ufe0f', '👩\u200d💻', '👨\u200d👩\u200d👧', '🏳\ufe0f\u200d🌈', '👋🏽\u200d']) {
      if (emoji.endsWith('\u200d')) expect(inert(emoji)).toBe('👋🏽⟨U+200D⟩');
      else expect(inert(`ok ${emoji} done`)).toBe(`ok ${emoji} done`);
    }
    expect(inert('\ufe0f')).toBe('⟨U+FE0F⟩');
    expect(inert('a\u200b\ufe0f')).toBe('a⟨U+200B⟩⟨U+FE0F⟩');
  });

  it('returns clean text as it is', () => {
    const text = 'Nova upgrade — step 3 ✓ 日本語 🚀';
    expect(inert(text)).toBe(text);
  });

  const anyText = fc.string({
    unit: fc.oneof(
      fc.constantFrom('\x1b', '[', ']', ';', 'm', '0', '3', '8', '\x07', '\x9b', '\n', '\t', '\r', '\u202e'),
      fc.integer({ min: 0, max: 0x2100 }).map((c) => String.fromCharCode(c)),
    ),
    maxLength: 80,
  });

  it('property: the output never holds a control character (not even ESC, C1 or a newline in a one-line field)', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const shown = inert(text);
        expect(shown).not.toMatch(ACTING);
        expect(shown).not.toContain('\n');
      }),
      { numRuns: 2000 },
    );
  });

  it('property: with colour, the only ESC left opens a plain colour sequence', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const shown = inert(text, { colour: true, lines: true });
        expect(shown.replace(PLAIN_COLOUR, '')).not.toMatch(ACTING);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: without colour, each control or invisible character becomes its picture and nothing else changes; twice is once', () => {
    const picture = (c: string): string => {
      const code = c.charCodeAt(0);
      if (code < 0x20) return String.fromCharCode(0x2400 + code);
      return code === 0x7f ? '\u2421' : `⟨U+${code.toString(16).toUpperCase().padStart(4, '0')}⟩`;
    };
    // Invisible: default-ignorable or format, or a mark with no character before it (start, newline, tab, another such mark).
    // Below U+2100 no joiner sits between two pictographs often enough to matter: ‼ (U+203C) and ⁉ (U+2049) are, and are kept.
    const PICTO = /\p{Extended_Pictographic}/u;
    const invisible = (chars: string[], i: number): boolean => {
      const c = chars[i] as string;
      if (c === '\u200d' && i > 0 && PICTO.test(chars[i - 1] as string) && PICTO.test(chars[i + 1] ?? '')) return false;
      if (/[\p{Default_Ignorable_Code_Point}\p{Cf}]/u.test(c)) return true;
      if (!/\p{M}/u.test(c)) return false;
      let j = i - 1;
      while (j >= 0 && /\p{M}/u.test(chars[j] as string)) j--;
      return j < 0 || chars[j] === '\n' || chars[j] === '\t';
    };
    fc.assert(
      fc.property(anyText, fc.boolean(), (text, lines) => {
        const shown = inert(text, { lines });
        const chars = [...text];
        const expected = chars.map((c, i) => (ACTING.test(c) || invisible(chars, i) || (c === '\n' && !lines) ? picture(c) : c)).join('');
        expect(shown).toBe(expected);
        expect(inert(shown, { lines })).toBe(shown);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('inertFields', () => {
  it("keeps the layout's newlines and shows every line break inside a field, so a field cannot start a line", () => {
    const file = 'n.md';
    const message = 'unknown key "x\n/etc/passwd:1: error: forged\r\u2028\u2029\u0085\v\f"';
    const text = inertFields`${file}:${2}: warning: ${message}\n`;
    expect(text).toBe('n.md:2: warning: unknown key "x␊/etc/passwd:1: error: forged␍⟨U+2028⟩⟨U+2029⟩⟨U+0085⟩␋␌"\n');
    expect(text.split('\n')).toEqual([expect.stringMatching(/^n\.md:2: warning: /), '']);
  });

  it('shows escapes in fields as inert does, and changes nothing else', () => {
    expect(inertFields`${'a\x1b]0;t\x07'}\t${undefined} ${7}\n`).toBe('a␛]0;t␇\tundefined 7\n');
    expect(inertFields`plain`).toBe('plain');
  });
});

describe('controlsIn', () => {
  it('lists each control character with where it is; tab and newline are not', () => {
    expect([...controlsIn('a\tb\nc\x1bd\x9be')]).toEqual([
      { index: 5, char: '\x1b' },
      { index: 7, char: '\x9b' },
    ]);
    expect([...controlsIn('clean\ttext\n')]).toEqual([]);
  });
});

describe('invisiblesIn', () => {
  it('lists each invisible character with where it is, what lint reports; emoji are not', () => {
    expect([...invisiblesIn('a\u200bb ⚠\ufe0f \ufeff')]).toEqual([
      { index: 1, char: '\u200b' },
      { index: 7, char: '\ufeff' },
    ]);
    expect([...invisiblesIn('clean 日本 👩\u200d💻 e\u0301\n')]).toEqual([]);
  });
});

describe('expandTabs and displayLine (issue 12, items 1 and 2)', () => {
  it('replaces each tab by the spaces up to the next 8-column stop', () => {
    expect(expandTabs('host\tcmp-5')).toBe('host    cmp-5');
    expect(expandTabs('size_mib\t1')).toBe('size_mib        1');
    expect(expandTabs('\t\tx')).toBe(`${' '.repeat(16)}x`);
    expect(expandTabs('a\tb\nlonger\tc')).toBe('a       b\nlonger  c');
    expect(expandTabs('no tabs')).toBe('no tabs');
  });

  it('counts wide characters as two columns, combining marks as none, a kept colour as none', () => {
    expect(expandTabs('日本\tx')).toBe('日本    x');
    expect(expandTabs('e\u0301\tx')).toBe('e\u0301       x');
    expect(expandTabs('\x1b[1;31mred\x1b[0m\tx')).toBe('\x1b[1;31mred\x1b[0m     x');
  });

  it('expands after the sanitiser: a control is its picture (one column), and nothing is left to act', () => {
    expect(displayLine('a\x1b[2J\tb')).toBe('a␛[2J   b');
    expect(displayLine('\x1b[31mok\x1b[0m\tx', { colour: true })).toBe('\x1b[31mok\x1b[0m      x');
    expect(displayLine('\x1b[31mok\x1b[0m\tx')).toBe('␛[31mok␛[0m     x');
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const shown = displayLine(text, { colour: true });
        expect(shown).not.toContain('\t');
        expect(inert(shown, { colour: true })).toBe(shown);
      }),
      { numRuns: 300 },
    );
  });
});
