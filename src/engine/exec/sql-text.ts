/**
 * Reading the SQL of a block: splitting it into statements and turning `:NAME` into bound
 * parameters. One scanner does both, so a `;` or `:NAME` inside a quoted string, a backquoted
 * identifier or a comment is never taken for a separator or a parameter.
 */

/** One statement of an sql block, ready to be prepared. */
export interface SqlStatement {
  /** The statement as written (without the `;`). */
  text: string;
  /** The statement with each `:NAME` replaced by `?`, for a server-side prepared statement. */
  sql: string;
  /** The parameter names in the order of their `?`. */
  params: string[];
  /** 1-based line in the block where the statement starts. */
  line: number;
}

const IDENT_START = /[A-Za-z_]/;
const IDENT_PART = /[A-Za-z0-9_]/;

/**
 * Split on `;` outside quotes (`'`, `"` with backslash escapes and doubled quotes), backquoted
 * identifiers and comments (`-- `, `#`, `/* *\/`). Statements holding only blanks and comments are dropped.
 * The mysql client's `DELIMITER` command is not SQL and is not understood.
 */
export function splitStatements(code: string): SqlStatement[] {
  const statements: SqlStatement[] = [];
  let text = '';
  let sql = '';
  let params: string[] = [];
  let hasCode = false;
  let line = 1;
  let startLine = 1;
  const flush = (): void => {
    if (hasCode) statements.push({ text: text.trim(), sql: sql.trim(), params, line: startLine });
    text = '';
    sql = '';
    params = [];
    hasCode = false;
  };
  let i = 0;
  while (i < code.length) {
    const ch = code[i] as string;
    const next = code[i + 1];
    let end = i + 1;
    if (ch === "'" || ch === '"') end = quotedEnd(code, i, ch, true);
    else if (ch === '`') end = quotedEnd(code, i, ch, false);
    else if (ch === '#' || (ch === '-' && next === '-' && isDashCommentStart(code[i + 2]))) end = lineEnd(code, i);
    else if (ch === '/' && next === '*') end = blockCommentEnd(code, i);
    else if (ch === ':' && next !== undefined && IDENT_START.test(next)) {
      end = i + 2;
      while (end < code.length && IDENT_PART.test(code[end] as string)) end += 1;
      const name = code.slice(i + 1, end);
      if (!hasCode) startLine = line;
      text += code.slice(i, end);
      sql += '?';
      params.push(name);
      hasCode = true;
      i = end;
      continue;
    } else if (ch === ';') {
      flush();
      i += 1;
      continue;
    }
    const piece = code.slice(i, end);
    const isComment = ch === '#' || (ch === '-' && next === '-') || (ch === '/' && next === '*');
    if (!hasCode && !isComment && piece.trim() !== '') {
      startLine = line;
      hasCode = true;
    }
    // Comments before a statement's first word are not part of it; inside it they are kept verbatim.
    if (hasCode) {
      text += piece;
      sql += piece;
    }
    for (const c of piece) if (c === '\n') line += 1;
    i = end;
  }
  flush();
  return statements;
}

/** The parameter names a statement uses that `vars` does not define, each once. */
export function missingParams(statement: SqlStatement, vars: Record<string, string>): string[] {
  return [...new Set(statement.params.filter((name) => !Object.hasOwn(vars, name)))];
}

/** The values for a statement's `?`s, in order; only the variables the statement names are passed. */
export function paramValues(statement: SqlStatement, vars: Record<string, string>): string[] {
  return statement.params.map((name) => vars[name] ?? '');
}

// MySQL starts a `--` comment only when a blank or control character follows (`a--1` is arithmetic).
function isDashCommentStart(ch: string | undefined): boolean {
  return ch === undefined || ch <= ' ';
}

function quotedEnd(code: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1;
  while (i < code.length) {
    const ch = code[i];
    if (backslashEscapes && ch === '\\') {
      i += 2;
      continue;
    }
    if (ch === quote) {
      if (code[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i += 1;
  }
  return code.length;
}

function lineEnd(code: string, start: number): number {
  const newline = code.indexOf('\n', start);
  return newline === -1 ? code.length : newline;
}

function blockCommentEnd(code: string, start: number): number {
  const close = code.indexOf('*/', start + 2);
  return close === -1 ? code.length : close + 2;
}
