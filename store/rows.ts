/** Small helpers for turning rows into plain objects. */
export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (text === null || text === undefined || text === '') return fallback;
  return JSON.parse(text) as T;
}

export function now(): string {
  return new Date().toISOString();
}
