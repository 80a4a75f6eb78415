import {
  type McpServer,
  ProtocolError,
  ProtocolErrorCode,
  type ReadResourceResult,
  ResourceNotFoundError,
  ResourceTemplate,
} from '@modelcontextprotocol/server';
import { CairnError, toCairnError } from '../../core/index.ts';
import { requireCollection, visibleCollections } from './access.ts';
import { rangeFromQuery, sliceDocument, sliceText } from './document-text.ts';
import { ownDocument } from './tools-documents.ts';
import type { McpContext } from './types.ts';

/**
 * Resources per resources/list page: the store lists documents with their text, so one page reads
 * at most this many texts; `nextCursor` names where the next page starts.
 */
const PAGE_SIZE = 100;

export function documentUri(collection: string, documentId: string): string {
  return `cairn://${encodeURIComponent(collection)}/${encodeURIComponent(documentId)}`;
}

/** cairn://{collection}/{documentId}[?start=&end=&page=&maxChars=] → its parts. */
function parseUri(uri: URL): { collection: string; documentId: string } {
  const documentId = decodeURIComponent(uri.pathname.replace(/^\//, ''));
  if (uri.protocol !== 'cairn:' || uri.hostname === '' || documentId === '' || documentId.includes('/')) {
    throw new CairnError('VALIDATION', `Not a Cairn document URI: ${uri.href} (cairn://{collection}/{documentId})`);
  }
  return { collection: decodeURIComponent(uri.hostname), documentId };
}

/** Where a page starts: a collection by name (so a deleted one is skipped, not misread) and an offset in it. */
interface ListCursor {
  collection: string;
  offset: number;
}

export function encodeListCursor(cursor: ListCursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeListCursor(cursor: string | undefined): ListCursor | null {
  if (cursor === undefined) return null;
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<ListCursor>;
    if (typeof value.collection === 'string' && Number.isInteger(value.offset) && (value.offset as number) >= 0) {
      return value as ListCursor;
    }
  } catch {
    // not base64url JSON: refused below like any other unknown cursor
  }
  throw new ProtocolError(ProtocolErrorCode.InvalidParams, `Unknown resources/list cursor: ${cursor}`);
}

type DocumentResource = { uri: string; name: string; title: string; description: string; mimeType: string };

/** One page of every readable document, collections in name order, documents in the store's order. */
async function listDocuments(ctx: McpContext, cursor?: string): Promise<{ resources: DocumentResource[]; nextCursor?: string }> {
  const from = decodeListCursor(cursor);
  const collections = (await visibleCollections(ctx))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .filter((c) => from === null || c.name >= from.collection);
  const resources: DocumentResource[] = [];
  for (const collection of collections) {
    const offset = from !== null && collection.name === from.collection ? from.offset : 0;
    const left = PAGE_SIZE - resources.length;
    const { documents, total } = await ctx.store.documents.list({ collectionId: collection.id, limit: left, offset });
    for (const doc of documents) resources.push(documentResource(collection.name, doc));
    if (offset + documents.length < total)
      return { resources, nextCursor: encodeListCursor({ collection: collection.name, offset: offset + documents.length }) };
    if (resources.length >= PAGE_SIZE) {
      const next = collections[collections.indexOf(collection) + 1];
      return next ? { resources, nextCursor: encodeListCursor({ collection: next.name, offset: 0 }) } : { resources };
    }
  }
  return { resources };
}

function documentResource(
  collection: string,
  doc: { id: string; title: string; source: string; text: string },
): DocumentResource {
  return {
    uri: documentUri(collection, doc.id),
    name: doc.title || doc.source,
    title: doc.title || doc.source,
    description: `${collection}: ${doc.source} (${doc.text.length} characters)`,
    mimeType: 'text/plain',
  };
}

async function readDocument(ctx: McpContext, uri: URL): Promise<ReadResourceResult> {
  const { collection: name, documentId } = parseUri(uri);
  const collection = await requireCollection(ctx, name, 'read');
  const slice = sliceDocument(await ownDocument(ctx, collection, documentId), rangeFromQuery(uri.searchParams));
  return { contents: [{ uri: uri.href, mimeType: 'text/plain', text: sliceText(slice) }] };
}

const MISSING = new Set(['COLLECTION_NOT_FOUND', 'DOCUMENT_NOT_FOUND']);

/** Cairn's error as the protocol's: a missing document is "not found", a bad range or scope invalid params. */
function protocolError(ctx: McpContext, uri: URL, error: unknown): ProtocolError {
  const cairnError = toCairnError(error);
  const message = `${cairnError.code}: ${cairnError.message}`;
  if (MISSING.has(cairnError.code)) return new ResourceNotFoundError(uri.href, message);
  if (cairnError.code === 'INTERNAL') {
    ctx.logger.error(`mcp resource read failed: ${(error as Error)?.stack ?? cairnError.message}`);
    return new ProtocolError(ProtocolErrorCode.InternalError, message);
  }
  return new ProtocolError(ProtocolErrorCode.InvalidParams, message, {
    code: cairnError.code,
    details: cairnError.details ?? {},
  });
}

export function registerDocumentResources(server: McpServer, ctx: McpContext): void {
  server.registerResource(
    'document',
    new ResourceTemplate('cairn://{collection}/{documentId}', { list: undefined }),
    {
      title: 'Cairn document',
      description:
        "A document's text. Add ?start=&end= (character offsets, as in citations) or ?page= to read a range, and ?maxChars= to page; long texts say where to continue.",
      mimeType: 'text/plain',
    },
    async (uri: URL) => {
      try {
        return await readDocument(ctx, uri);
      } catch (error) {
        throw protocolError(ctx, uri, error);
      }
    },
  );
  // The SDK's own resources/list hands a template's list callback no cursor and returns no
  // nextCursor, so past one page a client could never see the rest: this one pages. (Each entry
  // sets every field the SDK would have taken from the template's metadata.)
  server.server.setRequestHandler('resources/list', (request) => listDocuments(ctx, request.params?.cursor));
}
