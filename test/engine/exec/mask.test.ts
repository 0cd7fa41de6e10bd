import { describe, expect, it } from 'vitest';
import { MASK, createMasker } from '../../../src/engine/exec/mask.js';

describe('createMasker', () => {
  it('replaces every occurrence of a secret', () => {
    const masker = createMasker(['hunter2']);
    expect(masker.mask('pw=hunter2 again hunter2')).toBe(`pw=${MASK} again ${MASK}`);
  });

  it('masks a secret containing another one as a whole (longest first)', () => {
    const masker = createMasker(['abc', 'xxabcxx']);
    expect(masker.mask('[xxabcxx] [abc]')).toBe(`[${MASK}] [${MASK}]`);
  });

  it('leaves nothing of two overlapping secrets visible', () => {
    const masker = createMasker(['abc', 'cde']);
    expect(masker.mask('_abcde_')).toBe(`_${MASK}_`);
  });

  it('masks even a one-character secret and ignores empty ones', () => {
    const masker = createMasker(['', 'Q']);
    expect(masker.mask('aQb')).toBe(`a${MASK}b`);
    expect(createMasker(['']).empty).toBe(true);
    expect(createMasker(['']).mask('text')).toBe('text');
  });

  it('masks each line of a multi-line secret, since output is masked line by line', () => {
    const masker = createMasker(['-----BEGIN KEY-----\nMIIEsecretbody\n-----END KEY-----']);
    expect(masker.mask('MIIEsecretbody')).toBe(MASK);
  });

  it('returns text without secrets unchanged', () => {
    expect(createMasker(['s3cret']).mask('nothing to see')).toBe('nothing to see');
  });
});
