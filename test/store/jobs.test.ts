import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hashContent, sha256 } from '../../core/index.ts';
import { loadMigrations, migrate, openStore, type Store, schemaVersion } from '../../store/index.ts';
import { makeDocument } from './fixtures.ts';

let store: Store;
beforeEach(() => {
  store = openStore({ file: ':memory:' });
  store.collections.create({ name: 'docs' });
});
afterEach(() => store.close());

const hashesOf = (id: string) =>
  (store.db.prepare('SELECT source_hashes FROM jobs WHERE id = ?').get(id) as { source_hashes: string }).source_hashes;
const rawPayload = (id: string) =>
  (store.db.prepare('SELECT payload FROM jobs WHERE id = ?').get(id) as { payload: string }).payload;

describe('job rows', () => {
  it('never return the payload from get, list or unfinished; payload() reads it for the worker', () => {
    const job = store.jobs.create({
      kind: 'ingest',
      collectionId: 'docs',
      payload: { sources: [{ type: 'text', text: 'secret' }] },
    });
    expect(Object.keys(store.jobs.require(job.id)).sort()).toEqual([
      'attempts',
      'collectionId',
      'createdAt',
      'error',
      'failures',
      'finishedAt',
      'id',
      'kind',
      'progress',
      'result',
      'startedAt',
      'status',
      'updatedAt',
    ]);
    expect(JSON.stringify([job, store.jobs.list(), store.jobs.unfinished()])).not.toContain('secret');
    expect(store.jobs.payload(job.id)).toEqual({ sources: [{ type: 'text', text: 'secret' }] });
  });

  it('finish replaces the payload when given one', () => {
    const job = store.jobs.create({ kind: 'ingest', collectionId: 'docs', payload: { sources: [{ type: 'text', text: 'x' }] } });
    store.jobs.finish(job.id, { status: 'succeeded', payload: { sources: [{ type: 'document', id: 'd1' }] } });
    expect(rawPayload(job.id)).toBe('{"sources":[{"type":"document","id":"d1"}]}');
  });

  it('claim counts the attempt before the run and refuses a job that used up its attempts', () => {
    const job = store.jobs.create({ kind: 'ingest', collectionId: 'docs' });
    const first = store.jobs.claim(job.id, 2);
    expect([first.claimed, first.job?.status, first.job?.attempts]).toEqual([true, 'running', 1]);
    // The process died while running: the row still says running, and the next start claims it again.
    expect(store.jobs.claim(job.id, 2).job?.attempts).toBe(2);
    expect(store.jobs.claim(job.id, 2)).toEqual({ claimed: false, job: store.jobs.require(job.id), exhausted: true });
    expect(store.jobs.require(job.id).attempts).toBe(2);
    store.jobs.finish(job.id, { status: 'failed', error: 'boom' });
    expect(store.jobs.claim(job.id, 5)).toEqual({ claimed: false, job: store.jobs.require(job.id), exhausted: false });
  });

  it('a job put back by a shutdown does not lose an attempt', () => {
    const job = store.jobs.create({ kind: 'ingest', collectionId: 'docs' });
    store.jobs.claim(job.id, 3);
    expect([store.jobs.requeue(job.id).attempts, store.jobs.require(job.id).status]).toEqual([0, 'queued']);
  });

  it('keeps the last error on an unfinished job only', () => {
    const job = store.jobs.create({ kind: 'ingest', collectionId: 'docs' });
    store.jobs.noteError(job.id, 'disk full');
    expect([store.jobs.require(job.id).status, store.jobs.require(job.id).error]).toEqual(['queued', 'disk full']);
    store.jobs.finish(job.id, { status: 'succeeded' });
    store.jobs.noteError(job.id, 'later');
    expect(store.jobs.require(job.id).error).toBeNull();
  });

  it('prunes finished jobs that finished before the cutoff, never unfinished ones', () => {
    const old = store.jobs.create({ kind: 'ingest', collectionId: 'docs' });
    const recent = store.jobs.create({ kind: 'ingest', collectionId: 'docs' });
    const waiting = store.jobs.create({ kind: 'ingest', collectionId: 'docs' });
    store.jobs.finish(old.id, { status: 'succeeded' });
    store.jobs.finish(recent.id, { status: 'failed' });
    store.db.prepare('UPDATE jobs SET finished_at = ? WHERE id = ?').run('2020-01-01T00:00:00.000Z', old.id);
    store.db
      .prepare('UPDATE jobs SET created_at = ?, updated_at = ? WHERE id = ?')
      .run('2020-01-01T00:00:00.000Z', '2020-01-01T00:00:00.000Z', waiting.id);
    expect(store.jobs.prune('2021-01-01T00:00:00.000Z')).toBe(1);
    expect(
      store.jobs
        .list()
        .map((j) => j.id)
        .sort(),
    ).toEqual([recent.id, waiting.id].sort());
  });
});

describe('deleting a document clears its text from job payloads', () => {
  it('drops the sources with its content hash from unfinished payloads, and nothing else', () => {
    const kept = { type: 'text', text: 'other text', hash: hashContent('other text') };
    const secret = { type: 'text', text: 'the secret text', hash: hashContent('the secret text') };
    const upload = { type: 'upload', file: 'up_1/0.bin', name: 'a.txt', hash: hashContent('the secret text') };
    const pending = store.jobs.create({
      kind: 'ingest',
      collectionId: 'docs',
      payload: { sources: [kept, secret, upload] },
      hashes: [kept.hash, secret.hash, upload.hash],
    });
    store.collections.create({ name: 'elsewhere' });
    const otherCollection = store.jobs.create({
      kind: 'ingest',
      collectionId: 'elsewhere',
      payload: { sources: [secret] },
      hashes: [secret.hash],
    });
    const { doc, chunks } = makeDocument('docs', 'secret', 'the secret text');
    store.documents.write(doc, chunks);
    store.documents.remove(doc.id);
    expect(store.jobs.payload(pending.id)).toEqual({ sources: [kept] });
    expect(rawPayload(pending.id)).not.toContain('the secret text');
    expect(hashesOf(pending.id)).toBe(kept.hash);
    expect(store.jobs.payload(otherCollection.id)).toEqual({ sources: [secret] });
  });

  it('drops an upload when a part document of it (a JSONL line) is deleted', () => {
    const fileHash = sha256('{"text":"line one"}\n{"text":"line two"}\n');
    const other = { type: 'upload', file: 'up_1/1.bin', name: 'b.jsonl', hash: sha256('other') };
    const upload = { type: 'upload', file: 'up_1/0.bin', name: 'a.jsonl', hash: fileHash };
    const pending = store.jobs.create({
      kind: 'ingest',
      collectionId: 'docs',
      payload: { sources: [upload, other], batch: 'up_1' },
      hashes: [upload.hash, other.hash],
    });
    const { doc, chunks } = makeDocument('docs', `upload:${fileHash.slice(0, 16)}/a.jsonl#L2`, 'line two');
    store.documents.write(doc, chunks);
    store.documents.remove(doc.id);
    expect([store.jobs.payload(pending.id), hashesOf(pending.id)]).toEqual([{ sources: [other], batch: 'up_1' }, other.hash]);
  });

  it('clears it when the whole collection is deleted too', () => {
    const secret = { type: 'text', text: 'the secret text', hash: hashContent('the secret text') };
    const pending = store.jobs.create({
      kind: 'ingest',
      collectionId: 'docs',
      payload: { sources: [secret] },
      hashes: [secret.hash],
    });
    const { doc, chunks } = makeDocument('docs', 'secret', 'the secret text');
    store.documents.write(doc, chunks);
    store.collections.remove('docs');
    expect(store.jobs.payload(pending.id)).toEqual({ sources: [] });
  });
});

describe('migration 0002', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cairn-jobs-migrate-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function version1(file: string): Database.Database {
    const db = new Database(file);
    migrate(
      db,
      loadMigrations().filter((m) => m.version === 1),
    );
    const insert = db.prepare(
      "INSERT INTO jobs (id, kind, collection_id, status, payload, created_at, updated_at) VALUES (?, 'ingest', 'docs', ?, ?, 't', 't')",
    );
    insert.run('job_done', 'succeeded', '{"sources":[{"type":"text","text":"posted long ago"}]}');
    insert.run('job_waiting', 'queued', '{"sources":[{"type":"path","path":"/srv/a.txt"}]}');
    return db;
  }

  it('empties the payloads of finished jobs and keeps those of unfinished ones, with attempts at 0', () => {
    const file = path.join(dir, 'cairn.db');
    version1(file).close();
    const upgraded = openStore({ file });
    const payloads = upgraded.db.prepare('SELECT id, payload, attempts FROM jobs ORDER BY id').all();
    expect(payloads).toEqual([
      { id: 'job_done', payload: '{"sources":[]}', attempts: 0 },
      { id: 'job_waiting', payload: '{"sources":[{"type":"path","path":"/srv/a.txt"}]}', attempts: 0 },
    ]);
    upgraded.close();
  });

  it('is applied whole or not at all', () => {
    const file = path.join(dir, 'cairn.db');
    const db = version1(file);
    // Its last statements fail on this database: the column added before them must not stay.
    db.exec('CREATE TABLE jobs_finished (x INTEGER)');
    db.close();
    expect(() => openStore({ file })).toThrow(/Migration 0002_jobs.sql failed/);
    const check = new Database(file);
    const columns = (check.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).map((c) => c.name);
    expect([schemaVersion(check), columns.includes('attempts'), columns.includes('source_hashes')]).toEqual([1, false, false]);
    expect((check.prepare("SELECT payload FROM jobs WHERE id = 'job_done'").get() as { payload: string }).payload).toBe(
      '{"sources":[{"type":"text","text":"posted long ago"}]}',
    );
    check.close();
  });
});
