import { randomBytes, timingSafeEqual } from 'node:crypto';
import { type ApiKey, CairnError, randomId, type Scope, sha256 } from '../core/index.ts';
import type { Db } from './database.ts';
import { now, parseJson } from './rows.ts';

interface ApiKeyRow {
  id: string;
  name: string;
  key_hash: string;
  scopes: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

function toApiKey(row: ApiKeyRow): ApiKey {
  return {
    id: row.id,
    name: row.name,
    scopes: parseJson<Record<string, Scope[]>>(row.scopes, {}),
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
}

/** Only the hash of a key is stored; the key itself is shown once, when created. */
export function hashKey(key: string): string {
  return sha256(`cairn-key\u0000${key}`);
}

const ACTIVE_COUNT_TTL_MS = 1000;
/** last_used_at is a hint for spotting idle keys: a write per request would cost more than it tells. */
const LAST_USED_RESOLUTION_MS = 60_000;

function lastUsedIsStale(lastUsedAt: string | null, at: number): boolean {
  return lastUsedAt === null || !(at - Date.parse(lastUsedAt) < LAST_USED_RESOLUTION_MS);
}

export function createApiKeysRepo(db: Db) {
  const all = db.prepare<[], ApiKeyRow>('SELECT * FROM api_keys ORDER BY created_at');
  // The server asks this on every request to know whether it runs open: the answer is kept for a
  // second (and dropped on any change made here), so a key made by another process counts within 1 s.
  const active = db.prepare('SELECT count(*) AS n FROM api_keys WHERE revoked_at IS NULL');
  let counted: { n: number; at: number } | null = null;
  const activeCount = (): number => {
    const at = performance.now();
    if (!counted || at - counted.at > ACTIVE_COUNT_TTL_MS) counted = { n: (active.get() as { n: number }).n, at };
    return counted.n;
  };

  return {
    create(input: { name: string; scopes: Record<string, Scope[]> }): { key: string; apiKey: ApiKey } {
      const id = randomId('key_');
      const key = `cairn_${randomBytes(24).toString('base64url')}`;
      counted = null;
      db.prepare('INSERT INTO api_keys (id, name, key_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?)').run(
        id,
        input.name,
        hashKey(key),
        JSON.stringify(input.scopes),
        now(),
      );
      const row = db.prepare<[string], ApiKeyRow>('SELECT * FROM api_keys WHERE id = ?').get(id) as ApiKeyRow;
      return { key, apiKey: toApiKey(row) };
    },
    list: (): ApiKey[] => all.all().map(toApiKey),
    /** Keys that are not revoked; the server checks whether auth is needed at all from this. */
    activeCount,
    revoke(idOrName: string): ApiKey {
      counted = null;
      const info = db
        .prepare('UPDATE api_keys SET revoked_at = ? WHERE (id = ? OR name = ?) AND revoked_at IS NULL')
        .run(now(), idOrName, idOrName);
      if (info.changes === 0) throw new CairnError('NOT_FOUND', `No active API key "${idOrName}"`);
      const row = db
        .prepare<[string, string], ApiKeyRow>('SELECT * FROM api_keys WHERE id = ? OR name = ?')
        .get(idOrName, idOrName);
      return toApiKey(row as ApiKeyRow);
    },
    /**
     * The key's record if it is valid and not revoked. The hash is looked up, then compared in
     * constant time so the lookup's timing says nothing about near-misses.
     */
    verify(key: string): ApiKey | null {
      const hash = hashKey(key);
      const row = db.prepare<[string], ApiKeyRow>('SELECT * FROM api_keys WHERE key_hash = ?').get(hash);
      if (!row || row.revoked_at !== null) return null;
      if (!timingSafeEqual(Buffer.from(row.key_hash, 'hex'), Buffer.from(hash, 'hex'))) return null;
      if (lastUsedIsStale(row.last_used_at, Date.now())) {
        db.prepare('UPDATE api_keys SET last_used_at = ? WHERE id = ?').run(now(), row.id);
      }
      return toApiKey(row);
    },
  };
}

export type ApiKeysRepo = ReturnType<typeof createApiKeysRepo>;
