import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCairnError, silentLogger } from '../../core/index.ts';
import { assertDimensions, createHashEmbedder, createModelRegistry, type DownloadProgress } from '../../models/index.ts';
import { makeTempDir, startServer, testConfig, writeTinyModels } from './helpers.ts';

const temp = makeTempDir();
let tiny: ReturnType<typeof writeTinyModels>;
let hub: Awaited<ReturnType<typeof startServer>>;
let hubMode: 'ok' | 'hang' = 'ok';

/** Serves the tiny models as Hugging Face repos: /<owner>/<repo>/resolve/main/<file> and /api/models/<repo>. */
beforeAll(async () => {
  tiny = writeTinyModels(path.join(temp.dir, 'fixtures'));
  hub = await startServer((req, _body, res) => {
    if (hubMode === 'hang') return;
    const url = req.url ?? '';
    if (url === '/api/models/test/tiny-gguf') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(
        JSON.stringify({
          siblings: [{ rfilename: 'README.md' }, { rfilename: 'tiny-q8_0.gguf' }, { rfilename: 'tiny-f32.gguf' }],
        }),
      );
    }
    const match = /^\/test\/([\w-]+)\/resolve\/main\/(.+)$/.exec(url);
    const source = match?.[1] === 'tiny-embedder' ? tiny.embedder : match?.[1] === 'tiny-gguf' ? null : undefined;
    if (!match || source === undefined) return res.writeHead(404).end('not found');
    const data = source === null ? readFileSync(tiny.gguf) : readFileSync(path.join(source, match[2] as string));
    res.writeHead(200, { 'content-length': String(data.length) });
    res.end(data);
  });
});

afterAll(async () => {
  await hub.close();
  temp.cleanup();
});

const cacheOf = (name: string) => path.join(temp.dir, name);

describe('model registry', () => {
  it('reports a missing hub model offline, naming the model and the files, without a network call', async () => {
    const registry = createModelRegistry({
      config: testConfig(cacheOf('off')),
      logger: silentLogger,
      hubUrl: 'http://127.0.0.1:9',
    });
    const started = Date.now();
    const result = await registry.embedder('Xenova/bge-small-en-v1.5');
    expect(Date.now() - started).toBeLessThan(1000);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.code).toBe('MODEL_MISSING');
    expect(result.reason).toContain('Xenova/bge-small-en-v1.5');
    expect(result.reason).toContain(path.join(cacheOf('off'), 'models', 'Xenova', 'bge-small-en-v1.5', 'onnx', 'model.onnx'));
    const generator = await registry.generator('hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF:Q4_K_M');
    expect(generator.ok ? 'ok' : generator.code).toBe('MODEL_MISSING');
  });

  it('fails fast with MODEL_MISSING when the hub cannot be reached', async () => {
    const config = { ...testConfig(cacheOf('unreachable')), offline: false };
    const registry = createModelRegistry({ config, logger: silentLogger, hubUrl: 'http://127.0.0.1:9' });
    const result = await registry.embedder('test/tiny-embedder');
    expect(result.ok ? 'ok' : result.code).toBe('MODEL_MISSING');
    if (!result.ok) expect(result.reason).toContain('http://127.0.0.1:9/test/tiny-embedder/resolve/main/config.json');
  });

  it('times out a hub that never answers', async () => {
    hubMode = 'hang';
    try {
      const config = { ...testConfig(cacheOf('hang'), { requestTimeoutMs: 300 }), offline: false };
      const registry = createModelRegistry({ config, logger: silentLogger, hubUrl: hub.url });
      const started = Date.now();
      const result = await registry.embedder('test/tiny-embedder');
      expect(result.ok ? 'ok' : result.code).toBe('MODEL_MISSING');
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      hubMode = 'ok';
    }
  });

  it('downloads once into the cache with progress, then works offline', async () => {
    const events: DownloadProgress[] = [];
    const online = { ...testConfig(cacheOf('dl'), { generator: 'hf:test/tiny-gguf:Q8_0' }), offline: false };
    const registry = createModelRegistry({
      config: online,
      logger: silentLogger,
      hubUrl: hub.url,
      onProgress: (e) => events.push(e),
    });
    const result = await registry.embedder('test/tiny-embedder');
    expect(result.ok).toBe(true);
    expect(events.filter((e) => e.done).map((e) => e.file)).toEqual([
      'config.json',
      'tokenizer.json',
      'tokenizer_config.json',
      'onnx/model.onnx',
    ]);
    const pulled = await registry.pull(['generator']);
    expect(pulled).toHaveLength(1);
    expect(pulled[0]?.ok).toBe(true);
    await registry.dispose();

    const offline = createModelRegistry({
      config: testConfig(cacheOf('dl'), { embedder: 'test/tiny-embedder', generator: 'hf:test/tiny-gguf:Q8_0' }),
      logger: silentLogger,
    });
    const listed = await offline.list();
    expect(listed.map((m) => [m.role, m.present, m.backend])).toEqual([
      ['embedder', true, 'transformers'],
      ['reranker', false, 'transformers'],
      ['generator', true, 'llama'],
    ]);
    expect(listed[2]?.location).toBe(path.join(cacheOf('dl'), 'models', 'test', 'tiny-gguf', 'tiny-q8_0.gguf'));
    expect(listed[2]?.sizeBytes).toBe(readFileSync(tiny.gguf).length);
    const again = await offline.embedder('test/tiny-embedder');
    expect(again.ok).toBe(true);
    await offline.dispose();
  });

  it('loads each reference once per process', async () => {
    const registry = createModelRegistry({ config: testConfig(cacheOf('once')), logger: silentLogger });
    const [a, b] = await Promise.all([registry.embedder(tiny.embedder), registry.embedder(tiny.embedder)]);
    expect(a.ok && b.ok && a.model === b.model).toBe(true);
    await registry.dispose();
  });

  it('loads the quantized ONNX file for dtype q8 and marks the id', async () => {
    const registry = createModelRegistry({ config: testConfig(cacheOf('q8'), { dtype: 'q8' }), logger: silentLogger });
    const result = await registry.embedder(tiny.embedder);
    expect(result.ok && result.model.id).toBe(`${tiny.embedder}#q8`);
    await registry.dispose();
  });

  it('names the file of a corrupt ONNX model', async () => {
    const dir = path.join(temp.dir, 'corrupt-onnx');
    cpSync(tiny.embedder, dir, { recursive: true });
    writeFileSync(path.join(dir, 'onnx', 'model.onnx'), 'not an onnx file');
    const registry = createModelRegistry({ config: testConfig(cacheOf('c1')), logger: silentLogger });
    const result = await registry.embedder(dir);
    expect(result.ok ? 'ok' : result.code).toBe('MODEL_CORRUPT');
    if (!result.ok) expect(result.reason).toContain(path.join(dir, 'onnx', 'model.onnx'));
  });

  it('names the file of a corrupt or truncated GGUF', async () => {
    const registry = createModelRegistry({ config: testConfig(cacheOf('c2'), { gpu: 'cpu' }), logger: silentLogger });
    const bad = path.join(temp.dir, 'bad.gguf');
    writeFileSync(bad, 'definitely not gguf');
    const truncated = path.join(temp.dir, 'truncated.gguf');
    writeFileSync(truncated, readFileSync(tiny.gguf).subarray(0, 5000));
    for (const file of [bad, truncated]) {
      const result = await registry.generator(file);
      expect(result.ok ? 'ok' : result.code).toBe('MODEL_CORRUPT');
      if (!result.ok) expect(result.reason).toContain(file);
    }
    await registry.dispose();
  });

  it('refuses references that do not fit the role', async () => {
    const registry = createModelRegistry({ config: testConfig(cacheOf('roles')), logger: silentLogger });
    const gguf = await registry.embedder(tiny.gguf);
    expect(gguf.ok ? 'ok' : gguf.code).toBe('MODEL_LOAD_FAILED');
    const nonsense = await registry.embedder('not a ref at all');
    expect(nonsense.ok ? 'ok' : nonsense.code).toBe('VALIDATION');
    const remote = await createModelRegistry({
      config: testConfig(cacheOf('roles'), { openaiBaseUrl: 'https://api.example.com' }),
      logger: silentLogger,
    }).generator('openai:gpt');
    expect(remote.ok ? 'ok' : remote.code).toBe('OFFLINE');
  });

  it('applies bge query instructions to queries only', async () => {
    const dir = path.join(temp.dir, 'bge-small-en-v1.5');
    cpSync(tiny.embedder, dir, { recursive: true });
    const registry = createModelRegistry({ config: testConfig(cacheOf('bge')), logger: silentLogger });
    const result = await registry.embedder(dir);
    if (!result.ok) throw new Error(result.reason);
    const [query] = await result.model.embed(['the cat'], 'query');
    const [passage] = await result.model.embed(['the cat'], 'passage');
    expect(Array.from(query as Float32Array)).not.toEqual(Array.from(passage as Float32Array));
    await registry.dispose();
  });

  it('refuses an embedder whose dimensions differ from the collection, with both numbers', () => {
    let caught: unknown;
    try {
      assertDimensions(createHashEmbedder(32), 384);
    } catch (error) {
      caught = error;
    }
    expect(isCairnError(caught, 'DIMENSION_MISMATCH')).toBe(true);
    expect((caught as Error).message).toBe(
      'Embedder hash:32 makes 32-dimensional vectors but the collection holds 384-dimensional ones',
    );
  });
});
