import path from 'node:path';
import { CairnError } from '../../core/index.ts';
import { archiveLimits, guardZip, looksLikeZip } from '../archive/index.ts';
import type { LoadOptions, RawInput } from '../types.ts';
import { charsetOf, decodeText } from './decode.ts';
import { markdownToDocument } from './markdown.ts';
import { pdfOcrSettings } from './pdf-ocr.ts';
import { type FileKind, sniffKind } from './sniff.ts';
import { type LoadResult, loadJson, loadJsonl, textToDocument } from './text.ts';

export { looksBinary } from './decode.ts';
export { detectLanguage } from './language.ts';
export { markdownOutline, markdownToDocument } from './markdown.ts';
export { sniffKind } from './sniff.ts';
export type { LoadResult, PartFailure } from './text.ts';
export { textToDocument } from './text.ts';

function one(document: LoadResult['documents'][number]): LoadResult {
  return { documents: [document], failures: [] };
}

/** The runner, cancel signal and page progress a loader's OCR uses, when given. */
function ocrExtras(options: LoadOptions) {
  return {
    ...(options.ocr ? { runner: options.ocr } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onOcrPage ? { onPage: options.onOcrPage } : {}),
  };
}

async function loadByKind(kind: FileKind, input: RawInput, options: LoadOptions): Promise<LoadResult> {
  const name = path.basename(input.name) || input.name;
  const { ingest, server } = options.config;
  switch (kind) {
    case 'pdf': {
      // PDF, DOCX and HTML parsers are heavy to import: load them when a file needs them.
      const { loadPdf } = await import('./pdf.ts');
      return one(
        await loadPdf(input.data, input.source, {
          passwords: ingest.pdfPasswords,
          maxPages: ingest.maxPages,
          ...(options.password ? { password: options.password } : {}),
          ocr: pdfOcrSettings(ingest, ocrExtras(options)),
        }),
      );
    }
    case 'docx': {
      const zip = await guardZip(input.data, name, archiveLimits(server));
      const { loadDocx } = await import('./docx.ts');
      return one(await loadDocx(zip, name));
    }
    case 'image': {
      const { loadImage } = await import('./image.ts');
      return one(await loadImage(input.data, name, { ingest, ...ocrExtras(options) }));
    }
    case 'zip':
      throw new CairnError('UNSUPPORTED_TYPE', 'ZIP archives are not supported; unpack them first');
    case 'html': {
      const { loadHtml } = await import('./html.ts');
      return one(loadHtml(input.data, name, input.mime));
    }
    default:
      return loadTextual(kind, input, name, options);
  }
}

function loadTextual(kind: FileKind, input: RawInput, name: string, options: LoadOptions): LoadResult {
  const { text } = decodeText(input.data, charsetOf(input.mime));
  if (text.trim() === '') throw new CairnError('EMPTY_FILE', 'The file has only whitespace');
  const field = options.config.ingest.jsonlTextField;
  if (kind === 'markdown') return one(markdownToDocument(text, name));
  if (kind === 'jsonl') return loadJsonl(text, name, field);
  if (kind === 'json') return loadJson(text, name, field);
  return one(textToDocument(text, name, kind === 'csv' ? 'text/csv' : 'text/plain'));
}

/** A ZIP hidden behind prepended bytes is still a ZIP: it never reaches a text loader by its name. */
function kindOf(input: RawInput): FileKind {
  const kind = sniffKind(input.data, input.name, input.mime);
  return kind !== 'pdf' && kind !== 'docx' && kind !== 'zip' && looksLikeZip(input.data) ? 'zip' : kind;
}

/** Bytes to documents: the loader is chosen by content sniffing first and the name second. */
export async function loadInput(input: RawInput, options: LoadOptions): Promise<LoadResult> {
  if (input.data.length === 0) throw new CairnError('EMPTY_FILE', 'The file is empty (0 bytes)');
  const result = await loadByKind(kindOf(input), input, options);
  for (const doc of result.documents) doc.metadata = { ...input.metadata, ...doc.metadata };
  return result;
}
