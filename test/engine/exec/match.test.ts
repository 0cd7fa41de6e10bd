/**
 * `expect=` matching in the worker: streamed line by line or whole, it finds exactly what matching
 * the whole output at once finds, wherever the chunks are cut.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StdoutMatcher } from '../../../src/engine/exec/match.js';

/** What `expect=` means: the pattern, multiline, against stdout without its final newline and CRs before line ends. */
function reference(pattern: string, output: string): boolean {
  const text = output.endsWith('\n') ? output.slice(0, -1) : output;
  return new RegExp(pattern, 'm').test(text.replace(/\r(?=\n|$)/g, ''));
}

async function streamed(pattern: string, output: string, cuts: number[], dropped = 0): Promise<boolean | string> {
  const bytes = Buffer.from(output);
  const matcher = new StdoutMatcher(pattern, dropped);
  let from = 0;
  for (const cut of [...cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b), bytes.length]) {
    matcher.push(bytes.subarray(from, Math.max(from, cut)));
    from = Math.max(from, cut);
  }
  const settled = await matcher.result(10_000);
  if ('canceled' in settled) return 'canceled';
  return 'matched' in settled.match ? settled.match.matched : settled.match.error;
}

// Line patterns (matched line by line) and patterns that span lines (matched whole).
const PATTERNS = ['^ab$', 'b+c', '^$', 'a$', '^c', 'é', 'a\\r', '[^\\n]b', 'a\\nb', '^(?![\\s\\S]*c)', '[^a]{3}', 'b\\s+a'];

describe('StdoutMatcher', () => {
  it('finds what matching the whole output finds, for any chunking', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PATTERNS),
        fc.array(fc.constantFrom('a', 'b', 'c', '\n', '\r', 'é'), { maxLength: 60 }).map((chars) => chars.join('')),
        fc.array(fc.nat(200), { maxLength: 6 }),
        async (pattern, output, cuts) => {
          expect(await streamed(pattern, output, cuts)).toBe(reference(pattern, output));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('matches a line pattern over more than the window, and refuses a spanning pattern beyond it', async () => {
    const long = `Result: Success\n${'x'.repeat(99)}\n`.repeat(20_000);
    expect(await streamed('^Result: Success$', `${long}tail\n`, [])).toBe(true);
    expect(await streamed('^(?![\\s\\S]*ERROR)', `ERROR\n${long}`, [])).toBe(
      'output exceeded the matching window (1 MiB): a pattern that can match across lines (\\s, [^...], \\n) sees at most that much; match single lines instead',
    );
    // A line of 1 MiB or more, whether it arrives whole, in pipe-sized chunks, or already cut in two by masking.
    const window = 'a line of stdout exceeded the matching window (1 MiB)';
    const huge = 'x'.repeat(1024 * 1024);
    expect(await streamed('^x$', `ok\n${huge}\n`, [])).toBe(window);
    expect(
      await streamed(
        '^x$',
        `${huge}x\n`,
        Array.from({ length: 20 }, (_, i) => i * 65_536),
      ),
    ).toBe(window);
    expect(await streamed('^x$', `${huge}\nx\n`, [])).toBe(window);
    expect(await streamed('^x$', `${'x'.repeat(1024)}\nx\n`, [])).toBe(true);
  });

  // A fleet host sends back only the end of its stdout (docs/fleet.md). Before, that end was matched
  // as if it were the whole output: "no ERROR anywhere" passed when the ERROR was in the part cut off.
  it('on output whose beginning never arrived, passes only on a whole line that matches, and never fails on it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PATTERNS),
        fc.array(fc.constantFrom('a', 'b', 'c', '\n'), { minLength: 1, maxLength: 60 }).map((chars) => chars.join('')),
        fc.nat(60),
        fc.array(fc.nat(200), { maxLength: 6 }),
        async (pattern, output, at, cuts) => {
          const from = 1 + (at % output.length);
          const seen = output.slice(from);
          const answer = await streamed(pattern, seen, cuts, from);
          if (answer === true) expect(reference(pattern, output)).toBe(true);
          else expect(answer).toMatch(/^stdout was too long to check: only its last 1 KiB arrived \(1 KiB before them did not\)/);
        },
      ),
      { numRuns: 300 },
    );
    // The first line that arrived is the end of a longer one: "NOT OK" is not an "OK" line.
    expect(await streamed('^OK$', 'OK\nfine\n', [], 4)).toMatch(/no whole line of them matches/);
    expect(await streamed('^fine$', 'OK\nfine\n', [], 4)).toBe(true);
    expect(await streamed('^(?![\\s\\S]*ERROR)', 'fine\n', [], 6)).toMatch(/a pattern that can match across lines/);
  });
});
