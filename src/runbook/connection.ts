/** SQL connection targets: `mysql://user[:password]@host[:port]/database[?socket=PATH]` and `${VAR}` interpolation. */
import { isAbsolute, resolve } from 'node:path';

/** Where and how to connect, after variables are substituted. */
export interface ConnectionTarget {
  user: string;
  password?: string;
  host: string;
  port?: number;
  database?: string;
  socketPath?: string;
}

const VAR_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** The variable names a `${VAR}` template refers to, in order. */
export function referencedVars(template: string): string[] {
  return [...template.matchAll(VAR_REF)].map((m) => m[1] as string);
}

/** Substitute `${VAR}` references; a name missing from `values` becomes ''. */
export function interpolate(template: string, values: Record<string, string | undefined>): string {
  return template.replace(VAR_REF, (_, name: string) => values[name] ?? '');
}

/** Parse a mysql:// (or mariadb://) URL; returns an error message instead of throwing. */
export function parseConnectionUrl(url: string): ConnectionTarget | { error: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { error: `not a URL: "${url}" (expected mysql://user@host/database)` };
  }
  if (parsed.protocol !== 'mysql:' && parsed.protocol !== 'mariadb:') {
    return { error: `unsupported scheme "${parsed.protocol.replace(/:$/, '')}" (use mysql:// or mariadb://)` };
  }
  const socketPath = parsed.searchParams.get('socket') ?? undefined;
  const host = decodeURIComponent(parsed.hostname);
  if (!host && !socketPath) return { error: `no host in "${url}"` };
  const target: ConnectionTarget = {
    user: decodeURIComponent(parsed.username) || 'root',
    host: host || 'localhost',
  };
  if (parsed.password) target.password = decodeURIComponent(parsed.password);
  if (parsed.port) target.port = Number(parsed.port);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database) target.database = database;
  if (socketPath) target.socketPath = socketPath;
  return target;
}

/**
 * The target with a relative `?socket=` resolved against `folder`, the folder of the runbook that
 * declares the connection: where its shell blocks run, so `../../state/testbed/mysqld.sock` means
 * the same socket to a `sql` block and to the `mariadb` client in a shell block, whatever the
 * directory waymark was started from.
 */
export function resolveSocketPath(target: ConnectionTarget, folder: string): ConnectionTarget {
  if (target.socketPath === undefined || isAbsolute(target.socketPath)) return target;
  return { ...target, socketPath: resolve(folder, target.socketPath) };
}
