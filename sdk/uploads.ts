import type { IngestTextParams } from './types.ts';

/** A file to upload: a File, a Blob or bytes (named by `{ name, data }`), or in Node a path to read. */
export type FileInput =
  | File
  | Blob
  | Uint8Array
  | ArrayBuffer
  | string
  | { name: string; data: Blob | Uint8Array | ArrayBuffer; type?: string };

export interface IngestFilesParams {
  files: FileInput | FileInput[];
  /** Applied to every file. */
  metadata?: Record<string, unknown>;
  /** Password for the encrypted PDFs among the files (kept by the server only until the job ends). */
  password?: string;
}

export interface IngestUrlsParams {
  urls: string[];
}

/** What `documents.add` takes: a text, URLs, or files. */
export type AddDocumentParams = IngestTextParams | IngestUrlsParams | IngestFilesParams;

/** A path is read only in Node, and node:fs is imported only then, so browsers and bundlers never load it. */
async function readPath(path: string): Promise<File> {
  const fs = await import(/* @vite-ignore */ /* webpackIgnore: true */ 'node:fs/promises');
  const data = await fs.readFile(path);
  return new File([data as Uint8Array<ArrayBuffer>], path.split(/[\\/]/).pop() || 'file');
}

function asBlobPart(data: Blob | Uint8Array | ArrayBuffer): BlobPart {
  return data instanceof Uint8Array ? (data as Uint8Array<ArrayBuffer>) : data;
}

/** Any accepted input as a named File (unnamed bytes and Blobs are called `file-<n>`). */
export async function toFile(input: FileInput, index = 0): Promise<File> {
  if (typeof input === 'string') return readPath(input);
  if (typeof File !== 'undefined' && input instanceof File) return input;
  if (input instanceof Blob) return new File([input], `file-${index + 1}`, { type: input.type });
  if (input instanceof Uint8Array || input instanceof ArrayBuffer) return new File([asBlobPart(input)], `file-${index + 1}`);
  return new File([asBlobPart(input.data)], input.name, input.type === undefined ? {} : { type: input.type });
}

/** The multipart body of an upload: field `files`, and `metadata` as JSON. */
export async function filesForm(params: IngestFilesParams, field = 'files'): Promise<FormData> {
  const inputs = Array.isArray(params.files) ? params.files : [params.files];
  const form = new FormData();
  for (const [index, input] of inputs.entries()) {
    const file = await toFile(input, index);
    form.append(field, file, file.name);
  }
  if (params.metadata !== undefined) form.append('metadata', JSON.stringify(params.metadata));
  if (params.password !== undefined) form.append('password', params.password);
  return form;
}

/** An Idempotency-Key: random, so two different calls never share one (getRandomValues also works off https). */
export function newIdempotencyKey(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return `cairn-sdk-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}
