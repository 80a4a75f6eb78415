import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatResult, parseFilterArgs } from '../../cli/commands/search.ts';
import { openStore } from '../../store/index.ts';
import { addDocument } from './helpers.ts';

const exec = promisify(execFile);
const BIN = path.resolve('bin/cairn.js');
let dir: string;
let data: string;

async function cairn(args: string[]) {
  try {
    const { stdout, stderr } = await exec('node', [BIN, ...args, '--data', data, '--offline'], { cwd: dir });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cairn-retrieval-cli-'));
  data = path.join(dir, 'data');
  const store = openStore({ dataDir: data });
  addDocument(store, 'kb', {
    source: 'a.txt',
    title: 'Cats',
    chunks: ['Cats purr.', 'Cats sleep a lot.'],
    metadata: { year: 2020 },
  });
  addDocument(store, 'kb', { source: 'b.txt', title: 'Dogs', chunks: ['Dogs bark.'], metadata: { year: 2024 } });
  store.close();
  const beir = path.join(dir, 'beir');
  mkdirSync(path.join(beir, 'qrels'), { recursive: true });
  const corpus = [
    { _id: 'd1', title: 'Cats', text: 'Cats purr when content.' },
    { _id: 'd2', title: 'Dogs', text: 'Dogs bark at night.' },
    { _id: 'd3', title: 'Birds', text: 'Birds sing in the morning.' },
  ];
  writeFileSync(path.join(beir, 'corpus.jsonl'), corpus.map((d) => JSON.stringify(d)).join('\n'));
  writeFileSync(
    path.join(beir, 'queries.jsonl'),
    [
      { _id: 'q1', text: 'why do cats purr' },
      { _id: 'q2', text: 'birds singing' },
      { _id: 'q9', text: 'unjudged' },
    ]
      .map((q) => JSON.stringify(q))
      .join('\n'),
  );
  writeFileSync(path.join(beir, 'qrels', 'test.tsv'), 'query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\td3\t1\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseFilterArgs', () => {
  it('maps key=value arguments onto filter fields', () => {
    expect(
      parseFilterArgs([
        'source=docs/**',
        'tag=a,b',
        'tag=c',
        'mime=text/plain',
        'document=x',
        'language=en',
        'created>=2024-01-01',
        'updated<2025-01-01',
        'metadata.year>=2020',
        'meta.kind=memo',
        'metadata.n=3',
        'metadata.ok=true',
      ]),
    ).toEqual({
      source: 'docs/**',
      tags: ['a', 'b', 'c'],
      mime: ['text/plain'],
      documentIds: ['x'],
      language: ['en'],
      created: { from: '2024-01-01' },
      updated: { to: '2025-01-01' },
      metadata: { year: { gte: 2020 }, kind: 'memo', n: { in: [3, '3'] }, ok: { in: [true, 'true'] } },
    });
  });

  it('passes unknown keys on for validation and rejects text without an operator', () => {
    expect(parseFilterArgs(['colour=red'])).toEqual({ colour: 'red' });
    expect(() => parseFilterArgs(['nonsense'])).toThrow('is not key=value');
  });
});

describe('formatResult', () => {
  it('prints passages, what ran and the notes', () => {
    const text = formatResult({
      passages: [],
      ran: { bm25: true, dense: false, fusion: null, rerank: false },
      notes: ['no vectors: BM25 only'],
      timings: { total: 1.5 },
    });
    expect(text).toBe('no results\nran: bm25 in 1.5 ms\nnote: no vectors: BM25 only');
  });
});

describe('cairn search and cairn eval', () => {
  it('searches with BM25 and says why dense and rerank did not run', async () => {
    const result = await cairn(['search', 'do cats purr', '--collection', 'kb', '--json', '--k', '2']);
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout);
    expect(out.passages.map((p: { source: string }) => p.source)).toEqual(['a.txt']);
    expect(out.passages[0].text).toBe('Cats purr. Cats sleep a lot.');
    expect(out.ran).toEqual({ bm25: true, dense: false, fusion: null, rerank: false });
    expect(out.notes).toEqual([
      'reranker Xenova/ms-marco-MiniLM-L-6-v2 unavailable (MODEL_MISSING): results not reranked',
      'no vectors in this collection: BM25 only',
    ]);
  });

  it('filters from the command line and rejects unknown filter fields', async () => {
    const filtered = await cairn([
      'search',
      'cats dogs',
      '-c',
      'kb',
      '--mode',
      'bm25',
      '--filter',
      'metadata.year>=2021',
      '--json',
    ]);
    expect(JSON.parse(filtered.stdout).passages.map((p: { source: string }) => p.source)).toEqual(['b.txt']);
    const bad = await cairn(['search', 'cats', '-c', 'kb', '--filter', 'colour=red', '--json']);
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout).error.code).toBe('VALIDATION');
    expect(JSON.parse(bad.stdout).error.message).toContain('"colour"');
  });

  it('reports an unknown collection and an empty query', async () => {
    const missing = await cairn(['search', 'cats', '-c', 'nope', '--json']);
    expect([missing.code, JSON.parse(missing.stdout).error.code]).toEqual([1, 'COLLECTION_NOT_FOUND']);
    const empty = await cairn(['search', '', '-c', 'kb']);
    expect(empty.code).toBe(2);
  });

  it('evaluates a BEIR folder and rejects unknown evaluations', async () => {
    const result = await cairn(['eval', 'beir', path.join(dir, 'beir'), '--mode', 'bm25', '--json']);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect([report.documents, report.queries, report.mode]).toEqual([3, 2, 'bm25']);
    expect(report.metrics).toEqual({ 'ndcg@10': 1, 'recall@100': 1, 'mrr@10': 1, 'recall@1': 1, 'recall@5': 1, 'recall@20': 1 });
    const unknown = await cairn(['eval', 'trec', 'x']);
    expect(unknown.code).toBe(2);
    const missing = await cairn(['eval', 'beir', path.join(dir, 'nothing'), '--json']);
    expect(JSON.parse(missing.stdout).error.code).toBe('SOURCE_NOT_FOUND');
  });
});
