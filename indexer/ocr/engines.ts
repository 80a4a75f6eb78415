import { createRequire } from 'node:module';
import type { EngineReading } from './text-rules.ts';
import { tidyLines } from './text-rules.ts';

/** One OCR engine, loaded once and reused for every page; runs inside the OCR worker thread. */
export interface OcrEngine {
  readonly id: string;
  read(image: Buffer): Promise<EngineReading>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);

/** The English model shipped in @tesseract.js-data/eng: a local folder, so nothing is fetched. */
export function tesseractLangPath(): string {
  return (require('@tesseract.js-data/eng') as { langPath: string }).langPath;
}

export async function createTesseractEngine(): Promise<OcrEngine> {
  const { createWorker, OEM } = await import('tesseract.js');
  // A local langPath with gzip and no cache: tesseract.js otherwise downloads models from a CDN.
  const worker = await createWorker('eng', OEM.LSTM_ONLY, {
    langPath: tesseractLangPath(),
    gzip: true,
    cacheMethod: 'none',
  });
  return {
    id: 'tesseract.js@7.0.0/eng',
    async read(image) {
      const { data } = await worker.recognize(image);
      return { engine: 'tesseract', text: tidyLines(data.text.split('\n')), confidence: data.confidence / 100 };
    },
    close: async () => {
      await worker.terminate();
    },
  };
}

interface PaddleLine {
  text: string;
  mean: number;
}

/** Mean of the line confidences, each weighted by its length. */
function meanConfidence(lines: PaddleLine[]): number {
  let weight = 0;
  let sum = 0;
  for (const line of lines) {
    weight += line.text.length;
    sum += line.mean * line.text.length;
  }
  return weight === 0 ? 0 : sum / weight;
}

export async function createPaddleEngine(): Promise<OcrEngine> {
  const { default: Ocr } = await import('@gutenye/ocr-node');
  // One thread: the OCR worker is one of several things sharing the machine's cores.
  const ocr = await Ocr.create({ onnxOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } });
  return {
    id: 'paddleocr-ppocrv4@ocr-node-1.4.8',
    async read(image) {
      const lines = (await ocr.detect(image)) as PaddleLine[];
      return { engine: 'paddle', text: tidyLines(lines.map((line) => line.text)), confidence: meanConfidence(lines) };
    },
    close: async () => undefined,
  };
}
