/**
 * The operator's name comes from one place for `run` and `preflight` (src/engine/operator.ts,
 * docs/running.md#the-operators-name): `--operator`, else `WAYMARK_OPERATOR`, else the login name.
 * Reproduced: with WAYMARK_OPERATOR set, preflight's audit named it while `run` named the login
 * user, so the same shell was recorded as two operators. Both now name the same one, on screen
 * and in their audit trails, and `--operator` still wins over the variable for both.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { useWorkspace, type Workspace } from '../support/workspace.js';

const ws = useWorkspace('wm-operator-');

const BOOK = [
  '---',
  'title: Operator name',
  'id: operator-name',
  '---',
  '# Operator name',
  '',
  '## Look {#look}',
  '',
  '```sh check name=look',
  'true',
  '```',
  '',
  '```sh name=note',
  'echo noted >> noted.txt',
  '```',
  '',
].join('\n');

/** The operators named in the audit trail of the one preflight in the workspace. */
function preflightOperators(w: Workspace): string[] {
  const dir = join(w.bookDir('operator-name'), 'preflights');
  const [id] = readdirSync(dir);
  const text = readFileSync(join(dir, id as string, 'audit.jsonl'), 'utf8');
  return [
    ...new Set(
      text
        .split('\n')
        .filter(Boolean)
        .map((line) => (JSON.parse(line) as { operator: string }).operator),
    ),
  ];
}

describe('the operator name of run and preflight', () => {
  it('is WAYMARK_OPERATOR for both, on screen and in both audit trails', async () => {
    const w = ws();
    const book = w.write('book.md', BOOK);
    const env = { WAYMARK_OPERATOR: 'night-shift-7' };

    const checked = await w.waymark(['preflight', book], env);
    expect(checked.code, checked.all).toBe(0);
    expect(preflightOperators(w)).toEqual(['night-shift-7']);

    const ran = await w.run(book, ['--yes'], env);
    expect(ran.code, ran.all).toBe(0);
    expect(ran.stdout).toMatch(/^waymark: Operator name — run \S+, operator night-shift-7$/m);
    expect([...new Set(w.audit('operator-name').map((line) => line.operator))]).toEqual(['night-shift-7']);
  });

  it('is --operator for both when it is given, whatever WAYMARK_OPERATOR says', async () => {
    const w = ws();
    const book = w.write('book.md', BOOK);
    const env = { WAYMARK_OPERATOR: 'night-shift-7' };

    const checked = await w.waymark(['preflight', book, '--operator', 'alice'], env);
    expect(checked.code, checked.all).toBe(0);
    expect(preflightOperators(w)).toEqual(['alice']);

    const ran = await w.run(book, ['--yes', '--operator', 'alice'], env);
    expect(ran.code, ran.all).toBe(0);
    expect(ran.stdout).toMatch(/^waymark: Operator name — run \S+, operator alice$/m);
    expect([...new Set(w.audit('operator-name').map((line) => line.operator))]).toEqual(['alice']);
  });
});
