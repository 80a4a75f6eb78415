import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.ts';
import { createRuntime, type RunningServer, startServer } from '../../server/index.ts';
import { FIXTURES, testConfig } from '../server/helpers.ts';
import { chromiumAvailable, launchChromium } from './chromium.ts';

// A person's path through the chat UI in headless Chromium, over the real runtime (real ingest,
// BM25 and the extractive answerer; no models here). Needs Debian's chromium; with CI set it must run.
const hasChromium = chromiumAvailable('the chat UI browser test');

let dataDir: string;
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  if (!hasChromium) return;
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-ui-'));
  // As `npm start` runs it: searches and answers' retrieval in a search worker.
  const config = testConfig(dataDir, {
    offline: true,
    models: { embedder: null, reranker: null, generator: null },
    server: { searchWorkers: 1 },
  });
  server = await startServer(config, silentLogger, await createRuntime(config, silentLogger));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe.skipIf(!hasChromium)('chat UI', () => {
  it('creates a collection, uploads a file, and shows a cited answer', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.locator('#status').textContent()).toContain('running without: embedder, reranker, generator');
    await page.fill('#new-collection-name', 'trails');
    await page.click('#new-collection button');
    await expect.poll(() => page.locator('#collection').inputValue()).toBe('trails');
    await page.setInputFiles('#files', path.join(FIXTURES, 'cairns.txt'));
    await page.click('#upload button');
    await expect.poll(() => page.locator('#documents').textContent(), { timeout: 20_000 }).toContain('cairns.txt');
    expect(await page.locator('#job').textContent()).toBe('succeeded: 1/1 documents');
    const before = server.store.jobs.list({ limit: 10 }).length;
    await page.click('#documents .reingest');
    await expect.poll(() => server.store.jobs.list({ limit: 10 }).length).toBe(before + 1);
    await expect.poll(() => page.locator('#job').textContent(), { timeout: 20_000 }).toBe('succeeded: 1/1 documents');
    expect(server.store.jobs.list({ limit: 1 })[0]?.kind).toBe('reingest');
    await page.fill('#question', 'Why do hikers build cairns?');
    await page.click('#send');
    await page.waitForSelector('.sources li', { timeout: 20_000 });
    expect(await page.locator('.answer').textContent()).toBe(
      'Hikers build cairns to mark trails across bare rock and above the tree line. [1]',
    );
    expect(await page.locator('.sources li').first().textContent()).toBe(
      'cairns.txt Hikers build cairns to mark trails across bare rock and above the tree line.',
    );
    expect(await page.locator('.meta').textContent()).toMatch(/^answered · extractive/);
  });
});
