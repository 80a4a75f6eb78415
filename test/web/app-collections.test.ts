import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cairn } from '../../sdk/index.ts';
import { type AppHarness, fixture, SHOTS, startApp } from './app-helpers.ts';
import { chromiumAvailable } from './chromium.ts';

// Two collections in the chat web app: an answer across both, its source opened from the other
// collection, the collection's settings saved through the API, and a deletion after confirmation.
const hasChromium = chromiumAvailable('the chat web app collections browser test');

let app: AppHarness;
let page: Page;

/** Set-up through the SDK, as any client would. */
async function ingest(collection: string, source: string, text: string): Promise<void> {
  const cairn = new Cairn({ baseUrl: app.server.url });
  await cairn.collections.create({ name: collection });
  const accepted = await cairn.documents.add(collection, { text, source, title: source });
  expect((await cairn.jobs.wait(accepted.jobId)).status).toBe('succeeded');
}

beforeAll(async () => {
  if (!hasChromium) return;
  app = await startApp('cairn-app-cols-');
  await ingest('trails', 'cairns.txt', fixture('server/fixtures/cairns.txt').toString());
  await ingest('rocks', 'granite.md', fixture('server/fixtures/granite.md').toString());
  page = await app.browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  page.on('dialog', (dialog) => void dialog.accept());
  page.on('pageerror', (error) => console.error('page error:', error.message));
}, 60_000);

afterAll(async () => {
  await app?.close();
});

describe.skipIf(!hasChromium)('collections in the chat web app', () => {
  it('answers across two chosen collections and opens a source of the other one', async () => {
    await page.goto(`${app.server.url}/#c=trails`);
    await expect.poll(() => page.locator('#collection').inputValue()).toBe('trails');
    await page.locator('.ask-across summary').click();
    await page.getByLabel('rocks').check();
    expect(await page.locator('.ask-across summary').textContent()).toBe('Ask across (+1)');
    await page.fill('#question', 'What is granite composed of?');
    await page.press('#question', 'Enter');
    await page.locator('.turn .verdict').waitFor({ timeout: 20_000 });
    expect(await page.locator('.turn .source-chip').allTextContents()).toEqual(['1 granite.md', '2 granite.md']);
    await page.locator('.turn .markdown .cite').first().click();
    const quote = await page.locator('.source-panel .quote').textContent();
    await expect.poll(() => page.locator('.source-panel mark#cited-span').textContent()).toBe(quote);
    expect(quote).toBe('Granite is a coarse-grained igneous rock composed mostly of quartz, alkali feldspar and plagioclase.');

    // Reopened, the stored answer still says which collection each source is in.
    await page.reload();
    await page.locator('.turn .markdown .cite').first().click();
    await expect.poll(() => page.locator('.source-panel mark#cited-span').textContent()).toBe(quote);
    const chat = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('chat');
    const stored = (await (await fetch(`${app.server.url}/v1/chats/${chat}`)).json()) as {
      messages: { result: { citations: { collection?: string }[] } | null }[];
    };
    expect(stored.messages[1]?.result?.citations.map((c) => c.collection)).toEqual(['rocks', 'rocks']);
  });

  it('switches between stored chats, each showing its own turns', async () => {
    const questions = () => page.locator('.turn .question p').allTextContents();
    await page.getByRole('button', { name: 'New chat' }).click();
    expect(await questions()).toEqual([]);
    await page.fill('#question', 'Why do hikers build cairns?');
    await page.press('#question', 'Enter');
    await page.locator('.turn .verdict').waitFor({ timeout: 20_000 });
    await expect
      .poll(() => page.locator('#chat-list .chat-title').allTextContents())
      .toEqual(['Why do hikers build cairns?', 'What is granite composed of?']);
    for (const title of ['What is granite composed of?', 'Why do hikers build cairns?', 'What is granite composed of?']) {
      await page.locator('#chat-list .chat-title', { hasText: title }).click();
      await expect.poll(questions).toEqual([title]);
    }
  });

  it('edits a question and sends it again, regenerates the last answer and copies it', async () => {
    const questions = () => page.locator('.turn .question p').allTextContents();
    await page.locator('.turn').last().getByRole('button', { name: 'Edit' }).click();
    await page.locator('.question.editing textarea').fill('What is granite made of?');
    await page.locator('.question.editing').getByRole('button', { name: 'Send' }).click();
    await expect.poll(questions, { timeout: 20_000 }).toEqual(['What is granite composed of?', 'What is granite made of?']);
    await page.locator('.turn').last().locator('.actions').first().waitFor();
    await page.locator('.turn').last().getByRole('button', { name: 'Regenerate' }).click();
    await expect
      .poll(questions, { timeout: 20_000 })
      .toEqual(['What is granite composed of?', 'What is granite made of?', 'What is granite made of?']);
    await page.locator('.turn:nth-child(3) .verdict').waitFor({ timeout: 20_000 });
    // Every stored turn is shown, the regenerated one marked as another answer to the same question.
    expect(
      await page.locator('.turn').evaluateAll((turns) => turns.map((t) => t.querySelector('.regenerated-note') !== null)),
    ).toEqual([false, false, true]);
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.locator('.turn').last().getByRole('button', { name: 'Copy' }).click();
    await page.locator('.turn').last().getByRole('button', { name: 'Copied' }).waitFor();
    const stored = (await (
      await fetch(`${app.server.url}/v1/chats/${new URLSearchParams(new URL(page.url()).hash.slice(1)).get('chat')}`)
    ).json()) as {
      messages: { content: string }[];
    };
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(stored.messages.at(-1)?.content);
    expect(stored.messages.filter((m) => (m as { role?: string }).role === 'user').length).toBe(3);
    await page.reload();
    await expect
      .poll(questions, { timeout: 20_000 })
      .toEqual(['What is granite composed of?', 'What is granite made of?', 'What is granite made of?']);
    await page.screenshot({ path: `${SHOTS}/uifix-regenerated.png` });
  });

  it('saves the collection’s settings and deletes it after confirmation', async () => {
    await page.click('#open-settings');
    await page.getByLabel('Description').fill('Trail markers');
    await page.getByLabel('Chunk size (tokens)').fill('120');
    await page.getByLabel('Splitter').selectOption('sentence');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    const saved = (await (await fetch(`${app.server.url}/v1/collections/trails`)).json()) as {
      description: string;
      settings: { chunking: { size: number; splitter: string } };
    };
    expect([saved.description, saved.settings.chunking.size, saved.settings.chunking.splitter]).toEqual([
      'Trail markers',
      120,
      'sentence',
    ]);

    // The collection's own search defaults: saved, and shown again after a reload.
    const form = page.locator('.settings-form');
    await form.getByLabel('Passages').fill('3');
    await form.getByLabel('Search mode').selectOption('bm25');
    await form.getByRole('button', { name: 'Save' }).click();
    const retrieval = async () =>
      ((await (await fetch(`${app.server.url}/v1/collections/trails`)).json()) as { settings: { retrieval?: unknown } }).settings
        .retrieval;
    await expect.poll(retrieval).toEqual({ mode: 'bm25', k: 3 });
    await page.reload();
    await page.click('#open-settings');
    await expect.poll(() => form.getByLabel('Passages').inputValue()).toBe('3');
    expect(await form.getByLabel('Search mode').inputValue()).toBe('bm25');
    await form.locator('.collection-defaults').screenshot({ path: `${SHOTS}/collection-defaults.png` });

    await page.locator('.settings-form').getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.locator('#collection option').allTextContents()).toEqual(['rocks (1)']);
    expect((await fetch(`${app.server.url}/v1/collections/trails`)).status).toBe(404);
  });
});
