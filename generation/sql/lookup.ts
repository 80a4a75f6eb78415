import type { Citation, Passage } from '../../core/index.ts';
import type { DataTable, Store } from '../../store/index.ts';
import { citePassage } from '../citations.ts';
import type { GradedPassage, SentenceVerdict } from '../types.ts';

const STOP = new Set(
  'a an the of in on for to is are was were be what which who whom whose how many much does do did there this that these those with from by at as and or me tell show give list please its it their'.split(
    ' ',
  ),
);

/** Words for matching a question with headers and cells: lower-case, a plural `s` dropped. */
export function words(text: string): string[] {
  return (text.toLowerCase().match(/[\p{L}\p{N}]+(?:[.,]\d+)*/gu) ?? [])
    .filter((w) => !STOP.has(w))
    .map((w) =>
      w.length > 3 && w.endsWith('ies') ? `${w.slice(0, -3)}y` : w.length > 3 && /[^s]s$/.test(w) ? w.slice(0, -1) : w,
    );
}

type Row = Record<string, string | number | null>;

interface Lookup {
  passage: GradedPassage;
  table: DataTable;
  row: Row;
  key: { label: string; value: string };
  target: { label: string; value: string };
  score: number;
}

function overlap(a: string[], b: Set<string>): number {
  return a.filter((w) => b.has(w)).length;
}

/** The row behind a row passage, read from its stored table. */
function rowOf(store: Store, passage: Passage): { table: DataTable; row: Row } | null {
  const ref = passage.metadata.table as { index?: number; row?: number } | undefined;
  if (ref?.index === undefined || ref.row === undefined) return null;
  const table = store.tables.forDocument(passage.documentId).find((t) => t.ordinal === ref.index);
  if (!table) return null;
  const row = store.db.prepare(`SELECT * FROM "${table.sqlName}" WHERE _row = ?`).get(ref.row) as Row | undefined;
  return row ? { table, row } : null;
}

/** Which cell the question names the row by (its key) and which column it asks for (its target). */
function match(question: Set<string>, passage: GradedPassage, table: DataTable, row: Row): Lookup | null {
  let key: Lookup['key'] | null = null;
  let keyScore = 0;
  let target: Lookup['target'] | null = null;
  let targetScore = 0;
  for (const column of table.columns) {
    const value = row[column.name];
    if (value === null || value === undefined || value === '') continue;
    const cell = overlap(words(String(value)), question);
    if (column.type === 'text' && cell > keyScore) {
      keyScore = cell;
      key = { label: column.label, value: String(value) };
    }
    const label = overlap(words(column.label), question) + overlap(words(column.name.replace(/_/g, ' ')), question);
    if (label > targetScore && cell === 0) {
      targetScore = label;
      target = { label: column.label, value: String(value) };
    }
  }
  if (!key || !target) return null;
  return { passage, table, row, key, target, score: keyScore * 2 + targetScore };
}

function citation(store: Store, marker: number, passage: Passage): Citation {
  const text = store.documents.get(passage.documentId)?.text ?? passage.text;
  return citePassage(
    marker,
    passage,
    { start: passage.start, end: passage.end, text: text.slice(passage.start, passage.end) },
    'overlap',
  );
}

export interface TableLookupAnswer {
  answer: string;
  sentences: SentenceVerdict[];
  citations: Citation[];
  table: string;
  row: number;
}

/**
 * Without a generator: a question about one cell ("What is the price of bananas?") answered with
 * that cell, from the best-matching row passage retrieved. The question must name the row by one
 * of its text cells and the column by its header; otherwise this answers nothing.
 */
export function lookupCell(store: Store, question: string, passages: GradedPassage[]): TableLookupAnswer | null {
  const asked = new Set(words(question));
  let best: Lookup | null = null;
  for (const passage of passages) {
    const found = rowOf(store, passage.passage);
    const matched = found ? match(asked, passage, found.table, found.row) : null;
    if (matched && (!best || matched.score > best.score)) best = matched;
  }
  if (!best) return null;
  const { passage, key, target } = best;
  const text = `${target.label} of ${key.value}: ${target.value} [${passage.marker}]`;
  return {
    answer: text,
    sentences: [{ text, start: 0, end: text.length, markers: [passage.marker], support: null, removed: false }],
    citations: [citation(store, passage.marker, passage.passage)],
    table: best.table.name,
    row: Number(best.row._row),
  };
}
