/**
 * Splitting works on spans (start/end offsets into the document text), never on copies, so every
 * chunk's text is exactly document.text.slice(start, end).
 */
export interface Span {
  start: number;
  end: number;
}

export type Measure = (text: string) => number;

/** Cuts a span before each occurrence of `separator`, the separator starting the next piece. */
export function cutAt(text: string, span: Span, separator: string): Span[] {
  const pieces: Span[] = [];
  let from = span.start;
  let at = text.indexOf(separator, span.start + 1);
  while (at !== -1 && at < span.end) {
    if (at > from) pieces.push({ start: from, end: at });
    from = at;
    at = text.indexOf(separator, at + Math.max(1, separator.length));
  }
  if (span.end > from) pieces.push({ start: from, end: span.end });
  return pieces;
}

/** Moves an end back off the high half of a surrogate pair, unless that leaves nothing. */
function wholeChar(text: string, start: number, end: number): number {
  return end - 1 > start && /[\uD800-\uDBFF]/.test(text[end - 1] ?? '') ? end - 1 : end;
}

/** The farthest end in (start, end] whose piece fits the budget (at least one character). */
function fitEnd(text: string, start: number, end: number, size: number, measure: Measure): number {
  if (measure(text.slice(start, end)) <= size) return end;
  let low = start + 1;
  let high = end - 1;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (measure(text.slice(start, wholeChar(text, start, mid))) <= size) low = mid;
    else high = mid - 1;
  }
  const fit = wholeChar(text, start, low);
  // A single character over the budget still has to go somewhere: alone, with its surrogate half.
  return fit === start + 1 && /[\uD800-\uDBFF]/.test(text[start] ?? '') ? Math.min(end, start + 2) : fit;
}

/**
 * Cut for text with no separator left: as many characters as fit the budget. Each piece is
 * measured and shrunk to fit, since density varies along a run (Latin then CJK, say).
 */
function cutHard(text: string, span: Span, size: number, measure: Measure): Span[] {
  const units = Math.max(1, measure(text.slice(span.start, span.end)));
  let width = Math.max(1, Math.floor((size * (span.end - span.start)) / units));
  const pieces: Span[] = [];
  for (let start = span.start; start < span.end; ) {
    let want = Math.min(span.end, start + width);
    // Never cut a surrogate pair in half.
    if (want < span.end && /[\uD800-\uDBFF]/.test(text[want - 1] ?? '')) want++;
    const end = fitEnd(text, start, want, size, measure);
    // The next width follows the density of the piece just cut (its count is remembered).
    width = Math.max(1, Math.floor((size * (end - start)) / Math.max(1, measure(text.slice(start, end)))));
    pieces.push({ start, end });
    start = end;
  }
  return pieces;
}

/** Pieces no larger than `size`: cut at the first separator present, recursing with the rest. */
export function splitRecursive(text: string, span: Span, separators: string[], size: number, measure: Measure): Span[] {
  if (measure(text.slice(span.start, span.end)) <= size) return [span];
  const index = separators.findIndex((s) => s === '' || text.slice(span.start + 1, span.end).includes(s));
  const separator = separators[index];
  if (separator === undefined || separator === '') return cutHard(text, span, size, measure);
  const rest = separators.slice(index + 1);
  return cutAt(text, span, separator).flatMap((piece) => splitRecursive(text, piece, rest, size, measure));
}

/**
 * Greedy merge of consecutive pieces into windows of at most `size`, each new window starting with
 * the trailing pieces of the last one that fit in `overlap`.
 */
export function mergePieces(text: string, pieces: Span[], size: number, overlap: number, measure: Measure): Span[] {
  const sizes = pieces.map((p) => measure(text.slice(p.start, p.end)));
  const windows: Span[] = [];
  let first = 0;
  let total = 0;
  for (let i = 0; i < pieces.length; i++) {
    const add = sizes[i] ?? 0;
    if (i > first && total + add > size) {
      windows.push({ start: (pieces[first] as Span).start, end: (pieces[i - 1] as Span).end });
      while (first < i && (total > overlap || total + add > size)) {
        total -= sizes[first] ?? 0;
        first++;
      }
    }
    total += add;
  }
  if (first < pieces.length) windows.push({ start: (pieces[first] as Span).start, end: (pieces[pieces.length - 1] as Span).end });
  return windows;
}

/** Shrinks a span past leading and trailing whitespace; null when nothing is left. */
export function trimSpan(text: string, span: Span): Span | null {
  let { start, end } = span;
  while (start < end && /\s/.test(text[start] ?? '')) start++;
  while (end > start && /\s/.test(text[end - 1] ?? '')) end--;
  return end > start ? { start, end } : null;
}
