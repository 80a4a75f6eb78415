import { type ApiKey, CairnError, type Scope } from '../../core/index.ts';
import { openBackend } from '../../server/backend.ts';
import type { StoreContract } from '../../store/index.ts';
import type { Command, CommandContext } from '../context.ts';

const SCOPES: Scope[] = ['read', 'write', 'admin'];

/**
 * `docs:read,write` → ['docs', ['read', 'write']]; a bare `docs` is `docs:read`, so a key reads
 * unless more is asked for by name. `*` stands for every collection.
 */
export function parseScopes(values: string[]): Record<string, Scope[]> {
  const scopes: Record<string, Scope[]> = {};
  for (const given of values) {
    const value = given.includes(':') ? given : `${given}:read`;
    const at = value.lastIndexOf(':');
    const collection = at > 0 ? value.slice(0, at) : '';
    const list =
      at > 0
        ? value
            .slice(at + 1)
            .split(',')
            .map((s) => s.trim())
        : [];
    if (collection === '' || list.length === 0 || list.some((s) => !SCOPES.includes(s as Scope))) {
      throw new CairnError('USAGE', `--scope "${given}" must look like <collection|*>[:read,write,admin]`);
    }
    scopes[collection] = [...new Set([...(scopes[collection] ?? []), ...(list as Scope[])])];
  }
  return scopes;
}

/** A key names what it may touch: no silent default, least of all admin on everything. */
function scopeFlags(flag: string | boolean | string[] | undefined): string[] {
  const values = Array.isArray(flag) ? flag : typeof flag === 'string' ? [flag] : [];
  if (values.length > 0) return values;
  throw new CairnError(
    'USAGE',
    'cairn keys create needs --scope <collection> (read), e.g. --scope docs, --scope docs:read,write, or --scope "*:admin" for a key that administers everything',
  );
}

function describe(key: ApiKey): string {
  const scopes = key.embed
    ? `embed:${key.embed.collection} origins:${key.embed.origins.join(',')}${key.embed.ratePerMinute ? ` rate:${key.embed.ratePerMinute}/min` : ''}`
    : Object.entries(key.scopes)
        .map(([c, s]) => `${c}:${s.join(',')}`)
        .join(' ');
  const state = key.revokedAt ? `revoked ${key.revokedAt}` : `last used ${key.lastUsedAt ?? 'never'}`;
  return `${key.id}\t${key.name}\t${scopes}\t${state}`;
}

function stringList(flag: string | boolean | string[] | undefined): string[] {
  return Array.isArray(flag) ? flag : typeof flag === 'string' ? [flag] : [];
}

/** An embed key is public: one collection, named origins, no other scope mixed in. */
async function createKey(store: StoreContract, name: string, flags: CommandContext['flags']) {
  if (flags.embed === undefined) {
    if (flags.origin !== undefined || flags.rate !== undefined) {
      throw new CairnError('USAGE', '--origin and --rate belong to embed keys: add --embed <collection>');
    }
    return store.apiKeys.create({ name, scopes: parseScopes(scopeFlags(flags.scope)) });
  }
  if (typeof flags.embed !== 'string' || flags.scope !== undefined) {
    throw new CairnError(
      'USAGE',
      'cairn keys create <name> --embed <collection> takes no --scope: an embed key only searches and asks',
    );
  }
  const origins = stringList(flags.origin);
  if (origins.length === 0) {
    throw new CairnError(
      'USAGE',
      'an embed key needs the page origins it may be used from: --origin https://site.example (repeatable)',
    );
  }
  const rate = typeof flags.rate === 'string' ? Number(flags.rate) : null;
  if (rate !== null && !(Number.isInteger(rate) && rate > 0)) {
    throw new CairnError('USAGE', `--rate must be a positive whole number of requests a minute, not "${flags.rate}"`);
  }
  return store.apiKeys.createEmbed({ name, collection: flags.embed, origins, ratePerMinute: rate });
}

export const keysCommand: Command = {
  name: 'keys',
  summary: 'Create, list or revoke API keys',
  usage:
    'cairn keys create <name> --scope <collection|*>[:read,write,admin] ... | create <name> --embed <collection> --origin <https://site.example> ... [--rate <n>] | list | revoke <id|name>',
  options: {
    scope: {
      type: 'string',
      multiple: true,
      description: 'a collection (or *) the key may use, repeatable; read unless :write or :admin is given',
    },
    embed: { type: 'string', description: 'make an embed key for web pages: search and ask in this collection only' },
    origin: { type: 'string', multiple: true, description: 'a page origin an embed key may be used from, repeatable' },
    rate: { type: 'string', description: 'requests a minute for an embed key (default server.embedRatePerMinute)' },
  },
  async run(ctx) {
    const [action = 'list', name] = ctx.args;
    const backend = await openBackend(ctx.config, ctx.logger, { annBuilds: 'inline' });
    const store = backend.store;
    try {
      switch (action) {
        case 'create': {
          if (!name) throw new CairnError('USAGE', 'cairn keys create needs a name for the key');
          const { key, apiKey } = await createKey(store, name, ctx.flags);
          if (ctx.json) ctx.stdout(JSON.stringify({ key, apiKey }));
          else {
            ctx.stdout(key);
            ctx.stderr(`created ${describe(apiKey)}\nThe key is shown once; only its hash is stored.`);
          }
          return 0;
        }
        case 'list': {
          const keys = await store.apiKeys.list();
          if (ctx.json) ctx.stdout(JSON.stringify({ keys }));
          else if (keys.length === 0) ctx.stdout('no API keys; the server is open on loopback only');
          else for (const key of keys) ctx.stdout(describe(key));
          return 0;
        }
        case 'revoke': {
          if (!name) throw new CairnError('USAGE', 'cairn keys revoke needs a key id or name');
          const revoked = await store.apiKeys.revoke(name);
          ctx.stdout(ctx.json ? JSON.stringify({ revoked }) : `revoked ${revoked.id} (${revoked.name})`);
          return 0;
        }
        default:
          throw new CairnError('USAGE', `unknown action "${action}"; use create, list or revoke`);
      }
    } finally {
      await backend.close();
    }
  },
};
