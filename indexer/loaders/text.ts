import { CairnError, hashContent } from '../../core/index.ts';
import type { LoadedDocument } from '../types.ts';
import { detectLanguage } from './language.ts';

export interface PartFailure {
  part: string;
  code: string;
  message: string;
}

export interface LoadResult {
  documents: LoadedDocument[];
  failures: PartFailure[];
}

export function textToDocument(text: string, title: string, mime = 'text/plain'): LoadedDocument {
  return { text, mime, title, language: detectLanguage(text), pages: [], outline: [], metadata: {}, kind: 'text' };
}

/** Scalar fields of a record other than the text field, kept as document metadata. */
function scalarFields(record: Record<string, unknown>, textField: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record)) {
    if (key === textField) continue;
    if (value === null || ['string', 'number', 'boolean'].includes(typeof value)) out[key] = value;
  }
  return out;
}

function recordToDocument(record: unknown, textField: string, name: string, part: string): LoadedDocument | PartFailure {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return { part, code: 'LOADER_FAILED', message: 'record is not a JSON object' };
  }
  const fields = record as Record<string, unknown>;
  const text = fields[textField];
  if (typeof text !== 'string' || text.trim() === '') {
    return { part, code: 'LOADER_FAILED', message: `record has no text in field "${textField}"` };
  }
  const title = typeof fields.title === 'string' && fields.title ? fields.title : `${name}${part}`;
  const doc = textToDocument(text, title, 'application/jsonl');
  return { ...doc, metadata: scalarFields(fields, textField), part, contentHash: hashContent(`${title}\u0000${text}`) };
}

function collect(entries: (LoadedDocument | PartFailure)[]): LoadResult {
  const result: LoadResult = { documents: [], failures: [] };
  for (const entry of entries) {
    if ('code' in entry) result.failures.push(entry);
    else result.documents.push(entry);
  }
  return result;
}

/** JSON Lines: one document per line, its text in `textField`, other scalar fields as metadata. */
export function loadJsonl(text: string, name: string, textField: string): LoadResult {
  const entries: (LoadedDocument | PartFailure)[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const part = `#L${i + 1}`;
    try {
      entries.push(recordToDocument(JSON.parse(line), textField, name, part));
    } catch (error) {
      entries.push({ part, code: 'LOADER_FAILED', message: `invalid JSON: ${(error as Error).message}` });
    }
  });
  if (entries.length === 0) throw new CairnError('EMPTY_FILE', 'The file has no records');
  return collect(entries);
}

/** JSON: an array of records with a text field is one document per record; anything else is one document. */
export function loadJson(text: string, name: string, textField: string): LoadResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CairnError('LOADER_FAILED', `invalid JSON: ${(error as Error).message}`);
  }
  const isRecords =
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((v) => typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>)[textField] === 'string');
  if (!isRecords) return { documents: [textToDocument(text, name, 'application/json')], failures: [] };
  return collect((value as unknown[]).map((record, i) => recordToDocument(record, textField, name, `#${i}`)));
}
