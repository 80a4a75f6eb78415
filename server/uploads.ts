import type { Context } from 'hono';
import { z } from 'zod';
import { CairnError, type Config } from '../core/index.ts';
import { archiveLimits, guardZip, looksLikeZip, sniffKind } from '../indexer/index.ts';
import type { UploadedFile } from './jobs/payload.ts';
import { parseWith } from './validate.ts';

/** A client's file name reduced to a display name: no folders, no control characters. */
export function safeFileName(name: string): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const clean = base
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .trim()
    .slice(0, 255);
  return clean === '' || clean === '.' || clean === '..' ? 'upload' : clean;
}

const metadataField = z.record(z.string(), z.unknown());

function readMetadata(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new CairnError('VALIDATION', 'The "metadata" field must be a JSON object');
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new CairnError('VALIDATION', 'The "metadata" field is not valid JSON');
  }
  return parseWith(metadataField, parsed, 'metadata field');
}

/**
 * The files of a multipart request, checked against the edge limits: files per request, bytes per
 * file, and the archive guard for ZIP containers such as DOCX (found by content, prepended bytes
 * or not, and by name). The guard inflates on zlib's thread pool, so the event loop stays free.
 */
export async function readUploads(c: Context, limits: Config['server']): Promise<UploadedFile[]> {
  return (await readUploadForm(c, limits)).uploads;
}

/** The files of a multipart request and its optional `password` field (for the encrypted PDFs among them). */
export async function readUploadForm(
  c: Context,
  limits: Config['server'],
): Promise<{ uploads: UploadedFile[]; password?: string }> {
  let form: Record<string, unknown>;
  try {
    form = (await c.req.parseBody({ all: true })) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof CairnError) throw error;
    throw new CairnError('VALIDATION', `The multipart body cannot be read: ${(error as Error).message}`);
  }
  const files = Object.values(form)
    .flat()
    .filter((v): v is File => typeof v === 'object' && v !== null && 'arrayBuffer' in v);
  if (files.length === 0) throw new CairnError('VALIDATION', 'The multipart body has no files (field "files")');
  if (files.length > limits.maxFilesPerRequest) {
    throw new CairnError('PAYLOAD_TOO_LARGE', `At most ${limits.maxFilesPerRequest} files per request; got ${files.length}`, {
      limit: limits.maxFilesPerRequest,
      files: files.length,
    });
  }
  const metadata = readMetadata(form.metadata);
  const password = readPassword(form.password);
  const uploads: UploadedFile[] = [];
  for (const file of files) {
    const name = safeFileName(file.name);
    if (file.size > limits.maxFileBytes) {
      throw new CairnError('PAYLOAD_TOO_LARGE', `${name} is larger than ${limits.maxFileBytes} bytes`, {
        file: name,
        limit: limits.maxFileBytes,
      });
    }
    const data = new Uint8Array(await file.arrayBuffer());
    // application/octet-stream means "unknown": leave the type to the loaders' sniffing.
    const mime = file.type && file.type !== 'application/octet-stream' ? file.type : undefined;
    // Refused here so the client hears at once; the loader runs the same guard again on its copy.
    if (looksLikeZip(data) || sniffKind(data, name, mime) === 'docx') await guardZip(data, name, archiveLimits(limits));
    uploads.push({ name, data, ...(mime ? { mime } : {}), ...(metadata ? { metadata } : {}) });
  }
  return password === undefined ? { uploads } : { uploads, password };
}

function readPassword(value: unknown): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string' || value.length > 1000) {
    throw new CairnError('VALIDATION', 'The "password" field must be one text of at most 1000 characters');
  }
  return value;
}
