/** Which values of CI make the SQL and fleet suites refuse to skip (test/support/ci.ts). */
import { describe, expect, it } from 'vitest';
import { underCi } from './ci.js';

describe('underCi', () => {
  it.each(['true', 'TRUE', '1', 'yes', 'woodpecker'])('CI=%s is CI: missing MariaDB or sshd fails the suite', (value) => {
    expect(underCi({ CI: value })).toBe(true);
  });

  it.each([undefined, '', ' ', 'false', 'FALSE', '0'])('CI=%s is not CI: the suites may skip with a warning', (value) => {
    expect(underCi(value === undefined ? {} : { CI: value })).toBe(false);
  });
});
