import type { McpServer } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { filterSchema } from '../schemas.ts';
import { requireCollection } from './access.ts';
import { searchOutput } from './output-schemas.ts';
import { type PassageView, passagesText, passageView } from './passages.ts';
import { guarded, toolResult } from './results.ts';
import type { McpContext } from './types.ts';

const searchInput = z.object({
  query: z.string().min(1),
  collections: z.array(z.string().min(1)).min(1).max(20).describe('One or several collection names'),
  k: z
    .number()
    .int()
    .min(1)
    .max(100)
    .optional()
    .describe("Passages to return (over all collections); default: each collection's own k, else the server's"),
  mode: z
    .enum(['bm25', 'dense', 'hybrid'])
    .optional()
    .describe("Default: the collection's own mode, else the server's (BM25 where there are no vectors)"),
  rerank: z.boolean().optional().describe("Default: the collection's own setting, else the server's"),
  filter: filterSchema.optional().describe('Metadata and document filters, as in the REST search'),
});

type SearchInput = z.infer<typeof searchInput>;

/**
 * Passages of several collections, taken rank by rank in turn: scores of different collections
 * (BM25 above all) are not comparable, ranks are.
 */
function interleave(lists: PassageView[][], k: number): PassageView[] {
  const out: PassageView[] = [];
  for (let rank = 0; out.length < k && lists.some((list) => rank < list.length); rank += 1) {
    for (const list of lists) {
      const passage = list[rank];
      if (passage && out.length < k) out.push(passage);
    }
  }
  return out;
}

async function runSearch(ctx: McpContext, args: SearchInput) {
  const names = [...new Set(args.collections)];
  const collections = await Promise.all(names.map((name) => requireCollection(ctx, name, 'read')));
  const outcomes = await Promise.all(
    collections.map((collection) =>
      ctx.services.search({
        collection: collection.id,
        query: args.query,
        ...(args.k ? { k: args.k } : {}),
        ...(args.mode ? { mode: args.mode } : {}),
        ...(args.rerank !== undefined ? { rerank: args.rerank } : {}),
        ...(args.filter ? { filter: args.filter } : {}),
      }),
    ),
  );
  const passages = interleave(
    outcomes.map((outcome, i) => outcome.passages.map((p) => passageView(names[i] as string, p))),
    // Without a k, the largest of the collections' own (an unset one's is the server's).
    args.k ?? Math.max(0, ...outcomes.map((outcome) => outcome.effective?.k ?? outcome.passages.length)),
  );
  const ran: Record<string, { ran: object; effective?: object; notes: string[] }> = Object.fromEntries(
    outcomes.map((outcome, i) => [
      names[i],
      { ran: outcome.ran, ...(outcome.effective ? { effective: outcome.effective } : {}), notes: outcome.notes },
    ]),
  );
  return { query: args.query, passages, collections: ran };
}

export function registerSearchTool(server: McpServer, ctx: McpContext): void {
  server.registerTool(
    'search',
    {
      title: 'Search documents',
      description:
        'Find passages in one or several collections (BM25, dense or hybrid, optionally reranked). Each passage has its document id, title, page, exact character offsets and scores; read around it with get_document.',
      inputSchema: searchInput,
      outputSchema: searchOutput,
      annotations: { readOnlyHint: true, destructiveHint: false, openWorldHint: false },
    },
    guarded(ctx.logger, async (args: SearchInput) => {
      const result = await runSearch(ctx, args);
      const notes = Object.entries(result.collections).flatMap(([name, r]) => r.notes.map((n) => `${name}: ${n}`));
      const body = result.passages.length > 0 ? passagesText(result.passages) : 'No passages matched.';
      return toolResult(result, notes.length > 0 ? `${body}\n\nNotes: ${notes.join('; ')}` : body);
    }),
  );
}
