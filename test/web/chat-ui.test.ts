import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppHarness, SHOTS, startApp } from './app-helpers.ts';
import { chromiumAvailable } from './chromium.ts';

// The chat web app on a server that needs a key, in a Chinese browser: the key prompt, Chinese
// strings and the switch to English, the collection name check, a duplicate upload reported as
// unchanged, the status page and API keys. Needs Debian's chromium; with CI set it must run.
const hasChromium = chromiumAvailable('the chat UI browser test');

let app: AppHarness;
let page: Page;
let adminKey: string;

beforeAll(async () => {
  if (!hasChromium) return;
  app = await startApp('cairn-ui-');
  adminKey = app.server.embedded!.apiKeys.create({ name: 'admin', scopes: { '*': ['admin'] } }).key;
  page = await app.browser.newPage({ viewport: { width: 1100, height: 800 }, locale: 'zh-CN' });
  page.on('pageerror', (error) => console.error('page error:', error.message));
}, 60_000);

afterAll(async () => {
  await app?.close();
});

async function upload(text: string): Promise<void> {
  await page.setInputFiles('#files', { name: 'note.txt', mimeType: 'text/plain', buffer: Buffer.from(text) });
}

describe.skipIf(!hasChromium)('the chat web app with a key, in Chinese', () => {
  it('asks for the key, speaks Chinese, checks collection names and reports a duplicate upload as unchanged', async () => {
    await page.goto(`${app.server.url}/`);
    expect(await page.locator('#key-title').textContent()).toBe('此服务器需要 API 密钥');
    await page.fill('#api-key', adminKey);
    await page.press('#api-key', 'Enter');
    await page.locator('#new-collection-name').waitFor();
    expect(await page.evaluate(() => localStorage.getItem('cairn-key'))).toBe(adminKey);
    expect(await page.locator('#new-collection-name').getAttribute('placeholder')).toBe('新建知识库');
    await page.fill('#new-collection-name', '-notes');
    expect(await page.locator('#collection-name-help').textContent()).toBe('1–64 个小写字母、数字、“-”或“_”，以字母或数字开头');
    await page.fill('#new-collection-name', 'notes');
    await page.press('#new-collection-name', 'Enter');
    await expect.poll(() => page.locator('#collection').inputValue()).toBe('notes');

    await upload('Cairns mark trails.');
    await expect
      .poll(() => page.locator('.job .job-status').first().textContent(), { timeout: 20_000 })
      .toBe('完成 · 1/1 个文档 · 新增 1，更新 0，未变 0');
    await upload('Cairns mark trails.');
    await expect
      .poll(() => page.locator('.job .job-status').first().textContent(), { timeout: 20_000 })
      .toBe('完成 · 1/1 个文档 · 新增 0，更新 0，未变 1');
    expect(await page.locator('#send').textContent()).toBe('发送');

    await page.selectOption('#language', 'en');
    expect(await page.locator('#send').textContent()).toBe('Send');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('en');
  });

  it('adds a pasted text, then finds and sorts documents', async () => {
    await page.getByRole('button', { name: 'Paste text' }).click();
    await page.getByLabel('Title').fill('Basalt notes');
    await page.getByLabel('Text', { exact: true }).fill('Basalt is a fine-grained volcanic rock.');
    await page.locator('.stack-form button[type=submit]').click();
    const titles = () => page.locator('#documents .doc-title').allTextContents();
    await expect.poll(titles, { timeout: 20_000 }).toHaveLength(2);
    await page.getByLabel('Sort by').selectOption('title');
    expect(await titles()).toEqual(['Basalt notes', 'note.txt']);
    await page.getByLabel('Search documents').fill('NOTE.');
    expect(await titles()).toEqual(['note.txt']);
    await page.getByLabel('Search documents').fill('');
  });

  it('keeps a new line on Shift+Enter and sends on Enter', async () => {
    await page.fill('#question', 'What marks');
    await page.press('#question', 'Shift+Enter');
    await page.type('#question', 'trails?');
    expect(await page.locator('#question').inputValue()).toBe('What marks\ntrails?');
    await page.press('#question', 'Enter');
    await page.locator('.turn .verdict').waitFor({ timeout: 20_000 });
    expect(await page.locator('.turn .question p').textContent()).toBe('What marks\ntrails?');
    expect(await page.locator('#question').inputValue()).toBe('');
  });

  it('shows the server’s health and creates and revokes an API key', async () => {
    await page.click('#open-settings');
    const health = (await (await fetch(`${app.server.url}/health`)).json()) as { components: Record<string, unknown> };
    await page.locator('table.health').waitFor();
    expect(await page.locator('table.health th').allTextContents()).toEqual(Object.keys(health.components));

    await page.getByLabel('Name', { exact: true }).fill('reader');
    await page.getByLabel('Scopes').fill('notes:read');
    await page.locator('.settings-page form.inline-form button[type=submit]').click();
    const secret = ((await page.locator('.secret').textContent()) ?? '').replace('New key (shown once): ', '');
    const reader = await fetch(`${app.server.url}/v1/collections/notes/documents`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(reader.status).toBe(200);
    await page.locator('.keys li', { hasText: 'reader' }).getByRole('button', { name: 'Revoke' }).click();
    await page.locator('.keys li.revoked', { hasText: 'reader' }).waitFor();
    expect(await page.locator('.keys li', { hasText: 'reader' }).locator('.muted').allTextContents()).toEqual([
      'notes:read',
      'revoked',
    ]);
    const revoked = await fetch(`${app.server.url}/v1/collections/notes/documents`, {
      headers: { authorization: `Bearer ${secret}` },
    });
    expect(revoked.status).toBe(401);
    await page.screenshot({ path: `${SHOTS}/webapp-settings.png`, fullPage: true });
  });
});
