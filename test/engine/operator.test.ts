/**
 * The operator's name as every command gets it (src/engine/operator.ts,
 * docs/running.md#the-operators-name): the flag, else WAYMARK_OPERATOR unless it is empty or
 * blank (an `export WAYMARK_OPERATOR=` left in a profile must not record a nameless operator),
 * else the login name.
 */
import { describe, expect, it } from 'vitest';
import { operatorName } from '../../src/engine/operator.js';
import { currentUser } from '../../src/state/lock.js';

describe('operatorName', () => {
  it('takes --operator over WAYMARK_OPERATOR', () => {
    expect(operatorName('alice', { WAYMARK_OPERATOR: 'night-shift-7' })).toBe('alice');
  });

  it('takes WAYMARK_OPERATOR when no flag is given', () => {
    expect(operatorName(undefined, { WAYMARK_OPERATOR: 'night-shift-7' })).toBe('night-shift-7');
  });

  it('falls back to the login name when WAYMARK_OPERATOR is unset, empty or blank', () => {
    const login = currentUser();
    expect(login).not.toBe('');
    expect(operatorName(undefined, {})).toBe(login);
    expect(operatorName(undefined, { WAYMARK_OPERATOR: '' })).toBe(login);
    expect(operatorName(undefined, { WAYMARK_OPERATOR: '  ' })).toBe(login);
  });
});
