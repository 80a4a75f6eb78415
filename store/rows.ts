/**
 * A JSON column's value: text on SQLite, already parsed (jsonb) on PostgreSQL. One row mapper
 * serves both stores.
 */
export type JsonColumn = unknown;

/** Small helpers for turning rows into plain objects. */
export function parseJson<T>(value: JsonColumn, fallback: T): T {
  if (value === null || value === undefined || value === '') return fallback;
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}

export function now(): string {
  return new Date().toISOString();
}
