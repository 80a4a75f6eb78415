import { z } from 'zod';

/**
 * The shapes of the tools' structuredContent, declared as output schemas so clients can rely on
 * them. Objects stay open (extra fields allowed): a field added later must not break old clients.
 */

const passage = z.looseObject({
  collection: z.string(),
  documentId: z.string(),
  chunkId: z.string(),
  title: z.string(),
  source: z.string(),
  page: z.number().nullable(),
  headings: z.array(z.string()),
  start: z.number().int(),
  end: z.number().int(),
  contextStart: z.number().int(),
  contextEnd: z.number().int(),
  text: z.string(),
  scores: z.record(z.string(), z.unknown()),
});

const citation = z.looseObject({
  marker: z.number().int(),
  documentId: z.string(),
  chunkId: z.string(),
  title: z.string(),
  source: z.string(),
  page: z.number().nullable(),
  start: z.number().int(),
  end: z.number().int(),
  quote: z.string(),
  spanBasis: z.string().nullable(),
});

const job = z.looseObject({
  id: z.string(),
  kind: z.string(),
  collection: z.string().nullable(),
  status: z.string(),
  progress: z.looseObject({
    documentsDone: z.number(),
    documentsTotal: z.number(),
    chunksDone: z.number(),
    chunksTotal: z.number(),
  }),
  result: z.record(z.string(), z.unknown()).nullable(),
  failures: z.array(z.looseObject({ source: z.string(), code: z.string(), message: z.string() })),
  error: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
});

const modelRef = z.string().nullable();

export const listCollectionsOutput = z.looseObject({
  collections: z.array(
    z.looseObject({
      name: z.string(),
      description: z.string(),
      documents: z.number().int(),
      chunks: z.number().int(),
      models: z.looseObject({ embedder: modelRef, reranker: modelRef, generator: modelRef }),
    }),
  ),
});

export const listDocumentsOutput = z.looseObject({
  collection: z.string(),
  documents: z.array(
    z.looseObject({
      id: z.string(),
      title: z.string(),
      source: z.string(),
      mime: z.string(),
      status: z.string(),
      characters: z.number().int(),
      pages: z.number().int(),
      chunks: z.number().int(),
    }),
  ),
  total: z.number().int(),
  offset: z.number().int(),
  nextOffset: z.number().int().nullable(),
});

export const getDocumentOutput = z.looseObject({
  collection: z.string(),
  documentId: z.string(),
  title: z.string(),
  source: z.string(),
  mime: z.string(),
  totalChars: z.number().int(),
  pageCount: z.number().int(),
  page: z.number().int().nullable(),
  start: z.number().int(),
  end: z.number().int(),
  text: z.string(),
  nextStart: z.number().int().nullable(),
  requestedEnd: z.number().int(),
});

export const searchOutput = z.looseObject({
  query: z.string(),
  passages: z.array(passage),
  collections: z.record(z.string(), z.looseObject({ ran: z.record(z.string(), z.unknown()), notes: z.array(z.string()) })),
});

export const askOutput = z.looseObject({
  collection: z.string(),
  question: z.string(),
  decision: z.string().nullable(),
  answer: z.string(),
  abstainReason: z.string().nullable(),
  complete: z.boolean(),
  mode: z.string().nullable(),
  citations: z.array(citation),
  reflection: z.looseObject({
    sentences: z.array(
      z.looseObject({ text: z.string(), markers: z.array(z.number()), support: z.string().nullable(), removed: z.boolean() }),
    ),
    isuse: z.number().nullable(),
    score: z.unknown(),
  }),
  closestPassages: z.array(passage),
  chatId: z.string().nullable(),
  notes: z.array(z.string()),
});

export const ingestOutput = z.looseObject({ jobId: z.string(), job });
export const jobStatusOutput = z.looseObject({ job });
