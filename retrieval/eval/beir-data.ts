import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { CairnError } from '../../core/index.ts';
import type { Qrels } from './metrics.ts';

/** A dataset in BEIR format: corpus.jsonl, queries.jsonl and qrels/<split>.tsv. */
export interface BeirDoc {
  id: string;
  title: string;
  text: string;
}

export interface BeirQuery {
  id: string;
  text: string;
}

export interface BeirData {
  name: string;
  corpus: BeirDoc[];
  /** Only queries that have judgements in the split. */
  queries: BeirQuery[];
  qrels: Map<string, Qrels>;
}

function readLines(file: string): string[] {
  if (!existsSync(file)) throw new CairnError('SOURCE_NOT_FOUND', `BEIR file not found: ${file}`, { file });
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
}

function parseJsonLine(line: string, file: string, n: number): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new CairnError('VALIDATION', `${file}:${n + 1} is not valid JSON`, { file, line: n + 1 });
  }
}

export function readQrels(file: string): Map<string, Qrels> {
  const qrels = new Map<string, Qrels>();
  for (const line of readLines(file)) {
    const [query, doc, score] = line.split('\t');
    if (!query || !doc || query === 'query-id' || score === undefined) continue;
    const judged = qrels.get(query) ?? new Map<string, number>();
    judged.set(doc, Number(score));
    qrels.set(query, judged);
  }
  return qrels;
}

export function loadBeir(folder: string, split = 'test'): BeirData {
  const corpusFile = path.join(folder, 'corpus.jsonl');
  const queriesFile = path.join(folder, 'queries.jsonl');
  const qrels = readQrels(path.join(folder, 'qrels', `${split}.tsv`));
  const corpus = readLines(corpusFile).map((line, n) => {
    const row = parseJsonLine(line, corpusFile, n);
    return { id: String(row._id), title: String(row.title ?? ''), text: String(row.text ?? '') };
  });
  const queries = readLines(queriesFile)
    .map((line, n) => {
      const row = parseJsonLine(line, queriesFile, n);
      return { id: String(row._id), text: String(row.text ?? '') };
    })
    .filter((q) => qrels.has(q.id));
  return { name: path.basename(path.resolve(folder)), corpus, queries, qrels };
}
