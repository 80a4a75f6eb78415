import type { RequestOptions } from './http.ts';
import type { Transport } from './resources.ts';
import type { ApiKey, CreatedKey, CreateKeyParams } from './types.ts';

const enc = encodeURIComponent;

/** API keys; every call needs a key with `admin` on `*`. */
export class Keys {
  constructor(private readonly http: Transport) {}

  /** Every key, revoked ones included, without secrets (only hashes are stored). */
  async list(options?: RequestOptions): Promise<ApiKey[]> {
    return (await this.http.json<{ keys: ApiKey[] }>({ method: 'GET', path: '/v1/keys', options })).keys;
  }

  /** A new key; `secret` is shown this once. */
  create(params: CreateKeyParams, options?: RequestOptions): Promise<CreatedKey> {
    return this.http.json({ method: 'POST', path: '/v1/keys', body: params, options });
  }

  /** Revokes a key by id: it stops working at once. */
  async revoke(id: string, options?: RequestOptions): Promise<ApiKey> {
    return (await this.http.json<{ key: ApiKey }>({ method: 'DELETE', path: `/v1/keys/${enc(id)}`, options })).key;
  }
}
