export { type OcrMetadata, ocrMetadata } from './metadata.ts';
export type { PageReading } from './page-ocr.ts';
export { type Box, newLines, type RegionReading } from './regions.ts';
export { fitScale } from './render.ts';
export {
  createOcrRunner,
  OCR_ENGINES,
  type OcrPages,
  type OcrRunner,
  type OcrRunnerOptions,
  ocrStatus,
  type PageLoopOptions,
  type PdfOcrOptions,
  sharedOcrRunner,
} from './runner.ts';
export {
  chooseReading,
  type EngineReading,
  gluedShare,
  keepTesseract,
  latinShare,
  normalizeWidth,
  tidyLines,
} from './text-rules.ts';
