import { CairnError, type ChunkingSettings, estimateTokens, hasNoSpaceScript, type PageSpan } from '../../core/index.ts';
import type { LoadedDocument, OutlineEntry } from '../types.ts';
import { type Measure, mergePieces, type Span, splitRecursive, trimSpan } from './spans.ts';

export type { Measure, Span } from './spans.ts';
export { cutAt, mergePieces, splitRecursive, trimSpan } from './spans.ts';

export interface SplitChunk {
  text: string;
  start: number;
  end: number;
  page: number | null;
  headings: string[];
  tokenCount: number;
}

export interface SplitOptions {
  chunking: ChunkingSettings;
  /** The embedder's tokenizer; core's estimate when absent. */
  countTokens?: (text: string) => number;
  /** The most tokens the embedder takes whole (`maxPassageTokens`): no chunk has more, whatever the unit. */
  maxTokens?: number;
  maxChunks?: number;
}

type SplittableDocument = Pick<LoadedDocument, 'text' | 'pages' | 'outline' | 'kind' | 'language'>;

const PROSE_SEPARATORS = ['\n\n', '\n', '。', '. ', '！', '？', '! ', '? ', '; ', '，', ', ', ' ', ''];
const MARKDOWN_SEPARATORS = ['\n```', '\n~~~', '\n\n', '\n', '。', '. ', '! ', '? ', '; ', ', ', ' ', ''];
const FENCE_BLOCK = /^ {0,3}(`{3,}|~{3,})[^\n]*\n[\s\S]*?(?:\n {0,3}\1[^\n]*(?=\n|$)|$)/gm;

/** Which splitter 'auto' means: markdown (heading-aware) for markdown, recursive otherwise. */
export function resolveSplitter(
  chunking: ChunkingSettings,
  kind: LoadedDocument['kind'],
): Exclude<ChunkingSettings['splitter'], 'auto'> {
  if (chunking.splitter !== 'auto') return chunking.splitter;
  return kind === 'markdown' ? 'markdown' : 'recursive';
}

function sentencePieces(doc: SplittableDocument, span: Span, size: number, measure: Measure): Span[] {
  const segmenter = new Intl.Segmenter(doc.language ?? 'en', { granularity: 'sentence' });
  const pieces: Span[] = [];
  for (const { index, segment } of segmenter.segment(doc.text.slice(span.start, span.end))) {
    const piece = { start: span.start + index, end: span.start + index + segment.length };
    pieces.push(...splitRecursive(doc.text, piece, ['\n', ' ', ''], size, measure));
  }
  return pieces;
}

function wordPieces(doc: SplittableDocument, span: Span): Span[] {
  const slice = doc.text.slice(span.start, span.end);
  const pieces: Span[] = [];
  if (hasNoSpaceScript(slice)) {
    const segmenter = new Intl.Segmenter(doc.language ?? 'zh', { granularity: 'word' });
    for (const { index, segment } of segmenter.segment(slice)) {
      pieces.push({ start: span.start + index, end: span.start + index + segment.length });
    }
    return pieces;
  }
  for (const match of slice.matchAll(/\s*\S+/g))
    pieces.push({ start: span.start + match.index, end: span.start + match.index + match[0].length });
  return pieces;
}

/** Fenced code blocks kept whole (when they fit) and the prose around them split recursively. */
function markdownPieces(text: string, span: Span, size: number, measure: Measure): Span[] {
  const slice = text.slice(span.start, span.end);
  const pieces: Span[] = [];
  let from = span.start;
  for (const match of slice.matchAll(FENCE_BLOCK)) {
    const start = span.start + match.index;
    if (start > from) pieces.push(...splitRecursive(text, { start: from, end: start }, MARKDOWN_SEPARATORS, size, measure));
    const end = start + match[0].length;
    pieces.push(...splitRecursive(text, { start, end }, ['\n', ''], size, measure));
    from = end;
  }
  if (span.end > from) pieces.push(...splitRecursive(text, { start: from, end: span.end }, MARKDOWN_SEPARATORS, size, measure));
  return pieces;
}

/** Sections between headings: markdown chunks never straddle a heading. */
function sections(doc: SplittableDocument): Span[] {
  const starts = [0, ...doc.outline.map((h) => h.offset).filter((o) => o > 0), doc.text.length];
  const spans: Span[] = [];
  for (let i = 0; i + 1 < starts.length; i++) {
    const start = starts[i] as number;
    const end = starts[i + 1] as number;
    if (end > start) spans.push({ start, end });
  }
  return spans;
}

function windows(doc: SplittableDocument, splitter: string, size: number, overlap: number, measure: Measure): Span[] {
  const whole = { start: 0, end: doc.text.length };
  switch (splitter) {
    case 'sentence':
      return mergePieces(doc.text, sentencePieces(doc, whole, size, measure), size, overlap, measure);
    case 'token':
      return mergePieces(
        doc.text,
        wordPieces(doc, whole).flatMap((p) => splitRecursive(doc.text, p, [''], size, measure)),
        size,
        overlap,
        measure,
      );
    case 'markdown':
      return sections(doc).flatMap((s) =>
        mergePieces(doc.text, markdownPieces(doc.text, s, size, measure), size, overlap, measure),
      );
    default:
      return mergePieces(doc.text, splitRecursive(doc.text, whole, PROSE_SEPARATORS, size, measure), size, overlap, measure);
  }
}

/** The heading path in force at an offset: the last heading of each level above it. */
export function headingPath(outline: OutlineEntry[], offset: number): string[] {
  const stack: OutlineEntry[] = [];
  for (const entry of outline) {
    if (entry.offset > offset) break;
    while (stack.length > 0 && (stack[stack.length - 1] as OutlineEntry).level >= entry.level) stack.pop();
    stack.push(entry);
  }
  return stack.map((h) => h.title);
}

export function pageAt(pages: PageSpan[], offset: number): number | null {
  let found: number | null = null;
  for (const page of pages) {
    if (page.start > offset) break;
    found = page.page;
  }
  return found;
}

/**
 * A tokenizer run costs about as much as a small part of embedding: the same span is often
 * measured more than once (whole text, piece, final chunk), so counts are remembered per call.
 */
function memoize(count: (text: string) => number): (text: string) => number {
  const seen = new Map<string, number>();
  return (text) => {
    let n = seen.get(text);
    if (n === undefined) {
      if (seen.size > 4096) seen.clear();
      n = count(text);
      seen.set(text, n);
    }
    return n;
  };
}

/**
 * Trimmed windows, each measured whole. Windows are merged by summing their pieces' counts, and a
 * tokenizer's count of joined text can exceed that sum (subword merges across a cut), so a window
 * over the budget is split again and its pieces kept as they are (each measured to fit).
 */
function* withinBudget(text: string, spans: Span[], size: number, measure: Measure): Generator<Span> {
  for (const raw of spans) {
    const span = trimSpan(text, raw);
    if (!span) continue;
    if (measure(text.slice(span.start, span.end)) <= size) {
      yield span;
      continue;
    }
    for (const piece of splitRecursive(text, span, PROSE_SEPARATORS, size, measure)) {
      const trimmed = trimSpan(text, piece);
      if (trimmed) yield trimmed;
    }
  }
}

interface Budget {
  measure: Measure;
  size: number;
  overlap: number;
}

/**
 * What a chunk is measured with. A size in characters under a token cap measures both at once:
 * max(chars · cap, tokens · size) ≤ size · cap exactly when a chunk fits both.
 */
function budgetOf(chunking: ChunkingSettings, countTokens: Measure, maxTokens = Number.POSITIVE_INFINITY): Budget {
  const { size, overlap } = chunking;
  if (chunking.unit === 'tokens') {
    if (size <= maxTokens) return { measure: countTokens, size, overlap };
    return { measure: countTokens, size: maxTokens, overlap: Math.min(overlap, Math.floor(maxTokens / 4)) };
  }
  if (!Number.isFinite(maxTokens)) return { measure: (t) => t.length, size, overlap };
  const measure: Measure = (t) => Math.max(t.length * maxTokens, countTokens(t) * size);
  return { measure, size: size * maxTokens, overlap: overlap * maxTokens };
}

/** Splits a loaded document into chunks with exact offsets, page and heading path. */
export function splitDocument(doc: SplittableDocument, options: SplitOptions): SplitChunk[] {
  const { chunking } = options;
  if (chunking.overlap >= chunking.size) throw new CairnError('VALIDATION', 'chunk overlap must be smaller than chunk size');
  const countTokens = memoize(options.countTokens ?? estimateTokens);
  const { measure, size, overlap } = budgetOf(chunking, countTokens, options.maxTokens);
  const spans = windows(doc, resolveSplitter(chunking, doc.kind), size, overlap, measure);
  const chunks: SplitChunk[] = [];
  let last = -1;
  for (const span of withinBudget(doc.text, spans, size, measure)) {
    if (span.end <= last) continue;
    last = span.end;
    const text = doc.text.slice(span.start, span.end);
    chunks.push({
      text,
      ...span,
      page: pageAt(doc.pages, span.start),
      headings: headingPath(doc.outline, span.start),
      tokenCount: countTokens(text),
    });
  }
  if (options.maxChunks !== undefined && chunks.length > options.maxChunks) {
    throw new CairnError('TOO_LARGE', `The document makes ${chunks.length} chunks, over the limit of ${options.maxChunks}`);
  }
  return chunks;
}
