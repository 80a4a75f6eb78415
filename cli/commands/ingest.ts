import type { Config, JobProgress, Logger } from '../../core/index.ts';
import { type IngestSummary, ingest } from '../../indexer/index.ts';
import { createModelRegistry, type Embedder } from '../../models/index.ts';
import { openBackend } from '../../server/backend.ts';
import type { StoreContract } from '../../store/index.ts';
import type { Command, CommandContext } from '../context.ts';

export interface ResolvedEmbedder {
  embedder: Embedder | null;
  /** Why there is none, when there is none. */
  reason: string | null;
  dispose(): Promise<void>;
}

/**
 * The collection's embedder (its own setting, else the configured default) from the model
 * registry. A missing model is not an error here: ingest stores text for BM25 and says so.
 */
export async function resolveEmbedder(
  config: Config,
  logger: Logger,
  store: Pick<StoreContract, 'collections'>,
  collection: string,
): Promise<ResolvedEmbedder> {
  const ref = (await store.collections.get(collection))?.settings.embedder ?? config.models.embedder;
  const none = (reason: string): ResolvedEmbedder => ({ embedder: null, reason, dispose: async () => undefined });
  if (!ref) return none('no embedder is configured');
  const registry = createModelRegistry({ config, logger });
  const found = await registry.embedder(ref);
  if (!found.ok) {
    await registry.dispose();
    return none(`embedder ${ref} unavailable (${found.code}): ${found.reason}`);
  }
  return { embedder: found.model, reason: null, dispose: () => registry.dispose() };
}

/** A one-line progress bar redrawn on stderr (only on a terminal). */
export function createProgressBar(write: (text: string) => void, label: string): { update(p: JobProgress): void; end(): void } {
  let last = 0;
  let drawn = false;
  return {
    update(p) {
      const time = Date.now();
      if (time - last < 100) return;
      last = time;
      const total = Math.max(p.documentsTotal, 1);
      const filled = Math.round((Math.min(p.documentsDone, total) / total) * 30);
      write(
        `\r${label} [${'#'.repeat(filled)}${'-'.repeat(30 - filled)}] ${p.documentsDone}/${p.documentsTotal} documents, ${p.chunksDone} chunks${p.ocrPagesTotal ? `, OCR page ${p.ocrPagesDone}/${p.ocrPagesTotal}` : ''}`,
      );
      drawn = true;
    },
    end() {
      if (drawn) write('\n');
    },
  };
}

export function formatSummary(summary: IngestSummary): string {
  const lines = [
    `added ${summary.added}, updated ${summary.updated}, unchanged ${summary.unchanged}, failed ${summary.failed.length}` +
      `${summary.removed ? `, removed ${summary.removed}` : ''}; ${summary.chunks} chunks in ${summary.seconds.toFixed(1)} s`,
  ];
  for (const f of summary.failed) lines.push(`  failed ${f.source}: ${f.code}: ${f.message}`);
  for (const note of summary.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'Ingest files, folders or URLs into a collection',
  usage: 'cairn ingest <paths or URLs...> [--collection c] [--prune] [--password p] [--json]',
  options: {
    collection: { type: 'string', short: 'c', description: 'collection name (default "default")' },
    prune: { type: 'boolean', description: 'remove documents whose files are gone from the given folders' },
    password: { type: 'string', description: 'password for encrypted PDFs' },
  },
  async run(ctx: CommandContext) {
    if (ctx.args.length === 0) {
      ctx.stderr(`error: give at least one path or URL\nusage: ${ingestCommand.usage}`);
      return 2;
    }
    const collection = typeof ctx.flags.collection === 'string' ? ctx.flags.collection : 'default';
    const backend = await openBackend(ctx.config, ctx.logger, { annBuilds: 'inline' });
    const stores = { store: backend.store, ...(backend.embedded ? { embedded: backend.embedded } : {}) };
    const resolved = await resolveEmbedder(ctx.config, ctx.logger, stores.store, collection).catch(async (error) => {
      await backend.close();
      throw error;
    });
    const bar = ctx.isTTY ? createProgressBar((t) => process.stderr.write(t), 'ingest') : null;
    try {
      const summary = await ingest(
        { ...stores, config: ctx.config, logger: ctx.logger, embedder: resolved.embedder },
        {
          collection,
          sources: ctx.args,
          prune: ctx.flags.prune === true,
          ...(typeof ctx.flags.password === 'string' ? { password: ctx.flags.password } : {}),
          ...(bar ? { onProgress: (p: JobProgress) => bar.update(p) } : {}),
        },
      );
      bar?.end();
      if (resolved.reason && summary.notes.length > 0) summary.notes.push(resolved.reason);
      if (ctx.json) ctx.stdout(JSON.stringify({ collection, ...summary }));
      else ctx.stdout(formatSummary(summary));
      const nothingStored = summary.failed.length > 0 && summary.added + summary.updated + summary.unchanged === 0;
      return nothingStored ? 1 : 0;
    } finally {
      await resolved.dispose();
      await backend.close();
    }
  },
};
