import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Health } from '../../sdk/index.ts';
import type { RunningServer } from '../../server/index.ts';
import { writeTinyEmbedder, writeTinyGguf, writeTinyReranker } from '../fixtures/make-models.ts';
import { type AppHarness, dropFile, dropFiles, fixture, SHOTS, startApp } from './app-helpers.ts';
import { chromiumAvailable } from './chromium.ts';

// The chat web app over the real runtime with models: the tiny random-weight ONNX embedder and
// cross-encoder and the tiny GGUF generator (node-llama-cpp, one thread). A dropped document gets
// vectors, a question streams through the gate to a verdict, and the status page lists the models
// as present. Random weights decide nothing that can be predicted, so the test checks what the UI
// must show either way (a verdict line; in gated mode no draft text), not what the model says.
const hasChromium = chromiumAvailable('the chat web app browser test with models');

let app: AppHarness;
let server: RunningServer;
let page: Page;
let refs: { embedder: string; reranker: string; generator: string };

beforeAll(async () => {
  if (!hasChromium) return;
  app = await startApp('cairn-app-models-', {
    config: (dataDir) => {
      refs = {
        embedder: writeTinyEmbedder(path.join(dataDir, 'tiny-embedder')),
        reranker: writeTinyReranker(path.join(dataDir, 'tiny-reranker')),
        generator: writeTinyGguf(path.join(dataDir, 'tiny-llama.gguf')),
      };
      return {
        offline: true,
        models: { ...refs, threads: 1, gpu: 'cpu', sequences: 1, contextSize: 2048 },
        answer: { maxTokens: 16, temperature: 0, stream: 'gated' },
      };
    },
  });
  server = app.server;
  page = await app.browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  page.on('pageerror', (error) => console.error('page error:', error.message));
}, 60_000);

afterAll(async () => {
  await app?.close();
});

describe.skipIf(!hasChromium)('the chat web app with the tiny models', () => {
  it('embeds a dropped document, streams a gated answer to a verdict and lists the models as present', async () => {
    await page.goto(`${server.url}/`);
    await page.fill('#new-collection-name', 'trails');
    await page.click('#new-collection button[type=submit]');
    await expect.poll(() => page.locator('#collection').inputValue()).toBe('trails');
    await dropFiles(page, [dropFile('cairns.txt', 'text/plain', fixture('server/fixtures/cairns.txt'))]);
    await expect
      .poll(() => page.locator('.job .job-status').first().textContent(), { timeout: 20_000 })
      .toMatch(/1\/1 documents/);
    const doc = page.locator('.document', { hasText: 'cairns.txt' });
    await expect.poll(() => doc.locator('.status').textContent(), { timeout: 10_000 }).toBe('ready');
    expect(await page.getByText('no vectors yet').count()).toBe(0);

    // Counts every draft paragraph the page ever shows while the answer streams.
    await page.evaluate(() => {
      const seen = window as unknown as { drafts: number };
      seen.drafts = 0;
      new MutationObserver(() => {
        seen.drafts += document.querySelectorAll('.turn .draft').length;
      }).observe(document.body, { childList: true, subtree: true, characterData: true });
    });
    await page.fill('#question', 'Why do hikers build cairns?');
    await page.press('#question', 'Enter');
    const verdict = page.locator('.turn .verdict');
    await verdict.waitFor({ timeout: 40_000 });
    const decision = (await verdict.getAttribute('class'))?.replace('verdict ', '');
    expect(['answered', 'revised', 'abstained']).toContain(decision);
    expect(await verdict.locator('.badge').textContent()).toBe(decision);
    // Gated streaming never shows unchecked text: no draft paragraph, during or after.
    expect(await page.evaluate(() => (window as unknown as { drafts: number }).drafts)).toBe(0);
    expect(await page.locator('.turn .draft').count()).toBe(0);
    // The stream finished: the composer offers Send again, not Stop.
    await page.fill('#question', 'x');
    expect(await page.locator('.composer button.stop').count()).toBe(0);
    expect(await page.locator('#send').isEnabled()).toBe(true);
    // The generator answered (not the extractive fallback), over the one document's passages.
    expect(await verdict.locator('> .muted').textContent()).toMatch(/^ · generative · /);
    if (decision === 'abstained') {
      // An abstention shows the fixed sentence only (whatever the model drafted stays hidden) and the closest passages.
      expect(await page.locator('.turn .markdown').textContent()).toBe('The documents do not answer this.\n');
      expect(await verdict.locator('.closest button').first().textContent()).toBe('cairns.txt');
    }
    await page.screenshot({ path: `${SHOTS}/models-answer.png` });

    const health = (await (await fetch(`${server.url}/health`)).json()) as Health;
    expect(health.models.map((m) => [m.role, m.ref, m.present])).toEqual([
      ['embedder', refs.embedder, true],
      ['reranker', refs.reranker, true],
      ['generator', refs.generator, true],
    ]);
    await page.click('#open-settings');
    await page.locator('#health-models').waitFor();
    expect(await page.locator('#health-models th').allTextContents()).toEqual(['embedder', 'reranker', 'generator']);
    expect(await page.locator('#health-models td.ok').allTextContents()).toEqual(['available', 'available', 'available']);
    expect(await page.locator('#health-models td.missing').count()).toBe(0);
  }, 60_000);
});
