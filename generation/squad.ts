import { readFileSync } from 'node:fs';
import { CairnError } from '../core/index.ts';

/** SQuAD v1.1 / v2.0 reading and the official answer metrics (evaluate-v2.0.py), as pure functions. */

export interface SquadQuestion {
  id: string;
  question: string;
  /** Gold answer texts; empty for unanswerable (v2.0) questions. */
  answers: string[];
  title: string;
  paragraph: number;
  context: string;
}

export interface SquadSet {
  version: string;
  paragraphs: { key: string; title: string; context: string }[];
  questions: SquadQuestion[];
}

interface RawSquad {
  version?: string;
  data?: {
    title: string;
    paragraphs: {
      context: string;
      qas: { id: string; question: string; answers?: { text: string }[]; is_impossible?: boolean }[];
    }[];
  }[];
}

export function loadSquad(file: string): SquadSet {
  let raw: RawSquad;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8')) as RawSquad;
  } catch (error) {
    throw new CairnError('VALIDATION', `Cannot read SQuAD file ${file}: ${(error as Error).message}`, { file });
  }
  if (!Array.isArray(raw.data)) throw new CairnError('VALIDATION', `${file} is not SQuAD JSON (no "data" array)`, { file });
  const set: SquadSet = { version: raw.version ?? 'unknown', paragraphs: [], questions: [] };
  for (const article of raw.data) {
    article.paragraphs.forEach((p, index) => {
      const key = `${article.title}_${index}`;
      set.paragraphs.push({ key, title: article.title, context: p.context });
      for (const qa of p.qas) {
        const answers = qa.is_impossible ? [] : (qa.answers ?? []).map((a) => a.text);
        set.questions.push({
          id: qa.id,
          question: qa.question,
          answers,
          title: article.title,
          paragraph: index,
          context: p.context,
        });
      }
    });
  }
  return set;
}

/** limit questions spread evenly over the set, so a small run still covers every article. */
export function sampleEvenly<T>(items: T[], limit: number): T[] {
  if (limit >= items.length) return items;
  const step = items.length / limit;
  return Array.from({ length: limit }, (_, i) => items[Math.floor(i * step)] as T);
}

export function normalizeAnswer(text: string): string {
  return text
    .toLowerCase()
    .replace(/[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g, '')
    .replace(/\b(a|an|the)\b/g, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .join(' ');
}

export function exactMatch(prediction: string, gold: string): number {
  return normalizeAnswer(prediction) === normalizeAnswer(gold) ? 1 : 0;
}

export function f1Score(prediction: string, gold: string): number {
  const p = normalizeAnswer(prediction).split(' ').filter(Boolean);
  const g = normalizeAnswer(gold).split(' ').filter(Boolean);
  if (p.length === 0 || g.length === 0) return p.length === g.length ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of g) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of p) {
    const n = counts.get(t) ?? 0;
    if (n > 0) {
      common++;
      counts.set(t, n - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / p.length;
  const recall = common / g.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Best score over the gold answers; an unanswerable question's gold is the empty answer. */
export function bestOver(metric: (p: string, g: string) => number, prediction: string, answers: string[]): number {
  const golds = answers.length === 0 ? [''] : answers;
  return Math.max(...golds.map((g) => metric(prediction, g)));
}

export function goldInAnswer(prediction: string, answers: string[]): boolean {
  const p = ` ${normalizeAnswer(prediction)} `;
  return answers.some((a) => normalizeAnswer(a) !== '' && p.includes(` ${normalizeAnswer(a)} `));
}
