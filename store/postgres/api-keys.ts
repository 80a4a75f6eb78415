import { randomBytes, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';
import { type ApiKey, CairnError, type EmbedBinding, randomId, type Scope } from '../../core/index.ts';
import { type ApiKeysRepo, type EmbedKeyInput, embedBinding, hashKey } from '../api-keys.ts';
import type { Async } from '../contract.ts';
import { json, many, now, one } from './pool.ts';

interface ApiKeyRow {
  id: string;
  name: string;
  key_hash: string;
  scopes: Record<string, Scope[]>;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  kind: 'standard' | 'embed';
  origins: string[];
  rate_per_minute: number | null;
}

function toApiKey(row: ApiKeyRow): ApiKey {
  const key: ApiKey = {
    id: row.id,
    name: row.name,
    scopes: row.scopes,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
  if (row.kind !== 'embed') return key;
  const collection = Object.keys(row.scopes)[0] ?? '';
  return { ...key, embed: { collection, origins: row.origins, ratePerMinute: row.rate_per_minute } };
}

/** As on SQLite: answers asked on every request are kept a second, so another instance's change shows within 1 s. */
const CACHE_TTL_MS = 1000;
const LAST_USED_RESOLUTION_MS = 60_000;

function cached<T>(read: () => Promise<T>) {
  let held: { value: T; at: number } | null = null;
  return {
    get: async (): Promise<T> => {
      const at = performance.now();
      if (!held || at - held.at > CACHE_TTL_MS) held = { value: await read(), at };
      return held.value;
    },
    drop: () => {
      held = null;
    },
  };
}

export function createPgApiKeysRepo(pool: pg.Pool): Async<ApiKeysRepo> {
  const active = cached(
    async () => (await one<{ n: number }>(pool, 'SELECT count(*) AS n FROM api_keys WHERE revoked_at IS NULL'))?.n ?? 0,
  );
  const origins = cached<ReadonlySet<string>>(async () => {
    const rows = await many<{ origins: string[] }>(
      pool,
      "SELECT origins FROM api_keys WHERE kind = 'embed' AND revoked_at IS NULL",
    );
    return new Set(rows.flatMap((r) => r.origins));
  });

  async function insert(name: string, scopes: Record<string, Scope[]>, embed: EmbedBinding | null) {
    const key = `cairn_${embed ? 'embed_' : ''}${randomBytes(24).toString('base64url')}`;
    active.drop();
    origins.drop();
    const row = await one<ApiKeyRow>(
      pool,
      `INSERT INTO api_keys (id, name, key_hash, scopes, created_at, kind, origins, rate_per_minute)
       VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7::jsonb, $8) RETURNING *`,
      [
        randomId('key_'),
        name,
        hashKey(key),
        json(scopes),
        now(),
        embed ? 'embed' : 'standard',
        json(embed?.origins ?? []),
        embed?.ratePerMinute ?? null,
      ],
    );
    return { key, apiKey: toApiKey(row as ApiKeyRow) };
  }

  return {
    create: (input: { name: string; scopes: Record<string, Scope[]> }) => insert(input.name, input.scopes, null),
    createEmbed: async (input: EmbedKeyInput) => {
      const binding = embedBinding(input);
      return insert(input.name, { [binding.collection]: ['read'] }, binding);
    },
    embedOrigins: origins.get,
    claimChat: async (chatId: string, keyId: string, visitor: string) => {
      await pool.query('INSERT INTO embed_chats (chat_id, key_id, visitor, created_at) VALUES ($1, $2, $3, $4)', [
        chatId,
        keyId,
        visitor,
        now(),
      ]);
    },
    ownsChat: async (chatId: string, keyId: string, visitor: string) => {
      const row = await one<{ key_id: string; visitor: string }>(
        pool,
        'SELECT key_id, visitor FROM embed_chats WHERE chat_id = $1',
        [chatId],
      );
      return row !== null && row.key_id === keyId && row.visitor === visitor;
    },
    list: async () => (await many<ApiKeyRow>(pool, 'SELECT * FROM api_keys ORDER BY created_at')).map(toApiKey),
    activeCount: active.get,
    revoke: async (idOrName: string) => {
      active.drop();
      origins.drop();
      const rows = await many<ApiKeyRow>(
        pool,
        'UPDATE api_keys SET revoked_at = $1 WHERE (id = $2 OR name = $2) AND revoked_at IS NULL RETURNING *',
        [now(), idOrName],
      );
      const row = rows[0];
      if (!row) throw new CairnError('NOT_FOUND', `No active API key "${idOrName}"`);
      return toApiKey(row);
    },
    /** The key's record if it is valid and not revoked; the hash is compared in constant time after the lookup. */
    verify: async (key: string) => {
      const hash = hashKey(key);
      const row = await one<ApiKeyRow>(pool, 'SELECT * FROM api_keys WHERE key_hash = $1', [hash]);
      if (!row || row.revoked_at !== null) return null;
      if (!timingSafeEqual(Buffer.from(row.key_hash, 'hex'), Buffer.from(hash, 'hex'))) return null;
      const lastUsed = row.last_used_at;
      if (lastUsed === null || !(Date.now() - Date.parse(lastUsed) < LAST_USED_RESOLUTION_MS)) {
        await pool.query('UPDATE api_keys SET last_used_at = $1 WHERE id = $2', [now(), row.id]);
      }
      return toApiKey(row);
    },
  };
}
