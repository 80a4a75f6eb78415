import type { PageReading } from './page-ocr.ts';

/** What a document's metadata says about its OCR: under `metadata.ocr`, shown by the API and UI. */
export interface OcrMetadata {
  /** The ingest.ocr mode that made OCR run ('auto' for pages without text, 'force' for all). */
  mode: 'auto' | 'force';
  /** Each OCR'd page: the engine kept and its mean confidence (0..1, three decimals). */
  /** regions: on a page with a text layer, the large images OCR'd (box in PDF points, y up) and the new lines each added after the page's text. */
  pages: { page: number; engine: string; confidence: number; regions?: OcrRegion[] }[];
  engines: string[];
  meanConfidence: number;
  /** Pages whose confidence is under ingest.ocrMinConfidence: their text may be wrong. */
  lowConfidencePages: number[];
  /** Pages skipped because OCR ran past ingest.ocrPageTimeoutMs on them (set only when some did). */
  timedOutPages?: number[];
  /** Set when some page is low-confidence, so no reader mistakes its text for a clean extraction. */
  warning?: string;
}

export interface OcrRegion {
  box: number[];
  lines: number;
}

const round = (value: number) => Math.round(value * 1000) / 1000;

const plural = (pages: number[]) => `page${pages.length > 1 ? 's' : ''} ${pages.join(', ')}`;

/** timedOut: pages skipped after ingest.ocrPageTimeoutMs (limitMs), reported in the warning with the low-confidence ones. */
export function ocrMetadata(
  readings: Map<number, PageReading>,
  mode: 'auto' | 'force',
  minConfidence: number,
  timedOut: { pages: number[]; limitMs: number } = { pages: [], limitMs: 0 },
): OcrMetadata {
  const pages = [...readings].map(([page, reading]) => ({
    page,
    engine: reading.engine,
    confidence: round(reading.confidence),
    ...('regions' in reading ? { regions: reading.regions as OcrRegion[] } : {}),
  }));
  const withText = [...readings].filter(([, reading]) => reading.text !== '');
  const mean = withText.length === 0 ? 0 : withText.reduce((sum, [, r]) => sum + r.confidence, 0) / withText.length;
  const low = withText.filter(([, reading]) => reading.confidence < minConfidence).map(([page]) => page);
  const metadata: OcrMetadata = {
    mode,
    pages,
    engines: [...new Set(pages.map((page) => page.engine))],
    meanConfidence: round(mean),
    lowConfidencePages: low,
  };
  const warnings: string[] = [];
  if (low.length > 0) warnings.push(`OCR confidence under ${minConfidence} on ${plural(low)}: check the text`);
  if (timedOut.pages.length > 0) {
    metadata.timedOutPages = timedOut.pages;
    warnings.push(`OCR took over ${timedOut.limitMs / 1000} s on ${plural(timedOut.pages)}: OCR skipped there`);
  }
  if (warnings.length > 0) metadata.warning = warnings.join('; ');
  return metadata;
}
