import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Health } from '../../sdk/index.ts';
import type { RunningServer } from '../../server/index.ts';
import { type AppHarness, SHOTS, startApp } from './app-helpers.ts';
import { chromiumAvailable } from './chromium.ts';

// The status page of the chat web app on a server whose configured embedder is not downloaded:
// the compute device each backend is expected to use, and the missing model with how to get it.
const hasChromium = chromiumAvailable('the chat web app status browser test');

let app: AppHarness;
let server: RunningServer;
let page: Page;

beforeAll(async () => {
  if (!hasChromium) return;
  app = await startApp('cairn-app-status-', {
    config: () => ({ offline: true, models: { embedder: 'Xenova/all-MiniLM-L6-v2', reranker: null, generator: null } }),
  });
  server = app.server;
  page = await app.browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  page.on('pageerror', (error) => console.error('page error:', error.message));
}, 60_000);

afterAll(async () => {
  await app?.close();
});

describe.skipIf(!hasChromium)('the status page of the chat web app', () => {
  it('shows the compute device and the missing embedder with the command that gets it', async () => {
    const health = (await (await fetch(`${server.url}/health`)).json()) as Health;
    const embedder = health.models.find((m) => m.role === 'embedder') as { present: boolean; get?: string };
    expect(embedder.present).toBe(false);
    await page.goto(`${server.url}/`);
    await page.click('#open-settings');
    await page.locator('#health-models').waitFor();
    expect(await page.locator('#health-models th').allTextContents()).toEqual(['embedder']);
    expect(await page.locator('#health-models td.missing').textContent()).toBe('missing');
    expect(await page.locator('#health-models .how-to-get code').textContent()).toBe(embedder.get);
    const gpus = health.device.gpus.length > 0 ? health.device.gpus.join(', ') : 'no GPU found (CPU)';
    expect(await page.locator('#health-device strong').allTextContents()).toEqual([
      gpus,
      health.device.llama.expected,
      health.device.transformers.expected,
    ]);
    await page.locator('.settings-page').screenshot({ path: `${SHOTS}/uifix-status.png` });
  });
});
