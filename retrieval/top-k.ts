/** Keeps the k best (index, score) pairs seen, as a binary min-heap; pure and allocation-light. */
export interface TopK {
  push(index: number, score: number): void;
  /** The smallest kept score once k are kept, else -Infinity: scores at or below it cannot enter. */
  min(): number;
  /** Best first. */
  sorted(): { index: number; score: number }[];
}

export function createTopK(k: number): TopK {
  const idx = new Int32Array(Math.max(1, k));
  const val = new Float64Array(Math.max(1, k));
  let size = 0;

  function swap(a: number, b: number): void {
    const ti = idx[a] as number;
    const tv = val[a] as number;
    idx[a] = idx[b] as number;
    val[a] = val[b] as number;
    idx[b] = ti;
    val[b] = tv;
  }

  function siftDown(from: number): void {
    let i = from;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < size && (val[l] as number) < (val[m] as number)) m = l;
      if (r < size && (val[r] as number) < (val[m] as number)) m = r;
      if (m === i) return;
      swap(i, m);
      i = m;
    }
  }

  function push(index: number, score: number): void {
    if (k <= 0) return;
    if (size < k) {
      let i = size++;
      idx[i] = index;
      val[i] = score;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if ((val[p] as number) <= (val[i] as number)) break;
        swap(i, p);
        i = p;
      }
    } else if (score > (val[0] as number)) {
      idx[0] = index;
      val[0] = score;
      siftDown(0);
    }
  }

  function sorted(): { index: number; score: number }[] {
    const out: { index: number; score: number }[] = [];
    for (let i = 0; i < size; i++) out.push({ index: idx[i] as number, score: val[i] as number });
    // Ties broken by index so results are deterministic.
    return out.sort((a, b) => b.score - a.score || a.index - b.index);
  }

  return { push, sorted, min: () => (size < k ? Number.NEGATIVE_INFINITY : (val[0] as number)) };
}
