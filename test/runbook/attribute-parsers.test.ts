/**
 * Each waymark attribute has one small parser, found by its key (issue 16 §5: the attribute switch
 * was one 150-line function). The list of keys and the parsers cannot drift apart.
 */
import { describe, expect, it } from 'vitest';
import { interpretBlockHead, WAYMARK_KEYS } from '../../src/runbook/attributes.js';

describe('attribute parsers behind one interface', () => {
  it('every key of WAYMARK_KEYS is known to the sh block that uses it: its value is judged, never "unknown attribute"', () => {
    for (const key of WAYMARK_KEYS) {
      const head = interpretBlockHead('sh', ['check'], [{ key, value: 'zz-not-a-value-of-any-key' }]);
      expect(head.problems.join('\n'), key).not.toContain('unknown attribute');
    }
  });

  it("a key named like an object's own property is an unknown attribute, not a parser", () => {
    for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(interpretBlockHead('sh', [], [{ key, value: 'x' }]).problems).toEqual([`unknown attribute "${key}"`]);
    }
  });

  it('a bad value names the key, the value as written and what is expected', () => {
    expect(interpretBlockHead('sh', ['check'], [{ key: 'forks', value: '0' }]).problems).toEqual([
      'bad forks value "0": expected a number of parallel hosts from 1 to 1000',
      "forks= is only for fleet blocks: add hosts=PATTERN to run this block on an inventory's hosts",
    ]);
    expect(interpretBlockHead('sh', ['timeout'], []).problems).toEqual(['bad timeout value "": expected a duration such as 30s, 5m or 1h']);
  });

  it('ignore= keeps the block from running whatever key comes after it', () => {
    const head = interpretBlockHead(
      'sh',
      [],
      [
        { key: 'ignore', value: 'true' },
        { key: 'excludeFromRunAll', value: 'false' },
      ],
    );
    expect(head).toMatchObject({ executor: null, role: 'example', runme: { ignore: 'true', excludeFromRunAll: 'false' } });
  });
});
