import { Worker } from 'node:worker_threads';
import { CairnError } from '../../core/index.ts';
import type { PageReading } from './page-ocr.ts';
import type { OcrReply, OcrRequest } from './worker.ts';

/** Engines the worker may run, in the order it tries them. */
export const OCR_ENGINES = ['tesseract.js@7.0.0/eng', 'paddleocr-ppocrv4@ocr-node-1.4.8'] as const;

export interface PdfOcrOptions {
  password?: string;
  scale: number;
  maxPixels: number;
  /** Skip pages that paint no image (auto mode: a short text page is not a scan). */
  onlyWithImage: boolean;
  signal?: AbortSignal;
  /** Called after each page with pages done and pages to do. */
  onPage?: (done: number, total: number) => void;
}

/**
 * OCR off the caller's thread: one worker, one page at a time (memory is one page image and the
 * engines), documents queued behind each other. Cancel is checked between pages.
 */
export interface OcrRunner {
  readonly engines: readonly string[];
  /** The pages' readings; a page skipped for painting no image has none. */
  readPdfPages(data: Uint8Array, pages: number[], options: PdfOcrOptions): Promise<Map<number, PageReading>>;
  readImage(data: Uint8Array, options: { maxPixels: number; signal?: AbortSignal }): Promise<PageReading>;
  close(): Promise<void>;
}

export interface OcrRunnerOptions {
  /** Extra node options for the worker and the engines' own threads (tests add a network guard). */
  execArgv?: string[];
}

const WORKER_URL = new URL('./worker.mjs', import.meta.url);
type Request = OcrRequest extends infer R ? (R extends OcrRequest ? Omit<R, 'id'> : never) : never;

function cancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CairnError('CANCELLED', 'OCR was cancelled between pages');
}

export function createOcrRunner(options: OcrRunnerOptions = {}): OcrRunner {
  let worker: Worker | null = null;
  let nextId = 1;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  let queue: Promise<unknown> = Promise.resolve();

  function spawn(): Worker {
    const started = new Worker(WORKER_URL, options.execArgv ? { execArgv: [...process.execArgv, ...options.execArgv] } : {});
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
      worker = null;
      for (const waiting of pending.values()) waiting.reject(new CairnError('OCR_FAILED', 'The OCR worker stopped'));
      pending.clear();
    });
    return started;
  }

  function ask<T>(request: Request): Promise<T> {
    worker ??= spawn();
    const id = nextId++;
    const target = worker;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      target.ref();
      target.postMessage({ ...request, id } as OcrRequest);
    });
  }

  /** One document at a time: a second waits for the first, so pages of two PDFs never interleave. */
  function serial<T>(task: () => Promise<T>): Promise<T> {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  }

  async function pdfPages(data: Uint8Array, pages: number[], opts: PdfOcrOptions): Promise<Map<number, PageReading>> {
    const read = new Map<number, PageReading>();
    let done = 0;
    cancelled(opts.signal);
    await ask({ type: 'open', data: new Uint8Array(data), ...(opts.password ? { password: opts.password } : {}) });
    try {
      for (const page of pages) {
        cancelled(opts.signal);
        const { scale, maxPixels, onlyWithImage } = opts;
        const reading = await ask<PageReading | null>({ type: 'page', page, scale, maxPixels, onlyWithImage });
        if (reading) read.set(page, reading);
        opts.onPage?.(++done, pages.length);
      }
    } finally {
      await ask({ type: 'close' }).catch(() => undefined);
    }
    return read;
  }

  return {
    engines: OCR_ENGINES,
    readPdfPages: (data, pages, opts) => serial(() => pdfPages(data, pages, opts)),
    readImage: (data, opts) =>
      serial(() => {
        cancelled(opts.signal);
        return ask<PageReading>({ type: 'image', data: new Uint8Array(data), maxPixels: opts.maxPixels });
      }),
    async close() {
      const running = worker;
      worker = null;
      await running?.terminate();
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
