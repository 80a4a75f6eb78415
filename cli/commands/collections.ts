import { CairnError, type Collection } from '../../core/index.ts';
import { openBackend } from '../../server/backend.ts';
import type { StoreContract } from '../../store/index.ts';
import type { Command } from '../context.ts';

async function withCounts(store: StoreContract, c: Collection) {
  const [documents, chunks] = await Promise.all([store.documents.count(c.id), store.chunks.count(c.id)]);
  return { ...c, documents, chunks };
}

export const collectionsCommand: Command = {
  name: 'collections',
  summary: 'List, create, show or delete collections',
  usage: 'cairn collections list | create <name> [--description text] | show <name> | delete <name>',
  options: { description: { type: 'string', description: 'description for create' } },
  async run(ctx) {
    const [action = 'list', name] = ctx.args;
    const backend = await openBackend(ctx.config, ctx.logger, { annBuilds: 'inline' });
    const store = backend.store;
    try {
      const needName = (): string => {
        if (!name) throw new CairnError('USAGE', `cairn collections ${action} needs a collection name`);
        return name;
      };
      switch (action) {
        case 'list': {
          const rows = await Promise.all((await store.collections.list()).map((c) => withCounts(store, c)));
          if (ctx.json) ctx.stdout(JSON.stringify({ collections: rows }));
          else if (rows.length === 0) ctx.stdout('no collections yet; `cairn ingest <path>` creates one');
          else for (const c of rows) ctx.stdout(`${c.name}\t${c.documents} documents\t${c.chunks} chunks`);
          return 0;
        }
        case 'create': {
          const description = typeof ctx.flags.description === 'string' ? ctx.flags.description : undefined;
          const created = await store.collections.create({ name: needName(), ...(description ? { description } : {}) });
          ctx.stdout(ctx.json ? JSON.stringify({ collection: created }) : `created collection ${created.name}`);
          return 0;
        }
        case 'show': {
          const out = await withCounts(store, await store.collections.require(needName()));
          ctx.stdout(ctx.json ? JSON.stringify({ collection: out }) : JSON.stringify(out, null, 2));
          return 0;
        }
        case 'delete': {
          const deleted = await store.collections.remove(needName());
          if (!deleted) throw new CairnError('COLLECTION_NOT_FOUND', `No collection named "${name}"`);
          ctx.stdout(ctx.json ? JSON.stringify({ deleted: name }) : `deleted collection ${name}`);
          return 0;
        }
        default:
          throw new CairnError('USAGE', `unknown action "${action}"; use list, create, show or delete`);
      }
    } finally {
      await backend.close();
    }
  },
};
