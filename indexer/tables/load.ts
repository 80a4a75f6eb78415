import path from 'node:path';
import { CairnError, hashContent } from '../../core/index.ts';
import { archiveLimits, guardZip, looksLikeZip } from '../archive/index.ts';
import { decodeText } from '../loaders/decode.ts';
import { detectLanguage, type LoadResult, loadInput, sniffKind } from '../loaders/index.ts';
import type { LoadedDocument, LoadOptions, RawInput } from '../types.ts';
import { delimitedTable } from './delimited.ts';
import { typeTable } from './infer.ts';
import { jsonlTable } from './jsonl.ts';
import { markdownTables } from './markdown.ts';
import { embeddedRowPassages, type RowPassage, tablesText } from './passages.ts';
import type { ExtractedTable, RawTable } from './types.ts';

export const XLSX_MIME = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

/** A loaded document with the tables found in it and their rows as passages. */
export interface TabledDocument {
  tables: ExtractedTable[];
  passages: RowPassage[];
  /** True when the document is only its tables: its row passages are all its chunks. */
  onlyTables: boolean;
}

export interface LoadedWithTables {
  result: LoadResult;
  /** Keyed by the document's part ('' for a file's single document). */
  tables: Map<string, TabledDocument>;
}

function isXlsx(input: RawInput): boolean {
  return looksLikeZip(input.data) && (/\.xlsx$/i.test(input.name) || input.mime?.split(';')[0] === XLSX_MIME);
}

function tablesDocument(tables: ExtractedTable[], title: string, mime: string): { doc: LoadedDocument; entry: TabledDocument } {
  const { text, passages } = tablesText(tables);
  if (text.trim() === '') throw new CairnError('EMPTY_FILE', 'The file has no table rows');
  const doc: LoadedDocument = {
    text,
    mime,
    title,
    language: detectLanguage(text),
    pages: [],
    outline: [],
    metadata: {},
    kind: 'text',
  };
  return { doc, entry: { tables, passages, onlyTables: true } };
}

async function loadXlsx(input: RawInput, name: string, options: LoadOptions): Promise<LoadedWithTables> {
  const zip = await guardZip(input.data, name, archiveLimits(options.config.server));
  const { xlsxTables } = await import('./xlsx.ts');
  const tables = (await xlsxTables(zip, name)).map(typeTable);
  if (tables.length === 0) throw new CairnError('EMPTY_FILE', 'The workbook has no sheet with a header row and data');
  const { doc, entry } = tablesDocument(tables, name, XLSX_MIME);
  return { result: { documents: [doc], failures: [] }, tables: new Map([['', entry]]) };
}

async function rawTables(
  kind: string,
  input: RawInput,
  name: string,
  doc: LoadedDocument,
  options: LoadOptions,
): Promise<RawTable[]> {
  if (kind === 'markdown') return markdownTables(decodeText(input.data).text, name);
  // linkedom takes ~0.35 s to import: it loads with the first HTML or DOCX file, not with every process.
  const { htmlTables } = await import('./html.ts');
  if (kind === 'html') return htmlTables(decodeText(input.data).text, 'html', name);
  if (kind === 'docx') {
    const zip = await guardZip(input.data, name, archiveLimits(options.config.server));
    const mammoth = (await import('mammoth')).default;
    return htmlTables((await mammoth.convertToHtml({ buffer: zip.bytes })).value, 'docx', doc.title || name);
  }
  if (kind === 'pdf') {
    const { pdfTables } = await import('./pdf.ts');
    return pdfTables(input.data, name, options.password);
  }
  return [];
}

/** A JSONL file of flat records without a text field is a table, not a set of failed documents. */
function flatJsonl(input: RawInput, name: string, result: LoadResult | null): LoadedWithTables | null {
  if (result && result.documents.length > 0) return null;
  const raw = jsonlTable(decodeText(input.data).text, name);
  if (!raw) return null;
  const { doc, entry } = tablesDocument([typeTable(raw)], name, 'application/jsonl');
  return {
    result: { documents: [{ ...doc, contentHash: hashContent(doc.text) }], failures: [] },
    tables: new Map([['', entry]]),
  };
}

/**
 * Loads a file as the loaders do and also finds its tables: CSV, TSV, XLSX and flat JSONL files are
 * tables (their text becomes a line per row), tables inside Markdown, HTML, DOCX and PDF documents
 * are found in a separate pass. A table that cannot be read never fails the document.
 */
export async function loadWithTables(input: RawInput, options: LoadOptions): Promise<LoadedWithTables> {
  const name = path.basename(input.name) || input.name;
  if (isXlsx(input)) return loadXlsx(input, name, options);
  const kind = sniffKind(input.data, input.name, input.mime);
  if (kind === 'jsonl') {
    const loaded = await loadInput(input, options).catch(() => null);
    const table = flatJsonl(input, name, loaded);
    if (table || loaded) return table ?? { result: loaded as LoadResult, tables: new Map() };
  }
  const result = await loadInput(input, options);
  const doc = result.documents.length === 1 ? result.documents[0] : undefined;
  if (!doc) return { result, tables: new Map() };
  if (kind === 'csv') {
    const raw = delimitedTable(decodeText(input.data).text, name);
    if (!raw) return { result, tables: new Map() };
    const { doc: tableDoc, entry } = tablesDocument([typeTable(raw)], doc.title, doc.mime);
    return {
      result: { documents: [{ ...doc, text: tableDoc.text, language: tableDoc.language }], failures: [] },
      tables: new Map([['', entry]]),
    };
  }
  const tables = (await rawTables(kind, input, name, doc, options).catch(() => [])).map(typeTable);
  if (tables.length === 0) return { result, tables: new Map() };
  return { result, tables: new Map([['', { tables, passages: embeddedRowPassages(doc.text, tables), onlyTables: false }]]) };
}
