import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomId } from '../../core/index.ts';
import type { IngestSourceInput, StoredDocument } from '../services.ts';

/**
 * What a job row's payload says to ingest. Uploaded bytes are kept in files named by the server
 * (never by the client's file name) under `<dataDir>/uploads/<batch>/`, so a job interrupted by a
 * restart can run again from its row alone.
 */
export type StoredSource =
  /** `source`: the document it replaces (PUT of a document); absent for a new upload. */
  | { type: 'upload'; file: string; name: string; mime?: string; metadata?: Record<string, unknown>; source?: string }
  | { type: 'text'; text: string; title?: string; source?: string; metadata?: Record<string, unknown> }
  /** `part`: the url or path names one document of a multi-document file (`data.jsonl#L3`). */
  | { type: 'url'; url: string; part?: boolean }
  | { type: 'path'; path: string; part?: boolean }
  /** A document in the store, split again from its stored text (uploads are not kept as bytes). */
  | { type: 'document'; id: string };

export interface UploadedFile {
  name: string;
  /** The document source this upload replaces. */
  source?: string;
  data: Uint8Array;
  mime?: string;
  metadata?: Record<string, unknown>;
}

/** Writes uploads under a fresh batch folder and returns the sources that point at them. */
export function storeUploads(uploadsDir: string, files: UploadedFile[]): { batch: string; sources: StoredSource[] } {
  const batch = randomId('up_');
  const folder = path.join(uploadsDir, batch);
  mkdirSync(folder, { recursive: true });
  const sources = files.map((file, i): StoredSource => {
    const relative = `${batch}/${i}.bin`;
    writeFileSync(path.join(uploadsDir, relative), file.data);
    return {
      type: 'upload',
      file: relative,
      name: file.name,
      ...(file.mime ? { mime: file.mime } : {}),
      ...(file.metadata ? { metadata: file.metadata } : {}),
      ...(file.source ? { source: file.source } : {}),
    };
  });
  return { batch, sources };
}

/** Reads a stored document back as an ingest input; null when it is gone. */
export type ReadDocument = (id: string) => StoredDocument | null;

/** Turns stored sources back into ingest inputs; a vanished upload or document is reported, not thrown. */
export function materialize(
  uploadsDir: string,
  sources: StoredSource[],
  readDocument: ReadDocument,
): { inputs: IngestSourceInput[]; missing: string[] } {
  const inputs: IngestSourceInput[] = [];
  const missing: string[] = [];
  for (const source of sources) {
    if (source.type === 'document') {
      const document = readDocument(source.id);
      if (document) inputs.push({ kind: 'stored', document });
      else missing.push(source.id);
    } else if (source.type === 'url') inputs.push(source.part ? { kind: 'part', source: source.url } : source.url);
    else if (source.type === 'path') inputs.push(source.part ? { kind: 'part', source: source.path } : source.path);
    else if (source.type === 'text') inputs.push({ kind: 'text', ...withoutType(source) });
    else {
      try {
        const data = new Uint8Array(readFileSync(path.join(uploadsDir, source.file)));
        inputs.push({
          kind: 'bytes',
          name: source.name,
          data,
          ...(source.mime ? { mime: source.mime } : {}),
          ...(source.metadata ? { metadata: source.metadata } : {}),
          ...(source.source ? { source: source.source } : {}),
        });
      } catch {
        missing.push(source.name);
      }
    }
  }
  return { inputs, missing };
}

function withoutType(source: Extract<StoredSource, { type: 'text' }>) {
  const { type: _type, ...rest } = source;
  return rest;
}

/** Removes a finished job's upload folder. */
export function removeUploads(uploadsDir: string, sources: StoredSource[]): void {
  const batches = new Set(sources.flatMap((s) => (s.type === 'upload' ? [s.file.split('/')[0] as string] : [])));
  for (const batch of batches) rmSync(path.join(uploadsDir, batch), { recursive: true, force: true });
}
