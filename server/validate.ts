import type { Context } from 'hono';
import type { z } from 'zod';
import { CairnError } from '../core/index.ts';

/** zod issues as a compact, stable list for error details. */
function describeIssues(error: z.ZodError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
}

export function parseWith<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = describeIssues(result.error);
  const first = issues[0];
  const where = first?.path ? `${first.path}: ` : '';
  throw new CairnError('VALIDATION', `Invalid ${what}: ${where}${first?.message ?? 'not valid'}`, { issues });
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * A body must say it is JSON: text/plain and form posts are what a foreign page can send without a
 * CORS preflight. A bodiless request with no Content-Type (`curl -X POST`) stands for `{}`.
 */
function assertJsonContentType(c: Context, text: string): void {
  const type = c.req.header('content-type');
  if (type === undefined ? text === '' : JSON_TYPE.test(type.trim())) return;
  throw new CairnError(
    'UNSUPPORTED_MEDIA_TYPE',
    `The request body must be sent as Content-Type: application/json (got ${type ?? 'none'})`,
    { contentType: type ?? null },
  );
}

/** The JSON body validated against a schema; bad JSON and schema misses are VALIDATION errors. */
export async function parseJsonBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let body: unknown;
  try {
    const text = await c.req.text();
    assertJsonContentType(c, text);
    body = text.trim() === '' ? {} : JSON.parse(text);
  } catch (error) {
    if (error instanceof CairnError) throw error;
    throw new CairnError('VALIDATION', `The request body is not valid JSON: ${(error as Error).message}`);
  }
  return parseWith(schema, body, 'request body');
}

export function parseQuery<S extends z.ZodType>(c: Context, schema: S): z.infer<S> {
  return parseWith(schema, c.req.query(), 'query parameters');
}

/** A path parameter that is known to exist on the route. */
export function param(c: Context, name: string): string {
  const value = c.req.param(name);
  if (value === undefined || value === '') throw new CairnError('VALIDATION', `Missing path parameter ${name}`);
  return value;
}

/**
 * The named fields of a parsed body that are present: with exactOptionalPropertyTypes an absent
 * option must stay absent rather than be passed on as `undefined`.
 */
export function pickDefined<T extends object, K extends keyof T>(
  source: T,
  keys: readonly K[],
): { [P in K]?: Exclude<T[P], undefined> } {
  const out: { [P in K]?: Exclude<T[P], undefined> } = {};
  for (const key of keys) {
    const value = source[key];
    if (value !== undefined) out[key] = value as Exclude<T[K], undefined>;
  }
  return out;
}
