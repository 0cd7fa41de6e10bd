import { describe, expect, it } from 'vitest';
import { missingParams, paramValues, splitStatements } from '../../../src/engine/exec/sql-text.js';
import { formatSqlValue, sqlResultLines, uniqueColumnNames } from '../../../src/engine/exec/sql-values.js';

const texts = (code: string): string[] => splitStatements(code).map((statement) => statement.text);

describe('splitStatements', () => {
  it('splits on ; and drops empty statements', () => {
    expect(texts('SELECT 1; SELECT 2;\n;\n')).toEqual(['SELECT 1', 'SELECT 2']);
  });

  it('does not split inside quotes, backquotes or comments', () => {
    const code = [
      'SELECT \'a;b\', "c;d", `e;f` FROM t; -- a comment; with a semicolon',
      "SELECT 'it''s; fine', 'back\\'slash;' /* block; comment */ FROM u",
      '# hash comment; here',
      'SELECT 3',
    ].join('\n');
    expect(texts(code)).toEqual([
      'SELECT \'a;b\', "c;d", `e;f` FROM t',
      "SELECT 'it''s; fine', 'back\\'slash;' /* block; comment */ FROM u\n# hash comment; here\nSELECT 3",
    ]);
  });

  it('knows that -- starts a comment only before a blank', () => {
    expect(texts('SELECT 5--1; SELECT 2')).toEqual(['SELECT 5--1', 'SELECT 2']);
  });

  it('drops a block of comments only', () => {
    expect(splitStatements('-- nothing here;\n/* nor; here */\n# nor here')).toEqual([]);
  });

  it('records the line where each statement starts', () => {
    const statements = splitStatements('-- intro\nSELECT 1;\n\nUPDATE t\nSET a = 1;');
    expect(statements.map((statement) => statement.line)).toEqual([2, 4]);
  });

  it('turns :NAME into ? outside quotes and comments, in order', () => {
    const [statement] = splitStatements("SELECT * FROM t WHERE a = :HOST AND b = ':NOT' AND c IN (:X, :HOST) -- :ALSO_NOT");
    expect(statement?.sql).toBe("SELECT * FROM t WHERE a = ? AND b = ':NOT' AND c IN (?, ?) -- :ALSO_NOT");
    expect(statement?.params).toEqual(['HOST', 'X', 'HOST']);
  });

  it('leaves := assignments and times in strings alone', () => {
    const [statement] = splitStatements("SET @n := 1; SELECT '10:30:00'");
    expect(statement?.params).toEqual([]);
    expect(splitStatements("SELECT '10:30:00'")[0]?.params).toEqual([]);
  });
});

describe('parameters', () => {
  it('passes only the variables a statement names', () => {
    const [statement] = splitStatements('SELECT :A, :B, :A');
    if (statement === undefined) throw new Error('no statement');
    expect(paramValues(statement, { A: '1', B: '2', SECRET: 'x' })).toEqual(['1', '2', '1']);
  });

  it('names the parameters with no variable', () => {
    const [statement] = splitStatements('SELECT :A, :MISSING, :MISSING');
    if (statement === undefined) throw new Error('no statement');
    expect(missingParams(statement, { A: '1' })).toEqual(['MISSING']);
  });
});

describe('formatSqlValue', () => {
  it('shows values as text', () => {
    expect(formatSqlValue(null)).toBe('NULL');
    expect(formatSqlValue(Buffer.from('héllo'))).toBe('héllo');
    expect(formatSqlValue(new Date('2024-05-01T10:00:00Z'))).toBe('2024-05-01T10:00:00.000Z');
    expect(formatSqlValue(42)).toBe('42');
    expect(formatSqlValue(12345678901234567890n)).toBe('12345678901234567890');
    expect(formatSqlValue({ a: 1 })).toBe('{"a":1}');
  });

  it('keeps duplicate column names apart', () => {
    expect(uniqueColumnNames(['id', 'id', 'name', 'id'])).toEqual(['id', 'id (2)', 'name', 'id (3)']);
  });

  it('renders a result as tab-separated lines with a row count', () => {
    expect(sqlResultLines({ rows: [{ id: '1', host: 'NULL' }], columns: ['id', 'host'] })).toEqual(['id\thost', '1\tNULL', '(1 row)']);
    expect(sqlResultLines({ rows: [], columns: [], affectedRows: 3 })).toEqual(['3 rows affected']);
    expect(sqlResultLines({ rows: [], columns: [], error: 'boom' })).toEqual(['ERROR: boom']);
  });
});
