import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestEnv, json, type TestEnv } from './helpers.ts';

let env: TestEnv;
beforeEach(() => {
  env = createTestEnv();
});
afterEach(async () => {
  await env.cleanup();
});

const req = (path: string, init?: RequestInit) => env.app.request(path, init);

async function ingestText(collection: string, text: string, source: string) {
  const res = await req(`/v1/collections/${collection}/documents`, json({ text, source, title: source }));
  expect(res.status).toBe(202);
  const { jobId } = (await res.json()) as { jobId: string };
  await env.deps.jobs.idle();
  return jobId;
}

describe('health, metrics, openapi', () => {
  it('reports status, auth mode and components', async () => {
    const res = await req('/health');
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.status).toBe('ok');
    expect(body.auth).toBe('open (loopback, no API keys)');
    expect(body.components).toEqual({ store: { available: true, detail: 'SQLite' } });
  });

  it('serves Prometheus text with request counts and queue depth', async () => {
    await req('/health');
    const res = await req('/metrics');
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('cairn_http_requests_total{method="GET",route="/health",status="200"} 1');
    expect(text).toContain('cairn_jobs_queue_depth 0');
    expect(text).toMatch(/cairn_http_request_duration_seconds_bucket\{method="GET",route="\/health",le="\+Inf"\} 1/);
  });

  it('describes every route with the validating schemas', async () => {
    const spec = (await (await req('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Record<string, unknown> }> } }>>;
    };
    expect(spec.openapi).toBe('3.1.0');
    expect(Object.keys(spec.paths)).toContain('/v1/collections/{collection}/ask');
    const search = spec.paths['/v1/collections/{collection}/search']?.post;
    const schema = search?.requestBody?.content['application/json']?.schema as {
      required: string[];
      properties: Record<string, unknown>;
    };
    expect(schema.required).toEqual(['query']);
    expect(schema.properties.mode).toEqual({ type: 'string', enum: ['bm25', 'dense', 'hybrid'] });
    const upload = spec.paths['/v1/collections/{collection}/documents']?.post?.requestBody?.content;
    expect(Object.keys(upload ?? {})).toEqual(['application/json', 'multipart/form-data']);
    const page = await req('/docs');
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(await page.text()).toContain("fetch('/openapi.json')");
  });

  it('answers unknown routes with NOT_FOUND in the error shape', async () => {
    const res = await req('/v1/nothing', { headers: { 'x-request-id': 'req-404' } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'No route for GET /v1/nothing', details: {}, requestId: 'req-404' },
    });
  });
});

describe('collections', () => {
  it('creates, lists, gets, updates and deletes', async () => {
    const created = await req(
      '/v1/collections',
      json({ name: 'rocks', description: 'stones', embedder: null, chunking: { size: 200, overlap: 20 } }),
    );
    expect(created.status).toBe(201);
    const body = (await created.json()) as {
      id: string;
      settings: { chunking: { size: number } };
      counts: { documents: number };
    };
    expect(body.id).toBe('rocks');
    expect(body.settings.chunking.size).toBe(200);
    expect(body.counts.documents).toBe(0);
    const list = (await (await req('/v1/collections')).json()) as { collections: { name: string }[] };
    expect(list.collections.map((c) => c.name)).toEqual(['rocks']);
    const patched = await req('/v1/collections/rocks', { ...json({ description: 'hard' }), method: 'PATCH' });
    expect(((await patched.json()) as { description: string }).description).toBe('hard');
    await ingestText('rocks', 'Granite is hard.', 'granite');
    const got = (await (await req('/v1/collections/rocks')).json()) as { counts: { documents: number; chunks: number } };
    expect(got.counts).toMatchObject({ documents: 1, chunks: 1 });
    const deleted = await req('/v1/collections/rocks', { method: 'DELETE' });
    expect(await deleted.json()).toEqual({ deleted: true, id: 'rocks' });
    expect(env.store.documents.count('rocks')).toBe(0);
    expect((await req('/v1/collections/rocks')).status).toBe(404);
  });

  it('rejects invalid names, unknown fields, bad JSON and duplicates', async () => {
    const bad = await req('/v1/collections', json({ name: 'Bad Name' }));
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('VALIDATION');
    const unknown = await req('/v1/collections', json({ name: 'ok', colour: 'red' }));
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('VALIDATION');
    const notJson = await req('/v1/collections', {
      method: 'POST',
      body: '{nope',
      headers: { 'content-type': 'application/json' },
    });
    expect(((await notJson.json()) as { error: { code: string } }).error.code).toBe('VALIDATION');
    await req('/v1/collections', json({ name: 'ok' }));
    const dup = await req('/v1/collections', json({ name: 'ok' }));
    expect(dup.status).toBe(409);
    expect(((await dup.json()) as { error: { code: string } }).error.code).toBe('COLLECTION_EXISTS');
  });
});

describe('ingest, jobs and documents', () => {
  it('ingests JSON text as a job and lists, gets and deletes the document', async () => {
    const jobId = await ingestText('notes', 'Cairns mark trails.', 'trail-note');
    const job = (await (await req(`/v1/jobs/${jobId}`)).json()) as { status: string; result: { added: number } };
    expect(job.status).toBe('succeeded');
    expect(job.result.added).toBe(1);
    const list = (await (await req('/v1/collections/notes/documents?limit=10')).json()) as {
      documents: { id: string; source: string; characters: number }[];
      total: number;
    };
    expect(list.total).toBe(1);
    expect(list.documents[0]).toMatchObject({ source: 'trail-note', characters: 19 });
    const id = list.documents[0]?.id as string;
    const doc = (await (await req(`/v1/collections/notes/documents/${id}`)).json()) as { text: string; chunks: unknown[] };
    expect(doc.text).toBe('Cairns mark trails.');
    expect(doc.chunks).toHaveLength(1);
    expect((await req(`/v1/collections/notes/documents/${id}`, { method: 'DELETE' })).status).toBe(200);
    const gone = await req(`/v1/collections/notes/documents/${id}`);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe('DOCUMENT_NOT_FOUND');
  });

  it('filters and pages the document list, and validates its query', async () => {
    await ingestText('notes', 'one', 'a/1');
    await ingestText('notes', 'two', 'b/2');
    const page = (await (await req('/v1/collections/notes/documents?source=b/&limit=5')).json()) as {
      documents: { source: string }[];
    };
    expect(page.documents.map((d) => d.source)).toEqual(['b/2']);
    const bad = await req('/v1/collections/notes/documents?limit=0');
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('VALIDATION');
  });

  it('takes URLs as a job and uploads as multipart, never using the file name as a path', async () => {
    const urls = await req('/v1/collections/web/documents', json({ urls: ['https://example.com/a'] }));
    expect(urls.status).toBe(202);
    await env.deps.jobs.idle();
    expect(env.store.documents.findBySource('web', 'https://example.com/a')?.text).toBe('fetched https://example.com/a');
    const form = new FormData();
    form.append('files', new File(['escape attempt'], '../../etc/passwd', { type: 'text/plain' }));
    form.append('files', new File(['second file'], 'b.txt', { type: 'text/plain' }));
    const up = await req('/v1/collections/web/documents', { method: 'POST', body: form });
    expect(up.status).toBe(202);
    await env.deps.jobs.idle();
    expect(env.store.documents.findBySource('web', 'passwd')?.text).toBe('escape attempt');
    expect(env.store.documents.findBySource('web', 'b.txt')?.text).toBe('second file');
  });

  it('rejects bodies that are neither text nor URLs, and texts named like paths', async () => {
    const none = await req('/v1/collections/web/documents', json({ nothing: true }));
    expect(((await none.json()) as { error: { code: string } }).error.code).toBe('VALIDATION');
    const ftp = await req('/v1/collections/web/documents', json({ urls: ['ftp://x/y'] }));
    expect(((await ftp.json()) as { error: { code: string } }).error.code).toBe('VALIDATION');
    const pathy = await req('/v1/collections/web/documents', json({ text: 'x', source: '/etc/passwd' }));
    expect(((await pathy.json()) as { error: { code: string } }).error.code).toBe('VALIDATION');
  });

  it('re-ingests URL sources from the URL and pasted or uploaded ones from the stored text', async () => {
    await req('/v1/collections/web/documents', json({ urls: ['https://example.com/a'] }));
    await env.deps.jobs.idle();
    await ingestText('web', 'pasted', 'pasted-note');
    const url = env.store.documents.findBySource('web', 'https://example.com/a');
    const again = await req(`/v1/collections/web/documents/${url?.id}/reingest`, { method: 'POST' });
    expect(again.status).toBe(202);
    await env.deps.jobs.idle();
    const job = env.store.jobs.require(((await again.json()) as { jobId: string }).jobId);
    expect(job.kind).toBe('reingest');
    expect(job.status).toBe('succeeded');
    const pasted = env.store.documents.findBySource('web', 'pasted-note');
    const stored = await req(`/v1/collections/web/documents/${pasted?.id}/reingest`, { method: 'POST' });
    expect(stored.status).toBe(202);
    await env.deps.jobs.idle();
    const storedJob = env.store.jobs.require(((await stored.json()) as { jobId: string }).jobId);
    expect([storedJob.status, env.store.jobs.payload(storedJob.id).sources]).toEqual([
      'succeeded',
      [{ type: 'document', id: pasted?.id }],
    ]);
    expect(env.store.documents.findBySource('web', 'pasted-note')?.text).toBe('pasted');
  });

  it('answers JOB_NOT_FOUND and lists jobs', async () => {
    const missing = await req('/v1/jobs/job_nope');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('JOB_NOT_FOUND');
    await ingestText('notes', 'x', 'x');
    const jobs = (await (await req('/v1/jobs')).json()) as { jobs: unknown[] };
    expect(jobs.jobs).toHaveLength(1);
  });

  it('cancels a queued job at once and a running one after its current document', async () => {
    await env.cleanup();
    env = createTestEnv({ fakes: { ingestDelayMs: 40 } });
    const urls = ['https://example.com/1', 'https://example.com/2', 'https://example.com/3', 'https://example.com/4'];
    const submit = async () =>
      ((await (await req('/v1/collections/web/documents', json({ urls }))).json()) as { jobId: string }).jobId;
    const running = await submit();
    const queued = await submit();
    await new Promise((resolve) => setTimeout(resolve, 60));
    const now = await req(`/v1/jobs/${queued}/cancel`, { method: 'POST' });
    expect([now.status, ((await now.json()) as { job: { status: string } }).job.status]).toEqual([200, 'cancelled']);
    const later = await req(`/v1/jobs/${running}/cancel`, { method: 'POST' });
    expect([later.status, ((await later.json()) as { job: { status: string } }).job.status]).toEqual([202, 'running']);
    await env.deps.jobs.idle();
    const stopped = env.store.jobs.require(running);
    expect(stopped.status).toBe('cancelled');
    expect((stopped.result as { added: number }).added).toBeLessThan(urls.length);
    expect(env.store.documents.list({ collectionId: 'web' }).documents.length).toBe((stopped.result as { added: number }).added);
    const again = await req(`/v1/jobs/${running}/cancel`, { method: 'POST' });
    expect([again.status, ((await again.json()) as { error: { code: string } }).error.code]).toEqual([409, 'CONFLICT']);
  });

  it('streams the events of a finished job: progress then done', async () => {
    const jobId = await ingestText('notes', 'x', 'x');
    const text = await (await req(`/v1/jobs/${jobId}/events`)).text();
    expect(text.match(/^event: (\w+)$/gm)).toEqual(['event: progress', 'event: done']);
  });
});

describe('search, ask and chats', () => {
  beforeEach(async () => {
    await ingestText('rocks', 'Granite is an igneous rock. It is hard.', 'granite');
  });

  it('searches with options and validates the request', async () => {
    const res = await req('/v1/collections/rocks/search', json({ query: 'granite', mode: 'bm25', k: 3 }));
    const body = (await res.json()) as { passages: { source: string }[]; notes: string[] };
    expect(body.passages.map((p) => p.source)).toEqual(['granite']);
    expect(body.notes).toEqual(['fake search']);
    const bad = await req('/v1/collections/rocks/search', json({ query: '', k: 0 }));
    expect(bad.status).toBe(400);
    const missing = await req('/v1/collections/nope/search', json({ query: 'x' }));
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('COLLECTION_NOT_FOUND');
  });

  it('answers as JSON, stores the chat, and lists, gets and deletes chats', async () => {
    const res = await req('/v1/collections/rocks/ask', json({ question: 'What is granite?' }));
    const result = (await res.json()) as { answer: string; chatId: string; citations: unknown[] };
    expect(result.answer).toBe('Granite is an igneous rock. [1]');
    expect(result.citations).toHaveLength(1);
    const chats = (await (await req('/v1/chats?collection=rocks')).json()) as { chats: { id: string }[] };
    expect(chats.chats.map((c) => c.id)).toEqual([result.chatId]);
    const chat = (await (await req(`/v1/chats/${result.chatId}`)).json()) as { messages: { role: string }[] };
    expect(chat.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect((await req(`/v1/chats/${result.chatId}`, { method: 'DELETE' })).status).toBe(200);
    const gone = await req(`/v1/chats/${result.chatId}`);
    expect(((await gone.json()) as { error: { code: string } }).error.code).toBe('CHAT_NOT_FOUND');
  });

  it('streams the pipeline events as SSE when asked', async () => {
    const res = await req('/v1/collections/rocks/ask', json({ question: 'What is granite?', stream: true }));
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const events = (await res.text()).match(/^event: (\w+)$/gm);
    expect(events?.[0]).toBe('event: retrieved');
    expect(events?.at(-1)).toBe('event: done');
    expect(events?.filter((e) => e === 'event: token').length).toBe(6);
    const accept = await req('/v1/collections/rocks/ask', {
      ...json({ question: 'granite' }),
      headers: { accept: 'text/event-stream', 'content-type': 'application/json' },
    });
    expect(accept.headers.get('content-type')).toBe('text/event-stream');
  });

  it('rejects an empty question', async () => {
    const res = await req('/v1/collections/rocks/ask', json({ question: '' }));
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('VALIDATION');
  });
});

describe('OpenAI-compatible', () => {
  beforeEach(async () => {
    await ingestText('rocks', 'Granite is an igneous rock. It is hard.', 'granite');
  });

  it('lists one model per collection', async () => {
    const body = (await (await req('/v1/models')).json()) as { object: string; data: { id: string; object: string }[] };
    expect(body.object).toBe('list');
    expect(body.data.map((m) => [m.id, m.object])).toEqual([['rocks', 'model']]);
    expect(((await (await req('/v1/models/rocks')).json()) as { id: string }).id).toBe('rocks');
  });

  it('completes a chat with a sources block and the cairn field', async () => {
    const res = await req(
      '/v1/chat/completions',
      json({ model: 'rocks', messages: [{ role: 'user', content: 'What is granite?' }] }),
    );
    const body = (await res.json()) as {
      object: string;
      choices: { message: { content: string } }[];
      cairn: { citations: unknown[]; decision: string };
    };
    expect(body.object).toBe('chat.completion');
    expect(body.choices[0]?.message.content).toBe('Granite is an igneous rock. [1]\n\nSources:\n[1] granite — granite');
    expect(body.cairn.decision).toBe('answered');
    expect(body.cairn.citations).toHaveLength(1);
  });

  it('streams chunks ending with the cairn field and [DONE]', async () => {
    const res = await req(
      '/v1/chat/completions',
      json({ model: 'rocks', stream: true, messages: [{ role: 'user', content: 'granite?' }] }),
    );
    const lines = (await res.text())
      .split('\n')
      .filter((l) => l.startsWith('data: '))
      .map((l) => l.slice(6));
    expect(lines.at(-1)).toBe('[DONE]');
    const chunks = lines
      .slice(0, -1)
      .map((l) => JSON.parse(l) as { choices: { delta: { content?: string }; finish_reason: string | null }[]; cairn?: unknown });
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('Granite is an igneous rock. [1]\n\nSources:\n[1] granite — granite');
    expect(chunks.at(-1)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)?.cairn).toBeDefined();
  });

  it('embeds as floats and as base64', async () => {
    const floats = (await (await req('/v1/embeddings', json({ model: 'rocks', input: ['granite', 'basalt'] }))).json()) as {
      data: { embedding: number[] }[];
      model: string;
    };
    expect(floats.model).toBe('hash:8');
    expect(floats.data.map((d) => d.embedding.length)).toEqual([8, 8]);
    const b64 = (await (
      await req('/v1/embeddings', json({ model: 'rocks', input: 'granite', encoding_format: 'base64' }))
    ).json()) as {
      data: { embedding: string }[];
    };
    const decoded = new Float32Array(new Uint8Array(Buffer.from(b64.data[0]?.embedding ?? '', 'base64')).buffer);
    expect(Array.from(decoded)).toEqual(floats.data[0]?.embedding);
  });

  it('validates the request and the model', async () => {
    const noUser = await req('/v1/chat/completions', json({ model: 'rocks', messages: [{ role: 'system', content: 'x' }] }));
    expect(((await noUser.json()) as { error: { code: string } }).error.code).toBe('VALIDATION');
    const noModel = await req('/v1/chat/completions', json({ model: 'nope', messages: [{ role: 'user', content: 'x' }] }));
    expect(((await noModel.json()) as { error: { code: string } }).error.code).toBe('COLLECTION_NOT_FOUND');
  });
});
