import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/index.ts';
import { describeDevice, type HostGpu, probeHost } from '../../server/device.ts';
import { createTestEnv, type TestEnv } from './helpers.ts';

const folders: string[] = [];
let env: TestEnv | undefined;
afterEach(async () => {
  await env?.cleanup();
  env = undefined;
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

/** A /proc of our own: an NVIDIA driver with one H200, as its kernel module writes them. */
function fakeNvidiaProc(): string {
  const root = mkdtempSync(path.join(os.tmpdir(), 'cairn-proc-'));
  folders.push(root);
  const gpu = path.join(root, 'driver/nvidia/gpus/0000:3b:00.0');
  mkdirSync(gpu, { recursive: true });
  writeFileSync(
    path.join(root, 'driver/nvidia/version'),
    'NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar  5 22:23:56 UTC 2024\nGCC version:  gcc 12\n',
  );
  writeFileSync(path.join(gpu, 'information'), 'Model: \t\t NVIDIA H200\nIRQ:   \t\t 16\nBus Type: \t PCIe\n');
  return root;
}

const emptyProc = () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'cairn-proc-'));
  folders.push(root);
  return root;
};

const models = (input: object) => parseConfig({ models: input }).models;

describe('the compute device, found without loading a model', () => {
  it('reads NVIDIA GPUs and the driver from /proc, Metal from Apple silicon, else none', () => {
    expect(probeHost({ procRoot: fakeNvidiaProc(), platform: 'linux', arch: 'x64' })).toEqual({
      names: ['NVIDIA H200'],
      nvidiaDriver: '550.54.15',
      metal: false,
    });
    expect(probeHost({ procRoot: emptyProc(), platform: 'darwin', arch: 'arm64' })).toEqual({
      names: ['Apple silicon GPU'],
      nvidiaDriver: null,
      metal: true,
    });
    expect(probeHost({ procRoot: emptyProc(), platform: 'linux', arch: 'x64' })).toEqual({
      names: [],
      nvidiaDriver: null,
      metal: false,
    });
  });

  it('expects what node-llama-cpp and transformers.js would pick for the config', () => {
    const cuda: HostGpu = { names: ['NVIDIA H200'], nvidiaDriver: '550.54.15', metal: false };
    const mac: HostGpu = { names: ['Apple silicon GPU'], nvidiaDriver: null, metal: true };
    const cpu: HostGpu = { names: [], nvidiaDriver: null, metal: false };
    const pick = (input: object, host: HostGpu) => {
      const report = describeDevice(models(input), host);
      return [report.llama.expected, report.transformers.expected];
    };
    expect([
      pick({}, cuda),
      pick({ device: 'cuda' }, cuda),
      pick({ gpu: 'cpu', device: 'cuda' }, cuda),
      pick({ device: 'cuda' }, cpu),
      pick({ gpu: 'cuda' }, cpu),
      pick({}, mac),
      pick({ gpu: 'metal' }, cpu),
      pick({ gpu: 'vulkan' }, cpu),
    ]).toEqual([
      ['cuda', 'cpu'],
      ['cuda', 'cuda'],
      ['cpu', 'cuda'],
      ['cpu', 'cpu'],
      ['cpu', 'cpu'],
      ['metal', 'cpu'],
      ['cpu', 'cpu'],
      ['vulkan', 'cpu'],
    ]);
  });
});

describe('GET /health: device and missing models', () => {
  const config = { models: { gpu: 'cpu', device: 'cpu', reranker: null } } as const;

  it('names each missing model, what it lacks and how to get it; paths only for admin keys on *', async () => {
    env = createTestEnv({ config });
    const admin = env.store.apiKeys.create({ name: 'admin', scopes: { '*': ['admin'] } }).key;
    const read = async (headers: Record<string, string>) =>
      (await (await env?.app.request('/health', { headers }))?.json()) as Record<string, unknown>;
    const open = await read({});
    expect([open.device, open.models, 'modelsDir' in open]).toEqual([
      {
        gpus: expect.any(Array),
        nvidiaDriver: probeHost().nvidiaDriver,
        llama: { asked: 'cpu', expected: 'cpu' },
        transformers: { asked: 'cpu', expected: 'cpu' },
        note: 'Expected from the config and the drivers present; a backend that cannot start its GPU when a model loads uses the CPU and logs a warning',
      },
      [
        {
          role: 'embedder',
          ref: 'Xenova/bge-small-en-v1.5',
          backend: 'transformers',
          present: false,
          missing: ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'],
          get: 'npx cairn models pull --role embedder',
        },
        {
          role: 'generator',
          ref: 'hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF:Q4_K_M',
          backend: 'llama',
          present: false,
          missing: ['*Q4_K_M*.gguf'],
          get: 'npx cairn models pull --role generator',
        },
      ],
      false,
    ]);
    expect(JSON.stringify(open).includes(env.dataDir)).toBe(false);
    const full = await read({ authorization: `Bearer ${admin}` });
    const modelsDir = path.join(env.dataDir, 'models');
    expect(full.modelsDir).toBe(modelsDir);
    expect((full.models as { location: string }[]).map((m) => m.location)).toEqual([
      path.join(modelsDir, 'Xenova/bge-small-en-v1.5'),
      path.join(modelsDir, 'Qwen/Qwen2.5-1.5B-Instruct-GGUF'),
    ]);
  });

  it('says offline pulls need a connected machine, and a present model is just present', async () => {
    env = createTestEnv({
      config: { offline: true, models: { gpu: 'cpu', reranker: null, generator: null, embedder: 'Xenova/bge-small-en-v1.5' } },
    });
    const model = path.join(env.dataDir, 'models/Xenova/bge-small-en-v1.5');
    const { app } = env;
    const body = async () => ((await (await app.request('/health')).json()) as { models: unknown[] }).models;
    expect(await body()).toEqual([
      expect.objectContaining({
        present: false,
        get: 'npx cairn models pull --role embedder on a machine with network (offline mode is on here), then copy the models folder',
      }),
    ]);
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
      mkdirSync(path.dirname(path.join(model, file)), { recursive: true });
      writeFileSync(path.join(model, file), '{}');
    }
    expect(await body()).toEqual([{ role: 'embedder', ref: 'Xenova/bge-small-en-v1.5', backend: 'transformers', present: true }]);
  });
});
