import { CairnError, type Collection, type Scope } from '../../core/index.ts';
import { hasScope } from '../middleware/auth.ts';
import type { McpContext } from './types.ts';

function served(ctx: McpContext, name: string): boolean {
  return ctx.collections === undefined || ctx.collections.includes(name);
}

/** The collections this caller may read here, in the store's order. */
export async function visibleCollections(ctx: McpContext): Promise<Collection[]> {
  return (await ctx.store.collections.list()).filter((c) => served(ctx, c.id) && hasScope(ctx.principal, c.id, 'read'));
}

/**
 * The collection, after the same scope check as REST (scope first, so a key learns nothing about
 * collections it may not read); COLLECTION_NOT_FOUND when it does not exist or is not served here.
 */
export async function requireCollection(ctx: McpContext, name: string, scope: Scope): Promise<Collection> {
  if (!hasScope(ctx.principal, name, scope)) {
    throw new CairnError('FORBIDDEN', `The API key needs the "${scope}" scope on collection "${name}"`, {
      collection: name,
      scope,
    });
  }
  if (!served(ctx, name)) {
    throw new CairnError('COLLECTION_NOT_FOUND', `Collection "${name}" is not served by this MCP server`, { collection: name });
  }
  return ctx.store.collections.require(name);
}
