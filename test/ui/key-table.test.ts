/**
 * The key table gives each key press at most one meaning. Reproduced: `c` (check the interrupted
 * hosts) was added before ctrl+c in the table, and ink reports ctrl+c as input "c" with ctrl set,
 * so ctrl+c stopped asking to cancel the running block.
 */
import { describe, expect, it } from 'vitest';
import { KEY_TABLE, PLAIN_KEY as NO_KEY, actionFor } from '../../src/ui/keys.js';

describe('the key table', () => {
  it('matches each printable key, with and without ctrl, to at most one action', () => {
    for (let code = 32; code < 127; code++) {
      const input = String.fromCharCode(code);
      for (const ctrl of [false, true]) {
        const key = { ...NO_KEY, ctrl };
        const matching = KEY_TABLE.filter((binding) => binding.matches(input, key)).map((b) => b.action);
        expect(matching.length, `${ctrl ? 'ctrl+' : ''}${input}: ${matching.join(', ')}`).toBeLessThanOrEqual(1);
      }
    }
  });

  it('ctrl+c cancels, c checks the interrupted hosts', () => {
    expect(actionFor('c', { ...NO_KEY, ctrl: true })).toBe('cancel');
    expect(actionFor('c', NO_KEY)).toBe('check-hosts');
  });
});
