import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import { CairnError, type Config, hashContent, sha256 } from '../../core/index.ts';
import { looksBinary } from '../loaders/decode.ts';
import { sniffKind } from '../loaders/sniff.ts';
import type { IngestSource, RawInput, StoredDocument } from '../types.ts';
import { crawl } from './crawl.ts';
import { walkFolder } from './folder.ts';
import { type FetchOptions, fetchUrl } from './url.ts';

export { extractLinks, parseRobots, robotsAllows } from './crawl.ts';
export { walkFolder } from './folder.ts';
export { checkUrl, fetchUrl, isPrivateAddress } from './url.ts';

/** One unit of work: something that can be read into a RawInput, or an error found while planning. */
export type PlannedItem =
  /** `only`: the one document of the file or URL to write (re-ingest of a JSONL line). */
  | { type: 'file'; source: string; only?: string }
  | { type: 'url'; source: string; only?: string }
  | { type: 'bytes'; source: string; input: RawInput }
  | { type: 'text'; source: string; text: string; title: string; metadata: Record<string, unknown> }
  | { type: 'stored'; source: string; document: StoredDocument }
  | { type: 'error'; source: string; error: CairnError };

export interface Plan {
  items: PlannedItem[];
  /** Folders that were walked: --prune removes documents under them whose files are gone. */
  folders: string[];
  /** Every file found (for prune): absolute paths. */
  files: Set<string>;
}

export function isUrl(source: string): boolean {
  return /^https?:\/\//i.test(source);
}

/** A source read from somewhere (a URL or a server path), as opposed to an upload or a posted text. */
export function isLocation(source: string): boolean {
  return isUrl(source) || source.startsWith('/') || /^[a-z]:[\\/]/i.test(source);
}

/**
 * An upload's document source: its content hash and file name. Two different `report.pdf` are two
 * documents; the same file uploaded again is the same document (unchanged, a no-op).
 */
export function uploadSource(name: string, data: Uint8Array): string {
  return `upload:${sha256(data).slice(0, 16)}/${name}`;
}

/** The suffix loaders give the documents of a multi-document file: `#L3` (JSONL line), `#2` (JSON record). */
const PART_SUFFIX = /#L?\d+$/;

/** A part document's file or URL, and its part suffix; null when the source names no part. */
export function splitPart(source: string): { location: string; part: string } | null {
  const match = PART_SUFFIX.exec(source);
  if (!match || match.index === 0) return null;
  return { location: source.slice(0, match.index), part: match[0] };
}

function planPart(source: string, plan: Plan): void {
  const split = splitPart(source);
  if (!split) {
    plan.items.push({ type: 'error', source, error: new CairnError('VALIDATION', `${source} names no part of a file`) });
    return;
  }
  plan.items.push({ type: isUrl(split.location) ? 'url' : 'file', source: split.location, only: source });
}

async function planPath(raw: string, config: Config, plan: Plan): Promise<void> {
  const full = path.resolve(raw);
  const info = await stat(full).catch(() => null);
  if (!info) {
    plan.items.push({ type: 'error', source: full, error: new CairnError('SOURCE_NOT_FOUND', `No such file or folder: ${raw}`) });
    return;
  }
  if (info.isDirectory()) {
    plan.folders.push(full);
    for (const file of await walkFolder(full, { include: config.ingest.include, exclude: config.ingest.exclude })) {
      plan.files.add(file);
      plan.items.push({ type: 'file', source: file });
    }
    return;
  }
  plan.files.add(full);
  plan.items.push({ type: 'file', source: full });
}

/** Turns the request's sources into a flat list of work; folders are walked here (paths only). */
export async function planSources(sources: IngestSource[], config: Config): Promise<Plan> {
  const plan: Plan = { items: [], folders: [], files: new Set() };
  for (const source of sources) {
    if (typeof source === 'string') {
      if (isUrl(source)) plan.items.push({ type: 'url', source });
      else await planPath(source, config, plan);
    } else if (source.kind === 'bytes') {
      const id = source.source ?? uploadSource(source.name, source.data);
      const input: RawInput = { source: id, name: source.name, data: source.data, metadata: source.metadata ?? {} };
      if (source.mime) input.mime = source.mime;
      plan.items.push({ type: 'bytes', source: id, input });
    } else if (source.kind === 'part') {
      planPart(source.source, plan);
    } else if (source.kind === 'stored') {
      plan.items.push({ type: 'stored', source: source.document.source, document: source.document });
    } else {
      const id = source.source ?? `text:${hashContent(source.text).slice(0, 16)}`;
      plan.items.push({
        type: 'text',
        source: id,
        text: source.text,
        title: source.title ?? id,
        metadata: source.metadata ?? {},
      });
    }
  }
  return plan;
}

/**
 * Reads a file, refusing what cannot be a document before reading it all: over the size limit,
 * empty, or binary (judged from the first 8 KB, so a 50 MB binary is never loaded).
 */
export async function readFileInput(file: string, maxBytes: number): Promise<RawInput> {
  const handle = await open(file, 'r').catch(() => {
    throw new CairnError('SOURCE_NOT_FOUND', `Cannot open ${file}`);
  });
  try {
    const { size } = await handle.stat();
    if (size === 0) throw new CairnError('EMPTY_FILE', 'The file is empty (0 bytes)');
    if (size > maxBytes) throw new CairnError('TOO_LARGE', `The file is ${size} bytes, over the ${maxBytes}-byte limit`);
    const head = new Uint8Array(Math.min(size, 8192));
    await handle.read(head, 0, head.length, 0);
    const kind = sniffKind(head, file);
    if (kind !== 'pdf' && kind !== 'docx' && kind !== 'zip' && kind !== 'image' && looksBinary(head)) {
      throw new CairnError('BINARY_FILE', 'The file is binary, not text');
    }
    const data = new Uint8Array(size);
    await handle.read(data, 0, size, 0);
    return { source: file, name: path.basename(file), data, metadata: { path: file } };
  } finally {
    await handle.close();
  }
}

export function fetchOptions(config: Config, signal?: AbortSignal): FetchOptions {
  return {
    timeoutMs: config.ingest.fetchTimeoutMs,
    maxBytes: config.ingest.maxFileBytes,
    maxRedirects: config.ingest.maxRedirects,
    allowPrivate: config.ingest.allowPrivateUrls,
    offline: config.offline,
    ...(signal ? { signal } : {}),
  };
}

function urlName(url: string): string {
  const base = path.posix.basename(new URL(url).pathname);
  return base || 'index.html';
}

/** The pages of a URL: just the page, or its same-site crawl when config.ingest.crawlDepth > 0 and not `single`. */
export async function* readUrl(
  url: string,
  config: Config,
  signal?: AbortSignal,
  single = false,
): AsyncGenerator<RawInput | { source: string; error: unknown }> {
  const options = fetchOptions(config, signal);
  const toInput = (source: string, page: Awaited<ReturnType<typeof fetchUrl>>): RawInput => ({
    source,
    name: urlName(page.url),
    data: page.data,
    ...(page.contentType ? { mime: page.contentType } : {}),
    metadata: { url: page.url },
  });
  if (config.ingest.crawlDepth === 0 || single) {
    try {
      yield toInput(url, await fetchUrl(url, options));
    } catch (error) {
      yield { source: url, error };
    }
    return;
  }
  const pages = crawl(url, { depth: config.ingest.crawlDepth, maxPages: config.ingest.crawlMaxPages }, options, fetchUrl);
  for await (const result of pages) {
    if (result.page) yield toInput(result.url, result.page);
    else yield { source: result.url, error: result.error };
  }
}
