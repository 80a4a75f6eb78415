import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCairnError } from '../../core/index.ts';
import { averageScores, loadBeir, mrrAt, ndcgAt, percentile, readQrels, recallAt, scoreQuery } from '../../retrieval/index.ts';

const qrels = new Map([
  ['a', 2],
  ['b', 1],
  ['z', 0],
]);

describe('ranking metrics', () => {
  it('computes nDCG with linear gains as pytrec_eval does', () => {
    expect(ndcgAt(['a', 'b'], qrels, 10)).toBe(1);
    const dcg = 1 / Math.log2(2) + 2 / Math.log2(3);
    const idcg = 2 / Math.log2(2) + 1 / Math.log2(3);
    expect(ndcgAt(['b', 'a'], qrels, 10)).toBeCloseTo(dcg / idcg, 12);
    expect(ndcgAt(['x', 'z'], qrels, 10)).toBe(0);
    expect(ndcgAt(['a'], new Map(), 10)).toBe(0);
  });

  it('computes recall and MRR at a cutoff', () => {
    expect(recallAt(['x', 'a', 'y', 'b'], qrels, 2)).toBe(0.5);
    expect(recallAt(['x', 'a', 'y', 'b'], qrels, 4)).toBe(1);
    expect(mrrAt(['x', 'z', 'b'], qrels, 10)).toBeCloseTo(1 / 3, 12);
    expect(mrrAt(['x', 'y', 'b'], qrels, 2)).toBe(0);
  });

  it('averages per-query scores and takes nearest-rank percentiles', () => {
    const avg = averageScores([scoreQuery(['a', 'b'], qrels), scoreQuery(['x'], qrels)]);
    expect(avg['ndcg@10']).toBe(0.5);
    expect(avg['recall@1']).toBe(0.25);
    expect(avg['mrr@10']).toBe(0.5);
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile([5, 1, 4, 2, 3], 95)).toBe(5);
    expect(percentile([], 50)).toBe(0);
  });
});

describe('loadBeir', () => {
  it('reads corpus, judged queries and qrels; a missing file is SOURCE_NOT_FOUND, bad JSON is VALIDATION', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cairn-beir-'));
    try {
      writeFileSync(path.join(dir, 'corpus.jsonl'), '{"_id": "d1", "title": "T", "text": "x"}\n\n{"_id": 2, "text": "y"}\n');
      writeFileSync(path.join(dir, 'queries.jsonl'), '{"_id": "q1", "text": "x?"}\n{"_id": "q2", "text": "none"}\n');
      let code = '';
      try {
        loadBeir(dir);
      } catch (error) {
        code = isCairnError(error) ? error.code : 'other';
      }
      expect(code).toBe('SOURCE_NOT_FOUND');
      const qrelsDir = path.join(dir, 'qrels');
      mkdirSync(qrelsDir);
      writeFileSync(path.join(qrelsDir, 'test.tsv'), 'query-id\tcorpus-id\tscore\nq1\td1\t1\n');
      const data = loadBeir(dir);
      expect(data.corpus).toEqual([
        { id: 'd1', title: 'T', text: 'x' },
        { id: '2', title: '', text: 'y' },
      ]);
      expect(data.queries).toEqual([{ id: 'q1', text: 'x?' }]);
      expect(readQrels(path.join(qrelsDir, 'test.tsv'))).toEqual(new Map([['q1', new Map([['d1', 1]])]]));
      writeFileSync(path.join(dir, 'corpus.jsonl'), '{"_id": "d1"\n');
      try {
        loadBeir(dir);
      } catch (error) {
        code = isCairnError(error) ? error.code : 'other';
      }
      expect(code).toBe('VALIDATION');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
