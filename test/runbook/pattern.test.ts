/** What `patternShape` reads from an expect= pattern: whether it can span lines, and nested quantifiers. */
import { describe, expect, it } from 'vitest';
import { patternShape } from '../../src/runbook/pattern.js';

describe('patternShape', () => {
  it.each([
    ['^Result: Success$'],
    ['ERROR'],
    ['^(ok|fine)+ \\d+\\.\\w*$'],
    ['[^\\n]*done'],
    ['[^\\s"]+'],
    ['[\\S]+'],
    ['.*'],
    ['[a-z\\t]+'],
  ])('%s stays within a line', (pattern) => {
    expect(patternShape(pattern).spansLines).toBe(false);
  });

  it.each([
    ['^(?![\\s\\S]*ERROR)'],
    ['[^"]*'],
    ['a\\nb'],
    ['\\x0a'],
    ['\\u000A'],
    ['\\cJ'],
    ['(a)\\1'],
    ['(?<n>a)\\k<n>'],
    ['[\\x00-\\x7f]'],
    ['[\\W]'],
    ['\\D'],
    ['[^\\d]'],
    ['a\nb'],
  ])('%s may span lines', (pattern) => {
    expect(patternShape(pattern).spansLines).toBe(true);
  });

  it('finds a quantified group that holds an unbounded quantifier, as written', () => {
    expect(patternShape('^(a+)+$').nestedQuantifier).toBe('(a+)+');
    expect(patternShape('x(?:ab*c)*y').nestedQuantifier).toBe('(?:ab*c)*');
    expect(patternShape('((a|b)+x){2,}').nestedQuantifier).toBe('((a|b)+x){2,}');
    expect(patternShape('(\\d+\\s?)+$').nestedQuantifier).toBe('(\\d+\\s?)+');
  });

  it('leaves single quantifiers, optional groups and bounded nesting alone', () => {
    for (const pattern of ['^a+$', '(ab)+', '(a+)?', '(a{1,3}){2}', '[(a+)]+', '\\(a+\\)+', '(a|b)*c']) {
      expect(patternShape(pattern).nestedQuantifier, pattern).toBeUndefined();
    }
  });
});
