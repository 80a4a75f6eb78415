import { describe, expect, it } from 'vitest';
import { compactGbnfForSchema } from '../../models/json-gbnf.ts';

describe('compact GBNF for grader schemas', () => {
  it('writes a fixed-length array of booleans with no whitespace', () => {
    const schema = { type: 'array', items: { type: 'boolean' }, minItems: 3, maxItems: 3 };
    expect(compactGbnfForSchema(schema)).toEqual({
      gbnf: 'root ::= "[" ( "true" | "false" ) "," ( "true" | "false" ) "," ( "true" | "false" ) "]"',
      maxBytes: 2 + 3 * 5 + 2,
    });
  });

  it('writes objects with every key in schema order and enum values as JSON', () => {
    const schema = {
      type: 'object',
      properties: { answer: { enum: ['yes', 'no'] }, n: { enum: [1, 2] } },
      required: ['answer', 'n'],
      additionalProperties: false,
    };
    expect(compactGbnfForSchema(schema)).toEqual({
      gbnf: 'root ::= "{" "\\"answer\\":" ( "\\"yes\\"" | "\\"no\\"" ) "," "\\"n\\":" ( "1" | "2" ) "}"',
      maxBytes: '{"answer":"yes","n":1}'.length,
    });
  });

  it('nests optional array items so they follow one another', () => {
    const schema = { type: 'array', items: { const: 0 }, minItems: 1, maxItems: 3 };
    expect(compactGbnfForSchema(schema)?.gbnf).toBe('root ::= "[" ( "0" ) ( "," ( "0" ) ( "," ( "0" ) )? )? "]"');
    expect(compactGbnfForSchema({ type: 'array', items: { type: 'null' }, maxItems: 0 })).toEqual({
      gbnf: 'root ::= "[" "]"',
      maxBytes: 2,
    });
  });

  it('turns a small integer range into an enum and leaves open-ended values unbounded', () => {
    expect(compactGbnfForSchema({ type: 'integer', minimum: 1, maximum: 3 })).toEqual({
      gbnf: 'root ::= ( "1" | "2" | "3" )',
      maxBytes: 1,
    });
    const open = compactGbnfForSchema({ type: 'array', items: { type: 'string' } });
    expect(open?.maxBytes).toBeNull();
    expect(open?.gbnf.split('\n')[0]).toBe('root ::= "[" ( str ( "," str )* )? "]"');
    expect(compactGbnfForSchema({ type: 'integer' })?.gbnf).toBe('root ::= int\nint ::= "-"? ( [0-9] | [1-9] [0-9]* )');
  });

  it.each([
    ['an optional property', { type: 'object', properties: { a: { type: 'boolean' } }, required: [] }],
    ['open additional properties', { type: 'object', properties: { a: { type: 'boolean' } }, required: ['a'] }],
    ['a string pattern', { type: 'string', pattern: '^a+$' }],
    ['anyOf', { anyOf: [{ type: 'boolean' }, { type: 'null' }] }],
    ['an object enum value', { enum: [{ a: 1 }] }],
    ['an unbounded minimum', { type: 'integer', minimum: 0 }],
  ])('gives null for %s, so the caller falls back to the full schema grammar', (_, schema) => {
    expect(compactGbnfForSchema(schema)).toBeNull();
  });
});
