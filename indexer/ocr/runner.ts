import { Worker } from 'node:worker_threads';
import { CairnError } from '../../core/index.ts';
import type { PageReading } from './page-ocr.ts';
import type { RegionReading } from './regions.ts';
import type { OcrReply, OcrRequest } from './worker.ts';

/** Engines the worker may run, in the order it tries them. */
export const OCR_ENGINES = ['tesseract.js@7.0.0/eng', 'paddleocr-ppocrv4@ocr-node-1.4.8'] as const;

/** Cancel, progress and the time limit of a page loop (PDF pages, or the pages of a TIFF). */
export interface PageLoopOptions {
  maxPixels: number;
  signal?: AbortSignal;
  /** Called after each page with pages done and pages to do. */
  onPage?: (done: number, total: number) => void;
  /** A page OCR takes longer on is skipped (listed in timedOut) and the worker restarted; default 120 s. */
  pageTimeoutMs?: number;
}

export interface PdfOcrOptions extends PageLoopOptions {
  password?: string;
  scale: number;
  /** Skip pages that paint no image (auto mode: a short text page is not a scan). */
  onlyWithImage: boolean;
  /** Text pages whose images covering at least minShare of the page are OCR'd too (after the pages, without progress). */
  regions?: { pages: number[]; minShare: number; maxTextChars: number };
}

/** What a page loop read: each page's reading (a page skipped for painting no image has none), and the pages over the time limit. */
export interface OcrPages {
  readings: Map<number, PageReading>;
  timedOut: number[];
  /** What was read in the large images of text pages (PDFs asked for regions; a page with none is absent). */
  regions?: Map<number, RegionReading[]>;
}

const DEFAULT_PAGE_TIMEOUT_MS = 120_000;
const TIMED_OUT = Symbol('timed out');

/**
 * OCR off the caller's thread: one worker, one page at a time (memory is one page image and the
 * engines), documents queued behind each other. Cancel is checked between pages.
 */
export interface OcrRunner {
  readonly engines: readonly string[];
  readPdfPages(data: Uint8Array, pages: number[], options: PdfOcrOptions): Promise<OcrPages>;
  /** Every page of an image file (a multi-page TIFF has several; other images one), numbered from 1. */
  readImagePages(data: Uint8Array, options: PageLoopOptions): Promise<OcrPages>;
  /** The first page of an image, with no time limit. */
  readImage(data: Uint8Array, options: { maxPixels: number; signal?: AbortSignal }): Promise<PageReading>;
  /** Whether the worker is up (it ends after idleMs without work). */
  running(): boolean;
  close(): Promise<void>;
}

export interface OcrRunnerOptions {
  /** Extra node options for the worker and the engines' own threads (tests add a network guard). */
  execArgv?: string[];
  /** The worker (and the ~1.5 GB its engines hold) ends after this long without work; the next page starts it again. */
  idleMs?: number;
}

const WORKER_URL = new URL('./worker.mjs', import.meta.url);
type Request = OcrRequest extends infer R ? (R extends OcrRequest ? Omit<R, 'id'> : never) : never;

function cancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CairnError('CANCELLED', 'OCR was cancelled between pages');
}

export function createOcrRunner(options: OcrRunnerOptions = {}): OcrRunner {
  type Pending = Map<number, { resolve(value: unknown): void; reject(error: Error): void }>;
  /** The live worker and its requests in flight (a worker ending takes only its own requests down). */
  let worker: { thread: Worker; pending: Pending } | null = null;
  let nextId = 1;
  let queue: Promise<unknown> = Promise.resolve();

  function spawn(): { thread: Worker; pending: Pending } {
    const started = new Worker(WORKER_URL, options.execArgv ? { execArgv: [...process.execArgv, ...options.execArgv] } : {});
    const slot = { thread: started, pending: new Map() as Pending };
    const { pending } = slot;
    started.unref();
    started.on('message', (reply: OcrReply) => {
      const waiting = pending.get(reply.id);
      pending.delete(reply.id);
      // Held open only while it has work: an idle OCR worker never keeps the process alive.
      if (pending.size === 0) started.unref();
      if (reply.ok) waiting?.resolve(reply.value);
      else waiting?.reject(new CairnError('OCR_FAILED', `OCR failed: ${reply.message}`));
    });
    started.on('error', () => undefined);
    started.on('exit', () => {
      if (worker === slot) worker = null;
      for (const waiting of pending.values()) waiting.reject(new CairnError('OCR_FAILED', 'The OCR worker stopped'));
      pending.clear();
    });
    return slot;
  }

  function ask<T>(request: Request): Promise<T> {
    worker ??= spawn();
    const id = nextId++;
    const { thread, pending } = worker;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      thread.ref();
      thread.postMessage({ ...request, id } as OcrRequest);
    });
  }

  let active = 0;
  let idleTimer: NodeJS.Timeout | undefined;

  function idle(): void {
    if (--active > 0) return;
    idleTimer = setTimeout(() => {
      const running = worker;
      worker = null;
      void running?.thread.terminate();
    }, options.idleMs ?? 60_000);
    idleTimer.unref();
  }

  /** One document at a time: a second waits for the first, so pages of two PDFs never interleave. */
  function serial<T>(task: () => Promise<T>): Promise<T> {
    clearTimeout(idleTimer);
    active++;
    const run = queue.then(task, task);
    queue = run.catch(() => undefined).finally(idle);
    return run;
  }

  /** The reply, or TIMED_OUT after ms: then the worker (stuck in an engine) is ended, and the next request starts a fresh one. */
  async function timed<T>(request: Request, ms: number): Promise<T | typeof TIMED_OUT> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), ms);
    });
    try {
      const reply = await Promise.race([ask<T>(request), limit]);
      if (reply === TIMED_OUT) {
        const stuck = worker;
        worker = null;
        await stuck?.thread.terminate();
      }
      return reply;
    } finally {
      clearTimeout(timer);
    }
  }

  /** One page at a time, cancel checked between pages; reopen restores the worker's state after a restart. */
  async function eachPage<T>(
    pages: number[],
    opts: PageLoopOptions,
    request: (page: number) => Request,
    reopen: () => Promise<unknown> = async () => undefined,
  ): Promise<{ readings: Map<number, T>; timedOut: number[] }> {
    const result = { readings: new Map<number, T>(), timedOut: [] as number[] };
    let done = 0;
    for (const page of pages) {
      cancelled(opts.signal);
      // No worker mid-document means a page timed out and ended it: the fresh one needs the PDF again.
      if (worker === null) await reopen();
      const reading = await timed<T | null>(request(page), opts.pageTimeoutMs ?? DEFAULT_PAGE_TIMEOUT_MS);
      if (reading === TIMED_OUT) result.timedOut.push(page);
      else if (reading) result.readings.set(page, reading);
      opts.onPage?.(++done, pages.length);
    }
    return result;
  }

  async function pdfPages(data: Uint8Array, pages: number[], opts: PdfOcrOptions): Promise<OcrPages> {
    cancelled(opts.signal);
    const open = () => ask({ type: 'open', data: new Uint8Array(data), ...(opts.password ? { password: opts.password } : {}) });
    await open();
    const { scale, maxPixels, onlyWithImage } = opts;
    try {
      const read = await eachPage<PageReading>(
        pages,
        opts,
        (page) => ({ type: 'page', page, scale, maxPixels, onlyWithImage }),
        open,
      );
      if (!opts.regions || opts.regions.pages.length === 0) return read;
      const { minShare, maxTextChars } = opts.regions;
      const quiet = {
        maxPixels,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(opts.pageTimeoutMs ? { pageTimeoutMs: opts.pageTimeoutMs } : {}),
      };
      const regions = await eachPage<RegionReading[]>(
        opts.regions.pages,
        quiet,
        (page) => ({ type: 'regions', page, scale, maxPixels, minShare, maxTextChars }),
        open,
      );
      return {
        readings: read.readings,
        timedOut: [...read.timedOut, ...regions.timedOut].sort((a, b) => a - b),
        regions: regions.readings,
      };
    } finally {
      // No worker left (the last page timed out): nothing is open, and none need start just to close.
      if (worker) await ask({ type: 'close' }).catch(() => undefined);
    }
  }

  async function imagePages(data: Uint8Array, opts: PageLoopOptions): Promise<OcrPages> {
    cancelled(opts.signal);
    const count = await ask<number>({ type: 'imagePages', data: new Uint8Array(data) });
    const pages = Array.from({ length: count }, (_, i) => i + 1);
    return eachPage<PageReading>(pages, opts, (page) => ({
      type: 'image',
      data: new Uint8Array(data),
      maxPixels: opts.maxPixels,
      page,
    }));
  }

  return {
    engines: OCR_ENGINES,
    readPdfPages: (data, pages, opts) => serial(() => pdfPages(data, pages, opts)),
    readImagePages: (data, opts) => serial(() => imagePages(data, opts)),
    readImage: (data, opts) =>
      serial(() => {
        cancelled(opts.signal);
        return ask<PageReading>({ type: 'image', data: new Uint8Array(data), maxPixels: opts.maxPixels });
      }),
    running: () => worker !== null,
    async close() {
      clearTimeout(idleTimer);
      const running = worker;
      worker = null;
      await running?.thread.terminate();
    },
  };
}

let shared: OcrRunner | null = null;

/** The process's one OCR runner (engines load once per process, not per document). */
export function sharedOcrRunner(): OcrRunner {
  shared ??= createOcrRunner();
  return shared;
}

/** What /health reports: the OCR mode and the engines it runs (none when off). */
export function ocrStatus(ingest: { ocr: 'auto' | 'off' | 'force'; ocrScale: number }): {
  mode: 'auto' | 'off' | 'force';
  engines: string[];
  renderScale: number;
} {
  return { mode: ingest.ocr, engines: ingest.ocr === 'off' ? [] : [...OCR_ENGINES], renderScale: ingest.ocrScale };
}
