import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/config.ts';
import { CairnError } from '../../core/index.ts';
import { openConfiguredPostgresStore, usesPostgres } from '../../store/postgres/index.ts';

const load = (env: Record<string, string>) => loadConfig({ cwd: '/nonexistent-cairn-config-dir', env });

function errorOf(fn: () => unknown): CairnError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CairnError) return error;
    throw error;
  }
  throw new Error('expected an error');
}

describe('store.url (CAIRN_DATABASE_URL)', () => {
  it('is unset by default: the embedded SQLite store', async () => {
    const config = load({});
    expect(config.store).toEqual({ url: null, poolSize: 10, pgvector: { m: 16, efConstruction: 64, efSearch: 100 } });
    expect(usesPostgres(config)).toBe(false);
    expect(await openConfiguredPostgresStore(config)).toBeNull();
  });

  it('accepts sqlite:, postgres:// and postgresql:// URLs, and a pool size', () => {
    expect(usesPostgres(load({ CAIRN_DATABASE_URL: 'sqlite:' }))).toBe(false);
    const pg = load({
      CAIRN_DATABASE_URL: 'postgres://cairn:pw@db.example:5432/cairn?sslmode=require',
      CAIRN_DATABASE_POOL_SIZE: '25',
    });
    expect(pg.store).toEqual({
      url: 'postgres://cairn:pw@db.example:5432/cairn?sslmode=require',
      poolSize: 25,
      pgvector: { m: 16, efConstruction: 64, efSearch: 100 },
    });
    expect(usesPostgres(pg)).toBe(true);
    expect(usesPostgres(load({ CAIRN_DATABASE_URL: 'postgresql://localhost/cairn' }))).toBe(true);
    expect(load({ CAIRN_DATABASE_URL: 'none' }).store.url).toBeNull();
  });

  it('refuses other schemes and malformed URLs, naming the key', () => {
    for (const url of ['mysql://localhost/cairn', 'sqlite:/tmp/x.db', 'postgres://', 'localhost:5432']) {
      const error = errorOf(() => load({ CAIRN_DATABASE_URL: url }));
      expect([error.code, error.details?.key]).toEqual(['CONFIG_INVALID', 'store.url']);
    }
    expect(errorOf(() => load({ CAIRN_DATABASE_POOL_SIZE: '0' })).details?.key).toBe('store.poolSize');
  });
});
