import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  checkUrl,
  extractLinks,
  fetchUrl,
  ingest,
  isPrivateAddress,
  parseRobots,
  robotsAllows,
  splitPart,
  uploadSource,
  walkFolder,
} from '../../indexer/index.ts';
import { createHarness, type Harness, ingestDeps } from './helpers.ts';

describe('document identity of uploads and parts', () => {
  it('names an upload by its content hash and file name', () => {
    const bytes = new TextEncoder().encode('abc');
    // sha256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    expect(uploadSource('report.pdf', bytes)).toBe('upload:ba7816bf8f01cfea/report.pdf');
    expect(uploadSource('report.pdf', new TextEncoder().encode('abd'))).not.toBe(uploadSource('report.pdf', bytes));
  });

  it('splits a JSONL line or JSON record suffix from its file or URL, and nothing else', () => {
    expect(splitPart('/data/notes.jsonl#L3')).toEqual({ location: '/data/notes.jsonl', part: '#L3' });
    expect(splitPart('https://example.com/data.jsonl#L12')).toEqual({ location: 'https://example.com/data.jsonl', part: '#L12' });
    expect(splitPart('upload:ba7816bf8f01cfea/records.json#0')).toEqual({
      location: 'upload:ba7816bf8f01cfea/records.json',
      part: '#0',
    });
    expect([splitPart('/data/notes.jsonl'), splitPart('#L3'), splitPart('https://example.com/page#intro')]).toEqual([
      null,
      null,
      null,
    ]);
  });
});

describe('folder walk', () => {
  let h: Harness;
  beforeEach(() => {
    h = createHarness();
  });
  afterEach(() => h.cleanup());

  it('walks recursively with globs and follows links only inside the root', () => {
    const root = path.join(h.dir, 'root');
    const outside = path.join(h.dir, 'outside');
    mkdirSync(path.join(root, 'a/node_modules'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(path.join(root, 'one.md'), 'x');
    writeFileSync(path.join(root, 'a/two.txt'), 'x');
    writeFileSync(path.join(root, 'a/node_modules/dep.txt'), 'x');
    writeFileSync(path.join(outside, 'secret.txt'), 'x');
    symlinkSync(outside, path.join(root, 'escape'));
    symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'secret-link.txt'));
    symlinkSync(path.join(root, 'a'), path.join(root, 'inner-link'));
    symlinkSync(root, path.join(root, 'a/loop'));
    const rel = (files: string[]) => files.map((f) => path.relative(root, f));
    return (async () => {
      expect(rel(await walkFolder(root, { include: [], exclude: ['**/node_modules/**'] }))).toEqual(['a/two.txt', 'one.md']);
      expect(rel(await walkFolder(root, { include: ['**/*.md'], exclude: [] }))).toEqual(['one.md']);
    })();
  });
});

describe('URL guard', () => {
  it('classifies private, loopback and link-local addresses', () => {
    for (const ip of [
      '127.0.0.1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '::1',
      'fe80::1',
      'fd00::1',
      '::ffff:127.0.0.1',
    ]) {
      expect([ip, isPrivateAddress(ip)]).toEqual([ip, true]);
    }
    for (const ip of ['8.8.8.8', '93.184.216.34', '2606:4700::1111']) expect([ip, isPrivateAddress(ip)]).toEqual([ip, false]);
  });

  it('refuses private IP literals and other schemes before connecting', () => {
    expect(() => checkUrl('http://127.0.0.1/', false)).toThrow(expect.objectContaining({ code: 'URL_BLOCKED' }));
    expect(() => checkUrl('http://[::1]:8080/', false)).toThrow(expect.objectContaining({ code: 'URL_BLOCKED' }));
    expect(() => checkUrl('file:///etc/passwd', true)).toThrow(expect.objectContaining({ code: 'URL_BLOCKED' }));
    expect(() => checkUrl('not a url', true)).toThrow(expect.objectContaining({ code: 'VALIDATION' }));
    expect(checkUrl('http://127.0.0.1/', true).href).toBe('http://127.0.0.1/');
  });

  it('refuses a host name that resolves to loopback (checked after DNS)', async () => {
    await expect(
      fetchUrl('http://localhost:9/', { timeoutMs: 2000, maxBytes: 1000, maxRedirects: 0, allowPrivate: false }),
    ).rejects.toMatchObject({
      code: 'URL_BLOCKED',
    });
  });
});

describe('robots.txt', () => {
  const rules = parseRobots(
    'User-agent: other\nDisallow: /\n\nUser-agent: *\nDisallow: /private\nAllow: /private/ok\nDisallow: /*.pdf$\n',
  );
  it('applies the longest matching rule for our group', () => {
    expect(robotsAllows(rules, '/public')).toBe(true);
    expect(robotsAllows(rules, '/private/x')).toBe(false);
    expect(robotsAllows(rules, '/private/ok/page')).toBe(true);
    expect(robotsAllows(rules, '/a/b.pdf')).toBe(false);
    expect(robotsAllows(rules, '/a/b.pdf?x')).toBe(true);
    expect(robotsAllows(parseRobots(''), '/anything')).toBe(true);
  });

  it('extracts absolute links without fragments', () => {
    expect(extractLinks('<a href="/a#x">a</a><a href="b.html">b</a><a href="mailto:x@y">m</a>', 'http://h/dir/')).toEqual([
      'http://h/a',
      'http://h/dir/b.html',
    ]);
  });
});

describe('fetching and crawling (local server)', () => {
  let server: http.Server;
  let base: string;
  const pages: Record<string, [number, string, string]> = {
    '/robots.txt': [200, 'text/plain', 'User-agent: *\nDisallow: /hidden\n'],
    '/': [
      200,
      'text/html; charset=utf-8',
      '<html><head><title>Home</title></head><body><h1>Home</h1><p>Welcome home.</p><a href="/about">About</a><a href="/hidden">H</a><a href="http://elsewhere.invalid/">X</a></body></html>',
    ],
    '/about': [200, 'text/html', '<html><body><h1>About</h1><p>About us.</p><a href="/deep">Deep</a></body></html>'],
    '/deep': [200, 'text/html', '<html><body><p>Deep page.</p></body></html>'],
    '/hidden': [200, 'text/html', '<html><body><p>Hidden.</p></body></html>'],
    '/latin': [200, 'text/plain; charset=iso-8859-1', 'caf\xe9'],
    '/big': [200, 'text/plain', 'x'.repeat(5000)],
  };
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const url = req.url ?? '/';
      if (url.startsWith('/redirect/')) {
        const n = Number(url.split('/')[2]);
        res.writeHead(302, { location: n > 0 ? `/redirect/${n - 1}` : '/about' }).end();
        return;
      }
      if (url === '/slow') return void setTimeout(() => res.end('late'), 3000);
      const page = pages[url];
      if (!page) return void res.writeHead(404).end('no');
      res.writeHead(page[0], { 'content-type': page[1] }).end(Buffer.from(page[2], 'latin1'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => {
    server.closeAllConnections();
    server.close();
  });
  const options = { timeoutMs: 1000, maxBytes: 1000, maxRedirects: 3, allowPrivate: true };

  it('follows redirects up to the limit, caps size and times out', async () => {
    expect((await fetchUrl(`${base}/redirect/2`, options)).url).toBe(`${base}/about`);
    await expect(fetchUrl(`${base}/redirect/5`, options)).rejects.toMatchObject({ code: 'FETCH_FAILED' });
    await expect(fetchUrl(`${base}/big`, options)).rejects.toMatchObject({ code: 'TOO_LARGE' });
    await expect(fetchUrl(`${base}/slow`, { ...options, timeoutMs: 200 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    await expect(fetchUrl(`${base}/missing`, options)).rejects.toMatchObject({ code: 'FETCH_FAILED' });
  });

  it('ingests a page with the charset of its header', async () => {
    const h = createHarness({ config: { ingest: { allowPrivateUrls: true } } });
    try {
      const summary = await ingest(ingestDeps(h), { collection: 'web', sources: [`${base}/latin`, `${base}/`] });
      expect(summary.added).toBe(2);
      expect(h.store.documents.findBySource('web', `${base}/latin`)?.text).toBe('café');
      expect(h.store.documents.findBySource('web', `${base}/`)?.title).toBe('Home');
    } finally {
      h.cleanup();
    }
  });

  it('refuses a local server unless private URLs are allowed', async () => {
    const h = createHarness();
    try {
      const summary = await ingest(ingestDeps(h), { collection: 'web', sources: [`${base}/`] });
      expect(summary.failed.map((f) => f.code)).toEqual(['URL_BLOCKED']);
    } finally {
      h.cleanup();
    }
  });

  it('crawls the same site within depth, page limits and robots.txt', async () => {
    const h = createHarness({ config: { ingest: { allowPrivateUrls: true, crawlDepth: 1, crawlMaxPages: 10 } } });
    try {
      const summary = await ingest(ingestDeps(h), { collection: 'web', sources: [`${base}/`] });
      expect(summary.documents.map((d) => d.source.slice(base.length)).sort()).toEqual(['/', '/about']);
      expect(summary.failed).toEqual([]);
    } finally {
      h.cleanup();
    }
  });
});
