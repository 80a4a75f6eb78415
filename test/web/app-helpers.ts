import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, Page } from 'playwright-core';
import { type ConfigInput, silentLogger } from '../../core/index.ts';
import { createRuntime, type RunningServer, type Runtime, startServer } from '../../server/index.ts';
import { buildWebApp, WEB_DIST } from '../../web/build.ts';
import { testConfig } from '../server/helpers.ts';
import { launchChromium } from './chromium.ts';

/** Screenshots of each test run, for a person to look at; outside the repository. */
export const SHOTS = path.join(os.tmpdir(), 'cairn-shots');

const ROOT = path.join(import.meta.dirname, '..', '..');
const SOURCES = ['web/src', 'web/index.html', 'web/vite.config.ts', 'sdk'];

/** A digest of what the app is built from, so a test run builds only when a source changed. */
function sourceDigest(): string {
  const hash = createHash('sha256');
  const add = (file: string) => {
    const full = path.join(ROOT, file);
    if (!statSync(full).isDirectory()) {
      hash.update(file).update(readFileSync(full));
      return;
    }
    for (const name of readdirSync(full).sort()) add(path.join(file, name));
  };
  for (const source of SOURCES) add(source);
  return hash.digest('hex');
}

const LOCK = path.join(os.tmpdir(), `cairn-web-build-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`);

/** Takes the build lock, clearing one left by a test process that died while building. */
function takeLock(): boolean {
  try {
    if (Date.now() - statSync(LOCK).mtimeMs > 120_000) rmSync(LOCK, { recursive: true, force: true });
  } catch {
    // no lock
  }
  try {
    mkdirSync(LOCK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The app built from the current sources, once for all test files: they run in parallel, and a
 * build empties web/dist, so one builds under a lock while the others wait for its digest.
 */
export async function freshWebApp(): Promise<void> {
  const digest = sourceDigest();
  const stamp = path.join(WEB_DIST, '.source-digest');
  for (let waited = 0; waited < 120_000; waited += 100) {
    if (existsSync(stamp) && readFileSync(stamp, 'utf8') === digest) return;
    if (!takeLock()) {
      await sleep(100);
      continue;
    }
    try {
      await buildWebApp();
      writeFileSync(stamp, digest);
    } finally {
      rmSync(LOCK, { recursive: true, force: true });
    }
    return;
  }
  throw new Error(`the web app build holding ${LOCK} did not finish`);
}

/**
 * A one-page PDF with these lines of text, written by hand (objects, xref offsets, trailer), so a
 * test knows the exact sentences pdf.js and pdf-parse will read.
 */
export function minimalPdf(lines: string[]): Buffer {
  const text = lines.map((line, i) => `BT /F1 14 Tf 60 ${760 - i * 24} Td (${line.replace(/[()\\]/g, '\\$&')}) Tj ET`).join('\n');
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${Buffer.byteLength(text)} >>\nstream\n${text}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>',
  ];
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(out));
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(out);
  out += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  out += offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

export interface DropFile {
  name: string;
  type: string;
  data: string;
}

export function dropFile(name: string, type: string, bytes: Buffer): DropFile {
  return { name, type, data: bytes.toString('base64') };
}

export function fixture(file: string): Buffer {
  return readFileSync(path.join(import.meta.dirname, '..', file));
}

/** Drops files on the documents drop zone as a person's drag would: a drop event carrying a DataTransfer. */
export async function dropFiles(page: Page, files: DropFile[]): Promise<void> {
  await page.evaluate((list) => {
    const transfer = new DataTransfer();
    for (const f of list) {
      const bytes = Uint8Array.from(atob(f.data), (c) => c.charCodeAt(0));
      transfer.items.add(new File([bytes], f.name, { type: f.type }));
    }
    const zone = document.querySelector('#dropzone');
    zone?.dispatchEvent(new DragEvent('dragover', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    zone?.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
  }, files);
}

export interface AppHarness {
  server: RunningServer;
  browser: Browser;
  close(): Promise<void>;
}

export interface StartAppOptions {
  /** A runtime made by the test instead of the real one. */
  fake?: (dataDir: string) => Runtime;
  /** Config over the default (offline, no models), made once the data folder exists. */
  config?: (dataDir: string) => ConfigInput;
}

/**
 * A real server (by default without models: extractive answers), or over the runtime `fake` makes,
 * the freshly built app, and Chromium.
 */
export async function startApp(prefix: string, options: StartAppOptions = {}): Promise<AppHarness> {
  await freshWebApp();
  const dataDir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const config = testConfig(
    dataDir,
    options.config?.(dataDir) ?? { offline: true, models: { embedder: null, reranker: null, generator: null } },
  );
  const runtime = options.fake ? options.fake(dataDir) : await createRuntime(config, silentLogger);
  const server = await startServer(config, silentLogger, runtime);
  const browser = await launchChromium();
  return {
    server,
    browser,
    async close() {
      await browser.close();
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
