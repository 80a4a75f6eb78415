import { z } from 'zod';

/** One documented route; the schemas are the very objects the handlers validate with. */
export interface RouteDoc {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  /** OpenAPI path syntax: `/v1/collections/{collection}`. */
  path: string;
  summary: string;
  tag: string;
  body?: z.ZodType;
  /** Alternative body types beside JSON (multipart uploads). */
  multipart?: z.ZodType;
  query?: z.ZodType;
  /** Status and what it means; the first is the success response. */
  responses?: Record<number, string>;
  /** Also answers with text/event-stream. */
  stream?: boolean;
  scope?: string;
}

type JsonSchema = Record<string, unknown>;

/** zod → JSON Schema (draft 2020-12, which OpenAPI 3.1 uses as is), describing what a client sends. */
export function toJsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function pathParameters(path: string): JsonSchema[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
}

function queryParameters(schema: z.ZodType | undefined): JsonSchema[] {
  if (!schema) return [];
  const json = toJsonSchema(schema);
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: 'query',
    required: required.has(name) && property.default === undefined,
    schema: property,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
  }));
}

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message', 'details'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: { type: 'object' } },
    },
  },
};

function operation(doc: RouteDoc): JsonSchema {
  const content: JsonSchema = {};
  if (doc.body) content['application/json'] = { schema: toJsonSchema(doc.body) };
  if (doc.multipart) content['multipart/form-data'] = { schema: toJsonSchema(doc.multipart) };
  const [okStatus, okText] = Object.entries(doc.responses ?? { 200: 'OK' })[0] ?? ['200', 'OK'];
  const okContent: JsonSchema = { 'application/json': {} };
  if (doc.stream) okContent['text/event-stream'] = {};
  const responses: JsonSchema = { [okStatus]: { description: okText, content: okContent } };
  for (const [status, text] of Object.entries(doc.responses ?? {}).slice(1)) {
    responses[status] = {
      description: text,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  responses.default = {
    description: 'Error',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  };
  return {
    summary: doc.summary,
    tags: [doc.tag],
    ...(doc.scope ? { description: `Scope: ${doc.scope}` } : {}),
    parameters: [...pathParameters(doc.path), ...queryParameters(doc.query)],
    ...(Object.keys(content).length ? { requestBody: { required: true, content } } : {}),
    responses,
  };
}

export function buildOpenApi(docs: RouteDoc[], version: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const doc of docs) {
    paths[doc.path] ??= {};
    (paths[doc.path] as Record<string, JsonSchema>)[doc.method] = operation(doc);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Cairn API', version, description: 'Grounded answers with citations from your documents.' },
    components: {
      schemas: { Error: ERROR_SCHEMA },
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'cairn keys create' } },
    },
    security: [{ apiKey: [] }],
    paths,
  };
}
