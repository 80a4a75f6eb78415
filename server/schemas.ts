import { z } from 'zod';

/** Request schemas: the same objects validate requests and describe them in /openapi.json. */

const modelRef = z.string().min(1).max(500).nullable();

export const chunkingSchema = z.strictObject({
  splitter: z.enum(['auto', 'recursive', 'sentence', 'token', 'markdown']).optional(),
  size: z.number().int().positive().max(100_000).optional(),
  overlap: z.number().int().nonnegative().optional(),
  unit: z.enum(['tokens', 'chars']).optional(),
});

const collectionSettingsFields = {
  description: z.string().max(2000).optional(),
  title: z
    .string()
    .max(200)
    .optional()
    .describe('Display name; the name stays the id (document ids derive from it). "" shows the name again'),
  embedder: modelRef.optional().describe('Embedding model; null for BM25 only; omitted for the server default'),
  reranker: modelRef.optional(),
  generator: modelRef.optional(),
  index: z.enum(['auto', 'flat', 'hnsw', 'ivf']).optional(),
  chunking: chunkingSchema.optional(),
  extra: z.record(z.string(), z.unknown()).optional(),
  retrieval: z
    .strictObject({
      mode: z.enum(['bm25', 'dense', 'hybrid']).nullable().optional(),
      k: z.number().int().min(1).max(200).nullable().optional(),
      rerank: z.boolean().nullable().optional(),
    })
    .optional()
    .describe('Search defaults for this collection (search, ask, MCP, CLI); a request option wins; null clears a field'),
  answer: z
    .strictObject({
      reflect: z.boolean().nullable().optional(),
      retrieve: z.enum(['always', 'never', 'auto']).nullable().optional(),
    })
    .optional()
    .describe('Answer defaults for this collection (single-collection asks); a request option wins; null clears a field'),
};

export const createCollectionSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, '1-64 lowercase letters, digits, "-" or "_", starting with a letter or digit'),
  ...collectionSettingsFields,
});

export const updateCollectionSchema = z.strictObject(collectionSettingsFields);

export const listDocumentsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
  mime: z.string().optional(),
  status: z.enum(['ready', 'pending_vectors', 'failed']).optional(),
  source: z.string().optional().describe('Only sources starting with this prefix'),
});

const metadataSchema = z.record(z.string(), z.unknown());

export const ingestTextSchema = z.strictObject({
  text: z.string().min(1),
  title: z.string().max(1000).optional(),
  source: z.string().max(2000).optional().describe('A stable name for the text; re-posting it replaces the document'),
  metadata: metadataSchema.optional(),
});

export const ingestUrlsSchema = z.strictObject({
  urls: z
    .array(z.url({ protocol: /^https?$/ }))
    .min(1)
    .max(1000),
});

export const ingestJsonSchema = z.union([ingestTextSchema, ingestUrlsSchema]);

export const ingestMultipartSchema = z.object({
  files: z.array(z.string().describe('binary file')).describe('One or more files (multipart/form-data, field "files")'),
  metadata: z.string().optional().describe('JSON object applied to every file'),
  password: z.string().optional().describe('Password for the encrypted PDFs of this request; never stored past the job'),
});

export const reingestSchema = z.strictObject({
  password: z.string().min(1).max(1000).optional().describe('Password for an encrypted PDF; never stored past the job'),
});

export const updateChatSchema = z.strictObject({ title: z.string().trim().min(1).max(200) });

export const filterSchema = z.record(z.string(), z.unknown()).describe('Retrieval filters (document ids, source glob, mime, …)');

export const searchSchema = z.strictObject({
  query: z.string().min(1),
  mode: z.enum(['bm25', 'dense', 'hybrid']).optional(),
  k: z.number().int().min(1).max(200).optional(),
  rerank: z.boolean().optional(),
  filter: filterSchema.optional(),
  contextWindow: z.number().int().min(0).max(10).optional(),
});

export const askSchema = z.strictObject({
  question: z.string().min(1),
  chatId: z.string().optional(),
  reflect: z.boolean().optional(),
  retrieve: z.enum(['always', 'never', 'auto']).optional(),
  filter: filterSchema.optional(),
  k: z.number().int().min(1).max(50).optional(),
  stream: z.boolean().optional().describe('Stream server-sent events (also when Accept: text/event-stream)'),
});

export const listChatsQuery = z.strictObject({ collection: z.string().optional() });

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });

export const chatCompletionSchema = z.looseObject({
  model: z.string().min(1).describe('The collection to answer from'),
  messages: z
    .array(
      z.looseObject({
        role: z.enum(['system', 'user', 'assistant', 'developer', 'tool']),
        content: z.union([z.string(), z.array(contentPart), z.null()]).optional(),
      }),
    )
    .min(1),
  stream: z.boolean().nullable().optional(),
  temperature: z.number().nullable().optional(),
  max_tokens: z.number().int().nullable().optional(),
  user: z.string().optional(),
});

export const embeddingsSchema = z.looseObject({
  model: z.string().min(1).describe('The collection whose embedder is used'),
  input: z.union([z.string(), z.array(z.string()).min(1).max(2048)]),
  encoding_format: z.enum(['float', 'base64']).optional(),
});
