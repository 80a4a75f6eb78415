import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cairn } from '../../sdk/index.ts';
import { createFakeRuntime } from '../server/helpers.ts';
import { type AppHarness, startApp } from './app-helpers.ts';
import { chromiumAvailable } from './chromium.ts';

// Timing in the chat web app over a slow fake runtime: an answer appears token by token, Escape
// stops it (the server sees the abort), and a running ingest job is cancelled from its row.
const hasChromium = chromiumAvailable('the chat web app streaming browser test');

const TEXT = 'Cairns mark trails across open ground and bare rock. They are piles of stones.';
const EVIL = '<img src=x onerror="window.xss=1"><script>window.xss=2</script>**Bold** claim about stones.';

let app: AppHarness;
let page: Page;
let aborted = 0;

beforeAll(async () => {
  if (!hasChromium) return;
  const fakes = { tokenDelayMs: 120, ingestDelayMs: 400, onAnswerAborted: () => aborted++ };
  app = await startApp('cairn-app-stream-', { fake: (dataDir) => createFakeRuntime(dataDir, fakes) });
  const cairn = new Cairn({ baseUrl: app.server.url });
  await cairn.collections.create({ name: 'docs' });
  await cairn.jobs.wait((await cairn.documents.add('docs', { text: TEXT, source: 'cairns.md' })).jobId);
  page = await app.browser.newPage({ viewport: { width: 1100, height: 800 }, locale: 'en-US' });
  page.on('pageerror', (error) => console.error('page error:', error.message));
  await page.goto(`${app.server.url}/#c=docs`);
}, 60_000);

afterAll(async () => {
  await app?.close();
});

const answerText = () => page.locator('.turn .markdown').last().textContent();

describe.skipIf(!hasChromium)('streaming in the chat web app', () => {
  it('shows the answer growing token by token, then its citation chip', async () => {
    await page.fill('#question', 'What do cairns mark?');
    await page.press('#question', 'Enter');
    await expect.poll(answerText, { timeout: 5_000, interval: 20 }).toMatch(/^Cairns mark /);
    expect(await page.locator('.turn').last().getAttribute('aria-busy')).toBe('true');
    expect(await page.locator('.composer .stop').textContent()).toBe('Stop');
    await page.locator('.turn .verdict').waitFor({ timeout: 10_000 });
    expect((await answerText())?.trim()).toBe('Cairns mark trails across open ground and bare rock. 1');
  });

  it('stops the answer on Escape', async () => {
    await page.fill('#question', 'What are cairns?');
    await page.press('#question', 'Enter');
    await expect
      .poll(async () => (await page.locator('.turn .markdown').count()) === 2 && (await answerText()) !== '', {
        timeout: 5_000,
        interval: 20,
      })
      .toBe(true);
    await page.keyboard.press('Escape');
    await page.locator('.turn').last().getByText('Stopped').waitFor();
    await expect.poll(() => aborted).toBe(1);
    expect(await page.locator('#send').textContent()).toBe('Send');
  });

  it('stops a streaming answer when another chat is opened, and stays on that chat', async () => {
    await page.fill('#question', 'Where are cairns?');
    await page.press('#question', 'Enter');
    await expect
      .poll(async () => (await page.locator('.turn .markdown').count()) === 3 && (await answerText()) !== '', {
        timeout: 5_000,
        interval: 20,
      })
      .toBe(true);
    await page.getByRole('button', { name: 'New chat' }).click();
    await expect.poll(() => aborted).toBe(2);
    await page.waitForTimeout(300);
    expect([await page.locator('.turn').count(), new URL(page.url()).hash]).toEqual([0, '#c=docs']);
  });

  it('cancels a running ingest job from its row', async () => {
    const files = ['a', 'b', 'c', 'd', 'e', 'f'].map((n) => ({
      name: `${n}.txt`,
      mimeType: 'text/plain',
      buffer: Buffer.from(`File ${n}.`),
    }));
    await page.setInputFiles('#files', files);
    const job = page.locator('.job').first();
    await expect.poll(() => job.locator('.job-status').textContent(), { timeout: 5_000 }).toMatch(/^running · /);
    await job.getByRole('button', { name: 'Cancel' }).click();
    await expect
      .poll(() => job.locator('.job-status').textContent(), { timeout: 10_000 })
      .toMatch(/^cancelled · \d\/6 documents/);
  });

  it('renders Markdown but never a document’s HTML, in the answer or in the source panel', async () => {
    const cairn = new Cairn({ baseUrl: app.server.url });
    await cairn.collections.create({ name: 'evil' });
    await cairn.jobs.wait((await cairn.documents.add('evil', { text: EVIL, source: 'evil.md' })).jobId);
    await page.goto(`${app.server.url}/#c=evil`);
    await page.reload();
    await page.fill('#question', 'What is the bold claim?');
    await page.press('#question', 'Enter');
    await page.locator('.turn .verdict').waitFor({ timeout: 10_000 });
    expect(await page.locator('.turn .markdown strong').textContent()).toBe('Bold');
    expect(await page.locator('.turn .markdown img, .turn .markdown script').count()).toBe(0);
    await page.locator('.turn .markdown .cite').click();
    await page.locator('.source-panel mark').waitFor();
    expect(await page.locator('.source-panel .source-text').textContent()).toBe(EVIL);
    expect(await page.locator('.source-panel img, .source-panel script').count()).toBe(0);
    expect(await page.evaluate(() => (window as { xss?: number }).xss)).toBe(undefined);
  });
});
