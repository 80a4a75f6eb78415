/**
 * Where the host hnswlib build's search speed over stock hnswlib-node comes from, measured apart:
 * the same graph (same data, parameters, seed, one point at a time) built once in each addon, then
 * searchKnn timed through each call path. Stock vs host with the same number[] path isolates the
 * compiler flags (-O3 -march=native vs the npm build); host number[] vs host Float32Array isolates
 * the copy (Array.from in JS plus a per-element walk in C++ vs one memcpy).
 */
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import type { HnswConstructor, HnswNative } from '../indexer/ann/hnsw-backend.ts';

const require = createRequire(import.meta.url);

export interface SpeedupData {
  base: Float32Array[];
  queries: Float32Array[];
}

export interface SpeedupOptions {
  dims: number;
  m: number;
  efConstruction: number;
  /** Default 64 and 128. */
  efs?: number[];
  k: number;
  /** The host addon's path (null: only the stock rows). */
  hostAddon: string | null;
  log: (line: string) => void;
}

type Row = Record<string, unknown> & { name: string; effort: number; qps: number; qpsCpu: number };

function build(ctor: HnswConstructor, data: SpeedupData, options: SpeedupOptions): HnswNative {
  const index = new ctor('cosine', options.dims);
  index.initIndex({ maxElements: data.base.length, m: options.m, efConstruction: options.efConstruction, randomSeed: 100 });
  data.base.forEach((v, i) => {
    index.addPoint(Array.from(v), i);
  });
  return index;
}

/** Whether this addon's searchKnn takes a Float32Array at all (stock checks IsArray and throws). */
function acceptsFloat32(index: HnswNative, query: Float32Array, k: number): string | null {
  try {
    index.searchKnn(query as unknown as number[], k);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

/** The call paths to time on one addon: converting per call, pre-converted, and the typed array. */
function paths(tag: string, index: HnswNative, k: number, float32: boolean) {
  const pre = new Map<Float32Array, number[]>();
  const preconverted = (q: Float32Array) => {
    let array = pre.get(q);
    if (!array) {
      array = Array.from(q);
      pre.set(q, array);
    }
    return array;
  };
  const list: [string, (q: Float32Array) => number[]][] = [
    [`${tag}-number-array`, (q) => index.searchKnn(Array.from(q), k).neighbors],
    [`${tag}-number-array-preconverted`, (q) => index.searchKnn(preconverted(q), k).neighbors],
  ];
  if (float32) list.push([`${tag}-float32array`, (q) => index.searchKnn(q as unknown as number[], k).neighbors]);
  return list;
}

/** All paths at each ef, alternated over two rounds (best of each), so load swings hit all alike. */
export function speedupBreakdown(
  data: SpeedupData,
  measure: (search: (q: Float32Array) => number[]) => { recall: number; qps: number; qpsCpu: number },
  options: SpeedupOptions,
): { rows: Row[]; ratios: Record<string, number> } {
  const efs = options.efs ?? [64, 128];
  const stockCtor = (require('hnswlib-node') as { HierarchicalNSW: HnswConstructor }).HierarchicalNSW;
  const stock = build(stockCtor, data, options);
  const stockF32 = acceptsFloat32(stock, data.queries[0] as Float32Array, options.k);
  options.log(`stock searchKnn with a Float32Array: ${stockF32 === null ? 'accepted' : `rejected (${stockF32})`}`);
  const list = paths('stock', stock, options.k, stockF32 === null);
  const indexes = [stock];
  if (options.hostAddon) {
    const hostCtor = (require(options.hostAddon) as { HierarchicalNSW: HnswConstructor }).HierarchicalNSW;
    indexes.push(build(hostCtor, data, options));
    list.push(...paths('host', indexes[1] as HnswNative, options.k, true));
  }
  const rows: Row[] = [];
  for (const effort of efs) {
    for (const index of indexes) index.setEf(effort);
    const load = Number((loadavg()[0] as number).toFixed(2));
    const runs = [0, 1].map(() => list.map(([, search]) => measure(search)));
    list.forEach(([name], i) => {
      const [a, b] = [runs[0]?.[i], runs[1]?.[i]];
      if (!a || !b) return;
      rows.push({
        name: `speedup-${name}`,
        effort,
        recall: a.recall,
        qps: Math.max(a.qps, b.qps),
        qpsCpu: Math.max(a.qpsCpu, b.qpsCpu),
        loadavg1mBefore: load,
      });
      options.log(
        `ef=${effort} ${name}: qps ${Math.max(a.qps, b.qps)} (cpu ${Math.max(a.qpsCpu, b.qpsCpu)}) recall ${a.recall.toFixed(3)}`,
      );
    });
  }
  return { rows, ratios: breakdownRatios(rows, efs, stockF32) };
}

function breakdownRatios(rows: Row[], efs: number[], stockF32: string | null): Record<string, number> {
  const ratios: Record<string, number> = { stock_accepts_float32array: stockF32 === null ? 1 : 0 };
  const get = (name: string, effort: number, key: 'qps' | 'qpsCpu') =>
    rows.find((r) => r.name === `speedup-${name}` && r.effort === effort)?.[key];
  const ratio = (a: number | undefined, b: number | undefined) => (a && b ? Number((a / b).toFixed(2)) : undefined);
  for (const effort of efs) {
    for (const key of ['qps', 'qpsCpu'] as const) {
      const suffix = `ef${effort}${key === 'qps' ? '' : '_cpu_time'}`;
      const pairs: [string, string, string][] = [
        // Same call path (number[] converted per call), different compiler flags.
        [`compiler_flags_${suffix}`, 'host-number-array', 'stock-number-array'],
        // Same flags, the typed array instead of Array.from + per-element walk.
        [`no_copy_${suffix}`, 'host-float32array', 'host-number-array'],
        [`total_host_float32_vs_stock_${suffix}`, 'host-float32array', 'stock-number-array'],
        // The per-call Array.from alone (the native walk stays): how much of no_copy is JS-side.
        [`array_from_cost_host_${suffix}`, 'host-number-array-preconverted', 'host-number-array'],
      ];
      for (const [name, a, b] of pairs) {
        const value = ratio(get(a, effort, key), get(b, effort, key));
        if (value !== undefined) ratios[name] = value;
      }
    }
  }
  return ratios;
}
