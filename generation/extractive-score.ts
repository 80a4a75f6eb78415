/**
 * Scores for the extractive answerer's candidate sentences: BM25 over the sentences of the
 * retrieved passages (idf from that pool, so a word every candidate has counts for little), and
 * the idf-weighted share of the question's terms a text holds.
 */

export interface Bm25Pool {
  idf(term: string): number;
  score(query: string[], doc: string[]): number;
}

const K1 = 1.2;
const B = 0.75;

export function createBm25Pool(docs: string[][]): Bm25Pool {
  const df = new Map<string, number>();
  let total = 0;
  for (const doc of docs) {
    total += doc.length;
    for (const term of new Set(doc)) df.set(term, (df.get(term) ?? 0) + 1);
  }
  const n = docs.length;
  const avg = n === 0 ? 1 : Math.max(1, total / n);
  const idf = (term: string) => {
    const d = df.get(term) ?? 0;
    return Math.log(1 + (n - d + 0.5) / (d + 0.5));
  };
  return {
    idf,
    score(query, doc) {
      const tf = new Map<string, number>();
      for (const term of doc) tf.set(term, (tf.get(term) ?? 0) + 1);
      let sum = 0;
      for (const term of query) {
        // A prefix term (extractive-cues.ts) stands in for its word only where the word itself is absent.
        if (term.endsWith('~') && query.some((t) => t !== term && t.startsWith(term.slice(0, -1)) && tf.has(t))) continue;
        const f = tf.get(term) ?? 0;
        if (f > 0) sum += (idf(term) * f * (K1 + 1)) / (f + K1 * (1 - B + (B * doc.length) / avg));
      }
      return sum;
    },
  };
}

/** Share of the query's idf mass found in the text: 0 (none of its words) to 1 (all of them). */
export function coverage(query: string[], text: ReadonlySet<string>, idf: (term: string) => number): number {
  let hit = 0;
  let all = 0;
  for (const term of query) {
    const weight = Math.max(idf(term), 0.05);
    all += weight;
    if (text.has(term)) hit += weight;
  }
  return all === 0 ? 0 : hit / all;
}

/** The question's adjacent term pairs ("super bowl", "bowl 50"): a sentence that repeats one says the same phrase. */
export function questionBigrams(terms: string[]): Set<string> {
  const pairs = new Set<string>();
  for (let i = 0; i + 1 < terms.length; i++) pairs.add(`${terms[i]} ${terms[i + 1]}`);
  return pairs;
}

/** How many of the question's term pairs the text has side by side, as a share of 3 (more count no further). */
export function phraseMatch(pairs: ReadonlySet<string>, terms: string[]): number {
  let hits = 0;
  for (let i = 0; i + 1 < terms.length && hits < PHRASE_CAP; i++) if (pairs.has(`${terms[i]} ${terms[i + 1]}`)) hits++;
  return hits / PHRASE_CAP;
}

const PHRASE_CAP = 3;
