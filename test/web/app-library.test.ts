import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cairn } from '../../sdk/index.ts';
import { type AppHarness, fixture, SHOTS, startApp } from './app-helpers.ts';
import { chromiumAvailable } from './chromium.ts';

// The library's extras in headless Chromium over the real runtime without models: an encrypted
// PDF sent again with its password, the OCR badge, the tables view with direct SQL, renaming a
// chat and a collection.
const hasChromium = chromiumAvailable('the chat web app library browser test');

const CSV = 'city,population,country\nOslo,709000,Norway\nBergen,291000,Norway\nLyon,522000,France\n';
const OCR = {
  mode: 'auto',
  pages: [
    { page: 1, engine: 'paddle', confidence: 0.91 },
    { page: 2, engine: 'paddle', confidence: 0.42 },
  ],
  engines: ['paddle'],
  meanConfidence: 0.665,
  lowConfidencePages: [2],
  warning: 'OCR confidence under 0.6 on page 2: check the text',
};

let app: AppHarness;
let page: Page;
let cairn: Cairn;

beforeAll(async () => {
  if (!hasChromium) return;
  app = await startApp('cairn-app-lib-');
  cairn = new Cairn({ baseUrl: app.server.url });
  await cairn.collections.create({ name: 'library' });
  const scanned = await cairn.documents.add('library', {
    text: 'Cairns mark trails across bare rock.',
    source: 'scan.pdf',
    title: 'Scanned field notes',
    metadata: { ocr: OCR },
  });
  expect((await cairn.jobs.wait(scanned.jobId)).status).toBe('succeeded');
  page = await app.browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  page.on('dialog', (dialog) => void dialog.accept());
  page.on('pageerror', (error) => console.error('page error:', error.message));
}, 60_000);

afterAll(async () => {
  await app?.close();
});

const jobStatus = (label: string) => page.locator('.job', { hasText: label }).first().locator('.job-status').textContent();

describe.skipIf(!hasChromium)('the library of the chat web app', () => {
  it('asks for an encrypted PDF’s password and ingests it with the password', async () => {
    await page.goto(`${app.server.url}/#c=library`);
    await page.setInputFiles('#files', {
      name: 'locked.pdf',
      mimeType: 'application/pdf',
      buffer: fixture('fixtures/docs/pdf-encrypted-libreoffice.pdf'),
    });
    await page.locator('.password-prompt').waitFor({ timeout: 20_000 });
    expect(await page.locator('.job .failure code').first().textContent()).toBe('PDF_ENCRYPTED');
    await page.locator('.password-prompt .pdf-password').fill('wrong');
    await page.locator('.password-prompt').getByRole('button', { name: 'Add with password' }).click();
    // A wrong password fails again with its own prompt, and the right one goes through.
    await expect.poll(() => page.locator('.password-prompt').count(), { timeout: 20_000 }).toBe(1);
    await expect
      .poll(() => page.locator('.job .failure code').allTextContents(), { timeout: 20_000 })
      .toEqual(['PDF_BAD_PASSWORD', 'PDF_ENCRYPTED']);
    await page.screenshot({ path: `${SHOTS}/uifix-password.png` });
    await page.locator('.password-prompt .pdf-password').fill('openpassword');
    await page.locator('.password-prompt').getByRole('button', { name: 'Add with password' }).click();
    await expect.poll(() => page.locator('.password-prompt').count(), { timeout: 20_000 }).toBe(0);
    await expect
      .poll(() => page.locator('.job .job-status').first().textContent(), { timeout: 20_000 })
      .toBe('done · 1/1 documents · 1 added, 0 updated, 0 unchanged');
    const docs = await cairn.documents.list('library');
    const locked = docs.documents.find((d) => d.source.endsWith('/locked.pdf'));
    // Read with the password: its text is there (no embedder in this server, so no vectors).
    const text = await cairn.documents.text('library', locked?.id ?? '');
    expect([locked?.status, text.text.slice(0, 11)]).toEqual(['pending_vectors', 'Lorem ipsum']);
    await expect.poll(() => page.locator('#documents .doc-title').allTextContents()).toContain('locked.pdf');
  });

  it('badges a document read by OCR with its engines, confidence and low-confidence warning', async () => {
    const row = page.locator('#documents .document', { hasText: 'Scanned field notes' });
    expect(await row.locator('.ocr summary').textContent()).toBe('OCR ⚠');
    expect(await row.locator('.ocr summary').getAttribute('title')).toBe('Text read by OCR (paddle), mean confidence 67%');
    await row.locator('.ocr summary').click();
    expect(await row.locator('.ocr .failure').textContent()).toBe('OCR confidence under 0.6 on page 2: check the text');
    await row.screenshot({ path: `${SHOTS}/uifix-ocr-badge.png` });
    expect(await page.locator('#documents .document', { hasText: 'locked.pdf' }).locator('.ocr').count()).toBe(0);
  });

  it('lists a CSV’s table and runs SQL over it, showing the rows or the refusal', async () => {
    await page.setInputFiles('#files', { name: 'cities.csv', mimeType: 'text/csv', buffer: Buffer.from(CSV) });
    await expect.poll(() => jobStatus('cities.csv'), { timeout: 20_000 }).toContain('done');
    await page.click('#open-tables');
    await page.locator('#table-list .table-info').first().waitFor();
    const tables = await cairn.tables.list('library');
    expect(tables.map((t) => t.columns.map((c) => c.name))).toEqual([['city', 'population', 'country']]);
    const name = tables[0]?.name ?? '';
    expect(await page.locator('#table-list .table-name').allTextContents()).toEqual([name]);
    await page.fill('#sql', `SELECT city, population FROM "${name}" WHERE country = 'Norway' ORDER BY population DESC`);
    await page.click('#run-sql');
    await page.locator('table.result').waitFor();
    expect(await page.locator('table.result th').allTextContents()).toEqual(['city', 'population']);
    expect(await page.locator('table.result tbody tr').evaluateAll((rows) => rows.map((r) => r.textContent))).toEqual([
      'Oslo709000',
      'Bergen291000',
    ]);
    await page.screenshot({ path: `${SHOTS}/uifix-tables.png` });
    await page.setViewportSize({ width: 375, height: 740 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth)).toBe(true);
    await page.screenshot({ path: `${SHOTS}/uifix-tables-mobile.png` });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.fill('#sql', `DELETE FROM "${name}"`);
    await page.click('#run-sql');
    await expect.poll(() => page.locator('#sql-error').textContent()).toMatch(/^SQL_REFUSED: /);
    expect(await page.locator('table.result').count()).toBe(0);
    await page.getByRole('button', { name: 'Back to chat' }).click();
  });

  it('renames a chat and the collection’s display title', async () => {
    await page.fill('#question', 'What marks trails?');
    await page.press('#question', 'Enter');
    await page.locator('.turn .verdict').waitFor({ timeout: 20_000 });
    await expect.poll(() => page.locator('#chat-list .chat-title').allTextContents()).toEqual(['What marks trails?']);
    await page.getByRole('button', { name: 'Rename chat: What marks trails?' }).click();
    await page.getByLabel('Rename chat', { exact: true }).fill('Trail markers');
    await page.getByLabel('Rename chat', { exact: true }).press('Enter');
    await expect.poll(() => page.locator('#chat-list .chat-title').allTextContents()).toEqual(['Trail markers']);
    const chats = await cairn.chats.list({ collection: 'library' });
    expect(chats.map((c) => c.title)).toEqual(['Trail markers']);
    await page.screenshot({ path: `${SHOTS}/uifix-rename-chat.png` });

    await page.click('#open-settings');
    await page.getByLabel('Display title (none = library)').fill('Field library');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved', { exact: true }).waitFor();
    expect((await cairn.collections.get('library')).title).toBe('Field library');
    await expect.poll(() => page.locator('#collection option').first().textContent()).toBe('Field library (3)');
    await page.locator('.topbar').screenshot({ path: `${SHOTS}/uifix-rename-collection.png` });
    await page.locator('.settings-form').screenshot({ path: `${SHOTS}/uifix-collection-title.png` });
  });
});
