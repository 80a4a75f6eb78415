import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hashContent, randomId, sha256 } from '../../core/index.ts';
import type { JobFiles } from '../../store/postgres/job-files.ts';
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

/**
 * What a submitted job's row will hold. Uploads are written to files before the row exists (a
 * crash in between leaves files that a later start removes) and, when jobs are shared between
 * instances, also where every instance can read them, since any of them may run the job.
 */
export async function postedPayload(
  uploadsDir: string,
  input: { sources?: StoredSource[]; uploads?: UploadedFile[]; password?: string },
  shared?: Pick<JobFiles, 'put'>,
): Promise<JobPayload> {
  const payload: JobPayload = {
    sources: withHashes(input.sources ?? []),
    ...(input.password ? { password: input.password } : {}),
  };
  const uploads = input.uploads ?? [];
  if (uploads.length === 0) return payload;
  const { batch, sources } = storeUploads(uploadsDir, uploads);
  payload.sources.push(...sources);
  payload.batch = batch;
  await shared?.put(
    sources.flatMap((source, i) =>
      source.type === 'upload' ? [{ file: source.file, data: uploads[i]?.data ?? new Uint8Array() }] : [],
    ),
  );
  return payload;
}

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

/** What a job row's payload holds: its sources, and the folder its uploads were written to. */
export interface JobPayload {
  sources: StoredSource[];
  batch?: string;
  /**
   * The password sent for the encrypted PDFs of this job: kept only while the job is unfinished (so
   * a restart can run it again) and gone with the rest of what was posted when it ends.
   */
  password?: string;
}

export function readPayload(raw: Record<string, unknown>): JobPayload {
  const sources = Array.isArray(raw.sources) ? (raw.sources as StoredSource[]) : [];
  return {
    sources,
    ...(typeof raw.batch === 'string' ? { batch: raw.batch } : {}),
    ...(typeof raw.password === 'string' ? { password: raw.password } : {}),
  };
}

/** The upload files a payload names, relative to the uploads folder. */
export function uploadFiles(payload: JobPayload): string[] {
  return payload.sources.flatMap((s) => (s.type === 'upload' ? [s.file] : []));
}

/** The upload folders a payload names (a source dropped with its deleted document leaves its batch named). */
function uploadBatches(payload: JobPayload): string[] {
  const fromSources = payload.sources.flatMap((s) => (s.type === 'upload' ? [s.file.split('/')[0] as string] : []));
  const all = payload.batch ? [payload.batch, ...fromSources] : fromSources;
  // Names the server made; anything else (a path) is never used to remove files.
  return [...new Set(all)].filter((batch) => path.basename(batch) === batch && batch !== '..' && batch !== '.');
}

/**
 * Removes every file under the uploads folder that no unfinished job's payload names and that was
 * last written before `writtenBefore` (ms since the epoch): files of a process that crashed between
 * writing an upload and recording its job, and files whose source was dropped when its document was
 * deleted. The age limit spares the files another process sharing the data folder (`cairn mcp`
 * beside `cairn serve`) is writing for a job it has not recorded yet. Returns the removed paths.
 */
export function sweepUploads(uploadsDir: string, payloads: JobPayload[], writtenBefore: number): string[] {
  const keep = new Set(payloads.flatMap((p) => p.sources.flatMap((s) => (s.type === 'upload' ? [s.file] : []))));
  // A recorded job's folder holds nothing in flight: what its payload no longer names goes at once.
  const recorded = new Set(payloads.flatMap(uploadBatches));
  const removed: string[] = [];
  const stale = (file: string) => (statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Infinity) < writtenBefore;
  for (const entry of safeList(uploadsDir)) {
    const folder = path.join(uploadsDir, entry);
    if (!statSync(folder, { throwIfNoEntry: false })?.isDirectory()) {
      if (stale(folder)) removed.push(remove(folder, entry));
      continue;
    }
    // Judged before its files go: removing them makes the folder look new.
    const folderStale = stale(folder);
    for (const file of safeList(folder)) {
      const relative = `${entry}/${file}`;
      if (keep.has(relative) || !(recorded.has(entry) || stale(path.join(folder, file)))) continue;
      removed.push(remove(path.join(folder, file), relative));
    }
    if (folderStale && safeList(folder).length === 0) rmSync(folder, { recursive: true, force: true });
  }
  return removed;
}

function remove(file: string, relative: string): string {
  rmSync(file, { recursive: true, force: true });
  return relative;
}

function safeList(folder: string): string[] {
  try {
    return readdirSync(folder).sort();
  } catch {
    return [];
  }
}

/** Removes a finished job's upload folders. */
export function removeUploads(uploadsDir: string, payload: JobPayload): void {
  for (const batch of uploadBatches(payload)) rmSync(path.join(uploadsDir, batch), { recursive: true, force: true });
}
