import { createPaddleEngine, createTesseractEngine, type OcrEngine } from './engines.ts';
import { chooseReading, type EngineReading, keepTesseract } from './text-rules.ts';

/** What OCR made of one page image. */
export interface PageReading {
  text: string;
  /** The engine whose reading was kept (its id with version). */
  engine: string;
  confidence: number;
  /** Engines run on the page, in order (tesseract, then PaddleOCR when tesseract was not enough). */
  tried: string[];
}

export interface EngineSet {
  tesseract(): Promise<OcrEngine>;
  paddle(): Promise<OcrEngine>;
  close(): Promise<void>;
}

/** Engines loaded on first use and kept: loading PaddleOCR's models costs more than a page. */
export function createEngineSet(): EngineSet {
  let tesseract: Promise<OcrEngine> | undefined;
  let paddle: Promise<OcrEngine> | undefined;
  return {
    tesseract: () => {
      tesseract ??= createTesseractEngine();
      return tesseract;
    },
    paddle: () => {
      paddle ??= createPaddleEngine();
      return paddle;
    },
    async close() {
      for (const engine of [tesseract, paddle]) await (await engine?.catch(() => undefined))?.close();
    },
  };
}

function toPage(reading: EngineReading, ids: Record<EngineReading['engine'], string>, tried: string[]): PageReading {
  return { text: reading.text, engine: ids[reading.engine], confidence: reading.confidence, tried };
}

/**
 * tesseract first (fast, keeps the spaces of justified Latin text); PaddleOCR when tesseract is
 * unsure or the page is not Latin script (CJK, tables); the rules in text-rules.ts pick between them.
 */
export async function readPageImage(image: Buffer, engines: EngineSet): Promise<PageReading> {
  const tesseract = await engines.tesseract();
  const first = await tesseract.read(image);
  if (keepTesseract(first)) return toPage(first, { tesseract: tesseract.id, paddle: '' }, [tesseract.id]);
  const paddle = await engines.paddle();
  const second = await paddle.read(image);
  const ids = { tesseract: tesseract.id, paddle: paddle.id };
  return toPage(chooseReading(first, second), ids, [tesseract.id, paddle.id]);
}
