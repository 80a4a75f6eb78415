import { randomBytes, timingSafeEqual } from 'node:crypto';
import { type ApiKey, CairnError, type EmbedBinding, randomId, type Scope, sha256 } from '../core/index.ts';
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
  kind: 'standard' | 'embed';
  origins: string;
  rate_per_minute: number | null;
}

function toApiKey(row: ApiKeyRow): ApiKey {
  const scopes = parseJson<Record<string, Scope[]>>(row.scopes, {});
  const key: ApiKey = {
    id: row.id,
    name: row.name,
    scopes,
    createdAt: row.created_at,
    lastUsedAt: row.last_used_at,
    revokedAt: row.revoked_at,
  };
  if (row.kind !== 'embed') return key;
  const collection = Object.keys(scopes)[0] ?? '';
  return { ...key, embed: { collection, origins: parseJson<string[]>(row.origins, []), ratePerMinute: row.rate_per_minute } };
}

/**
 * An origin as browsers send it in `Origin`: scheme, host and port, lower-case, no path or slash.
 * Anything else (a path, a wildcard, `null`) is refused, so a key is never bound to more than named.
 */
export function normalizeEmbedOrigin(value: string): string {
  const trimmed = value.trim().toLowerCase().replace(/\/+$/, '');
  let url: URL | null = null;
  try {
    url = new URL(trimmed);
  } catch {}
  if (!url || !/^https?:$/.test(url.protocol) || url.origin !== trimmed) {
    throw new CairnError(
      'VALIDATION',
      `--origin "${value}" must be a page origin such as https://site.example (scheme, host, optional port)`,
      {
        origin: value,
      },
    );
  }
  return trimmed;
}

export interface EmbedKeyInput {
  name: string;
  collection: string;
  origins: string[];
  ratePerMinute?: number | null;
}

export function embedBinding(input: EmbedKeyInput): EmbedBinding {
  if (input.collection.trim() === '' || input.collection === '*') {
    throw new CairnError('VALIDATION', 'An embed key is bound to one named collection');
  }
  if (input.origins.length === 0) throw new CairnError('VALIDATION', 'An embed key needs at least one --origin');
  const rate = input.ratePerMinute ?? null;
  if (rate !== null && !(Number.isInteger(rate) && rate > 0)) {
    throw new CairnError('VALIDATION', `The rate of an embed key must be a positive whole number (got ${rate})`);
  }
  return { collection: input.collection, origins: [...new Set(input.origins.map(normalizeEmbedOrigin))], ratePerMinute: rate };
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

  const insert = (name: string, scopes: Record<string, Scope[]>, embed: EmbedBinding | null) => {
    const id = randomId('key_');
    const key = `cairn_${embed ? 'embed_' : ''}${randomBytes(24).toString('base64url')}`;
    counted = null;
    origins = null;
    db.prepare(
      'INSERT INTO api_keys (id, name, key_hash, scopes, created_at, kind, origins, rate_per_minute) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    ).run(
      id,
      name,
      hashKey(key),
      JSON.stringify(scopes),
      now(),
      embed ? 'embed' : 'standard',
      JSON.stringify(embed?.origins ?? []),
      embed?.ratePerMinute ?? null,
    );
    const row = db.prepare<[string], ApiKeyRow>('SELECT * FROM api_keys WHERE id = ?').get(id) as ApiKeyRow;
    return { key, apiKey: toApiKey(row) };
  };
  const embedOriginRows = db.prepare<[], { origins: string }>(
    "SELECT origins FROM api_keys WHERE kind = 'embed' AND revoked_at IS NULL",
  );
  // Asked on every cross-origin request: kept for a second like activeCount, dropped on any change here.
  let origins: { set: ReadonlySet<string>; at: number } | null = null;
  const embedOrigins = (): ReadonlySet<string> => {
    const at = performance.now();
    if (!origins || at - origins.at > ACTIVE_COUNT_TTL_MS) {
      origins = { set: new Set(embedOriginRows.all().flatMap((r) => parseJson<string[]>(r.origins, []))), at };
    }
    return origins.set;
  };

  return {
    create(input: { name: string; scopes: Record<string, Scope[]> }): { key: string; apiKey: ApiKey } {
      return insert(input.name, input.scopes, null);
    },
    /** A public key for web pages: search and ask in one collection, from the listed origins only. */
    createEmbed(input: EmbedKeyInput): { key: string; apiKey: ApiKey } {
      const binding = embedBinding(input);
      return insert(input.name, { [binding.collection]: ['read'] }, binding);
    },
    /** Every origin some active embed key lists: the only foreign origins whose preflights are answered. */
    embedOrigins,
    ...createEmbedChats(db),
    list: (): ApiKey[] => all.all().map(toApiKey),
    /** Keys that are not revoked; the server checks whether auth is needed at all from this. */
    activeCount,
    revoke(idOrName: string): ApiKey {
      counted = null;
      origins = null;
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

/** Which visitor of which embed key started a chat: visitors read and continue only their own. */
function createEmbedChats(db: Db) {
  const claim = db.prepare('INSERT INTO embed_chats (chat_id, key_id, visitor, created_at) VALUES (?, ?, ?, ?)');
  const owner = db.prepare<[string], { key_id: string; visitor: string }>(
    'SELECT key_id, visitor FROM embed_chats WHERE chat_id = ?',
  );
  return {
    claimChat(chatId: string, keyId: string, visitor: string): void {
      claim.run(chatId, keyId, visitor, now());
    },
    ownsChat(chatId: string, keyId: string, visitor: string): boolean {
      const row = owner.get(chatId);
      return row !== undefined && row.key_id === keyId && row.visitor === visitor;
    },
  };
}
