import path from 'node:path';

export type FileKind = 'pdf' | 'docx' | 'zip' | 'html' | 'markdown' | 'csv' | 'json' | 'jsonl' | 'text' | 'image' | 'binary';

const EXTENSIONS: Record<string, FileKind> = {
  '.pdf': 'pdf',
  '.docx': 'docx',
  '.html': 'html',
  '.htm': 'html',
  '.xhtml': 'html',
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.mdx': 'markdown',
  '.csv': 'csv',
  '.tsv': 'csv',
  '.json': 'json',
  '.jsonl': 'jsonl',
  '.ndjson': 'jsonl',
  '.png': 'image',
  '.jpg': 'image',
  '.jpeg': 'image',
  '.tif': 'image',
  '.tiff': 'image',
  '.webp': 'image',
};

const MIMES: Record<string, FileKind> = {
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'text/html': 'html',
  'application/xhtml+xml': 'html',
  'text/markdown': 'markdown',
  'text/csv': 'csv',
  'application/json': 'json',
  'application/x-ndjson': 'jsonl',
  'application/jsonl': 'jsonl',
  'image/png': 'image',
  'image/jpeg': 'image',
  'image/tiff': 'image',
  'image/webp': 'image',
};

/** The file kind a content type names (parameters such as charset ignored), if it names one. */
export function kindOfMime(mime: string): FileKind | undefined {
  return MIMES[mime.split(';')[0]?.trim().toLowerCase() ?? ''];
}

function startsWith(data: Uint8Array, bytes: number[], at = 0): boolean {
  return bytes.every((b, i) => data[at + i] === b);
}

/** Skips BOMs and whitespace to look at the first characters of a text-like file. */
function head(data: Uint8Array): string {
  return Buffer.from(data.subarray(0, 1024))
    .toString('latin1')
    .replace(/^\uFEFF|^\xEF\xBB\xBF/, '')
    .trimStart()
    .toLowerCase();
}

/** The file kind from its bytes (magic numbers, markup), falling back to the name and the declared type. */
export function sniffKind(data: Uint8Array, name: string, mime?: string): FileKind {
  if (startsWith(data, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'pdf'; // %PDF-
  if (imageMime(data)) return 'image';
  if (startsWith(data, [0x50, 0x4b, 0x03, 0x04]) || startsWith(data, [0x50, 0x4b, 0x05, 0x06])) {
    return path.extname(name).toLowerCase() === '.docx' || containsAscii(data, 'word/document.xml') ? 'docx' : 'zip';
  }
  const start = head(data);
  if (/^(<!doctype html|<html[\s>]|<head[\s>]|<body[\s>])/.test(start)) return 'html';
  const byExt = EXTENSIONS[path.extname(name).toLowerCase()];
  if (byExt) return byExt;
  const byMime = mime ? kindOfMime(mime) : undefined;
  if (byMime) return byMime;
  if (/^<\?xml[^>]*>\s*<html/.test(start)) return 'html';
  return 'text';
}

/** The content type of a PNG, JPEG, TIFF or WebP file from its magic number. */
export function imageMime(data: Uint8Array): string | undefined {
  if (startsWith(data, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(data, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(data, [0x49, 0x49, 0x2a, 0x00]) || startsWith(data, [0x4d, 0x4d, 0x00, 0x2a])) return 'image/tiff';
  if (startsWith(data, [0x52, 0x49, 0x46, 0x46]) && startsWith(data, [0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  return undefined;
}

function containsAscii(data: Uint8Array, text: string): boolean {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).includes(text, 0, 'latin1');
}

export const MIME_OF: Record<FileKind, string> = {
  pdf: 'application/pdf',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  zip: 'application/zip',
  html: 'text/html',
  markdown: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
  jsonl: 'application/jsonl',
  text: 'text/plain',
  image: 'image/png',
  binary: 'application/octet-stream',
};
