import { CairnError } from '../core/index.ts';

/** One tensor from a .safetensors file, as a typed array over its bytes. */
export interface SafeTensor {
  dtype: string;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | Int64Array;
}

type HeaderEntry = { dtype: string; shape: number[]; data_offsets: [number, number] };

/**
 * Parses the safetensors layout by hand (u64 header length, JSON header, raw little-endian data)
 * so the static embedder needs no extra dependency. F16 is widened to F32.
 */
export function parseSafetensors(bytes: Uint8Array, file: string): Map<string, SafeTensor> {
  const corrupt = (why: string) => new CairnError('MODEL_CORRUPT', `${file} is not a valid safetensors file: ${why}`, { file });
  if (bytes.length < 8) throw corrupt('too short');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength <= 0 || 8 + headerLength > bytes.length) throw corrupt('bad header length');
  let header: Record<string, HeaderEntry | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw corrupt('header is not JSON');
  }
  const base = 8 + headerLength;
  const tensors = new Map<string, SafeTensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const { dtype, shape, data_offsets: offsets } = entry as HeaderEntry;
    const [start, end] = offsets ?? [0, -1];
    if (base + end > bytes.length || start > end) throw corrupt(`tensor ${name} lies outside the file`);
    // Copy so the typed array is aligned whatever the header length was.
    const raw = Uint8Array.prototype.slice.call(bytes, base + start, base + end);
    tensors.set(name, { dtype, shape, data: toTypedArray(dtype, raw, () => corrupt(`unsupported dtype ${dtype}`)) });
  }
  return tensors;
}

function toTypedArray(dtype: string, raw: Uint8Array, fail: () => Error): SafeTensor['data'] {
  switch (dtype) {
    case 'F32':
      return new Float32Array(raw.buffer, 0, raw.byteLength / 4);
    case 'F64':
      return new Float64Array(raw.buffer, 0, raw.byteLength / 8);
    case 'I32':
      return new Int32Array(raw.buffer, 0, raw.byteLength / 4);
    case 'I64':
      return new BigInt64Array(raw.buffer, 0, raw.byteLength / 8) as unknown as Int64Array;
    case 'F16':
      return widenHalf(new Uint16Array(raw.buffer, 0, raw.byteLength / 2));
    default:
      throw fail();
  }
}

type Int64Array = BigInt64Array;

function widenHalf(half: Uint16Array): Float32Array {
  const out = new Float32Array(half.length);
  for (let i = 0; i < half.length; i++) {
    const h = half[i] ?? 0;
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) out[i] = sign * 2 ** -14 * (mant / 1024);
    else if (exp === 31) out[i] = mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else out[i] = sign * 2 ** (exp - 15) * (1 + mant / 1024);
  }
  return out;
}
