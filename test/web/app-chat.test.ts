import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppHarness, dropFile, dropFiles, fixture, minimalPdf, SHOTS, startApp } from './app-helpers.ts';
import { chromiumAvailable } from './chromium.ts';

// A person's path through the chat web app in headless Chromium, over the real runtime without
// models (extractive answers): a collection, three dropped files (one an encrypted PDF), a cited
// answer, its sources in the source panel, feedback, history across a reload, a deletion.
const hasChromium = chromiumAvailable('the chat web app browser test');

const BASALT = ['Basalt columns form when thick lava cools slowly.', 'Giants Causeway has forty thousand columns.'];
// The answer's [1] is a chip showing 1.
const CAIRN_ANSWER = 'Hikers build cairns to mark trails across bare rock and above the tree line. 1';

let app: AppHarness;
let page: Page;

beforeAll(async () => {
  if (!hasChromium) return;
  app = await startApp('cairn-app-');
  page = await app.browser.newPage({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
  page.on('dialog', (dialog) => void dialog.accept());
  page.on('pageerror', (error) => console.error('page error:', error.message));
}, 60_000);

afterAll(async () => {
  await app?.close();
});

async function createCollection(name: string): Promise<void> {
  await page.fill('#new-collection-name', 'Trails!');
  expect(await page.locator('#collection-name-help').textContent()).toBe(
    '1–64 lowercase letters, digits, "-" or "_", starting with a letter or digit',
  );
  expect(await page.locator('#new-collection button[type=submit]').isDisabled()).toBe(true);
  await page.fill('#new-collection-name', name);
  await page.click('#new-collection button[type=submit]');
  await expect.poll(() => page.locator('#collection').inputValue()).toBe(name);
}

async function ask(question: string): Promise<void> {
  await page.fill('#question', question);
  await page.press('#question', 'Enter');
  await page.locator('.turn .verdict').last().waitFor({ timeout: 20_000 });
}

describe.skipIf(!hasChromium)('the chat web app', () => {
  it('creates a collection and ingests three dropped files, showing progress and the encrypted PDF’s reason', async () => {
    await page.goto(`${app.server.url}/`);
    await createCollection('trails');
    await dropFiles(page, [
      dropFile('cairns.txt', 'text/plain', fixture('server/fixtures/cairns.txt')),
      dropFile('basalt.pdf', 'application/pdf', minimalPdf(BASALT)),
      dropFile('locked.pdf', 'application/pdf', fixture('fixtures/docs/pdf-encrypted-aes256.pdf')),
    ]);
    const job = page.locator('.job').first();
    await expect.poll(() => job.locator('.job-status').textContent(), { timeout: 20_000 }).toMatch(/3\/3 documents/);
    expect(await job.locator('.job-label').textContent()).toBe('cairns.txt, basalt.pdf, locked.pdf');
    const failure = await job.locator('.failure').textContent();
    expect(failure).toMatch(/^locked\.pdf — PDF_ENCRYPTED: /);
    await expect.poll(() => page.locator('#documents .doc-title').allTextContents()).toHaveLength(2);
    expect((await page.locator('#documents .doc-title').allTextContents()).sort()).toEqual(['basalt.pdf', 'cairns.txt']);
  });

  it('streams a cited answer, opens the quoted span of a text and of a PDF, and stores feedback', async () => {
    await ask('Why do hikers build cairns?');
    expect((await page.locator('.turn .markdown').last().textContent())?.trim()).toBe(CAIRN_ANSWER);
    expect(await page.locator('.turn .markdown .cite').last().getAttribute('aria-label')).toBe('Source 1');
    expect(await page.locator('.turn .verdict .badge').last().textContent()).toBe('answered');
    await page.locator('.turn .markdown .cite').first().click();
    const mark = page.locator('.source-panel mark#cited-span');
    await expect
      .poll(() => mark.textContent())
      .toBe('Hikers build cairns to mark trails across bare rock and above the tree line.');
    expect(await mark.isVisible()).toBe(true);
    await page.screenshot({ path: `${SHOTS}/webapp-desktop-light.png` });

    await ask('How do basalt columns form?');
    await page.locator('.turn .markdown .cite').last().click();
    await expect.poll(() => mark.textContent()).toBe(BASALT[0]);
    await page.locator('.pdf-page[data-state="found"] canvas').waitFor({ timeout: 15_000 });
    await page.screenshot({ path: `${SHOTS}/webapp-source-pdf.png` });

    const chatId = new URLSearchParams(new URL(page.url()).hash.slice(1)).get('chat');
    const feedback = async () => {
      const chat = (await (await fetch(`${app.server.url}/v1/chats/${chatId}`)).json()) as {
        messages: { feedback?: { rating: string; comment: string | null } | null }[];
      };
      return chat.messages.map((m) => (m.feedback ? [m.feedback.rating, m.feedback.comment] : null));
    };
    // The thumb is stored at once; the comment follows.
    await page.locator('.turn').last().getByRole('button', { name: 'Good answer' }).click();
    await expect.poll(feedback).toEqual([null, null, null, ['up', null]]);
    await page.locator('.turn').last().locator('.feedback input').fill('clear and cited');
    await page.locator('.turn').last().locator('.feedback button').click();
    await page.locator('.turn').last().getByText('Thanks for the feedback').waitFor();
    expect(await feedback()).toEqual([null, null, null, ['up', 'clear and cited']]);
  });

  it('keeps the open chat across a reload, lists it by its first question, re-ingests and deletes a document', async () => {
    await page.reload();
    await expect
      .poll(() => page.locator('.turn .question p').allTextContents())
      .toEqual(['Why do hikers build cairns?', 'How do basalt columns form?']);
    expect(await page.locator('#chat-list .chat-title').allTextContents()).toEqual(['Why do hikers build cairns?']);
    expect(await page.locator('.turn').last().getByRole('button', { name: 'Good answer' }).getAttribute('aria-pressed')).toBe(
      'true',
    );
    // The upload's failure outlives the page: the job comes back with its reason.
    await expect
      .poll(() => page.locator('.job .failure').allTextContents())
      .toEqual([expect.stringMatching(/^locked\.pdf — PDF_ENCRYPTED: /)]);
    expect(await page.locator('.job .job-label').allTextContents()).toEqual(['locked.pdf']);
    await page.locator('#documents li', { hasText: 'cairns.txt' }).getByRole('button', { name: 'Re-ingest' }).click();
    const job = page.locator('.job').first();
    // The job appears once the server has answered the click (slower on a loaded machine).
    await expect.poll(() => job.locator('.job-label').textContent()).toBe('Re-ingest: cairns.txt');
    await expect
      .poll(() => job.locator('.job-status').textContent(), { timeout: 20_000 })
      .toBe('done · 1/1 documents · 0 added, 1 updated, 0 unchanged');
    await page.locator('#documents li', { hasText: 'basalt.pdf' }).getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.locator('#documents .doc-title').allTextContents()).toEqual(['cairns.txt']);
  });

  it('switches to dark mode and keeps a 375 px screen free of horizontal scroll with the documents in a drawer', async () => {
    await page.click('#theme');
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(11, 17, 32)');
    await page.screenshot({ path: `${SHOTS}/webapp-desktop-dark.png` });
    await page.setViewportSize({ width: 375, height: 740 });
    await page.screenshot({ path: `${SHOTS}/webapp-mobile.png` });
    expect(await page.evaluate(() => document.scrollingElement?.scrollWidth)).toBeLessThanOrEqual(375);
    expect(await page.locator('#drawer').isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Menu' }).click();
    await expect
      .poll(() =>
        page
          .locator('#drawer')
          .boundingBox()
          .then((box) => box?.x),
      )
      .toBe(0);
    expect(await page.locator('#documents .doc-title').isVisible()).toBe(true);
    expect(await page.evaluate(() => document.scrollingElement?.scrollWidth)).toBeLessThanOrEqual(375);
    await page.screenshot({ path: `${SHOTS}/webapp-mobile-drawer.png` });
    expect(await page.evaluate(() => document.activeElement?.closest('#drawer') !== null)).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.locator('#drawer').isVisible()).toBe(false);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))).toBe('Menu');
  });
});
