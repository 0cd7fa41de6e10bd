/**
 * Small JSON records that another process writes into the state folder (an approval, a lock's
 * holder): read field by field, so that a torn, foreign or hand-edited file is "unreadable" (null)
 * for its caller to report, never an exception and never a half-typed object.
 */

/** What a field of a record must be: any string, a non-empty string, or a whole number above 0. */
export type FieldKind = 'string' | 'non-empty' | 'positive-integer';

type FieldValue<K extends FieldKind> = K extends 'positive-integer' ? number : string;

/** A record with exactly the fields asked for, each of its kind. */
export type RecordOf<F extends Record<string, FieldKind>> = { [K in keyof F]: FieldValue<F[K]> };

function fits(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 'string':
      return typeof value === 'string';
    case 'non-empty':
      return typeof value === 'string' && value !== '';
    case 'positive-integer':
      return Number.isSafeInteger(value) && (value as number) > 0;
  }
}

/** The `fields` of the JSON object in `text`, or null when it is not JSON, not an object, or a field is missing or of another kind. */
export function readRecord<const F extends Record<string, FieldKind>>(text: string, fields: F): RecordOf<F> | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    // Not JSON (torn by a crash, or not ours): the caller says "unreadable" and what to do.
    return null;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return null;
  const record: Record<string, unknown> = {};
  for (const [name, kind] of Object.entries(fields)) {
    const value = Object.hasOwn(data, name) ? (data as Record<string, unknown>)[name] : undefined;
    if (!fits(value, kind)) return null;
    record[name] = value;
  }
  return record as RecordOf<F>;
}
