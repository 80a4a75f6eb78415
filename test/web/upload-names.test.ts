import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.ts';
import { uploadSource } from '../../indexer/index.ts';
import { createRuntime, type RunningServer, startServer } from '../../server/index.ts';
import { testConfig } from '../server/helpers.ts';
import { freshWebApp } from './app-helpers.ts';
import { chromiumAvailable, launchChromium } from './chromium.ts';

// Two different files of the same name uploaded through the chat UI in headless Chromium are two
// documents; the same file again changes nothing. Needs Debian's chromium; with CI set it must run.
const hasChromium = chromiumAvailable('the upload names browser test');

let dataDir: string;
let server: RunningServer;
let browser: Browser;

beforeAll(async () => {
  if (!hasChromium) return;
  await freshWebApp();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-ui-names-'));
  const config = testConfig(dataDir, { offline: true, models: { embedder: null, reranker: null, generator: null } });
  server = await startServer(config, silentLogger, await createRuntime(config, silentLogger));
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const FIRST = 'The first report: the north trail is open.';
const SECOND = 'The second report: the south trail is closed.';

async function uploadReport(page: Page, text: string, jobsBefore: number): Promise<void> {
  await page.setInputFiles('#files', { name: 'report.txt', mimeType: 'text/plain', buffer: Buffer.from(text) });
  await expect.poll(() => server.embedded!.jobs.list({ limit: 50 }).length).toBe(jobsBefore + 1);
  await expect
    .poll(() => page.locator('.job .job-status').first().textContent(), { timeout: 20_000 })
    .toMatch(/^done · 1\/1 documents/);
}

/** The documents the UI lists: the name shown, and the source in the item's tooltip. */
async function listed(page: Page): Promise<[string, string][]> {
  const items = page.locator('#documents li');
  const out: [string, string][] = [];
  for (let i = 0; i < (await items.count()); i++) {
    const item = items.nth(i);
    out.push([(await item.locator('.doc-title').textContent()) ?? '', (await item.getAttribute('title')) ?? '']);
  }
  return out.sort();
}

describe.skipIf(!hasChromium)('uploads with the same name in the chat UI', () => {
  it('lists two documents for two different report.txt, and still two after the first is uploaded again', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    await page.fill('#new-collection-name', 'reports');
    await page.click('#new-collection button[type=submit]');
    await expect.poll(() => page.locator('#collection').inputValue()).toBe('reports');

    await uploadReport(page, FIRST, 0);
    await uploadReport(page, SECOND, 1);
    const expected = [
      ['report.txt', uploadSource('report.txt', Buffer.from(FIRST))],
      ['report.txt', uploadSource('report.txt', Buffer.from(SECOND))],
    ].sort();
    await expect.poll(() => listed(page)).toEqual(expected);

    await uploadReport(page, FIRST, 2);
    expect(await listed(page)).toEqual(expected);
    const last = server.embedded!.jobs.list({ limit: 1 })[0];
    expect(last?.result).toMatchObject({ added: 0, updated: 0, unchanged: 1 });
  });
});
