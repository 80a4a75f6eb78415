import { type ApiKey, CairnError, type Scope } from '../../core/index.ts';
import { openStore } from '../../store/index.ts';
import type { Command } from '../context.ts';

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
  const scopes = Object.entries(key.scopes)
    .map(([c, s]) => `${c}:${s.join(',')}`)
    .join(' ');
  const state = key.revokedAt ? `revoked ${key.revokedAt}` : `last used ${key.lastUsedAt ?? 'never'}`;
  return `${key.id}\t${key.name}\t${scopes}\t${state}`;
}

export const keysCommand: Command = {
  name: 'keys',
  summary: 'Create, list or revoke API keys',
  usage: 'cairn keys create <name> --scope <collection|*>[:read,write,admin] ... | list | revoke <id|name>',
  options: {
    scope: {
      type: 'string',
      multiple: true,
      description: 'a collection (or *) the key may use, repeatable; read unless :write or :admin is given',
    },
  },
  async run(ctx) {
    const [action = 'list', name] = ctx.args;
    const store = openStore({ dataDir: ctx.config.dataDir });
    try {
      switch (action) {
        case 'create': {
          if (!name) throw new CairnError('USAGE', 'cairn keys create needs a name for the key');
          const { key, apiKey } = store.apiKeys.create({ name, scopes: parseScopes(scopeFlags(ctx.flags.scope)) });
          if (ctx.json) ctx.stdout(JSON.stringify({ key, apiKey }));
          else {
            ctx.stdout(key);
            ctx.stderr(`created ${describe(apiKey)}\nThe key is shown once; only its hash is stored.`);
          }
          return 0;
        }
        case 'list': {
          const keys = store.apiKeys.list();
          if (ctx.json) ctx.stdout(JSON.stringify({ keys }));
          else if (keys.length === 0) ctx.stdout('no API keys; the server is open on loopback only');
          else for (const key of keys) ctx.stdout(describe(key));
          return 0;
        }
        case 'revoke': {
          if (!name) throw new CairnError('USAGE', 'cairn keys revoke needs a key id or name');
          const revoked = store.apiKeys.revoke(name);
          ctx.stdout(ctx.json ? JSON.stringify({ revoked }) : `revoked ${revoked.id} (${revoked.name})`);
          return 0;
        }
        default:
          throw new CairnError('USAGE', `unknown action "${action}"; use create, list or revoke`);
      }
    } finally {
      store.close();
    }
  },
};
