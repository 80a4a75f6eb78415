import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../core/index.ts';
import { checkUrl, fetchUrl, ingest, isPrivateAddress } from '../../indexer/index.ts';
import { createHarness, ingestDeps } from './helpers.ts';

describe('SSRF guard: IPv6 spellings of private IPv4 and the remaining special ranges', () => {
  it('refuses IPv4-compatible IPv6 (::a.b.c.d), whatever the IPv4 inside', () => {
    const cases = ['::7f00:1', '::127.0.0.1', '::a00:1', '::c0a8:101', '::808:808', '::0:1', '::ffff:7f00:1'];
    expect(cases.map((ip) => [ip, isPrivateAddress(ip)])).toEqual(cases.map((ip) => [ip, true]));
  });

  it('refuses site-local fec0::/10, but not the public range just past it', () => {
    const cases = ['fec0::1', 'fed0:1234::5', 'feff:ffff::1', 'ff02::1', 'fe80::1%eth0'];
    expect(cases.map((ip) => [ip, isPrivateAddress(ip)])).toEqual(cases.map((ip) => [ip, true]));
    expect(isPrivateAddress('2606:4700::1111')).toBe(false);
  });

  it('judges 6to4 (2002::/16) by the IPv4 address it embeds', () => {
    const privateOnes = ['2002:7f00:1::', '2002:7f00:0001::1', '2002:a00:1::', '2002:c0a8:101::1', '2002:a9fe:a9fe::', '2002::'];
    expect(privateOnes.map((ip) => [ip, isPrivateAddress(ip)])).toEqual(privateOnes.map((ip) => [ip, true]));
    expect(isPrivateAddress('2002:808:808::1')).toBe(false);
  });

  it('refuses Teredo, documentation, discard and NAT64 prefixes', () => {
    const cases = ['2001::1', '2001:0:4136:e378::1', '2001:db8::1', '100::1', '64:ff9b::808:808', '64:ff9b:1::1'];
    expect(cases.map((ip) => [ip, isPrivateAddress(ip)])).toEqual(cases.map((ip) => [ip, true]));
    expect(isPrivateAddress('2001:4860:4860::8888')).toBe(false);
  });

  it('refuses those addresses as URL literals before connecting', () => {
    for (const url of ['http://[::7f00:1]/', 'http://[::127.0.0.1]:8080/', 'http://[fec0::1]/', 'http://[2002:7f00:1::]/']) {
      expect(() => checkUrl(url, false)).toThrow(expect.objectContaining({ code: 'URL_BLOCKED' }));
    }
    expect(checkUrl('http://[2002:808:808::1]/', false).hostname).toBe('[2002:808:808::1]');
  });
});

describe('offline mode and URL ingest', () => {
  let server: http.Server;
  let base: string;
  let hits = 0;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-type': 'text/plain' }).end('Fetched text.');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });

  it('CAIRN_OFFLINE=1 sets config.offline', () => {
    expect(loadConfig({ cwd: tmpdir(), env: { CAIRN_OFFLINE: '1' } }).offline).toBe(true);
    expect(loadConfig({ cwd: tmpdir(), env: {} }).offline).toBe(false);
  });

  it('fetchUrl fails with OFFLINE before any connection', async () => {
    const before = hits;
    const options = { timeoutMs: 1000, maxBytes: 1000, maxRedirects: 0, allowPrivate: true };
    await expect(fetchUrl(`${base}/a`, { ...options, offline: true })).rejects.toMatchObject({
      code: 'OFFLINE',
      message: `Offline mode (offline: true, CAIRN_OFFLINE=1) forbids fetching ${base}/a`,
    });
    expect(hits).toBe(before);
    expect((await fetchUrl(`${base}/a`, { ...options, offline: false })).status).toBe(200);
    expect(hits).toBe(before + 1);
  });

  it('a URL ingest with offline config fails at once with OFFLINE and never reaches the server', async () => {
    const before = hits;
    const h = createHarness({ config: { offline: true, ingest: { allowPrivateUrls: true, crawlDepth: 1 } } });
    try {
      const summary = await ingest(ingestDeps(h), { collection: 'web', sources: [`${base}/page`] });
      expect(summary.added).toBe(0);
      expect(summary.failed).toEqual([
        {
          source: `${base}/page`,
          code: 'OFFLINE',
          message: `Offline mode (offline: true, CAIRN_OFFLINE=1) forbids fetching ${base}/page`,
        },
      ]);
      expect(hits).toBe(before);
    } finally {
      h.cleanup();
    }
  });

  it('cairn ingest <url> with CAIRN_OFFLINE=1 reports OFFLINE and sends no request', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cairn-offline-cli-'));
    writeFileSync(path.join(dir, 'cairn.config.json'), JSON.stringify({ ingest: { allowPrivateUrls: true } }));
    const bin = path.resolve(import.meta.dirname, '../../bin/cairn.js');
    const run = (offline: string) =>
      promisify(execFile)('node', [bin, 'ingest', `${base}/doc.txt`, '--data', path.join(dir, 'data'), '--json'], {
        cwd: dir,
        env: { ...process.env, CAIRN_EMBEDDER: 'none', CAIRN_OFFLINE: offline },
      }).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
    try {
      const before = hits;
      const offline = JSON.parse((await run('1')).stdout) as { failed: { code: string }[] };
      expect(offline.failed.map((f) => f.code)).toEqual(['OFFLINE']);
      expect(hits).toBe(before);
      const online = JSON.parse((await run('0')).stdout) as { added: number };
      expect(online.added).toBe(1);
      expect(hits).toBe(before + 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
