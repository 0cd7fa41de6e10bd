/** Running an sql block against a connection with mysql2: statements in order, variables bound. */
import { createConnection, type Connection, type ConnectionOptions } from 'mysql2/promise';
import type { ConnectionTarget } from '../../runbook/connection.js';
import { missingParams, paramValues, splitStatements, type SqlStatement } from './sql-text.js';
import { describeStop, guardAttempt, type StopReason } from './deadline.js';
import { formatSqlValue, uniqueColumnNames } from './sql-values.js';

/** What an sql block returned: the last result set, or a summary of the rows it changed. */
export interface SqlResult {
  /** Rows of the last statement that returned rows; values are display strings (see `formatSqlValue`). */
  rows: Record<string, string>[];
  columns: string[];
  /** Sum over the statements that changed rows, when none returned rows. */
  affectedRows?: number;
  durationMs: number;
  timedOut: boolean;
  canceled: boolean;
  /** Connection failure, SQL error, unknown variable, timeout: a message without stack or password. */
  error?: string;
}

/** What to run where. */
export interface SqlOptions {
  target: ConnectionTarget;
  /** The block's code: one or more statements separated by `;`. */
  code: string;
  /** Variables, bound to `:NAME` parameters. */
  vars: Record<string, string>;
  /** The whole block (connect and every statement) must finish within this; 0 or less means no limit. */
  timeoutMs: number;
  signal?: AbortSignal;
}

const CONNECT_TIMEOUT_MS = 10_000;
// How long we try to tell the server to stop a statement we gave up on.
const KILL_TIMEOUT_MS = 3000;

type Interruption = { why: StopReason; note?: string };

/** Run the block's statements; every failure is returned as `error`, nothing throws. */
export async function runSql(options: SqlOptions): Promise<SqlResult> {
  const started = performance.now();
  const outcome = (fields: Partial<SqlResult>): SqlResult => ({
    rows: [],
    columns: [],
    timedOut: false,
    canceled: false,
    ...fields,
    durationMs: performance.now() - started,
  });
  const statements = splitStatements(options.code);
  if (statements.length === 0) return outcome({ error: 'the block has no SQL statement' });
  const missing = [...new Set(statements.flatMap((statement) => missingParams(statement, options.vars)))];
  if (missing.length > 0) {
    const names = missing.map((name) => `:${name}`).join(', ');
    return outcome({ error: `no variable for ${names} (declare it under vars: in the front matter)` });
  }

  if (options.signal?.aborted) return outcome({ canceled: true, error: describeStop('cancel', options.timeoutMs) });

  let connection: Connection | undefined;
  let statementRunning = false;
  // A timeout or a cancel stops the statement on the server, then settles `interrupted` with the first of them.
  let interrupt: (why: StopReason) => void = () => undefined;
  const interrupted = new Promise<Interruption>((resolve) => {
    interrupt = (why) =>
      void stopServerSide(options.target, connection, statementRunning).then((note) =>
        resolve(note === undefined ? { why } : { why, note }),
      );
  });
  const guard = guardAttempt(options, (why) => interrupt(why));

  const stopped = (stop: Interruption): SqlResult => {
    const what = describeStop(stop.why, options.timeoutMs);
    return outcome({
      timedOut: stop.why === 'timeout',
      canceled: stop.why === 'cancel',
      error: stop.note === undefined ? what : `${what}; ${stop.note}`,
    });
  };

  try {
    // Through a promise chain so that even a synchronous throw from the driver becomes a result.
    const connecting = Promise.resolve().then(() => createConnection(connectionOptions(options.target, options.timeoutMs)));
    const opened = await Promise.race([
      connecting.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      interrupted,
    ]);
    if ('why' in opened) {
      // The connection may still arrive after we gave up; it must not stay open.
      connecting.then(
        (late) => late.destroy(),
        () => undefined,
      );
      return stopped(opened);
    }
    if ('error' in opened) {
      return outcome({ error: `cannot connect to ${describeTarget(options.target)}: ${errorMessage(opened.error, options.target)}` });
    }
    connection = opened.value;
    // A fatal socket error is also delivered to the pending statement, which reports it;
    // this listener only keeps mysql2 from raising it a second time as an unhandled 'error' event.
    connection.on('error', () => undefined);

    let lastRows: { rows: Record<string, string>[]; columns: string[] } | undefined;
    let affected: number | undefined;
    for (const [index, statement] of statements.entries()) {
      statementRunning = true;
      const settled = await Promise.race([
        runStatement(connection, statement, options.vars).then(
          (value) => ({ value }),
          (error: unknown) => ({ error }),
        ),
        interrupted,
      ]);
      statementRunning = false;
      // A statement killed on our behalf fails before the interruption settles: report the interruption.
      if (guard.stoppedBy !== undefined) return stopped(await interrupted);
      if ('why' in settled) return stopped(settled);
      if ('error' in settled) {
        const where = statements.length > 1 ? `statement ${index + 1} (line ${statement.line}): ` : '';
        return outcome({ error: where + errorMessage(settled.error, options.target) });
      }
      if (settled.value.kind === 'rows') lastRows = { rows: settled.value.rows, columns: settled.value.columns };
      else affected = (affected ?? 0) + settled.value.affectedRows;
    }
    if (lastRows !== undefined) return outcome(lastRows);
    return outcome({ affectedRows: affected ?? 0 });
  } finally {
    guard.release();
    // After an interruption the connection was already destroyed by stopServerSide.
    if (guard.stoppedBy === undefined) await close(connection);
  }
}

type StatementResult = { kind: 'rows'; rows: Record<string, string>[]; columns: string[] } | { kind: 'affected'; affectedRows: number };

async function runStatement(connection: Connection, statement: SqlStatement, vars: Record<string, string>): Promise<StatementResult> {
  // With parameters: a server-side prepared statement, so values are bound, never spliced into the text.
  // Without: the text protocol, which accepts every statement (some cannot be prepared).
  const [rows, fields] =
    statement.params.length > 0
      ? await connection.execute({ sql: statement.sql, rowsAsArray: true }, paramValues(statement, vars))
      : await connection.query({ sql: statement.sql, rowsAsArray: true }, []);
  return toStatementResult(rows, fields);
}

function toStatementResult(rows: unknown, fields: unknown): StatementResult {
  if (Array.isArray(fields) && fields.length > 0) {
    // A CALL returns several result sets; the last one is the procedure's answer.
    const sets = Array.isArray(fields[0]) ? lastResultSet(rows, fields) : { rows, fields };
    if (sets !== undefined && Array.isArray(sets.rows)) {
      const columns = uniqueColumnNames((sets.fields as Array<{ name: string }>).map((field) => field.name));
      const records = (sets.rows as unknown[][]).map((row) => {
        const record: Record<string, string> = {};
        columns.forEach((column, i) => (record[column] = formatSqlValue(row[i])));
        return record;
      });
      return { kind: 'rows', rows: records, columns };
    }
  }
  const header = Array.isArray(rows) ? rows[rows.length - 1] : rows;
  const affectedRows = typeof header === 'object' && header !== null && 'affectedRows' in header ? Number(header.affectedRows) : 0;
  return { kind: 'affected', affectedRows };
}

function lastResultSet(rows: unknown, fields: unknown[]): { rows: unknown; fields: unknown } | undefined {
  if (!Array.isArray(rows)) return undefined;
  for (let i = fields.length - 1; i >= 0; i -= 1) {
    if (Array.isArray(fields[i])) return { rows: rows[i], fields: fields[i] };
  }
  return undefined;
}

function connectionOptions(target: ConnectionTarget, timeoutMs: number): ConnectionOptions {
  const options: ConnectionOptions = {
    user: target.user,
    connectTimeout: timeoutMs > 0 ? Math.min(timeoutMs, CONNECT_TIMEOUT_MS) : CONNECT_TIMEOUT_MS,
    // Dates as the server shows them: a Date object would be shifted into waymark's time zone.
    dateStrings: true,
    // BIGINT ids past 2^53 must not be rounded.
    supportBigNumbers: true,
    bigNumberStrings: true,
    multipleStatements: false,
  };
  if (target.password !== undefined) options.password = target.password;
  if (target.database !== undefined) options.database = target.database;
  if (target.socketPath !== undefined) options.socketPath = target.socketPath;
  else {
    options.host = target.host;
    if (target.port !== undefined) options.port = target.port;
  }
  return options;
}

/**
 * Closing the socket does not stop a statement on the server: an UPDATE would run on after a
 * timeout. Ask the server to kill it from a second connection, then drop ours.
 * Returns a note for the operator when the server could not be told.
 */
async function stopServerSide(
  target: ConnectionTarget,
  connection: Connection | undefined,
  statementRunning: boolean,
): Promise<string | undefined> {
  if (connection === undefined) return undefined;
  const threadId = connection.threadId;
  let note: string | undefined;
  if (statementRunning && threadId !== null && threadId !== undefined) {
    let killer: Connection | undefined;
    try {
      killer = await createConnection({ ...connectionOptions(target, KILL_TIMEOUT_MS), connectTimeout: KILL_TIMEOUT_MS });
      await killer.query({ sql: `KILL QUERY ${Number(threadId)}`, timeout: KILL_TIMEOUT_MS });
    } catch (error) {
      note = `the statement may still be running on the server (connection ${threadId}): ${errorMessage(error, target)}`;
    } finally {
      if (killer !== undefined) killer.destroy();
    }
  }
  connection.destroy();
  return note;
}

async function close(connection: Connection | undefined): Promise<void> {
  if (connection === undefined) return;
  try {
    await connection.end();
  } catch {
    // end() fails when the socket is already gone (destroyed after a timeout); destroy() is then all there is to do.
    connection.destroy();
  }
}

/** The driver's message, with the password removed should the driver ever echo it. */
function errorMessage(error: unknown, target: ConnectionTarget): string {
  const raw = error instanceof Error ? error.message : String(error);
  const message = raw.split('\n')[0] ?? raw;
  const password = target.password;
  return password ? message.split(password).join('••••') : message;
}

function describeTarget(target: ConnectionTarget): string {
  const where =
    target.socketPath !== undefined ? `socket ${target.socketPath}` : `${target.host}${target.port !== undefined ? `:${target.port}` : ''}`;
  return `${target.user}@${where}${target.database !== undefined ? `/${target.database}` : ''}`;
}
