import { CairnError } from '../core/index.ts';
import type { ChatTurn, Generator, JsonSchema } from '../models/types.ts';

/**
 * One schema-constrained generator call whose output must fit a validator. Grammars make invalid
 * output rare with llama.cpp; OpenAI-compatible servers may ignore the schema, so output is always
 * checked, retried once, then reported as GRADER_OUTPUT_INVALID.
 */
export interface GradeCall<T> {
  stage: string;
  messages: ChatTurn[];
  schema: JsonSchema;
  validate: (value: unknown) => T | null;
  maxTokens: number;
  signal?: AbortSignal | undefined;
}

export async function gradeJson<T>(generator: Generator, call: GradeCall<T>): Promise<T> {
  let last = '';
  for (let attempt = 1; attempt <= 2; attempt++) {
    const completion = await generator.complete(
      {
        messages: call.messages,
        maxTokens: call.maxTokens,
        temperature: 0,
        ...(call.signal ? { signal: call.signal } : {}),
      },
      call.schema,
    );
    const value = completion.json !== undefined ? completion.json : parseJson(completion.text);
    const valid = value === undefined ? null : call.validate(value);
    if (valid !== null) return valid;
    last = completion.text;
  }
  throw new CairnError('GRADER_OUTPUT_INVALID', `The ${call.stage} grader returned output that does not fit its schema twice`, {
    stage: call.stage,
    output: last.slice(0, 500),
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Schema for an object with one array of exactly n items: short keys and values keep grading cheap. */
export function verdictListSchema(key: string, item: JsonSchema, n: number): JsonSchema {
  return {
    type: 'object',
    properties: { [key]: { type: 'array', items: item, minItems: n, maxItems: n } },
    required: [key],
    additionalProperties: false,
  };
}

export function readVerdictList<V>(value: unknown, key: string, accept: (v: unknown) => v is V, n: number): V[] | null {
  if (typeof value !== 'object' || value === null) return null;
  const list = (value as Record<string, unknown>)[key];
  if (!Array.isArray(list) || list.length !== n) return null;
  return list.every(accept) ? (list as V[]) : null;
}

/** A bound for n enum verdicts: generous, since the grammar already bounds the output and a byte-level vocabulary spells words letter by letter. */
export function verdictTokens(n: number): number {
  return 48 + n * 16;
}
