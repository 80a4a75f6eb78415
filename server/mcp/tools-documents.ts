import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { CairnError, type Collection, type Document } from '../../core/index.ts';
import { requireCollection, visibleCollections } from './access.ts';
import { rangeFields, sliceDocument, sliceText } from './document-text.ts';
import { getDocumentOutput, listCollectionsOutput, listDocumentsOutput } from './output-schemas.ts';
import { guarded, toolResult } from './results.ts';
import type { McpContext } from './types.ts';

const READ_ONLY = { readOnlyHint: true, destructiveHint: false, openWorldHint: false } as const;

/** A collection as agents see it: what it holds and which models serve it. */
export async function collectionSummary(ctx: McpContext, collection: Collection) {
  const { store, config } = ctx;
  const [documents, chunks] = await Promise.all([store.documents.count(collection.id), store.chunks.count(collection.id)]);
  return {
    name: collection.name,
    description: collection.description,
    documents,
    chunks,
    models: {
      embedder: collection.settings.embedder ?? config.models.embedder,
      reranker: collection.settings.reranker ?? config.models.reranker,
      generator: collection.settings.generator ?? config.models.generator,
    },
  };
}

function documentSummary(doc: Document) {
  return {
    id: doc.id,
    title: doc.title,
    source: doc.source,
    mime: doc.mime,
    status: doc.status,
    characters: doc.text.length,
    pages: doc.pages.length,
    chunks: doc.chunkCount,
    metadata: doc.metadata,
    updatedAt: doc.updatedAt,
  };
}

/** The document, when it belongs to the collection. */
export async function ownDocument(ctx: McpContext, collection: Collection, id: string): Promise<Document> {
  const doc = await ctx.store.documents.get(id);
  if (!doc || doc.collectionId !== collection.id) {
    throw new CairnError('DOCUMENT_NOT_FOUND', `No document ${id} in collection "${collection.name}"`, { id });
  }
  return doc;
}

function registerListCollections(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    'list_collections',
    {
      title: 'List collections',
      description: 'The document collections you can search and ask: names, descriptions, document and chunk counts, models.',
      inputSchema: z.object({}),
      outputSchema: listCollectionsOutput,
      annotations: READ_ONLY,
    },
    guarded(ctx.logger, async () => {
      const collections = await Promise.all((await visibleCollections(ctx)).map((c) => collectionSummary(ctx, c)));
      const lines = collections.map(
        (c) => `- ${c.name}: ${c.documents} documents, ${c.chunks} chunks${c.description ? ` — ${c.description}` : ''}`,
      );
      return toolResult({ collections }, lines.length > 0 ? lines.join('\n') : 'No collections.');
    }),
  );
}

function registerListDocuments(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    'list_documents',
    {
      title: 'List documents',
      description: 'The documents of a collection, paged (limit/offset), optionally only sources starting with a prefix.',
      inputSchema: z.object({
        collection: z.string().min(1),
        limit: z.number().int().min(1).max(500).default(50),
        offset: z.number().int().min(0).default(0),
        source: z.string().optional().describe('Only sources starting with this prefix'),
      }),
      outputSchema: listDocumentsOutput,
      annotations: READ_ONLY,
    },
    guarded(ctx.logger, async (args: { collection: string; limit: number; offset: number; source?: string | undefined }) => {
      const collection = await requireCollection(ctx, args.collection, 'read');
      const { documents, total } = await ctx.store.documents.list({
        collectionId: collection.id,
        limit: args.limit,
        offset: args.offset,
        ...(args.source ? { sourcePrefix: args.source } : {}),
      });
      const items = documents.map(documentSummary);
      const nextOffset = args.offset + items.length < total ? args.offset + items.length : null;
      const lines = items.map((d) => `- ${d.id}: ${d.title || d.source} (${d.characters} characters, ${d.mime})`);
      const more = nextOffset === null ? '' : `\n[${total - nextOffset} more: call again with offset=${nextOffset}]`;
      return toolResult(
        { collection: collection.name, documents: items, total, offset: args.offset, nextOffset },
        `${total} documents in "${collection.name}"${items.length > 0 ? `:\n${lines.join('\n')}` : '.'}${more}`,
      );
    }),
  );
}

function registerGetDocument(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    'get_document',
    {
      title: 'Read a document',
      description:
        "A document's text: whole, a character range (the start/end offsets of citations and search passages), or one page. Long reads are paged: follow nextStart.",
      inputSchema: z.object({ collection: z.string().min(1), documentId: z.string().min(1), ...rangeFields }),
      outputSchema: getDocumentOutput,
      annotations: READ_ONLY,
    },
    guarded(ctx.logger, async (args: { collection: string; documentId: string } & Parameters<typeof sliceDocument>[1]) => {
      const collection = await requireCollection(ctx, args.collection, 'read');
      const slice = sliceDocument(await ownDocument(ctx, collection, args.documentId), args);
      return toolResult({ collection: collection.name, ...slice }, sliceText(slice));
    }),
  );
}

export function registerDocumentTools(server: McpServer, ctx: McpContext): void {
  registerListCollections(server, ctx);
  registerListDocuments(server, ctx);
  registerGetDocument(server, ctx);
}
