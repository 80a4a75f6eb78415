import { visibleCollections } from './access.ts';
import type { McpContext } from './types.ts';

/** Collections named in the instructions at most; list_collections has them all. */
const NAMED = 50;

/** What the server holds and when to call it, so a client's model knows when Cairn can help. */
export async function buildInstructions(ctx: McpContext): Promise<string> {
  // Built for every HTTP request (stateless serving): count documents only, of the named collections only.
  const collections = await visibleCollections(ctx);
  const lines = await Promise.all(
    collections.slice(0, NAMED).map(async (c) => {
      const documents = await ctx.store.documents.count(c.id);
      return `- ${c.name} (${documents} documents)${c.description ? `: ${c.description}` : ''}`;
    }),
  );
  if (collections.length > NAMED) lines.push(`- … and ${collections.length - NAMED} more (list_collections)`);
  const holdings =
    lines.length > 0
      ? `Cairn searches and answers from these document collections:\n${lines.join('\n')}`
      : 'Cairn has no collections yet; add documents with the ingest tool.';
  return `${holdings}

Use Cairn when a question may be answered by these documents. \`search\` finds passages (document id, page, exact character offsets); \`ask\` gives a checked answer whose citations quote the supporting span, or abstains with the closest passages when the documents do not support one — report an abstention, do not guess. \`get_document\` (or the resource cairn://{collection}/{documentId}?start=&end=) reads around a citation. \`ingest\` adds a text or URLs (write access only); follow its job with \`job_status\`.`;
}
