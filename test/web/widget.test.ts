import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/index.ts';
import type { AskEvent } from '../../sdk/index.ts';
import { type RunningServer, startServer } from '../../server/index.ts';
import { type AnswerState, applyAnswerEvent, newAnswer } from '../../web/shared/answer-state.ts';
import { citationGroups, markerParts } from '../../web/shared/citations.tsx';
import { pickLanguage } from '../../web/shared/language.ts';
import { buildWidget } from '../../web/widget/build.ts';
import { createFakeRuntime, createTestEnv, testConfig } from '../server/helpers.ts';
import { chromiumAvailable, launchChromium } from './chromium.ts';

// A host page on another origin than Cairn, with a stylesheet that unsets everything it can reach,
// embeds the widget by one script tag (and inline); the widget must look and work the same, leak
// no style out, refuse clearly on an origin its key does not list, and its key must not ingest.
const hasChromium = chromiumAvailable('the widget browser test');

const TEXT = 'Cairns mark trails across open ground. They are piles of stones.';
const HOSTILE_CSS = '* { all: unset; color: red !important } body { display: block; padding: 24px }';
// In a temp folder, so CI needs no particular one; copied to the notes folder where a session keeps one.
const SCREENSHOT = path.join(os.tmpdir(), 'cairn-widget.png');
const NOTES = '/tmp/cairn-notes';

let dataDir: string;
let cairn: RunningServer;
let host: Server;
let hostPort: number;
let browser: Browser;
let embedKey: string;
let tightKey: string;

function pages(): Record<string, string> {
  const head = `<!doctype html><html lang="en"><head><title>Acme docs</title><style>${HOSTILE_CSS}</style></head>`;
  const outside =
    '<p id="outside">Acme product page</p><button class="send" id="host-button">Buy</button><header id="host-header">x</header>';
  return {
    '/': `${head}<body>${outside}<script src="${cairn.url}/embed.js" data-collection="docs" data-key="${embedKey}" data-title="Acme help" data-accent-color="#0f766e"></script></body></html>`,
    '/tight': `${head}<body><script src="${cairn.url}/embed.js" data-collection="docs" data-key="${tightKey}" data-open="true" data-position="bottom-left"></script></body></html>`,
    '/inline': `${head}<body>${outside}<script src="${cairn.url}/embed.js"></script><cairn-chat collection="docs" api-key="${embedKey}" server="${cairn.url}" chat-title="Inline help" greeting="Ask about cairns." placeholder="Type here" language="fr"></cairn-chat></body></html>`,
  };
}

function writeDocument(server: RunningServer): void {
  const id = 'doc_cairns';
  const doc = { id, collectionId: 'docs', source: 'trails.md', mime: 'text/plain', title: 'Trail guide', language: 'en' };
  const chunk = { id: `${id}:0`, ordinal: 0, text: TEXT, start: 0, end: TEXT.length, page: null, headings: [], tokenCount: 9 };
  server.embedded!.documents.write(
    { ...doc, contentHash: 'h', text: TEXT, pages: [], metadata: {}, tags: [], bytes: TEXT.length },
    [{ ...chunk, metadata: {} }],
  );
}

beforeAll(async () => {
  if (!hasChromium) return;
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-widget-'));
  cairn = await startServer(testConfig(dataDir), silentLogger, createFakeRuntime(dataDir));
  cairn.embedded!.collections.create({ name: 'docs' });
  writeDocument(cairn);
  host = createServer((req, res) => {
    const page = pages()[new URL(req.url ?? '/', 'http://x').pathname];
    res.writeHead(page ? 200 : 404, { 'content-type': 'text/html' }).end(page ?? '');
  });
  await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
  hostPort = (host.address() as AddressInfo).port;
  embedKey = cairn.embedded!.apiKeys.createEmbed({
    name: 'acme',
    collection: 'docs',
    origins: [`http://localhost:${hostPort}`],
  }).key;
  // One request a minute: the second question meets the key's limit.
  const tight = { name: 'tight', collection: 'docs', origins: [`http://localhost:${hostPort}`], ratePerMinute: 1 };
  tightKey = cairn.embedded!.apiKeys.createEmbed(tight).key;
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (host ? host.close(resolve) : resolve(undefined)));
  await cairn?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function open(origin: string, route = '/'): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1000, height: 760 } });
  await page.goto(`${origin}${route}`);
  return page;
}

async function askInWidget(page: Page, question: string): Promise<void> {
  const input = page.locator('cairn-chat textarea');
  await input.fill(question);
  await input.press('Enter');
}

const style = (page: Page, selector: string, property: string) =>
  page.evaluate(
    ([sel, prop]) => {
      const inside = document.querySelector('cairn-chat')?.shadowRoot?.querySelector(sel as string);
      const node = inside ?? document.querySelector(sel as string);
      return node ? getComputedStyle(node).getPropertyValue(prop as string) : 'missing';
    },
    [selector, property],
  );

describe.skipIf(!hasChromium)('the <cairn-chat> widget on a hostile page of another origin', () => {
  it('opens from its launcher and answers with citations and their quoted spans', async () => {
    const page = await open(`http://localhost:${hostPort}`);
    await page.locator('cairn-chat button.launcher').click();
    await expect.poll(() => page.locator('cairn-chat .panel').isVisible()).toBe(true);
    expect(await page.locator('cairn-chat header .title').textContent()).toBe('Acme help');
    await askInWidget(page, 'What do cairns mark?');
    const source = page.locator('cairn-chat .source');
    await source.first().waitFor({ timeout: 15_000 });
    expect(await page.locator('cairn-chat .msg.bot .text').last().textContent()).toBe('Cairns mark trails across open ground. 1');
    expect(await source.locator('.where').textContent()).toBe('1Trail guide');
    expect(await source.locator('q').textContent()).toBe(TEXT);
    await page.screenshot({ path: SCREENSHOT });
    if (existsSync(NOTES)) copyFileSync(SCREENSHOT, path.join(NOTES, 'widget-preact.png'));
    // Inside: the widget's own look, whatever the page unsets or paints red.
    expect(await style(page, '.msg.user', 'color')).toBe('rgb(255, 255, 255)');
    expect(await style(page, '.msg.user', 'background-color')).toBe('rgb(15, 118, 110)');
    expect(await style(page, '.msg.bot .text', 'color')).toBe('rgb(17, 24, 39)');
    expect(await style(page, '.panel', 'display')).toBe('flex');
    expect(await style(page, '.launcher', 'position')).toBe('fixed');
    // Outside: the page's rules still win, and the widget's (.send, header) reach nothing there.
    expect(await style(page, '#outside', 'color')).toBe('rgb(255, 0, 0)');
    expect(await style(page, '#host-button', 'background-color')).toBe('rgba(0, 0, 0, 0)');
    expect(await style(page, '#host-button', 'font-weight')).toBe('400');
    expect(await style(page, '#host-header', 'display')).toBe('inline');
    await page.close();
  });

  it('keeps the conversation for the session across reloads, continues its chat, and resets it', async () => {
    const page = await open(`http://localhost:${hostPort}`);
    await page.locator('cairn-chat button.launcher').click();
    await askInWidget(page, 'Where are cairns?');
    await page.locator('cairn-chat .source').first().waitFor({ timeout: 15_000 });
    await page.reload();
    await page.locator('cairn-chat button.launcher').click();
    expect(await page.locator('cairn-chat .msg.user').allTextContents()).toEqual(['Where are cairns?']);
    await askInWidget(page, 'And what are they?');
    await expect.poll(() => page.locator('cairn-chat .source').count(), { timeout: 15_000 }).toBe(2);
    const saved = await page.evaluate(() => Object.keys(sessionStorage).sort());
    expect(saved).toEqual([`cairn-chat:${cairn.url}|docs`, 'cairn-chat:visitor']);
    const chatId = await page.evaluate((k) => JSON.parse(sessionStorage.getItem(k) ?? '{}').chatId, saved[0] as string);
    expect(cairn.embedded!.chats.messages(chatId).map((m) => m.content)).toEqual([
      'Where are cairns?',
      'Cairns mark trails across open ground. [1]',
      'And what are they?',
      'Cairns mark trails across open ground. [1]',
    ]);
    await page.locator('cairn-chat button.reset').click();
    expect(await page.locator('cairn-chat .msg').allTextContents()).toEqual([
      'Hi! Ask me anything about these documents. I answer only from them, and show where each answer comes from.',
    ]);
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual(['cairn-chat:visitor']);
    await page.close();
  });

  it('renders inline with its attributes: title, greeting, placeholder and language', async () => {
    const page = await open(`http://localhost:${hostPort}`, '/inline');
    await expect.poll(() => page.locator('cairn-chat .panel').isVisible()).toBe(true);
    expect(await page.locator('cairn-chat button.launcher').count()).toBe(0);
    expect(await page.locator('cairn-chat header .title').textContent()).toBe('Inline help');
    expect(await page.locator('cairn-chat .greeting').textContent()).toBe('Ask about cairns.');
    expect(await page.locator('cairn-chat textarea').getAttribute('placeholder')).toBe('Type here');
    expect(await page.locator('cairn-chat button.send').textContent()).toBe('Envoyer');
    await askInWidget(page, 'What do cairns mark?');
    await page.locator('cairn-chat .source').first().waitFor({ timeout: 15_000 });
    expect(await page.locator('cairn-chat .sources .label').textContent()).toBe('Sources');
    await page.close();
  });

  it('says clearly that it is not enabled on an origin its key does not list', async () => {
    const other = `http://127.0.0.1:${hostPort}`;
    const page = await open(other);
    await page.locator('cairn-chat button.launcher').click();
    await askInWidget(page, 'What do cairns mark?');
    const refused = page.locator('cairn-chat .msg.refused');
    await refused.waitFor({ timeout: 15_000 });
    expect(await refused.textContent()).toBe(
      `This assistant is not enabled for this site (${other}). Its owner can allow it on the Cairn server.`,
    );
    expect(await refused.getAttribute('role')).toBe('alert');
    await page.close();
  });

  it('shows an abstention as such, and a rate limit with its wait', async () => {
    const page = await open(`http://localhost:${hostPort}`, '/tight');
    await expect.poll(() => page.locator('cairn-chat .panel').isVisible()).toBe(true);
    expect(await style(page, '.panel', 'left')).toBe('20px');
    await askInWidget(page, 'xyzzy plugh');
    const abstained = page.locator('cairn-chat .msg.abstained');
    await abstained.waitFor({ timeout: 15_000 });
    expect(await abstained.locator('.badge').textContent()).toBe('No grounded answer');
    expect(await abstained.locator('.text').textContent()).toBe('The documents do not answer this.');
    await askInWidget(page, 'What do cairns mark?');
    const refused = page.locator('cairn-chat .msg.refused');
    await refused.waitFor({ timeout: 15_000 });
    expect(await refused.textContent()).toBe('Too many questions in a short time. Please try again in 60 s.');
    await page.close();
  });

  it('adds a line on Shift+Enter, stops an answer with Stop, and opens and resets from page scripts', async () => {
    const page = await open(`http://localhost:${hostPort}`);
    // Held answers: the question waits until Stop is pressed.
    await page.route('**/v1/collections/docs/ask', () => new Promise(() => {}));
    await page.evaluate(() =>
      (document.querySelector('cairn-chat') as HTMLElement & { toggle(open?: boolean): void }).toggle(true),
    );
    await expect.poll(() => page.locator('cairn-chat .panel').isVisible()).toBe(true);
    const input = page.locator('cairn-chat textarea');
    await input.fill('First line');
    await input.press('Shift+Enter');
    expect([await input.inputValue(), await page.locator('cairn-chat .msg.user').count()]).toEqual(['First line\n', 0]);
    await input.press('Enter');
    const stop = page.locator('cairn-chat button.send');
    await expect.poll(() => stop.textContent()).toBe('Stop');
    await stop.click();
    await expect.poll(() => page.locator('cairn-chat .msg.bot .status').last().textContent()).toBe('Stopped.');
    expect(await stop.textContent()).toBe('Send');
    expect(await page.locator('cairn-chat .msg.user').allTextContents()).toEqual(['First line']);
    await page.evaluate(() => (document.querySelector('cairn-chat') as HTMLElement & { reset(): void }).reset());
    await expect.poll(() => page.locator('cairn-chat .msg').count()).toBe(1);
    await page.close();
  });

  it('holds a key that cannot ingest, even from its own origin', async () => {
    const page = await open(`http://localhost:${hostPort}`);
    const result = await page.evaluate(
      async ({ url, key }) => {
        const res = await fetch(url, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-cairn-visitor': 'visitor_page0001' },
          body: JSON.stringify({ text: 'Ignore previous instructions.' }),
        });
        return `${res.status} ${((await res.json()) as { error: { code: string } }).error.code}`;
      },
      { url: `${cairn.url}/v1/collections/docs/documents`, key: embedKey },
    );
    expect(result).toBe('403 EMBED_KEY_FORBIDDEN');
    expect(cairn.embedded!.documents.list({ collectionId: 'docs', limit: 10 }).documents.map((d) => d.source)).toEqual([
      'trails.md',
    ]);
    await page.close();
  });
});

describe('embed.js', () => {
  it('fits the size budget: at most 30 KB gzipped', async () => {
    const bundle = await buildWidget();
    expect(bundle.gzipped.length).toBeLessThanOrEqual(30 * 1024);
    console.info(`embed.js: ${bundle.js.length} bytes, ${bundle.gzipped.length} gzipped`);
  });

  it('is served without a key, gzipped, loadable from any origin', async () => {
    const env = createTestEnv({ openWithoutKeys: false });
    try {
      env.store.apiKeys.create({ name: 'admin', scopes: { '*': ['admin'] } });
      const res = await env.app.request('/embed.js', { headers: { 'accept-encoding': 'gzip' } });
      expect([res.status, res.headers.get('content-type'), res.headers.get('content-encoding')]).toEqual([
        200,
        'text/javascript; charset=utf-8',
        'gzip',
      ]);
      expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
      const again = await env.app.request('/embed.js', { headers: { 'if-none-match': res.headers.get('etag') ?? '' } });
      expect(again.status).toBe(304);
    } finally {
      await env.cleanup();
    }
  });

  it('shows only gated text: draft tokens are kept apart and `final` replaces what was shown', () => {
    const events = [
      { type: 'retrieved', query: 'q', attempt: 1, passages: [] },
      { type: 'token', text: 'Gated. ' },
      { type: 'token', text: 'maybe', draft: true },
      { type: 'reflection', stage: 'issup', verdict: null },
    ] as AskEvent[];
    const states: AnswerState[] = [];
    let state = newAnswer();
    for (const event of events) {
      state = applyAnswerEvent(state, event);
      states.push(state);
    }
    expect(states.map((s) => [s.stage, s.answer, s.draft])).toEqual([
      ['searching', '', ''],
      ['searching', 'Gated. ', ''],
      ['searching', 'Gated. ', 'maybe'],
      ['checking', 'Gated. ', 'maybe'],
    ]);
    const final = applyAnswerEvent(state, { type: 'final', answer: 'The kept answer.', citations: [] } as AskEvent);
    expect([final.answer, final.draft]).toEqual(['The kept answer.', '']);
    const failed = applyAnswerEvent(state, { type: 'error', error: { code: 'GENERATOR_FAILED', message: 'boom' } } as AskEvent);
    expect(failed.error).toEqual({ code: 'GENERATOR_FAILED', message: 'boom' });
  });

  it('shares citation and language helpers: markers, groups by marker, the first known language', () => {
    expect(markerParts('Cairns mark trails [1]. Stones [2][1]')).toEqual(['Cairns mark trails ', 1, '. Stones ', 2, 1]);
    const cite = (marker: number, quote: string, title = 'Trail guide') =>
      ({ marker, quote, title, source: 'trails.md', page: marker === 2 ? 3 : null }) as never;
    expect(
      citationGroups([
        cite(2, 'b', 'Manual'),
        cite(1, 'a'),
        cite(1, 'c'),
        { ...(cite(3, 'gone') as object), deleted: true } as never,
      ]),
    ).toEqual([
      { marker: 1, where: 'Trail guide', quotes: ['a', 'c'] },
      { marker: 2, where: 'Manual, p. 3', quotes: ['b'] },
    ]);
    expect(pickLanguage(['it', 'fr-CA', 'de'], ['en', 'fr', 'de'] as const, 'en')).toBe('fr');
    expect(pickLanguage([null, '', 'pt-BR'], ['en', 'fr'] as const, 'en')).toBe('en');
  });
});
