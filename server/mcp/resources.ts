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
 * Resources listed at most (list_documents pages through the rest): the store lists documents with
 * their text, so a long listing would read every text on each resources/list.
 */
const LIST_LIMIT = 100;

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

async function listDocuments(ctx: McpContext) {
  const resources = [];
  for (const collection of await visibleCollections(ctx)) {
    const left = LIST_LIMIT - resources.length;
    if (left <= 0) break;
    const { documents } = await ctx.store.documents.list({ collectionId: collection.id, limit: left, offset: 0 });
    for (const doc of documents) {
      resources.push({
        uri: documentUri(collection.name, doc.id),
        name: doc.title || doc.source,
        title: doc.title || doc.source,
        description: `${collection.name}: ${doc.source} (${doc.text.length} characters)`,
        mimeType: 'text/plain',
      });
    }
  }
  return { resources };
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
    new ResourceTemplate('cairn://{collection}/{documentId}', { list: () => listDocuments(ctx) }),
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
}
