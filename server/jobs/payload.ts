import { mkdirSync, readdirSync, readFileSync, rmdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hashContent, randomId, sha256 } from '../../core/index.ts';
import type { IngestSourceInput, StoredDocument } from '../services.ts';

/**
 * What a job row's payload says to ingest. Uploaded bytes are kept in files named by the server
 * (never by the client's file name) under `<dataDir>/uploads/<batch>/`, so a job interrupted by a
 * restart can run again from its row alone. `hash` is the content hash the document will have:
 * deleting that document drops the source from unfinished payloads (migration 0002's trigger).
 * Once the job has finished, the payload holds only `document` references.
 */
export type StoredSource =
  /** `source`: the document it replaces (PUT of a document); absent for a new upload. */
  | {
      type: 'upload';
      file: string;
      name: string;
      mime?: string;
      metadata?: Record<string, unknown>;
      hash?: string;
      source?: string;
    }
  | { type: 'text'; text: string; title?: string; source?: string; metadata?: Record<string, unknown>; hash?: string }
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
      hash: sha256(file.data),
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
  const { type: _type, hash: _hash, ...rest } = source;
  return rest;
}

/** The sources with the content hash of each posted text recorded (uploads get theirs when written). */
export function withHashes(sources: StoredSource[]): StoredSource[] {
  return sources.map((source) =>
    source.type === 'text' && !source.hash ? { ...source, hash: hashContent(source.text) } : source,
  );
}

export function sourceHashes(sources: StoredSource[]): string[] {
  return sources.flatMap((s) => ((s.type === 'text' || s.type === 'upload') && s.hash ? [s.hash] : []));
}

/** A finished job's payload: references to the documents it wrote, nothing of what was posted. */
export function finishedPayload(documentIds: string[]): { sources: StoredSource[] } {
  return { sources: [...new Set(documentIds)].map((id): StoredSource => ({ type: 'document', id })) };
}

export function payloadSources(payload: Record<string, unknown>): StoredSource[] {
  return Array.isArray(payload.sources) ? (payload.sources as StoredSource[]) : [];
}

/**
 * Removes every file under the uploads folder that no unfinished job's payload names: files of a
 * process that crashed between writing an upload and recording its job, and files whose source was
 * dropped when its document was deleted. Returns the removed paths (relative).
 */
export function sweepUploads(uploadsDir: string, payloads: Record<string, unknown>[]): string[] {
  const keep = new Set(payloads.flatMap((p) => payloadSources(p).flatMap((s) => (s.type === 'upload' ? [s.file] : []))));
  const removed: string[] = [];
  for (const entry of safeList(uploadsDir)) {
    const folder = path.join(uploadsDir, entry);
    if (!statSync(folder).isDirectory()) {
      rmSync(folder, { force: true });
      removed.push(entry);
      continue;
    }
    for (const file of safeList(folder)) {
      const relative = `${entry}/${file}`;
      if (keep.has(relative)) continue;
      rmSync(path.join(folder, file), { recursive: true, force: true });
      removed.push(relative);
    }
    if (safeList(folder).length === 0) rmdirSync(folder);
  }
  return removed;
}

function safeList(folder: string): string[] {
  try {
    return readdirSync(folder).sort();
  } catch {
    return [];
  }
}

/** Removes a finished job's upload folder. */
export function removeUploads(uploadsDir: string, sources: StoredSource[]): void {
  const batches = new Set(sources.flatMap((s) => (s.type === 'upload' ? [s.file.split('/')[0] as string] : [])));
  for (const batch of batches) rmSync(path.join(uploadsDir, batch), { recursive: true, force: true });
}
