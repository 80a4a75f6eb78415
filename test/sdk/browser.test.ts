import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumAvailable, launchChromium } from '../web/chromium.ts';
import { type SdkServer, startSdkServer } from './helpers.ts';

// The SDK in headless Chromium: a page on the server's origin loads /sdk.js with a module script
// (no bundler) and drives the real server through it. Needs Debian's chromium; with CI set it must run.
const hasChromium = chromiumAvailable('the SDK browser test');

let running: SdkServer;
let browser: Browser;

beforeAll(async () => {
  if (!hasChromium) return;
  running = await startSdkServer({ fakes: { tokenDelayMs: 5 } });
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await running?.close();
});

/** The page's script: plain JavaScript, as a page without a bundler would write it. */
const PAGE = `<!doctype html><meta charset="utf-8"><title>sdk</title>
<script type="module">
  import { Cairn, NotFoundError, ValidationError } from '/sdk.js';
  const run = async () => {
    const cairn = new Cairn();
    const out = { baseUrl: cairn.baseUrl };
    out.created = (await cairn.collections.create({ name: 'browser' })).name;
    const text = await cairn.documents.add('browser', { text: 'Basalt is a dark volcanic rock.', source: 'basalt' });
    const upload = await cairn.documents.add('browser', {
      files: [new File(['Obsidian is volcanic glass.'], 'obsidian.txt'), new Blob(['Pumice floats.'])],
    });
    const progress = [];
    out.jobs = [
      (await cairn.jobs.wait(text.jobId)).status,
      (await cairn.jobs.wait(upload.jobId, { onProgress: (p) => progress.push(p.status) })).status,
    ];
    out.titles = (await cairn.documents.list('browser')).documents.map((d) => d.title).sort();
    out.search = (await cairn.search('browser', { query: 'basalt' })).passages.map((p) => p.text);
    const stream = cairn.ask('browser', { question: 'What is basalt?' });
    const types = [];
    let answer = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'token') answer += event.text;
    }
    out.types = types;
    out.answer = answer;
    out.citation = (await stream.result()).citations[0]?.quote;
    const missing = await cairn.collections.get('missing').catch((e) => e);
    out.notFound = [missing instanceof NotFoundError, missing.code, missing.status];
    const invalid = await cairn.search('browser', { query: '' }).catch((e) => e);
    out.invalid = [invalid instanceof ValidationError, invalid.code];
    const controller = new AbortController();
    const aborted = cairn.ask('browser', { question: 'basalt' }, { signal: controller.signal });
    const seen = [];
    try {
      for await (const event of aborted) {
        seen.push(event.type);
        if (event.type === 'retrieved') controller.abort();
      }
    } catch (error) {
      out.abort = [seen, error.name, error.code];
    }
    return out;
  };
  run().then((out) => { window.sdkResult = out; }, (error) => { window.sdkResult = { failed: String(error.stack || error) }; });
</script>`;

describe.skipIf(!hasChromium)('the SDK in headless Chromium', () => {
  it('loads /sdk.js in a page without a bundler and drives the server', async () => {
    const page = await browser.newPage();
    // The page itself comes from the test, at the server's origin; /sdk.js and the API are the server's.
    await page.route(`${running.url}/sdk-page.html`, (route) => route.fulfill({ contentType: 'text/html', body: PAGE }));
    await page.goto(`${running.url}/sdk-page.html`);
    await page.waitForFunction(() => (window as { sdkResult?: unknown }).sdkResult !== undefined, undefined, { timeout: 20_000 });
    const result = await page.evaluate(() => (window as { sdkResult?: unknown }).sdkResult);
    expect(result).toEqual({
      baseUrl: running.url,
      created: 'browser',
      jobs: ['succeeded', 'succeeded'],
      titles: ['', 'file-2', 'obsidian.txt'],
      search: ['Basalt is a dark volcanic rock.'],
      types: ['retrieved', ...Array(7).fill('token'), 'citation', 'done'],
      answer: 'Basalt is a dark volcanic rock. [1]',
      citation: 'Basalt is a dark volcanic rock.',
      notFound: [true, 'COLLECTION_NOT_FOUND', 404],
      invalid: [true, 'VALIDATION'],
      abort: [['retrieved'], 'AbortError', 'ABORTED'],
    });
    await page.close();
  });
});
