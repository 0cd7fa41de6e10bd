import { describe, expect, it } from 'vitest';
import { judgeSql } from '../../src/engine/exec/expect.js';
import type { SqlResult } from '../../src/engine/exec/sql.js';
import { interpretBlockHead } from '../../src/runbook/attributes.js';
import type { Role } from '../../src/runbook/model.js';
import { effectiveSqlExpectation, parseSqlExpect } from '../../src/runbook/sql-expectation.js';

const offenders: SqlResult = { rows: [{ host: 'cmp-3' }], columns: ['host'], durationMs: 2, timedOut: false, canceled: false };

describe('what an sql block expects (its one home)', () => {
  it('an sql check without expect= expects no rows; no other block gets an expectation it did not write', () => {
    expect(effectiveSqlExpectation({ executor: 'sql', role: 'check' })).toEqual({ kind: 'empty' });
    for (const role of ['run', 'verify', 'rollback', 'example'] as Role[])
      expect(effectiveSqlExpectation({ executor: 'sql', role })).toBeUndefined();
    expect(effectiveSqlExpectation({ executor: 'shell', role: 'check' })).toBeUndefined();
    expect(effectiveSqlExpectation({ executor: null, role: 'check' })).toBeUndefined();
  });

  it('an expect= the block gives always wins', () => {
    expect(effectiveSqlExpectation({ executor: 'sql', role: 'check', given: { kind: 'nonempty' } })).toEqual({ kind: 'nonempty' });
    expect(effectiveSqlExpectation({ executor: 'sql', role: 'verify', given: { kind: 'rows', count: 2 } })).toEqual({
      kind: 'rows',
      count: 2,
    });
  });

  it("hands out a fresh default each time, so one block cannot change another's", () => {
    const first = effectiveSqlExpectation({ executor: 'sql', role: 'check' });
    expect(first).not.toBe(effectiveSqlExpectation({ executor: 'sql', role: 'check' }));
  });

  it('the parsed head and the verdict on a hand-built block agree, because both ask it', () => {
    const head = interpretBlockHead('sql', ['check'], []);
    expect(head.attrs.sqlExpect).toEqual(effectiveSqlExpectation({ executor: 'sql', role: 'check' }));
    const parsed = judgeSql(head, offenders);
    const handBuilt = judgeSql({ executor: 'sql', role: 'check', attrs: { confirm: false } }, offenders);
    expect(handBuilt).toEqual(parsed);
    expect(parsed).toEqual({ outcome: 'failure', reason: '1 row returned, expected none', retryable: true });
    expect(interpretBlockHead('sql', ['run'], []).attrs.sqlExpect).toBeUndefined();
  });

  it('reads the four expect= forms and nothing else', () => {
    expect(parseSqlExpect('empty')).toEqual({ kind: 'empty' });
    expect(parseSqlExpect('nonempty')).toEqual({ kind: 'nonempty' });
    expect(parseSqlExpect('rows:12')).toEqual({ kind: 'rows', count: 12 });
    expect(parseSqlExpect('value:utf8mb4')).toEqual({ kind: 'value', value: 'utf8mb4' });
    expect(parseSqlExpect('rows:many')).toBeUndefined();
    expect(parseSqlExpect('none')).toBeUndefined();
  });
});
