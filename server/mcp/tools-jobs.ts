import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { CairnError, type Collection, type Job } from '../../core/index.ts';
import type { StoredSource } from '../jobs/payload.ts';
import { hasScope } from '../middleware/auth.ts';
import { requireCollection } from './access.ts';
import { ingestOutput, jobStatusOutput } from './output-schemas.ts';
import { guarded, toolResult } from './results.ts';
import type { McpContext } from './types.ts';

const ingestInput = z.object({
  collection: z.string().min(1),
  text: z.string().min(1).optional().describe('A text to add (give text or urls)'),
  title: z.string().max(1000).optional(),
  source: z.string().max(2000).optional().describe('A stable name for the text; ingesting the same name again replaces it'),
  metadata: z.record(z.string(), z.unknown()).optional(),
  urls: z
    .array(z.url({ protocol: /^https?$/ }))
    .min(1)
    .max(1000)
    .optional()
    .describe('Web pages or files to fetch and add'),
});

type IngestInput = z.infer<typeof ingestInput>;

// As the REST ingest: a text named like a path, URL or upload could later be re-read from there.
const LOOKS_LIKE_LOCATION = /^(\/|\\|[a-z]:[\\/]|[a-z][a-z0-9+.-]*:\/\/|upload:)/i;

function sources(args: IngestInput): StoredSource[] {
  if ((args.text === undefined) === (args.urls === undefined)) {
    throw new CairnError('VALIDATION', 'Give either "text" or "urls"');
  }
  if (args.urls) return args.urls.map((url): StoredSource => ({ type: 'url', url }));
  if (args.source !== undefined && LOOKS_LIKE_LOCATION.test(args.source)) {
    throw new CairnError('VALIDATION', 'A text\'s "source" is a name, not a path, URL or upload', { source: args.source });
  }
  const optional = {
    ...(args.title !== undefined ? { title: args.title } : {}),
    ...(args.source !== undefined ? { source: args.source } : {}),
    ...(args.metadata !== undefined ? { metadata: args.metadata } : {}),
  };
  return [{ type: 'text', text: args.text as string, ...optional }];
}

/** The collection to write to; created with default settings when the caller may administer it (as REST). */
async function targetCollection(ctx: McpContext, name: string): Promise<Collection> {
  const existing = await ctx.store.collections.get(name);
  if (existing || !hasScope(ctx.principal, name, 'admin') || (ctx.collections && !ctx.collections.includes(name))) {
    return requireCollection(ctx, name, 'write');
  }
  return ctx.store.collections.ensure({ name, settings: { chunking: ctx.config.ingest.chunking } });
}

export function jobView(job: Job) {
  return {
    id: job.id,
    kind: job.kind,
    collection: job.collectionId,
    status: job.status,
    progress: job.progress,
    result: job.result,
    failures: job.failures,
    error: job.error,
    createdAt: job.createdAt,
    finishedAt: job.finishedAt,
  };
}

function jobText(job: Job): string {
  const p = job.progress;
  const failures = job.failures.map((f) => `\n- ${f.source}: ${f.code} ${f.message}`).join('');
  return `Job ${job.id} (${job.kind}) is ${job.status}: ${p.documentsDone}/${p.documentsTotal} documents, ${p.chunksDone}/${p.chunksTotal} chunks${job.error ? `; error: ${job.error}` : ''}${failures}`;
}

function registerIngest(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    'ingest',
    {
      title: 'Add documents',
      description:
        'Add a text or URLs to a collection (needs the write scope). Runs as a background job: returns the job; follow it with job_status.',
      inputSchema: ingestInput,
      outputSchema: ingestOutput,
      annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
    },
    guarded(ctx.logger, async (args: IngestInput) => {
      if (!hasScope(ctx.principal, args.collection, 'write')) await requireCollection(ctx, args.collection, 'write');
      const list = sources(args);
      const collection = await targetCollection(ctx, args.collection);
      const job = await ctx.jobs.submit({ kind: 'ingest', collection: collection.id, sources: list });
      return toolResult({ jobId: job.id, job: jobView(job) }, `${jobText(job)}. Follow it with job_status.`);
    }),
  );
}

function registerJobStatus(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    'job_status',
    {
      title: 'Job status',
      description: 'The status, progress, failures and result of an ingest job.',
      inputSchema: z.object({ jobId: z.string().min(1) }),
      outputSchema: jobStatusOutput,
      annotations: { readOnlyHint: true, destructiveHint: false, openWorldHint: false },
    },
    guarded(ctx.logger, async (args: { jobId: string }) => {
      const job = await ctx.store.jobs.require(args.jobId);
      if (job.collectionId !== null) await requireCollection(ctx, job.collectionId, 'read');
      else if (!hasScope(ctx.principal, '*', 'read')) throw new CairnError('JOB_NOT_FOUND', `No job ${args.jobId}`);
      return toolResult({ job: jobView(job) }, jobText(job));
    }),
  );
}

export function registerJobTools(server: McpServer, ctx: McpContext): void {
  registerIngest(server, ctx);
  registerJobStatus(server, ctx);
}
