/**
 * 8-bit scalar quantization: each dimension is mapped linearly from its trained [min, max] onto
 * 0..255. Scores against a float query are computed straight from the codes:
 * q·x̂ = q·min + Σ (q_i·scale_i)·code_i.
 */
export interface Sq8 {
  min: Float32Array;
  scale: Float32Array;
}

export function trainSq8(data: Float32Array, n: number, d: number): Sq8 {
  const min = new Float32Array(d).fill(Number.POSITIVE_INFINITY);
  const max = new Float32Array(d).fill(Number.NEGATIVE_INFINITY);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      const x = data[i * d + j]!;
      if (x < min[j]!) min[j] = x;
      if (x > max[j]!) max[j] = x;
    }
  }
  const scale = new Float32Array(d);
  for (let j = 0; j < d; j++) {
    if (!Number.isFinite(min[j]!)) min[j] = 0;
    scale[j] = max[j]! > min[j]! ? (max[j]! - min[j]!) / 255 : 0;
  }
  return { min, scale };
}

/** Encodes one vector into `codes` at `offset`; returns |x̂|², the decoded vector's squared norm. */
export function encodeSq8(sq: Sq8, vector: Float32Array, codes: Uint8Array, offset: number): number {
  let norm = 0;
  for (let j = 0; j < vector.length; j++) {
    const scale = sq.scale[j]!;
    const code = scale > 0 ? Math.min(255, Math.max(0, Math.round((vector[j]! - sq.min[j]!) / scale))) : 0;
    codes[offset + j] = code;
    const decoded = sq.min[j]! + code * scale;
    norm += decoded * decoded;
  }
  return norm;
}

export interface Sq8Query {
  scaled: Float32Array;
  bias: number;
  squaredNorm: number;
}

export function prepareSq8Query(sq: Sq8, query: Float32Array): Sq8Query {
  const scaled = new Float32Array(query.length);
  let bias = 0;
  let squaredNorm = 0;
  for (let j = 0; j < query.length; j++) {
    scaled[j] = query[j]! * sq.scale[j]!;
    bias += query[j]! * sq.min[j]!;
    squaredNorm += query[j]! * query[j]!;
  }
  return { scaled, bias, squaredNorm };
}

/** Approximate inner product of the query with the code row at `offset`. */
export function dotSq8(q: Sq8Query, codes: Uint8Array, offset: number, d: number): number {
  let s0 = 0;
  let s1 = 0;
  let j = 0;
  for (; j + 1 < d; j += 2) {
    s0 += q.scaled[j]! * codes[offset + j]!;
    s1 += q.scaled[j + 1]! * codes[offset + j + 1]!;
  }
  for (; j < d; j++) s0 += q.scaled[j]! * codes[offset + j]!;
  return q.bias + s0 + s1;
}
