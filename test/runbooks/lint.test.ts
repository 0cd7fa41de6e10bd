/**
 * Every runbook the project ships lints clean: `waymark lint` exits 0 and prints nothing but notes.
 * Notes are information, not findings: which hosts a fleet block would touch, printed when its
 * inventory is readable (the composed example's own; the testbed fleet's while one is up).
 */
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, waymark } from '../support/binary.js';

const runbooks = readdirSync(join(ROOT, 'runbooks'), { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
  .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
  .sort();

describe('shipped runbooks', () => {
  it('include the demo and the three OpenStack upgrades', () => {
    expect(runbooks).toEqual(
      expect.arrayContaining([
        'runbooks/demo.md',
        'runbooks/openstack/skip-level-juno-to-mitaka.md',
        'runbooks/openstack/nova-rolling-upgrade.md',
        'runbooks/openstack/cinder-rolling-upgrade.md',
      ]),
    );
  });

  it.each(runbooks)(
    '%s lints clean',
    async (runbook) => {
      const result = await waymark(['lint', runbook]);
      const findings = result.all.split('\n').filter((line) => line !== '' && !/^\S+:\d+: note: fleet block /.test(line));
      expect(findings).toEqual([]);
      expect(result.code).toBe(0);
    },
    30_000,
  );
});
