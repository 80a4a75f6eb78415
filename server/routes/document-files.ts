import { existsSync, readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { CairnError, type Document, sha256 } from '../../core/index.ts';
import { createOriginals, originalsDir } from '../../store/originals.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { requireScope } from '../middleware/auth.ts';
import type { RouteDoc } from '../openapi.ts';
import { param } from '../validate.ts';

const BASE = '/v1/collections/{collection}/documents/{id}';

export const documentFileDocs: RouteDoc[] = [
  {
    method: 'get',
    path: `${BASE}/text`,
    summary:
      "The document's extracted text and its pages as `{id, text, pages: [{page, start, end}]}`: character offsets into text (citations' start/end are offsets into the same text); pages is empty for unpaged types",
    tag: 'Documents',
    scope: 'read',
    responses: { 200: '`{id, text, pages}`', 404: 'No such document' },
  },
  {
    method: 'get',
    path: `${BASE}/file`,
    summary:
      'The original file, with its Content-Type and file name: uploads are kept (content-addressed in the data folder, removed with their last document); a server-path document is read again only while its bytes still hash as ingested; URL and posted-text documents keep no file',
    tag: 'Documents',
    scope: 'read',
    responses: {
      200: 'The original bytes',
      404: 'DOCUMENT_NOT_FOUND; FILE_NOT_KEPT (URL, posted text, archive member, or uploaded before originals were kept); SOURCE_NOT_FOUND or SOURCE_CHANGED (a server path gone or changed)',
    },
  },
];

function isServerPath(source: string): boolean {
  return source.startsWith('/') || /^[a-z]:[\\/]/i.test(source);
}

/** The name a browser saves the file under: an upload's own name, a path's last segment. */
export function fileName(doc: Document): string {
  const raw = doc.source.startsWith('upload:') ? doc.source.slice(doc.source.indexOf('/') + 1) : doc.source;
  const last = raw.split(/[\\/]/).pop() ?? '';
  return last.trim() === '' ? doc.id : last;
}

/** RFC 6266: an ASCII fallback and the exact UTF-8 name. */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return `inline; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

function serverPathBytes(doc: Document): Uint8Array {
  if (!existsSync(doc.source)) {
    throw new CairnError('SOURCE_NOT_FOUND', `${doc.source} no longer exists on the server`, { id: doc.id, source: doc.source });
  }
  const bytes = readFileSync(doc.source);
  if (sha256(bytes) !== doc.contentHash) {
    throw new CairnError('SOURCE_CHANGED', `${doc.source} changed since it was ingested: re-ingest it`, { id: doc.id });
  }
  return bytes;
}

/** The original bytes, or the reason there are none. */
function originalBytes(kept: string | null, doc: Document): Uint8Array {
  if (kept) return readFileSync(kept);
  if (isServerPath(doc.source)) return serverPathBytes(doc);
  const what = /^https?:\/\//i.test(doc.source)
    ? `${doc.source} is a URL document: its page is not kept, open the URL`
    : `no original file is kept for document ${doc.id} (posted text, archive member, or uploaded before originals were kept); its text is at …/text`;
  throw new CairnError('FILE_NOT_KEPT', what, { id: doc.id, source: doc.source });
}

export function createDocumentFileRoutes(deps: AppDeps) {
  const { store } = deps;
  // Original files are kept by the embedded store only: without it, files are served from server paths alone.
  const originals = deps.embedded ? createOriginals(deps.embedded.db, originalsDir(deps.config.dataDir)) : null;
  const documentOf = async (name: string, id: string): Promise<Document> => {
    const collection = await store.collections.require(name);
    const doc = await store.documents.get(id);
    if (doc?.collectionId !== collection.id) {
      throw new CairnError('DOCUMENT_NOT_FOUND', `No document ${id} in collection "${collection.name}"`, { id });
    }
    return doc;
  };
  return new Hono<AppEnv>()
    .get('/:id/text', async (c) => {
      const name = param(c, 'collection');
      requireScope(c, name, 'read');
      const doc = await documentOf(name, param(c, 'id'));
      return c.json({ id: doc.id, text: doc.text, pages: doc.pages });
    })
    .get('/:id/file', async (c) => {
      const name = param(c, 'collection');
      requireScope(c, name, 'read');
      const doc = await documentOf(name, param(c, 'id'));
      const bytes = originalBytes(originals?.path(doc.contentHash) ?? null, doc);
      return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
        'content-type': doc.mime || 'application/octet-stream',
        'content-disposition': contentDisposition(fileName(doc)),
        'x-content-type-options': 'nosniff',
        // An uploaded HTML or SVG opened from here must not run script on the API's origin.
        'content-security-policy': 'sandbox',
      });
    });
}
