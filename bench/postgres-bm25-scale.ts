/**
 * BM25 inside PostgreSQL at scale: the exact query (every posting of the query's terms, as before
 * 0004) against the pruned one (document frequencies from bm25_terms, MaxScore over the rarer
 * terms; retrieval/postgres/bm25.ts) on the same database in the same run.
 *
 *   npm run bench -- postgres-bm25-scale --url postgres://user@host:port/db [--chunks 200000]
 *        [--queries 300] [--passes 2] [--squad dev-v1.1.json] [--keep]
 *
 * Corpus: bench/scale.ts's generator (SQuAD paragraphs cut into 2–3 sentences, three vocabulary
 * words swapped in per chunk), written in transactions of 2,000 chunks through writePostings (so
 * the bm25_terms triggers run as in the store). Queries: SQuAD questions, k = 10, one at a time;
 * best of --passes passes per path, the paths alternating. Every pruned top 10 is compared with
 * the exact one (ids and scores). Then the write cost of bm25_terms: 20,000 chunks written without
 * and with its trigger. A temporary database is created and dropped unless --keep;
 * --reuse <database url> measures a database that an earlier --keep run loaded; --budget, --leaders
 * and --exact-below override DEFAULT_PRUNING (retrieval/postgres/bm25-plan.ts).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { createRandom } from '../indexer/ann/kmeans.ts';
import { type Bm25Plan, type Bm25Pruning, DEFAULT_PRUNING, searchBm25Pg } from '../retrieval/postgres/bm25.ts';
import { writePostings } from '../retrieval/postgres/index.ts';
import { migratePostgres } from '../store/postgres/migrate.ts';

const ROOT = path.resolve(import.meta.dirname, '..');
const { values: flags } = parseArgs({
  options: {
    url: { type: 'string' },
    chunks: { type: 'string', default: '200000' },
    queries: { type: 'string', default: '300' },
    passes: { type: 'string', default: '2' },
    squad: { type: 'string', default: path.resolve(ROOT, '../shared/eval/squad/dev-v1.1.json') },
    keep: { type: 'boolean', default: false },
    reuse: { type: 'string' },
    budget: { type: 'string' },
    leaders: { type: 'string' },
    'exact-below': { type: 'string' },
  },
});
if (!flags.url) {
  process.stderr.write('usage: npm run bench -- postgres-bm25-scale --url postgres://user@host:port/db [--chunks 200000]\n');
  process.exit(2);
}
const log = (m: string) => process.stderr.write(`[bench postgres-bm25-scale] ${m}\n`);
const round = (x: number, p = 2) => Math.round(x * 10 ** p) / 10 ** p;
const COLLECTION = 'scale';
const PER_TX = 2_000;
const PER_DOC = 100;
const PRUNING: Bm25Pruning = {
  exactBelow: Number(flags['exact-below'] ?? DEFAULT_PRUNING.exactBelow),
  budget: Number(flags.budget ?? DEFAULT_PRUNING.budget),
  leaders: Number(flags.leaders ?? DEFAULT_PRUNING.leaders),
};
const EXACT: Bm25Pruning = { exactBelow: Number.POSITIVE_INFINITY, budget: 0, leaders: 0 };

interface Squad {
  data: { paragraphs: { context: string; qas: { question: string }[] }[] }[];
}
interface Corpus {
  passages: string[][];
  vocabulary: string[];
  questions: string[];
}

function corpus(file: string): Corpus {
  const squad = JSON.parse(readFileSync(file, 'utf8')) as Squad;
  const paragraphs = squad.data.flatMap((a) => a.paragraphs);
  const passages = paragraphs.map((p) => p.context.split(/(?<=[.!?])\s+/).filter((s) => s.length > 0));
  const vocabulary = [...new Set(paragraphs.flatMap((p) => p.context.toLowerCase().match(/[a-z]{4,}/g) ?? []))];
  const questions = paragraphs.flatMap((p) => p.qas.map((q) => q.question));
  return { passages, vocabulary, questions };
}

/** bench/scale.ts's chunk i: 2–3 sentences of a paragraph, with three vocabulary words swapped in. */
function chunkText(i: number, data: Corpus, random: () => number): string {
  const sentences = data.passages[i % data.passages.length] as string[];
  const start = Math.floor(random() * sentences.length);
  const words = sentences
    .slice(start, start + 2 + (i % 2))
    .join(' ')
    .split(' ');
  for (let s = 0; s < 3 && words.length > 3; s++) {
    words[Math.floor(random() * words.length)] = data.vocabulary[Math.floor(random() * data.vocabulary.length)] as string;
  }
  return words.join(' ');
}

async function createDatabase(url: string): Promise<{ url: string; drop(): Promise<void> }> {
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const name = `cairn_bench_bm25_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const target = new URL(url);
  target.pathname = `/${name}`;
  const drop = async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  };
  return { url: target.toString(), drop };
}

const INSERT_DOCS = `INSERT INTO documents (id, collection_id, source, mime, title, content_hash, text, created_at, updated_at)
  SELECT d, $2, d, 'text/plain', '', d, '', $3, $3 FROM unnest($1::text[]) AS d`;
const INSERT_CHUNKS = `INSERT INTO chunks (id, document_id, collection_id, ordinal, text, char_start, char_end, search_title, search_text)
  SELECT c, d, $4, o, t, 0, length(t), '', t FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS x(c, d, t, o)
  RETURNING rowid`;

/** One transaction: PER_TX chunks in documents of PER_DOC, their postings through writePostings. */
async function writeBatch(client: pg.PoolClient, from: number, texts: string[], collection = COLLECTION): Promise<void> {
  const now = new Date().toISOString();
  const docOf = (j: number) => `${collection}-doc-${Math.floor((from + j) / PER_DOC)}`;
  await client.query('BEGIN');
  await client.query(INSERT_DOCS, [[...new Set(texts.map((_, j) => docOf(j)))], collection, now]);
  const { rows } = await client.query<{ rowid: string }>(INSERT_CHUNKS, [
    texts.map((_, j) => `${collection}-c-${from + j}`),
    texts.map((_, j) => docOf(j)),
    texts,
    collection,
  ]);
  const postings = rows.map((r, j) => ({
    rowid: Number(r.rowid),
    collectionId: collection,
    searchTitle: '',
    searchText: texts[j] as string,
  }));
  await writePostings(client, postings);
  await client.query('COMMIT');
}

async function load(pool: pg.Pool, data: Corpus, chunks: number): Promise<number> {
  const now = new Date().toISOString();
  await pool.query('INSERT INTO collections (id, name, created_at, updated_at) VALUES ($1, $1, $2, $2)', [COLLECTION, now]);
  const random = createRandom(1);
  const client = await pool.connect();
  const started = performance.now();
  try {
    for (let from = 0; from < chunks; from += PER_TX) {
      const texts = Array.from({ length: Math.min(PER_TX, chunks - from) }, (_, j) => chunkText(from + j, data, random));
      await writeBatch(client, from, texts);
      if ((from / PER_TX) % 20 === 0) log(`wrote ${from + texts.length} chunks`);
    }
  } finally {
    client.release();
  }
  return chunks / ((performance.now() - started) / 1000);
}

/*
 * What bm25_terms costs the write path: the same chunks written into a scratch collection with
 * the postings' insert trigger disabled, then enabled (the collection deleted after each).
 */
async function writeCost(pool: pg.Pool, data: Corpus, chunks: number) {
  const rates: Record<string, number> = {};
  const client = await pool.connect();
  try {
    for (const mode of ['without', 'with'] as const) {
      const collection = `writes-${mode}`;
      const now = new Date().toISOString();
      await client.query('INSERT INTO collections (id, name, created_at, updated_at) VALUES ($1, $1, $2, $2)', [collection, now]);
      if (mode === 'without') await client.query('ALTER TABLE bm25_postings DISABLE TRIGGER bm25_postings_insert');
      const random = createRandom(2);
      const started = performance.now();
      for (let from = 0; from < chunks; from += PER_TX) {
        const texts = Array.from({ length: Math.min(PER_TX, chunks - from) }, (_, j) => chunkText(from + j, data, random));
        await writeBatch(client, from, texts, collection);
      }
      rates[`${mode}Terms`] = round(chunks / ((performance.now() - started) / 1000), 0);
      await client.query('ALTER TABLE bm25_postings ENABLE TRIGGER bm25_postings_insert');
      await client.query('DELETE FROM collections WHERE id = $1', [collection]);
    }
  } finally {
    client.release();
  }
  return { chunks, chunksPerSecond: rates };
}

type Top = { id: number; score: number }[];

async function pass(pool: pg.Pool, questions: string[], pruning: Bm25Pruning | null, plans: Bm25Plan[]) {
  const tops: Top[] = [];
  const started = performance.now();
  for (const query of questions) {
    const onPlan = (plan: Bm25Plan) => plans.push(plan);
    const q = { collectionId: COLLECTION, query, k: 10, onPlan, ...(pruning ? { pruning } : {}) };
    tops.push((await searchBm25Pg(pool, q)).hits);
  }
  return { qps: questions.length / ((performance.now() - started) / 1000), tops };
}

const same = (a: Top, b: Top) => a.length === b.length && a.every((h, i) => h.id === b[i]?.id && h.score === b[i]?.score);

async function measure(pool: pg.Pool, questions: string[], passes: number) {
  let exactQps = 0;
  let prunedQps = 0;
  let exactTops: Top[] = [];
  let prunedTops: Top[] = [];
  let plans: Bm25Plan[] = [];
  for (let p = 0; p < passes; p++) {
    const exact = await pass(pool, questions, EXACT, []);
    plans = [];
    const pruned = await pass(pool, questions, PRUNING, plans);
    log(`pass ${p + 1}: exact ${round(exact.qps)} q/s, pruned ${round(pruned.qps)} q/s`);
    exactQps = Math.max(exactQps, exact.qps);
    prunedQps = Math.max(prunedQps, pruned.qps);
    exactTops = exact.tops;
    prunedTops = pruned.tops;
  }
  const identical = exactTops.filter((t, i) => same(t, prunedTops[i] as Top)).length;
  return { exactQps, prunedQps, identical, plans };
}

function planSummary(plans: Bm25Plan[]) {
  const pruned = plans.filter((p) => p.path === 'pruned');
  const mean = (xs: number[]) => (xs.length ? round(xs.reduce((a, x) => a + x, 0) / xs.length, 2) : 0);
  return {
    prunedQueries: pruned.length,
    exactQueries: plans.length - pruned.length,
    meanAttempts: mean(pruned.map((p) => p.attempts)),
    meanPostingsReadInFull: mean(pruned.map((p) => p.postings)),
    meanQueryPostings: mean(plans.map((p) => p.queryPostings)),
  };
}

async function main() {
  const data = corpus(flags.squad as string);
  const chunks = Number(flags.chunks);
  const questions = data.questions.filter((_, i) => i % 7 === 0).slice(0, Number(flags.queries));
  const database = flags.reuse ? { url: flags.reuse, drop: async () => {} } : await createDatabase(flags.url as string);
  const pool = new pg.Pool({ connectionString: database.url, max: 2 });
  try {
    let rate = 0;
    if (!flags.reuse) {
      await migratePostgres(pool);
      rate = await load(pool, data, chunks);
      log(`loaded ${chunks} chunks at ${round(rate, 0)} chunks/s; VACUUM ANALYZE`);
      await pool.query('VACUUM ANALYZE');
    }
    const sizes = await pool.query<{ postings: string; terms: string }>(
      `SELECT (SELECT count(*) FROM bm25_postings) AS postings, (SELECT count(*) FROM bm25_terms) AS terms`,
    );
    const m = await measure(pool, questions, Math.max(1, Number(flags.passes)));
    const writes = flags.reuse ? null : await writeCost(pool, data, Math.min(chunks, 20_000));
    // The project's bench shape: config, one row per measured variant, ratios against the baseline of the same run.
    const result = {
      bench: 'postgres-bm25-scale',
      config: {
        chunks,
        postings: Number(sizes.rows[0]?.postings),
        termRows: Number(sizes.rows[0]?.terms),
        loadChunksPerSecond: round(rate, 0),
        queries: questions.length,
        k: 10,
        pruning: PRUNING,
        loadavg: round(loadavg()[0] ?? 0),
      },
      results: [
        { name: 'postgres-bm25-exact', qps: round(m.exactQps) },
        { name: 'postgres-bm25-pruned', qps: round(m.prunedQps), identicalTop10: m.identical, ...planSummary(m.plans) },
        ...(writes ? [{ name: 'postgres-bm25-write-cost', ...writes }] : []),
      ],
      ratios: { pruned_vs_exact: round(m.prunedQps / m.exactQps) },
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await pool.end();
    if (flags.keep) log(`kept ${database.url}`);
    else if (!flags.reuse) await database.drop();
  }
}

await main();
