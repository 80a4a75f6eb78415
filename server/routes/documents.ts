import { Hono } from 'hono';
import { CairnError, type Collection, type Document, type Job } from '../../core/index.ts';
import { splitPart } from '../../indexer/index.ts';
import { createOriginals, originalsDir } from '../../store/originals.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { idempotencyKey, releaseKey, rememberJob, replayedJob, replayResponse, reserveOrReplay } from '../idempotency.ts';
import type { StoredSource, UploadedFile } from '../jobs/payload.ts';
import { hasScope, requireScope } from '../middleware/auth.ts';
import type { RouteDoc } from '../openapi.ts';
import { ingestJsonSchema, ingestMultipartSchema, listDocumentsQuery, reingestSchema } from '../schemas.ts';
import { readUploadForm, readUploads } from '../uploads.ts';
import { param, parseJsonBody, parseQuery, pickDefined } from '../validate.ts';

const BASE = '/v1/collections/{collection}/documents';

export const documentDocs: RouteDoc[] = [
  {
    method: 'post',
    path: BASE,
    summary: 'Ingest files (multipart), a text, or URLs; runs as a background job',
    tag: 'Documents',
    body: ingestJsonSchema,
    multipart: ingestMultipartSchema,
    scope: 'write',
    responses: {
      202: 'Accepted: the job id to follow',
      400: 'Invalid request',
      413: 'Too large',
      503: 'OFFLINE: `urls` while the server is offline (nothing would be fetched)',
    },
  },
  {
    method: 'get',
    path: BASE,
    summary: 'List documents (paged, filterable)',
    tag: 'Documents',
    query: listDocumentsQuery,
    scope: 'read',
  },
  {
    method: 'get',
    path: `${BASE}/{id}`,
    summary: 'A document with its text, chunks and metadata',
    tag: 'Documents',
    scope: 'read',
  },
  {
    method: 'put',
    path: `${BASE}/{id}`,
    summary:
      'Replace an uploaded or posted document with one uploaded file (multipart, field "file"): it keeps its id; runs as a background job',
    tag: 'Documents',
    multipart: ingestMultipartSchema,
    scope: 'write',
    responses: {
      202: 'Accepted: the job id to follow',
      400: 'Not exactly one file, or a URL or server-path document (re-ingest those)',
      404: 'No such document',
    },
  },
  {
    method: 'delete',
    path: `${BASE}/{id}`,
    summary:
      'Delete a document: its chunks and vectors, its text in stored answers and unfinished jobs, and its kept original file when no other document names the same bytes',
    tag: 'Documents',
    scope: 'write',
  },
  {
    method: 'post',
    path: `${BASE}/{id}/reingest`,
    summary:
      'Ingest the document again, split and embedded anew: URLs and server paths are read again, uploads and texts come from the stored text',
    tag: 'Documents',
    body: reingestSchema,
    scope: 'write',
    responses: { 202: 'Accepted: the job id to follow', 404: 'No such document' },
  },
];

function summary(doc: Document) {
  const { text: _text, ...rest } = doc;
  return { ...rest, characters: doc.text.length };
}

/** The collection, created with default settings when the caller may administer it. */
async function targetCollection(deps: AppDeps, c: Parameters<typeof requireScope>[0], name: string): Promise<Collection> {
  const existing = await deps.store.collections.get(name);
  if (existing) return existing;
  if (!hasScope(c.get('principal'), name, 'admin')) await deps.store.collections.require(name);
  return deps.store.collections.ensure({ name, settings: { chunking: deps.config.ingest.chunking } });
}

async function ownDocument(deps: AppDeps, collection: Collection, id: string): Promise<Document> {
  const doc = await deps.store.documents.get(id);
  if (!doc || doc.collectionId !== collection.id) {
    throw new CairnError('DOCUMENT_NOT_FOUND', `No document ${id} in collection "${collection.name}"`, { id });
  }
  return doc;
}

async function jsonSources(deps: AppDeps, c: Parameters<typeof parseJsonBody>[0]): Promise<StoredSource[]> {
  const body = await parseJsonBody(c, ingestJsonSchema);
  if ('urls' in body) {
    // Refused here rather than accepted as a job bound to fail: offline means nothing is fetched.
    if (deps.config.offline) {
      throw new CairnError('OFFLINE', 'Offline mode (offline: true, CAIRN_OFFLINE=1) forbids fetching URLs', {
        urls: body.urls.length,
      });
    }
    return body.urls.map((url): StoredSource => ({ type: 'url', url }));
  }
  // A posted text named like a server path or URL could later be "re-ingested" from there, and
  // one named like an upload would replace that upload.
  if (body.source !== undefined && (LOOKS_LIKE_LOCATION.test(body.source) || body.source.startsWith(UPLOAD_PREFIX))) {
    throw new CairnError('VALIDATION', 'A text\'s "source" is a name, not a path, URL or upload', { source: body.source });
  }
  return [{ type: 'text', text: body.text, ...pickDefined(body, ['title', 'source', 'metadata'] as const) }];
}

const LOOKS_LIKE_LOCATION = /^(\/|\\|[a-z]:[\\/]|[a-z][a-z0-9+.-]*:\/\/)/i;
const UPLOAD_PREFIX = 'upload:';

/** The one file of a replacing upload, bound to the document it replaces. */
async function replacingUpload(deps: AppDeps, c: Parameters<typeof readUploads>[0], doc: Document): Promise<UploadedFile> {
  if (isLocation(doc.source)) {
    throw new CairnError('VALIDATION', `${doc.source} is read from its URL or server path: re-ingest it instead`, {
      id: doc.id,
    });
  }
  const files = await readUploads(c, deps.config.server);
  if (files.length !== 1) throw new CairnError('VALIDATION', `A document is replaced by exactly one file; got ${files.length}`);
  return { ...(files[0] as UploadedFile), source: doc.source };
}

function isLocation(source: string): boolean {
  return /^https?:\/\//i.test(source) || source.startsWith('/') || /^[a-z]:[\\/]/i.test(source);
}

export function createDocumentRoutes(deps: AppDeps) {
  const { store, jobs } = deps;
  // Originals are files the embedded store keeps track of: none are kept on PostgreSQL.
  const originals = deps.embedded ? createOriginals(deps.embedded.db, originalsDir(deps.config.dataDir)) : null;
  return new Hono<AppEnv>()
    .post('/', async (c) => {
      const name = param(c, 'collection');
      requireScope(c, name, 'write');
      const idempotency = idempotencyKey(c, `ingest:${name}`);
      const multipart = (c.req.header('content-type') ?? '').toLowerCase().startsWith('multipart/form-data');
      const replay = await replayedJob(store, idempotency);
      if (replay) return replayResponse(c, replay);
      const collection = await targetCollection(deps, c, name);
      const input = multipart ? await readUploadForm(c, deps.config.server) : { sources: await jsonSources(deps, c) };
      // The key is taken only now, with the body read: a twin request waits for this one's job.
      const twin = await reserveOrReplay(store, idempotency);
      if (twin) return replayResponse(c, twin);
      let job: Job;
      try {
        job = await jobs.submit({ kind: 'ingest', collection: collection.id, ...input });
      } catch (error) {
        await releaseKey(store, idempotency);
        throw error;
      }
      await rememberJob(store, idempotency, job);
      c.header('Location', `/v1/jobs/${job.id}`);
      return c.json({ jobId: job.id, status: job.status, job }, 202);
    })
    .get('/', async (c) => {
      const name = param(c, 'collection');
      requireScope(c, name, 'read');
      const collection = await store.collections.require(name);
      const query = parseQuery(c, listDocumentsQuery);
      const { documents, total } = await store.documents.list({
        collectionId: collection.id,
        limit: query.limit,
        offset: query.offset,
        ...(query.mime ? { mime: query.mime } : {}),
        ...(query.status ? { status: query.status } : {}),
        ...(query.source ? { sourcePrefix: query.source } : {}),
      });
      return c.json({ documents: documents.map(summary), total, limit: query.limit, offset: query.offset });
    })
    .get('/:id', async (c) => {
      const name = param(c, 'collection');
      requireScope(c, name, 'read');
      const doc = await ownDocument(deps, await store.collections.require(name), param(c, 'id'));
      return c.json({ ...doc, chunks: await store.chunks.byDocument(doc.id) });
    })
    .put('/:id', async (c) => {
      const name = param(c, 'collection');
      requireScope(c, name, 'write');
      const collection = await store.collections.require(name);
      const doc = await ownDocument(deps, collection, param(c, 'id'));
      const upload = await replacingUpload(deps, c, doc);
      const job = await jobs.submit({ kind: 'ingest', collection: collection.id, uploads: [upload] });
      c.header('Location', `/v1/jobs/${job.id}`);
      return c.json({ jobId: job.id, status: job.status, job }, 202);
    })
    .delete('/:id', async (c) => {
      const name = param(c, 'collection');
      requireScope(c, name, 'write');
      const doc = await ownDocument(deps, await store.collections.require(name), param(c, 'id'));
      await store.documents.remove(doc.id);
      originals?.release(doc.contentHash); // delete means delete: the kept original goes with its last document
      return c.json({ deleted: true, id: doc.id });
    })
    .post('/:id/reingest', async (c) => {
      const name = param(c, 'collection');
      requireScope(c, name, 'write');
      const collection = await store.collections.require(name);
      const doc = await ownDocument(deps, collection, param(c, 'id'));
      const source = reingestSource(doc);
      // Reading a server path again is the operator's call, not any writer's.
      if (source.type === 'path') requireScope(c, '*', 'admin');
      if (source.type === 'url' && deps.config.offline) {
        throw new CairnError('OFFLINE', `Offline mode forbids fetching ${source.url} again`, { url: source.url });
      }
      const { password } = await parseJsonBody(c, reingestSchema);
      const job = await jobs.submit({
        kind: 'reingest',
        collection: collection.id,
        sources: [source],
        ...(password ? { password } : {}),
      });
      c.header('Location', `/v1/jobs/${job.id}`);
      return c.json({ jobId: job.id, status: job.status, job }, 202);
    });
}

/**
 * URLs are fetched again and server-side paths read again (for one line of a JSONL file, the file
 * is read again for that line); uploads and posted texts, whose bytes are not kept, are split and
 * embedded again from the stored text.
 */
function reingestSource(doc: Document): StoredSource {
  const part = doc.mime === 'application/jsonl' && splitPart(doc.source) !== null ? { part: true } : {};
  if (/^https?:\/\//i.test(doc.source)) return { type: 'url', url: doc.source, ...part };
  if (doc.source.startsWith('/') || /^[a-z]:[\\/]/i.test(doc.source)) return { type: 'path', path: doc.source, ...part };
  return { type: 'document', id: doc.id };
}
