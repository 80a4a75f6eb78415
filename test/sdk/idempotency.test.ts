import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cairn, ConflictError, ValidationError } from '../../sdk/index.ts';
import { createIdempotencyRepo } from '../../store/idempotency.ts';
import { IDEMPOTENCY_TTL_MS, openStore } from '../../store/index.ts';
import { type SdkServer, startSdkServer } from './helpers.ts';

let running: SdkServer;
let cairn: Cairn;

beforeAll(async () => {
  running = await startSdkServer();
  cairn = new Cairn({ baseUrl: running.url, maxRetries: 0 });
});
afterAll(() => running.close());

function post(collection: string, body: unknown, key?: string): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== undefined) headers['idempotency-key'] = key;
  return fetch(`${running.url}/v1/collections/${collection}/documents`, { method: 'POST', headers, body: JSON.stringify(body) });
}

const jobCount = () => running.server.embedded!.jobs.list({ limit: 1000 }).length;

describe('Idempotency-Key on ingest', () => {
  it('answers a repeated key with the same job, marked as a replay, and ingests once', async () => {
    const before = jobCount();
    const first = await post('idem', { text: 'Once only.', source: 'once' }, 'key-1');
    const second = await post('idem', { text: 'Once only.', source: 'once' }, 'key-1');
    const [a, b] = [(await first.json()) as { jobId: string }, (await second.json()) as { jobId: string }];
    expect([first.status, second.status, b.jobId]).toEqual([202, 202, a.jobId]);
    expect([first.headers.get('idempotent-replayed'), second.headers.get('idempotent-replayed')]).toEqual([null, 'true']);
    expect(second.headers.get('location')).toBe(`/v1/jobs/${a.jobId}`);
    expect(jobCount()).toBe(before + 1);
  });

  it('starts one job for concurrent requests with one key: the others replay it', async () => {
    const before = jobCount();
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => post('idem', { text: 'Sent five times at once.', source: 'burst' }, 'key-burst')),
    );
    const bodies = (await Promise.all(responses.map((r) => r.json()))) as { jobId: string }[];
    expect(responses.map((r) => r.status)).toEqual([202, 202, 202, 202, 202]);
    expect(new Set(bodies.map((b) => b.jobId)).size).toBe(1);
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === 'true').length).toBe(4);
    expect(jobCount()).toBe(before + 1);
  });

  it('starts a new job for another key or no key', async () => {
    const a = (await (await post('idem', { text: 'A.' }, 'key-a')).json()) as { jobId: string };
    const b = (await (await post('idem', { text: 'A.' }, 'key-b')).json()) as { jobId: string };
    const c = (await (await post('idem', { text: 'A.' })).json()) as { jobId: string };
    expect(new Set([a.jobId, b.jobId, c.jobId]).size).toBe(3);
  });

  it('refuses a key reused for another collection, and a malformed key', async () => {
    await post('idem', { text: 'Here.' }, 'key-here');
    const elsewhere = await post('other', { text: 'There.' }, 'key-here');
    expect([elsewhere.status, ((await elsewhere.json()) as { error: { code: string } }).error.code]).toEqual([409, 'CONFLICT']);
    const bad = await post('idem', { text: 'x' }, 'has space');
    expect([bad.status, ((await bad.json()) as { error: { code: string } }).error.code]).toEqual([400, 'VALIDATION']);
  });

  it('sends one key per SDK call, the same one on every retry of it, and honours a given key', async () => {
    const one = await cairn.documents.add('idem', { text: 'Via the SDK.' }, { idempotencyKey: 'sdk-key' });
    const two = await cairn.documents.add('idem', { text: 'Via the SDK.' }, { idempotencyKey: 'sdk-key' });
    expect(two.jobId).toBe(one.jobId);
    const three = await cairn.documents.add('idem', { text: 'Via the SDK.' });
    expect(three.jobId).not.toBe(one.jobId);
    await expect(cairn.documents.add('other', { text: 'x' }, { idempotencyKey: 'sdk-key' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    await expect(cairn.documents.add('idem', { text: 'x' }, { idempotencyKey: 'bad key' })).rejects.toBeInstanceOf(
      ValidationError,
    );
  });

  it('replays a multipart upload too', async () => {
    const files = new File(['Uploaded once.'], 'once.txt');
    const one = await cairn.documents.add('idem-files', { files }, { idempotencyKey: 'upload-key' });
    const two = await cairn.documents.add('idem-files', { files }, { idempotencyKey: 'upload-key' });
    expect(two.jobId).toBe(one.jobId);
  });
});

describe('the idempotency table', () => {
  it('forgets a key after 24 hours and keys are per caller', () => {
    const store = openStore({ file: ':memory:' });
    let now = Date.parse('2026-01-01T00:00:00Z');
    const repo = createIdempotencyRepo(store.db, () => now);
    repo.remember('key-1', 'k', 'ingest:a', 'job-1');
    expect(repo.find('key-1', 'k')).toEqual({ scope: 'ingest:a', jobId: 'job-1', createdAt: '2026-01-01T00:00:00.000Z' });
    expect(repo.find('key-2', 'k')).toBe(null);
    now += IDEMPOTENCY_TTL_MS - 1;
    expect(repo.find('key-1', 'k')?.jobId).toBe('job-1');
    now += 1;
    expect(repo.find('key-1', 'k')).toBe(null);
    repo.remember('key-1', 'k', 'ingest:a', 'job-2');
    expect(repo.find('key-1', 'k')?.jobId).toBe('job-2');
    store.close();
  });
});
