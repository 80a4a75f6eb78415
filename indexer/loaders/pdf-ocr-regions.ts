import type { PageReading, RegionReading } from '../ocr/index.ts';
import { newLines } from '../ocr/index.ts';

type Page = { num: number; text: string };

/** An image XObject's dictionary: never inside a compressed object stream (streams cannot be), so a byte search finds it. */
const IMAGE_XOBJECT = /\/Subtype\s*\/Image\b/;

/**
 * auto mode: the text pages to look for large images on, only when the file has an image XObject at
 * all (a text-only PDF never starts the OCR worker). Inline images are not looked for.
 */
export function regionCandidates(pages: Page[], wanted: number[], data: Uint8Array, mode: string): number[] {
  if (mode !== 'auto') return [];
  const skip = new Set(wanted);
  const candidates = pages.filter((page) => !skip.has(page.num) && page.text.trim() !== '').map((page) => page.num);
  if (candidates.length === 0) return [];
  return IMAGE_XOBJECT.test(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('latin1')) ? candidates : [];
}

/** A page's region readings as one reading for the metadata: the engine of the first, the mean confidence, the regions. */
function regionReading(read: RegionReading[], added: string[][]): PageReading & { regions: { box: number[]; lines: number }[] } {
  const confidence = read.reduce((sum, r) => sum + r.reading.confidence, 0) / read.length;
  const first = read[0]?.reading;
  return {
    // Only what was added counts towards the document's confidence and its low-confidence pages.
    text: added.flat().join('\n'),
    engine: first?.engine ?? '',
    confidence,
    tried: first?.tried ?? [],
    regions: read.map((r, i) => ({ box: r.box, lines: added[i]?.length ?? 0 })),
  };
}

/**
 * The lines OCR read in a text page's large images that its text layer lacks, appended after the
 * page's text (so offsets into the text layer stay as they were), and each such page's reading.
 */
export function mergeRegions(
  pages: Page[],
  regions: Map<number, RegionReading[]>,
  minConfidence: number,
): { pages: Page[]; readings: Map<number, PageReading> } {
  const readings = new Map<number, PageReading>();
  const merged = pages.map((page) => {
    const read = regions.get(page.num);
    if (!read || read.length === 0) return page;
    let text = page.text.replace(/\s+$/, '');
    const added = read.map((region) => {
      // A photo or chart read as text comes back unsure: on a page with a text layer, drop it rather than add noise.
      if (region.reading.confidence < minConfidence) return [];
      const lines = newLines(region.reading.text, text);
      if (lines.length > 0) text += `\n\n${lines.join('\n')}`;
      return lines;
    });
    readings.set(page.num, regionReading(read, added));
    return { num: page.num, text };
  });
  return { pages: merged, readings };
}
