import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cairn } from '../../sdk/index.ts';
import { type AppHarness, startApp } from './app-helpers.ts';
import { chromiumAvailable } from './chromium.ts';

// What the chat web app keeps across a reload (the ask-across choices, in the URL hash) and the
// "new collection" box that opens by itself with no collections, which stays on the chat page.
const hasChromium = chromiumAvailable('the chat web app hash browser test');

let app: AppHarness;
let page: Page;

beforeAll(async () => {
  if (!hasChromium) return;
  app = await startApp('cairn-app-hash-');
  page = await app.browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  page.on('pageerror', (error) => console.error('page error:', error.message));
}, 60_000);

afterAll(async () => {
  await app?.close();
});

/**
 * Opens the ask-across choices as a user would, clicking again if the box was re-rendered closed
 * while the app was still loading (a click that landed then was lost, and Playwright's check()
 * would wait out the whole test for a hidden checkbox).
 */
async function openAskAcross(): Promise<void> {
  await expect
    .poll(
      async () => {
        const open = await page
          .locator('.ask-across')
          .evaluate((details) => (details as HTMLDetailsElement).open)
          .catch(() => false);
        if (!open)
          await page
            .locator('.ask-across summary')
            .click({ timeout: 1_000 })
            .catch(() => {});
        return page.getByLabel('rocks').isVisible();
      },
      { timeout: 10_000 },
    )
    .toBe(true);
}

describe.skipIf(!hasChromium)('the chat web app state in the URL', () => {
  it('closes the self-opened new-collection box on the settings page and opens it again on the chat page', async () => {
    await page.goto(app.server.url);
    await page.locator('#new-collection-name').waitFor();
    await page.click('#open-settings');
    await page.locator('#new-collection').waitFor({ state: 'detached' });
    expect(await page.locator('#new-collection').count()).toBe(0);
    await page.click('#open-settings');
    await page.locator('#new-collection-name').waitFor();
    expect(await page.locator('#new-collection').count()).toBe(1);
  });

  it('keeps the ask-across choices in the hash through a reload', async () => {
    const cairn = new Cairn({ baseUrl: app.server.url });
    for (const name of ['trails', 'rocks', 'rivers']) await cairn.collections.create({ name });
    // the hash alone changed, which loads nothing: the reload starts the app on it
    await page.goto(`${app.server.url}/#c=trails`);
    await page.reload();
    await expect.poll(() => page.locator('#collection').inputValue()).toBe('trails');
    await openAskAcross();
    await page.getByLabel('rocks').check();
    await page.getByLabel('rivers').check();
    expect(await page.locator('.ask-across summary').textContent()).toBe('Ask across (+2)');
    expect(new URL(page.url()).hash).toBe('#c=trails&also=rocks&also=rivers');
    await page.reload();
    await expect.poll(() => page.locator('.ask-across summary').textContent()).toBe('Ask across (+2)');
    await openAskAcross();
    expect(await page.getByLabel('rocks').isChecked()).toBe(true);
    expect(await page.getByLabel('rivers').isChecked()).toBe(true);

    // A collection deleted since is dropped from the choices and the hash.
    await cairn.collections.delete('rivers');
    await page.reload();
    await expect.poll(() => page.locator('.ask-across summary').textContent()).toBe('Ask across (+1)');
    expect(new URL(page.url()).hash).toBe('#c=trails&also=rocks');
  });
});
