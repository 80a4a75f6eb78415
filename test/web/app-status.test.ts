import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.ts';
import type { Health } from '../../sdk/index.ts';
import { createRuntime, type RunningServer, startServer } from '../../server/index.ts';
import { testConfig } from '../server/helpers.ts';
import { freshWebApp, SHOTS } from './app-helpers.ts';
import { chromiumAvailable, launchChromium } from './chromium.ts';

// The status page of the chat web app on a server whose configured embedder is not downloaded:
// the compute device each backend is expected to use, and the missing model with how to get it.
const hasChromium = chromiumAvailable('the chat web app status browser test');

let server: RunningServer;
let browser: Browser;
let page: Page;
let dataDir: string;

beforeAll(async () => {
  if (!hasChromium) return;
  await freshWebApp();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-app-status-'));
  const config = testConfig(dataDir, {
    offline: true,
    models: { embedder: 'Xenova/all-MiniLM-L6-v2', reranker: null, generator: null },
  });
  server = await startServer(config, silentLogger, await createRuntime(config, silentLogger));
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
  page.on('pageerror', (error) => console.error('page error:', error.message));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
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
