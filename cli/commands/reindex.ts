import { CairnError } from '../../core/index.ts';
import { reindex } from '../../indexer/index.ts';
import { openBackend } from '../../server/backend.ts';
import type { Command } from '../context.ts';
import { resolveEmbedder } from './ingest.ts';

export const reindexCommand: Command = {
  name: 'reindex',
  summary: 'Embed chunks that have no vectors yet',
  usage: 'cairn reindex [--collection c] [--json]',
  options: { collection: { type: 'string', short: 'c', description: 'collection name (default "default")' } },
  async run(ctx) {
    const collection = typeof ctx.flags.collection === 'string' ? ctx.flags.collection : 'default';
    const backend = await openBackend(ctx.config, ctx.logger, { annBuilds: 'inline' });
    const stores = { store: backend.store, ...(backend.embedded ? { embedded: backend.embedded } : {}) };
    const resolved = await resolveEmbedder(ctx.config, ctx.logger, stores.store, collection).catch(async (error) => {
      await backend.close();
      throw error;
    });
    try {
      if (!resolved.embedder) throw new CairnError('MODEL_MISSING', `cannot reindex: ${resolved.reason}`);
      const summary = await reindex(
        { ...stores, config: ctx.config, logger: ctx.logger, embedder: resolved.embedder },
        { collection },
      );
      if (ctx.json) ctx.stdout(JSON.stringify({ collection, ...summary }));
      else
        ctx.stdout(
          `embedded ${summary.chunks} chunks with ${summary.modelId}; ${summary.documents} documents now ready (${summary.seconds.toFixed(1)} s)`,
        );
      return 0;
    } finally {
      await resolved.dispose();
      await backend.close();
    }
  },
};
