import { copyFileSync, mkdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { JobProgress } from '../../core/index.ts';
import { ingest, NO_EMBEDDER_NOTE, reindex, uploadSource } from '../../indexer/index.ts';
import { createHashEmbedder, type Embedder } from '../../models/index.ts';
import { createHarness, DOCS, type Harness, ingestDeps, rowCount } from './helpers.ts';

let h: Harness;
let folder: string;

function write(name: string, text: string): string {
  const file = path.join(folder, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

const LONG = Array.from({ length: 60 }, (_, i) => `Paragraph ${i} explains how cairns mark trails in the hills.`).join('\n\n');

beforeEach(() => {
  h = createHarness({ config: { ingest: { chunking: { splitter: 'auto', size: 64, overlap: 8, unit: 'tokens' } } } });
  folder = path.join(h.dir, 'docs');
  write('a.txt', LONG);
  write('b.md', '# Title\n\nSome markdown body.\n\n## Part\n\nMore text.');
  write('sub/c.txt', 'A third document in a sub folder.');
});
afterEach(() => h.cleanup());

describe('ingest', () => {
  it('stores documents, chunks with exact offsets, search fields and vectors', async () => {
    const summary = await ingest(ingestDeps(h), { collection: 'docs', sources: [folder] });
    expect([summary.added, summary.updated, summary.unchanged, summary.failed]).toEqual([3, 0, 0, []]);
    expect(summary.notes).toEqual([]);
    const chunks = rowCount(h.store, 'chunks');
    expect(summary.chunks).toBe(chunks);
    expect(chunks).toBeGreaterThan(5);
    expect(rowCount(h.store, 'vectors')).toBe(chunks);
    expect(
      (h.store.db.prepare("SELECT count(*) AS n FROM chunks WHERE search_text LIKE '%cairns%'").get() as { n: number }).n,
    ).toBeGreaterThan(0);
    for (const { source } of summary.documents) {
      const doc = h.store.documents.findBySource('docs', source);
      expect(doc?.status).toBe('ready');
      for (const chunk of h.store.chunks.byDocument(doc?.id ?? ''))
        expect(doc?.text.slice(chunk.start, chunk.end)).toBe(chunk.text);
    }
    const md = h.store.documents.findBySource('docs', path.join(folder, 'b.md'));
    expect(h.store.chunks.byDocument(md?.id ?? '').map((c) => c.headings)).toEqual([['Title'], ['Title', 'Part']]);
  });

  it('re-ingests a stored document from its text, split with the current chunking, pages kept', async () => {
    await ingest(ingestDeps(h), {
      collection: 'docs',
      sources: [{ kind: 'text', text: LONG, source: 'pasted', title: 'Pasted' }],
    });
    const before = h.store.documents.findBySource('docs', 'pasted');
    const pages = [
      { page: 1, start: 0, end: 100 },
      { page: 2, start: 100, end: LONG.length },
    ];
    const document = { ...(before as NonNullable<typeof before>), pages, mime: 'application/pdf' };
    h.store.collections.update('docs', { settings: { chunking: { splitter: 'auto', size: 16, overlap: 2, unit: 'tokens' } } });
    const summary = await ingest(ingestDeps(h), { collection: 'docs', sources: [{ kind: 'stored', document }] });
    const after = h.store.documents.findBySource('docs', 'pasted');
    const chunks = h.store.chunks.byDocument(after?.id ?? '');
    expect([summary.updated, summary.unchanged, summary.failed]).toEqual([1, 0, []]);
    expect(chunks.length).toBeGreaterThan(before?.chunkCount ?? 0);
    expect([after?.text, after?.title, after?.contentHash, after?.pages, after?.mime]).toEqual([
      LONG,
      'Pasted',
      before?.contentHash,
      pages,
      'application/pdf',
    ]);
    for (const chunk of chunks) expect(LONG.slice(chunk.start, chunk.end)).toBe(chunk.text);
    expect([chunks[0]?.page, chunks.at(-1)?.page]).toEqual([1, 2]);
    expect(rowCount(h.store, 'vectors')).toBe(rowCount(h.store, 'chunks'));
  });

  it('with force, splits and embeds unchanged sources again', async () => {
    await ingest(ingestDeps(h), { collection: 'docs', sources: [folder] });
    const plain = await ingest(ingestDeps(h), { collection: 'docs', sources: [folder] });
    const forced = await ingest(ingestDeps(h), { collection: 'docs', sources: [folder], force: true });
    expect([plain.updated, plain.unchanged]).toEqual([0, 3]);
    expect([forced.added, forced.updated, forced.unchanged, forced.chunks]).toEqual([0, 3, 0, rowCount(h.store, 'chunks')]);
  });

  it('is a no-op for unchanged sources and replaces changed ones atomically', async () => {
    await ingest(ingestDeps(h), { collection: 'docs', sources: [folder] });
    const changes = rowCount(h.store, 'vector_changes');
    const again = await ingest(ingestDeps(h), { collection: 'docs', sources: [folder] });
    expect([again.added, again.updated, again.unchanged, again.chunks]).toEqual([0, 0, 3, 0]);
    expect(rowCount(h.store, 'vector_changes')).toBe(changes);

    const file = write('sub/c.txt', 'The third document, now rewritten with other words.');
    const before = h.store.documents.findBySource('docs', file);
    const oldChunks = h.store.chunks.byDocument(before?.id ?? '');
    const third = await ingest(ingestDeps(h), { collection: 'docs', sources: [folder] });
    expect([third.added, third.updated, third.unchanged]).toEqual([0, 1, 2]);
    const after = h.store.documents.findBySource('docs', file);
    expect(after?.id).toBe(before?.id);
    expect(after?.text).toBe('The third document, now rewritten with other words.');
    const newChunks = h.store.chunks.byDocument(after?.id ?? '');
    expect(newChunks.map((c) => c.text)).toEqual(['The third document, now rewritten with other words.']);
    expect(h.store.chunks.get(oldChunks[0]?.id ?? '')).toBeNull();
    expect(rowCount(h.store, 'vectors')).toBe(rowCount(h.store, 'chunks'));
  });

  it('prunes documents whose files are gone only with --prune and only under the folder', async () => {
    const outside = path.join(h.dir, 'outside.txt');
    writeFileSync(outside, 'kept outside the folder');
    await ingest(ingestDeps(h), { collection: 'docs', sources: [folder, outside] });
    rmSync(path.join(folder, 'sub'), { recursive: true });
    const kept = await ingest(ingestDeps(h), { collection: 'docs', sources: [folder] });
    expect(kept.removed).toBe(0);
    expect(h.store.documents.count('docs')).toBe(4);
    const pruned = await ingest(ingestDeps(h), { collection: 'docs', sources: [folder], prune: true });
    expect(pruned.removed).toBe(1);
    expect(h.store.documents.findBySource('docs', path.join(folder, 'sub/c.txt'))).toBeNull();
    expect(h.store.documents.findBySource('docs', outside)).not.toBeNull();
    expect(rowCount(h.store, 'vectors')).toBe(rowCount(h.store, 'chunks'));
  });

  it('makes JSONL lines documents and prunes lines that disappear', async () => {
    const file = write('data.jsonl', '{"text":"line one"}\n{"text":"line two"}\n');
    await ingest(ingestDeps(h), { collection: 'docs', sources: [file] });
    expect(h.store.documents.findBySource('docs', `${file}#L2`)?.text).toBe('line two');
    write('data.jsonl', '{"text":"line one"}\n');
    const summary = await ingest(ingestDeps(h), { collection: 'docs', sources: [folder], prune: true });
    expect(summary.removed).toBe(1);
    expect(h.store.documents.findBySource('docs', `${file}#L1`)).not.toBeNull();
    expect(h.store.documents.findBySource('docs', `${file}#L2`)).toBeNull();
  });

  it('ingests bytes and text sources', async () => {
    const summary = await ingest(ingestDeps(h), {
      collection: 'docs',
      sources: [
        {
          kind: 'bytes',
          name: 'upload.html',
          data: new Uint8Array(Buffer.from('<h1>Up</h1><p>loaded page</p>')),
          metadata: { by: 'test' },
        },
        { kind: 'text', text: 'Plain string document.', title: 'Note', source: 'note-1' },
      ],
    });
    expect(summary.added).toBe(2);
    // An upload's source is its content hash and name (two different upload.html are two documents).
    const html = new Uint8Array(Buffer.from('<h1>Up</h1><p>loaded page</p>'));
    expect(summary.documents.map((d) => d.source)).toEqual([uploadSource('upload.html', html), 'note-1']);
    expect(h.store.documents.findBySource('docs', uploadSource('upload.html', html))?.metadata).toEqual({ by: 'test' });
    expect(h.store.documents.findBySource('docs', 'note-1')?.title).toBe('Note');
  });
});

describe('bad input', () => {
  it('records every failure with its code, goes on, and leaves nothing half-written', async () => {
    const bad = path.join(h.dir, 'bad');
    mkdirSync(bad);
    for (const name of [
      'pdf-corrupt-zlib-stream.pdf',
      'pdf-encrypted-aes256.pdf',
      'pdf-scanned-no-text-layer.pdf',
      'docx-invalid-empty-zip.docx',
      'md-latin1-encoded.md',
      'html-windows1252-encoded.html',
    ]) {
      copyFileSync(path.join(DOCS, name), path.join(bad, name));
    }
    writeFileSync(path.join(bad, 'zero.txt'), '');
    const big = path.join(bad, 'big.txt');
    writeFileSync(big, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 3]));
    truncateSync(big, 50 * 1024 * 1024);
    const job = h.store.jobs.create({ kind: 'ingest', collectionId: 'docs' });
    const summary = await ingest(ingestDeps(h), {
      collection: 'docs',
      jobId: job.id,
      sources: [
        bad,
        path.join(h.dir, 'missing.txt'),
        'http://127.0.0.1:9/secret',
        'http://[::1]/x',
        'http://169.254.169.254/latest',
      ],
    });
    const failures = summary.failed.map((f) => [path.basename(f.source), f.code]).sort();
    expect(failures).toEqual(
      [
        ['big.txt', 'BINARY_FILE'],
        ['docx-invalid-empty-zip.docx', 'LOADER_FAILED'],
        ['latest', 'URL_BLOCKED'],
        ['missing.txt', 'SOURCE_NOT_FOUND'],
        ['pdf-encrypted-aes256.pdf', 'PDF_ENCRYPTED'],
        ['secret', 'URL_BLOCKED'],
        ['x', 'URL_BLOCKED'],
        ['zero.txt', 'EMPTY_FILE'],
      ].sort(),
    );
    // The scanned PDF is read by OCR (ingest.ocr 'auto'): no longer a failure.
    expect(summary.added).toBe(4);
    const stored = h.store.documents
      .list({ collectionId: 'docs' })
      .documents.map((d) => path.basename(d.source))
      .sort();
    expect(stored).toEqual([
      'html-windows1252-encoded.html',
      'md-latin1-encoded.md',
      'pdf-corrupt-zlib-stream.pdf',
      'pdf-scanned-no-text-layer.pdf',
    ]);
    const scanned = h.store.documents.findBySource('docs', path.join(bad, 'pdf-scanned-no-text-layer.pdf'));
    expect(scanned?.text.startsWith('Lorem ipsum dolor sit amet, consectetur adipiscing elit. Nunc sollicitudin\n')).toBe(true);
    expect((scanned?.metadata.ocr as { engines: string[] } | undefined)?.engines).toEqual(['tesseract.js@7.0.0/eng']);
    expect(
      (
        h.store.db.prepare('SELECT count(*) AS n FROM chunks WHERE document_id NOT IN (SELECT id FROM documents)').get() as {
          n: number;
        }
      ).n,
    ).toBe(0);
    const done = h.store.jobs.require(job.id);
    expect(done.status).toBe('succeeded');
    expect(done.failures).toEqual(summary.failed);
    expect(done.progress).toEqual({
      documentsDone: 12,
      documentsTotal: 12,
      chunksDone: summary.chunks,
      chunksTotal: summary.chunks,
    });
    expect(h.store.documents.findBySource('docs', path.join(bad, 'md-latin1-encoded.md'))?.text).toBe(
      '## können\n\nkönnen\n\näöüß\n',
    );
  }, 120_000);

  it('rolls back a document whose write fails and keeps the rest', async () => {
    const base = createHashEmbedder(16);
    const poisoned: Embedder = {
      ...base,
      id: base.id,
      embed: async (texts, role) => {
        const vectors = await base.embed(texts, role);
        return vectors.map((v, i) => (texts[i]?.includes('POISON') ? new Float32Array(3) : v));
      },
    };
    h.embedder = poisoned;
    write('p.txt', 'This one carries POISON.');
    const summary = await ingest(ingestDeps(h), { collection: 'docs', sources: [folder] });
    expect(summary.failed.map((f) => [path.basename(f.source), f.code])).toEqual([['p.txt', 'DIMENSION_MISMATCH']]);
    expect(summary.added).toBe(3);
    expect(h.store.documents.findBySource('docs', path.join(folder, 'p.txt'))).toBeNull();
    expect((h.store.db.prepare("SELECT count(*) AS n FROM chunks WHERE text LIKE '%POISON%'").get() as { n: number }).n).toBe(0);
  });

  it('fails the documents of a batch whose embedding throws', async () => {
    h.embedder = { ...createHashEmbedder(16), embed: async () => Promise.reject(new Error('model crashed')) };
    const summary = await ingest(ingestDeps(h), { collection: 'docs', sources: [path.join(folder, 'b.md')] });
    expect(summary.failed).toEqual([
      { source: path.join(folder, 'b.md'), code: 'EMBED_FAILED', message: 'embedding failed: model crashed' },
    ]);
    expect(rowCount(h.store, 'documents')).toBe(0);
  });

  it('marks a job failed when every source fails', async () => {
    const job = h.store.jobs.create({ kind: 'ingest' });
    await ingest(ingestDeps(h), { collection: 'docs', jobId: job.id, sources: [path.join(h.dir, 'nope')] });
    expect(h.store.jobs.require(job.id).status).toBe('failed');
  });
});

describe('without an embedder', () => {
  it('stores chunks for BM25, says so, and reindex embeds them later', async () => {
    h.embedder = null;
    const summary = await ingest(ingestDeps(h), { collection: 'docs', sources: [folder] });
    expect(summary.notes).toEqual([NO_EMBEDDER_NOTE]);
    expect(rowCount(h.store, 'vectors')).toBe(0);
    expect(h.store.documents.list({ collectionId: 'docs', status: 'pending_vectors' }).total).toBe(3);
    const embedder = createHashEmbedder(16);
    const job = h.store.jobs.create({ kind: 'reindex', collectionId: 'docs' });
    const result = await reindex({ ...ingestDeps(h), embedder }, { collection: 'docs', jobId: job.id });
    expect(result).toMatchObject({ chunks: rowCount(h.store, 'chunks'), documents: 3, modelId: 'hash:16' });
    expect(rowCount(h.store, 'vectors')).toBe(rowCount(h.store, 'chunks'));
    expect(h.store.documents.list({ collectionId: 'docs', status: 'ready' }).total).toBe(3);
    expect(h.store.jobs.require(job.id).status).toBe('succeeded');
    const again = await reindex({ ...ingestDeps(h), embedder }, { collection: 'docs' });
    expect(again.chunks).toBe(0);
  });

  it('refuses reindex without an embedder', async () => {
    await expect(reindex({ ...ingestDeps(h), embedder: null }, { collection: 'docs' })).rejects.toMatchObject({
      code: 'MODEL_MISSING',
    });
  });
});

describe('progress and cancel', () => {
  it('reports monotonic progress ending at the totals', async () => {
    const seen: JobProgress[] = [];
    await ingest(ingestDeps(h), { collection: 'docs', sources: [folder], onProgress: (p) => seen.push(p) });
    const last = seen.at(-1) as JobProgress;
    expect(last.documentsDone).toBe(3);
    expect(last.documentsTotal).toBe(3);
    expect(last.chunksDone).toBe(last.chunksTotal);
    for (let i = 1; i < seen.length; i++)
      expect((seen[i] as JobProgress).documentsDone).toBeGreaterThanOrEqual((seen[i - 1] as JobProgress).documentsDone);
  });

  it('stops when the signal aborts and marks the job cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    const job = h.store.jobs.create({ kind: 'ingest' });
    const summary = await ingest(ingestDeps(h), {
      collection: 'docs',
      sources: [folder],
      jobId: job.id,
      signal: controller.signal,
    });
    expect(summary.added).toBe(0);
    expect(summary.notes).toEqual(['cancelled: documents written before the cancel are kept']);
    expect(h.store.jobs.require(job.id).status).toBe('cancelled');
  });
});

describe('chunk size and the embedder', () => {
  it('lowers a token size beyond the embedder input and says so', async () => {
    const small = createHarness({
      embedder: createHashEmbedder(16, { maxTokens: 20 }),
      config: { ingest: { chunking: { splitter: 'auto', size: 100, overlap: 30, unit: 'tokens' } } },
    });
    try {
      writeFileSync(path.join(small.dir, 'long.txt'), LONG);
      const summary = await ingest(ingestDeps(small), { collection: 'docs', sources: [path.join(small.dir, 'long.txt')] });
      expect(summary.notes).toEqual(['chunk size 100 tokens lowered to 20, the most hash:16 embeds']);
      for (const chunk of small.store.chunks.byDocument(summary.documents[0]?.id ?? ''))
        expect(chunk.tokenCount).toBeLessThanOrEqual(20);
    } finally {
      small.cleanup();
    }
  });
});
