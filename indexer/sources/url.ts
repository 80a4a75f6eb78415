import dns from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { CairnError, isCairnError } from '../../core/index.ts';
import { isPrivateAddress } from './private-address.ts';

export { isPrivateAddress } from './private-address.ts';

export interface FetchOptions {
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  allowPrivate: boolean;
  /** Offline mode: every fetch fails with OFFLINE before any DNS lookup or connection. */
  offline?: boolean;
  signal?: AbortSignal;
}

export interface Fetched {
  url: string;
  status: number;
  contentType: string | undefined;
  data: Uint8Array;
}

function blocked(host: string, address: string): CairnError {
  return new CairnError(
    'URL_BLOCKED',
    `Refusing ${host}: it resolves to the private address ${address} (set ingest.allowPrivateUrls to allow)`,
    {
      host,
      address,
    },
  );
}

/**
 * A DNS lookup that refuses private addresses. It runs at connect time, inside the request, so the
 * checked address is the one connected to (no gap for DNS rebinding).
 */
function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 4);
      const list = addresses as dns.LookupAddress[];
      const bad = list.find((a) => isPrivateAddress(a.address));
      if (bad && !allowPrivate) return callback(blocked(hostname, bad.address) as unknown as NodeJS.ErrnoException, '', 4);
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: dns.LookupAddress[]) => void)(null, list);
      const first = list[0] as dns.LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}

export function checkUrl(raw: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CairnError('VALIDATION', `Not a valid URL: ${raw}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CairnError('URL_BLOCKED', `Only http and https URLs are fetched, not ${url.protocol}`);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (!allowPrivate && net.isIP(host) !== 0 && isPrivateAddress(host)) throw blocked(host, host);
  return url;
}

type Response = { status: number; location?: string; contentType?: string; data: Uint8Array };

function requestOnce(url: URL, options: FetchOptions): Promise<Response> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
    };
    const fail = (error: unknown) =>
      settle(() =>
        reject(
          isCairnError(error)
            ? error
            : new CairnError('FETCH_FAILED', `Fetching ${url.href} failed: ${(error as Error).message}`),
        ),
      );
    const abort = (error: CairnError) => {
      fail(error);
      request.destroy();
    };
    const headers = { 'user-agent': 'cairn-ingest', accept: '*/*', 'accept-encoding': 'identity' };
    const request = client.request(
      url,
      {
        method: 'GET',
        headers,
        lookup: guardedLookup(options.allowPrivate),
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (response) => {
        response.on('error', fail);
        const tooLarge = () => new CairnError('TOO_LARGE', `${url.href} is larger than ${options.maxBytes} bytes`);
        if (Number(response.headers['content-length'] ?? 0) > options.maxBytes) return abort(tooLarge());
        const parts: Buffer[] = [];
        let size = 0;
        response.on('data', (part: Buffer) => {
          size += part.length;
          if (size > options.maxBytes) abort(tooLarge());
          else parts.push(part);
        });
        response.on('end', () =>
          settle(() =>
            resolve({
              status: response.statusCode ?? 0,
              ...(response.headers.location ? { location: response.headers.location } : {}),
              ...(response.headers['content-type'] ? { contentType: response.headers['content-type'] } : {}),
              data: new Uint8Array(Buffer.concat(parts)),
            }),
          ),
        );
      },
    );
    const timer = setTimeout(
      () => abort(new CairnError('TIMEOUT', `Fetching ${url.href} took longer than ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    request.on('error', fail);
    request.end();
  });
}

/** GET with a timeout, a size cap, a redirect limit and the private-address guard on every hop. */
export async function fetchUrl(raw: string, options: FetchOptions): Promise<Fetched> {
  if (options.offline) {
    throw new CairnError('OFFLINE', `Offline mode (offline: true, CAIRN_OFFLINE=1) forbids fetching ${raw}`, { url: raw });
  }
  let url = checkUrl(raw, options.allowPrivate);
  for (let hop = 0; ; hop++) {
    const response = await requestOnce(url, options);
    if (response.status >= 300 && response.status < 400 && response.location) {
      if (hop >= options.maxRedirects)
        throw new CairnError('FETCH_FAILED', `Too many redirects (more than ${options.maxRedirects}) from ${raw}`);
      url = checkUrl(new URL(response.location, url).href, options.allowPrivate);
      continue;
    }
    if (response.status < 200 || response.status >= 300) {
      throw new CairnError('FETCH_FAILED', `${url.href} answered HTTP ${response.status}`, { status: response.status });
    }
    return { url: url.href, status: response.status, contentType: response.contentType, data: response.data };
  }
}
