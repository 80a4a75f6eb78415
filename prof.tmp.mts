import { readFileSync, mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os'; import path from 'node:path';
import { parseConfig, createLogger } from './core/index.ts';
import { createModelRegistry, type Embedder } from './models/index.ts';
import { ingest } from './indexer/index.ts';
import { openStore } from './store/index.ts';
const work = mkdtempSync(path.join(os.tmpdir(), 'prof-'));
const config = parseConfig({ dataDir: work });
const logger = createLogger({ level: 'warn' });
const r = await createModelRegistry({ config, logger }).embedder('/work/main/test/fixtures/generated/minilm-embedder');
if (!r.ok) throw new Error(r.reason);
const base = r.model;
let inEmbed = 0; const calls: string[] = [];
const e: Embedder = { ...base, id: base.id, dimensions: base.dimensions, maxTokens: base.maxTokens, countTokens: base.countTokens?.bind(base),
  embed: async (t, role) => { const s = performance.now(); const v = await base.embed(t, role); const d = performance.now() - s; inEmbed += d; calls.push(`${t.length}:${d.toFixed(0)}`); return v; } };
const json = JSON.parse(readFileSync('/work/shared/eval/squad/dev-v1.1.json', 'utf8'));
const paras: string[] = json.data.flatMap((a: any) => a.paragraphs.map((p: any) => p.context)).slice(0, 64);
await e.embed(paras.slice(0, 32), 'passage');
for (let round = 0; round < 2; round++) {
  inEmbed = 0; calls.length = 0;
  let t = performance.now();
  for (let i = 0; i < paras.length; i += 32) await e.embed(paras.slice(i, i + 32), 'passage');
  const raw = performance.now() - t;
  console.log('raw calls', calls.join(' '));
  inEmbed = 0; calls.length = 0;
  const folder = path.join(work, `f${round}`); mkdirSync(folder);
  paras.forEach((p, i) => { writeFileSync(path.join(folder, `p${String(i).padStart(3, '0')}.txt`), p); });
  const store = openStore({ file: ':memory:' });
  t = performance.now();
  await ingest({ store, config, logger, embedder: e }, { collection: 'c', sources: [folder] });
  const ing = performance.now() - t;
  store.close();
  console.log('ingest calls', calls.join(' '));
  console.log(`round ${round}: raw ${raw.toFixed(0)} ms, ingest ${ing.toFixed(0)} ms (in embed ${inEmbed.toFixed(0)}), ratio ${(raw / ing).toFixed(3)}`);
}
