import type { Config } from '../../core/index.ts';
import type { OcrMetadata, OcrRunner } from '../ocr/index.ts';
import { mergeRegions, regionCandidates } from './pdf-ocr-regions.ts';

/** How the PDF loader runs OCR: ingest.ocr* settings plus the runner, cancel and progress. */
export interface PdfOcrSettings {
  mode: Config['ingest']['ocr'];
  scale: number;
  minTextChars: number;
  minConfidence: number;
  maxPixels: number;
  pageTimeoutMs: number;
  /** auto: OCR images covering at least this share of a text page (ingest.ocrRegionMinShare). */
  regionMinShare: number;
  runner?: OcrRunner;
  signal?: AbortSignal;
  onPage?: (done: number, total: number) => void;
}

type Page = { num: number; text: string };

/** auto: pages whose text layer has fewer than minTextChars non-space characters (OCR'd if they paint an image); force: every page. */
export function pagesToOcr(pages: Page[], mode: PdfOcrSettings['mode'], minTextChars: number): number[] {
  if (mode === 'off') return [];
  if (mode === 'force') return pages.map((page) => page.num);
  return pages.filter((page) => page.text.replace(/\s+/g, '').length < minTextChars).map((page) => page.num);
}

/**
 * The pages with their OCR'd text in place of the text layer they lacked (the loader then joins
 * them, so offsets into the document text stay exact), and what the OCR metadata records.
 */
export async function ocrPdfPages(
  pages: Page[],
  data: Uint8Array,
  password: string | undefined,
  settings: PdfOcrSettings,
): Promise<{ pages: Page[]; metadata?: OcrMetadata }> {
  const wanted = pagesToOcr(pages, settings.mode, settings.minTextChars);
  const regionPages = regionCandidates(pages, wanted, data, settings.mode);
  if (wanted.length === 0 && regionPages.length === 0) return { pages };
  // The text layer stays when OCR skipped the page (auto: no image) or read nothing on it.
  const { ocrMetadata, sharedOcrRunner } = await import('../ocr/index.ts');
  const runner = settings.runner ?? sharedOcrRunner();
  const minShare = settings.regionMinShare;
  const { readings, timedOut, regions } = await runner.readPdfPages(data, wanted, {
    scale: settings.scale,
    maxPixels: settings.maxPixels,
    pageTimeoutMs: settings.pageTimeoutMs,
    onlyWithImage: settings.mode === 'auto',
    ...(regionPages.length > 0 ? { regions: { pages: regionPages, minShare, maxTextChars: settings.minTextChars } } : {}),
    ...(password ? { password } : {}),
    ...(settings.signal ? { signal: settings.signal } : {}),
    ...(settings.onPage ? { onPage: settings.onPage } : {}),
  });
  const mode = settings.mode === 'force' ? 'force' : 'auto';
  // A page over the time limit keeps its text layer (if any) and is listed in the metadata's warning.
  const replaced = pages.map((page) => ({ num: page.num, text: readings.get(page.num)?.text || page.text }));
  const merged = mergeRegions(replaced, regions ?? new Map(), settings.minConfidence);
  const all = new Map([...readings, ...merged.readings].sort(([a], [b]) => a - b));
  const metadata = ocrMetadata(all, mode, settings.minConfidence, { pages: timedOut, limitMs: settings.pageTimeoutMs });
  return { pages: merged.pages, ...(all.size > 0 || timedOut.length > 0 ? { metadata } : {}) };
}

/** The settings from config, with the runner, cancel and progress of this load. */
export function pdfOcrSettings(
  ingest: Config['ingest'],
  extra: { runner?: OcrRunner; signal?: AbortSignal; onPage?: (done: number, total: number) => void },
): PdfOcrSettings {
  return {
    mode: ingest.ocr,
    scale: ingest.ocrScale,
    minTextChars: ingest.ocrMinTextChars,
    minConfidence: ingest.ocrMinConfidence,
    maxPixels: ingest.ocrMaxPixels,
    pageTimeoutMs: ingest.ocrPageTimeoutMs,
    regionMinShare: ingest.ocrRegionMinShare,
    ...(extra.runner ? { runner: extra.runner } : {}),
    ...(extra.signal ? { signal: extra.signal } : {}),
    ...(extra.onPage ? { onPage: extra.onPage } : {}),
  };
}
