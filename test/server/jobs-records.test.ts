import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hashContent, silentLogger } from '../../core/index.ts';
import { createJobWorker, createMetrics, type JobWorker } from '../../server/index.ts';
import { ORPHAN_GRACE_MS, type Timers } from '../../server/jobs/housekeeping.ts';
import { type StoredSource, storeUploads } from '../../server/jobs/payload.ts';
import { sqliteDeps } from '../../store/index.ts';
import { createTestEnv, json, type TestEnv } from './helpers.ts';

let env: TestEnv;
let extra: JobWorker | undefined;
afterEach(async () => {
  await extra?.stop();
  extra = undefined;
  await env.cleanup();
});

const req = (url: string, init?: RequestInit) => env.app.request(url, init);
const uploadsDir = () => path.join(env.dataDir, 'uploads');
const rawPayload = (id: string) =>
  (env.store.db.prepare('SELECT payload FROM jobs WHERE id = ?').get(id) as { payload: string }).payload;
const DAY = 24 * 60 * 60 * 1000;

/** A second worker on the same store, as the next start of the server would make. */
function restartWorker(options: { clock?: () => number; timers?: Timers } = {}): JobWorker {
  extra = createJobWorker({
    ...sqliteDeps(env.store),
    logger: silentLogger,
    metrics: createMetrics(),
    ingest: env.deps.services.ingest,
    uploadsDir: uploadsDir(),
    ...options,
  });
  return extra;
}

const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(check()).toBe(true);
};

const textOf = (collection: string) =>
  env.store.documents
    .list({ collectionId: collection, limit: 100 })
    .documents.map((d) => env.store.documents.get(d.id)?.text)
    .sort();

function upload(files: [string, string][]): RequestInit {
  const form = new FormData();
  for (const [name, text] of files) form.append('files', new File([text], name, { type: 'text/plain' }));
  return { method: 'POST', body: form };
}

describe('job records', () => {
  it('never show what was posted, and keep it only until the document is stored', async () => {
    env = createTestEnv({ fakes: { ingestDelayMs: 30 } });
    const secret = 'The vault code is 4417.';
    const posted = await req('/v1/collections/notes/documents', json({ text: secret, source: 'vault' }));
    const up = await req('/v1/collections/notes/documents', upload([['plan.txt', 'Uploaded plan 9921.']]));
    const answers = [await posted.text(), await up.text()];
    const ids = answers.map((a) => (JSON.parse(a) as { jobId: string }).jobId);
    // While it runs, the row holds the text and the upload file the job needs.
    expect([rawPayload(ids[0] as string).includes(secret), readdirSync(uploadsDir()).length]).toEqual([true, 1]);
    const reads = [
      ...answers,
      await (await req('/v1/jobs')).text(),
      await (await req(`/v1/jobs/${ids[0]}`)).text(),
      await (await req(`/v1/jobs/${ids[1]}`)).text(),
    ];
    for (const text of reads) {
      expect([text.includes('4417'), text.includes('9921'), text.includes('payload'), /up_\w+\/0\.bin/.test(text)]).toEqual([
        false,
        false,
        false,
        false,
      ]);
    }
    await env.deps.jobs.idle();
    const vault = env.store.documents.findBySource('notes', 'vault');
    const plan = env.store.documents.list({ collectionId: 'notes' }).documents.find((d) => d.id !== vault?.id);
    expect([rawPayload(ids[0] as string), rawPayload(ids[1] as string), readdirSync(uploadsDir())]).toEqual([
      JSON.stringify({ sources: [{ type: 'document', id: vault?.id }] }),
      JSON.stringify({ sources: [{ type: 'document', id: plan?.id }] }),
      [],
    ]);
  });

  it('send progress only in events, and the job without what was posted when done', async () => {
    env = createTestEnv({ fakes: { ingestDelayMs: 120 } });
    const files: [string, string][] = [
      ['a.txt', 'Alpha secret 1111.'],
      ['b.txt', 'Bravo secret 2222.'],
      ['c.txt', 'Charlie secret 3333.'],
    ];
    const { jobId } = (await (await req('/v1/collections/notes/documents', upload(files))).json()) as { jobId: string };
    const stream = await (await req(`/v1/jobs/${jobId}/events`)).text();
    const events = [...stream.matchAll(/^event: (\w+)\ndata: (.*)$/gm)].map((m) => ({
      event: m[1],
      data: JSON.parse(m[2] as string) as Record<string, unknown>,
    }));
    const progress = events.filter((e) => e.event === 'progress');
    expect(progress.length).toBeGreaterThanOrEqual(3);
    for (const e of progress) expect(Object.keys(e.data).sort()).toEqual(['id', 'progress', 'status']);
    expect(progress.at(-1)?.data.progress).toEqual({ documentsDone: 3, documentsTotal: 3, chunksDone: 3, chunksTotal: 3 });
    const done = events.at(-1);
    expect([done?.event, done?.data.status, 'payload' in (done?.data ?? {})]).toEqual(['done', 'succeeded', false]);
    expect([/secret \d{4}/.test(stream), stream.includes('.bin')]).toEqual([false, false]);
  });

  it('are pruned after jobs.retentionDays (30 by default): at start, then every hour', async () => {
    env = createTestEnv();
    await req('/v1/collections/notes/documents', json({ text: 'x', source: 'x' }));
    await env.deps.jobs.idle();
    const [job] = env.store.jobs.list();
    let now = Date.now() + 29 * DAY;
    const timers: { ms: number; run: () => void }[] = [];
    const every = (ms: number, run: () => void) => {
      timers.push({ ms, run });
      return () => {};
    };
    const worker = restartWorker({ clock: () => now, timers: { every } });
    await worker.resume();
    expect([(await req(`/v1/jobs/${job?.id}`)).status, timers.map((t) => t.ms)]).toEqual([200, [3_600_000]]);
    now += 2 * DAY;
    await timers[0]?.run();
    expect([(await req(`/v1/jobs/${job?.id}`)).status, env.store.jobs.list()]).toEqual([404, []]);
    expect(env.store.documents.findBySource('notes', 'x')?.text).toBe('x');
  });

  it('honour a configured retention', async () => {
    env = createTestEnv();
    await req('/v1/collections/notes/documents', json({ text: 'x', source: 'x' }));
    await env.deps.jobs.idle();
    const now = Date.now() + 2 * DAY;
    extra = createJobWorker({
      ...sqliteDeps(env.store),
      logger: silentLogger,
      metrics: createMetrics(),
      ingest: env.deps.services.ingest,
      uploadsDir: uploadsDir(),
      config: { retentionDays: 1, maxAttempts: 3, leaseMs: 30_000, pollMs: 1000 },
      clock: () => now,
      timers: { every: () => () => {} },
    });
    await extra.resume();
    expect(env.store.jobs.list()).toEqual([]);
  });
});

describe('orphan uploads', () => {
  const bytes = (text: string) => new TextEncoder().encode(text);

  it('are removed at start; files an unfinished job needs are kept and ingested', async () => {
    env = createTestEnv();
    env.store.collections.ensure({ name: 'c' });
    // A crash between writing the files and recording their job left these behind.
    const lost = storeUploads(uploadsDir(), [{ name: 'lost.txt', data: bytes('orphaned words') }]);
    writeFileSync(path.join(uploadsDir(), 'stray.tmp'), 'half written');
    mkdirSync(path.join(uploadsDir(), 'up_empty'));
    // This one's job was recorded and is still queued.
    const kept = storeUploads(uploadsDir(), [{ name: 'kept.txt', data: bytes('kept words') }]);
    const job = env.store.jobs.create({ kind: 'ingest', collectionId: 'c', payload: { sources: kept.sources } });
    const keptFile = (kept.sources[0] as Extract<StoredSource, { type: 'upload' }>).file;

    // The next start, more than ORPHAN_GRACE_MS after the crash.
    const worker = restartWorker({ clock: () => Date.now() + ORPHAN_GRACE_MS + 1000, timers: { every: () => () => {} } });
    await worker.resume();
    expect([readdirSync(uploadsDir()), existsSync(path.join(uploadsDir(), lost.batch))]).toEqual([[kept.batch], false]);
    expect(readdirSync(path.join(uploadsDir(), kept.batch))).toEqual([path.basename(keptFile)]);
    await worker.idle();
    expect([env.store.jobs.require(job.id).status, textOf('c'), readdirSync(uploadsDir())]).toEqual([
      'succeeded',
      ['kept words'],
      [],
    ]);
  });

  it('spare files written in the last ORPHAN_GRACE_MS (another process may be about to record their job)', async () => {
    env = createTestEnv();
    const fresh = storeUploads(uploadsDir(), [{ name: 'fresh.txt', data: bytes('in flight') }]);
    let now = Date.now();
    const timers: (() => void)[] = [];
    const every = (_ms: number, run: () => void) => {
      timers.push(run);
      return () => {};
    };
    await restartWorker({ clock: () => now, timers: { every } }).resume();
    expect(readdirSync(uploadsDir())).toEqual([fresh.batch]);
    now += ORPHAN_GRACE_MS + 1000;
    await timers[0]?.();
    expect(readdirSync(uploadsDir())).toEqual([]);
  });
});

describe('deleting a document', () => {
  it('removes its text from an interrupted job, so the restart does not bring it back', async () => {
    env = createTestEnv({ fakes: { ingestDelayMs: 40 } });
    env.store.collections.ensure({ name: 'c' });
    // Two posted texts in one job (the REST route posts one per job; the worker takes many).
    const { id: jobId } = await env.deps.jobs.submit({
      kind: 'ingest',
      collection: 'c',
      sources: [
        { type: 'text', text: 'Deleted secret 5150.', source: 'gone' },
        { type: 'text', text: 'Kept words.', source: 'kept' },
      ],
    });
    await waitFor(() => env.store.documents.findBySource('c', 'gone') !== null);
    // Shut down before the job is recorded as finished: it will run again on the next start.
    await env.deps.jobs.stop();
    expect([env.store.jobs.require(jobId).status, rawPayload(jobId).includes('5150')]).toEqual(['queued', true]);
    const doc = env.store.documents.findBySource('c', 'gone');
    expect((await req(`/v1/collections/c/documents/${doc?.id}`, { method: 'DELETE' })).status).toBe(200);
    expect(JSON.parse(rawPayload(jobId))).toEqual({
      sources: [{ type: 'text', text: 'Kept words.', source: 'kept', hash: hashContent('Kept words.') }],
    });
    const worker = restartWorker();
    await worker.resume();
    await worker.idle();
    expect([env.store.jobs.require(jobId).status, env.store.documents.findBySource('c', 'gone'), textOf('c')]).toEqual([
      'succeeded',
      null,
      ['Kept words.'],
    ]);
  });

  it('removes an upload of an interrupted job: the file goes at the next start', async () => {
    env = createTestEnv({ fakes: { ingestDelayMs: 40 } });
    const files: [string, string][] = [
      ['a.txt', 'Deleted upload 7007.'],
      ['b.txt', 'Bravo words.'],
      ['c.txt', 'Charlie words.'],
    ];
    const { jobId } = (await (await req('/v1/collections/c/documents', upload(files))).json()) as { jobId: string };
    await waitFor(() => env.store.documents.count('c') >= 1);
    await env.deps.jobs.stop();
    const doc = env.store.documents.list({ collectionId: 'c' }).documents.find((d) => d.source === 'a.txt');
    expect((await req(`/v1/collections/c/documents/${doc?.id}`, { method: 'DELETE' })).status).toBe(200);
    const names = (JSON.parse(rawPayload(jobId)) as { sources: { name: string }[] }).sources.map((s) => s.name);
    expect(names).toEqual(['b.txt', 'c.txt']);
    const worker = restartWorker();
    await worker.resume();
    const [batch] = readdirSync(uploadsDir());
    expect(readdirSync(path.join(uploadsDir(), batch as string))).toEqual(['1.bin', '2.bin']);
    await worker.idle();
    expect([env.store.jobs.require(jobId).status, textOf('c'), readdirSync(uploadsDir())]).toEqual([
      'succeeded',
      ['Bravo words.', 'Charlie words.'],
      [],
    ]);
  });
});
