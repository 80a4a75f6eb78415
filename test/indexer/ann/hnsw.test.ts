import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createHnswIndex } from '../../../indexer/ann/index.ts';
import { hnswPackageDir, nativeBuildInfo, patchAddonSource } from '../../../indexer/ann/native-build.ts';
import { isCi } from '../../ci-env.ts';
import { clusteredVectors } from './helpers.ts';

const D = 16;
const data = clusteredVectors(400, D, 11);
const labels = data.map((_, i) => i + 10);
const hostBuilt = existsSync(nativeBuildInfo().addon);
if (!hostBuilt && !isCi()) {
  console.warn('skipping the native-vs-portable hnswlib test: no host build here (npm run build:native)');
}

describe('hnsw', () => {
  it('grows by resizing and reuses deleted slots for new labels', () => {
    const index = createHnswIndex({ dimensions: D, capacity: 16, efConstruction: 50 });
    index.add(labels.slice(0, 100), data.slice(0, 100));
    expect(index.describe().params.capacity).toBe(128);
    index.remove(labels.slice(0, 30));
    index.add(labels.slice(100, 130), data.slice(100, 130));
    expect(index.describe().params.slots).toBe(100);
    expect(index.size()).toBe(100);
    // A removed label whose slot was taken comes back as a new element; others are unmarked.
    index.remove(labels.slice(50, 55));
    index.add(labels.slice(0, 10), data.slice(0, 10));
    expect(index.size()).toBe(105);
    expect(index.describe().params.slots).toBe(105);
    expect(index.search(data[3]!, 1)[0]).toEqual({ label: labels[3], score: expect.closeTo(1, 5) });
    expect(index.labels().sort((a, b) => a - b)).toEqual([
      ...labels.slice(0, 10),
      ...labels.slice(30, 50),
      ...labels.slice(55, 130),
    ]);
  });

  it('answers a selective predicate exactly when the graph runs out of allowed neighbours', () => {
    const index = createHnswIndex({ dimensions: D, efConstruction: 50, ef: 10 });
    index.add(labels, data);
    const allowed = (label: number) => label === 15 || label === 400;
    const hits = index.search(data[200]!, 2, { filter: allowed });
    expect(hits.map((h) => h.label).sort()).toEqual([15, 400]);
    expect(index.search(data[200]!, 5, { filter: allowed })).toHaveLength(2);
  });

  // Comparing the portable build with itself proves nothing: without a host build this skips on a
  // developer's machine and fails in CI, where a failed `npm run build:native` must not pass unseen.
  it.skipIf(!hostBuilt && !isCi())('gives the same answers on the portable and the host build', () => {
    const portable = createHnswIndex({ dimensions: D, efConstruction: 60, backend: { native: 'off' } });
    const host = createHnswIndex({ dimensions: D, efConstruction: 60 });
    expect(portable.backend.build).toBe('portable');
    expect(host.backend.build, `CI needs the host hnswlib build at ${nativeBuildInfo().addon} (npm run build:native)`).toBe(
      'host',
    );
    portable.add(labels, data);
    host.add(labels, data);
    // A 2% filter takes the exact path: getPoint on the npm build, cairnDistances on the host one.
    const few = new Set(labels.filter((_, i) => i % 50 === 0));
    for (const q of data.slice(0, 20)) {
      expect(host.search(q, 5).map((h) => h.label)).toEqual(portable.search(q, 5).map((h) => h.label));
      expect(host.search(q, 5, { filter: few }).map((h) => h.label)).toEqual(
        portable.search(q, 5, { filter: few }).map((h) => h.label),
      );
    }
  });

  it('patches the installed hnswlib-node source for Float32Array points and threaded batch inserts', () => {
    const source = readFileSync(path.join(hnswPackageDir(), 'src', 'addon.cc'), 'utf8');
    const patched = patchAddonSource(source);
    // addPoint and searchKnn of both BruteforceSearch and HierarchicalNSW.
    expect(patched.match(/cairnReadPoint\(env, info\[0\], dim_, cairn_in\)/g)).toHaveLength(4);
    expect(patched).toContain('exports.Set("cairnTypedArrays"');
    expect(patched).toContain('InstanceMethod("cairnAddPoints", &HierarchicalNSW::cairnAddPoints)');
    // The graph's level-0 block is advised onto huge pages before a batch insert (Linux only).
    expect(patched).toContain(
      'cairnAdviseHugePages(index_->data_level0_memory_, index_->max_elements_ * index_->size_data_per_element_);',
    );
    expect(patched).toContain('#include <sys/mman.h>');
    expect(() => patchAddonSource(source.replace(/IsArray/g, 'IsList'))).toThrow(/source changed/);
  });
});
