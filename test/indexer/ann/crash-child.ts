/**
 * Crash-test child: writes documents with vectors in a loop, deleting some, and keeps its ANN
 * index synced and saved, until the parent SIGKILLs it. argv: dataDir, index kind, start doc.
 */
import { silentLogger } from '../../../core/index.ts';
import { createAnnManager } from '../../../indexer/ann/index.ts';
import { openStore } from '../../../store/index.ts';
import { indexConfig, writeDoc } from './store-fixture.ts';

const [dataDir, kind = 'hnsw', startAt = '0'] = process.argv.slice(2);
const store = openStore({ dataDir: dataDir! });
store.collections.ensure({ name: 'crash' });
const ann = createAnnManager({
  store,
  dataDir: dataDir!,
  config: indexConfig({ kind, saveAfterChanges: 40, autoFlatBelow: 50 }),
  logger: silentLogger,
});

let i = Number(startAt);
for (;;) {
  writeDoc(store, 'crash', i, 1 + (i % 4), 'crash/model', 12);
  if (i % 5 === 3) store.documents.remove(`crash-doc-${i - 2}`);
  if (i % 4 === 0) await ann.get('crash', 'crash/model');
  if (i % 15 === 0) await ann.saveAll();
  if (i % 5 === 0) process.stdout.write(`${i}\n`);
  i++;
}
