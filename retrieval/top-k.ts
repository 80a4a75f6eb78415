/** Keeps the k best (index, score) pairs seen, as a binary min-heap; pure and allocation-light. */
export interface TopK {
  push(index: number, score: number): void;
  /** The smallest kept score once k are kept, else -Infinity: scores below it cannot enter. */
  min(): number;
  /** The index kept with that score, the highest of several tied: an equal score enters only with a smaller one. */
  minIndex(): number;
  /** Best first. */
  sorted(): { index: number; score: number }[];
}

/**
 * The root is the worst entry kept: the lowest score and, among equal scores, the highest index, so
 * which of several tied entries stay at the k-th place does not depend on the order they came in.
 * A class, not a closure per method: a search makes one of these per call, and under tsx each
 * closure made at run time also gets its name defined (esbuild's keepNames), a runtime call each.
 */
class MinHeap implements TopK {
  private readonly idx: Int32Array;
  private readonly val: Float64Array;
  private size = 0;

  constructor(private readonly k: number) {
    this.idx = new Int32Array(Math.max(1, k));
    this.val = new Float64Array(Math.max(1, k));
  }

  push(index: number, score: number): void {
    const { idx, val, k } = this;
    if (k <= 0) return;
    if (this.size < k) {
      let i = this.size++;
      // Sift up: move parents down until the new entry's place is found.
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (!worse(score, index, val[p] as number, idx[p] as number)) break;
        idx[i] = idx[p] as number;
        val[i] = val[p] as number;
        i = p;
      }
      idx[i] = index;
      val[i] = score;
    } else if (worse(val[0] as number, idx[0] as number, score, index)) {
      this.siftDown(index, score);
    }
  }

  /** Puts (index, score) in place of the root and moves it down to its place. */
  private siftDown(index: number, score: number): void {
    const { idx, val, size } = this;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      const m = r < size && worse(val[r] as number, idx[r] as number, val[l] as number, idx[l] as number) ? r : l;
      if (!worse(val[m] as number, idx[m] as number, score, index)) break;
      idx[i] = idx[m] as number;
      val[i] = val[m] as number;
      i = m;
    }
    idx[i] = index;
    val[i] = score;
  }

  min(): number {
    return this.size < this.k ? Number.NEGATIVE_INFINITY : (this.val[0] as number);
  }

  minIndex(): number {
    return this.size < this.k ? Number.POSITIVE_INFINITY : (this.idx[0] as number);
  }

  sorted(): { index: number; score: number }[] {
    const out: { index: number; score: number }[] = [];
    for (let i = 0; i < this.size; i++) out.push({ index: this.idx[i] as number, score: this.val[i] as number });
    // Ties broken by index so results are deterministic.
    return out.sort(bestFirst);
  }
}

/** Whether (score a, index a) ranks below (score b, index b). */
function worse(scoreA: number, indexA: number, scoreB: number, indexB: number): boolean {
  return scoreA < scoreB || (scoreA === scoreB && indexA > indexB);
}

function bestFirst(a: { index: number; score: number }, b: { index: number; score: number }): number {
  return b.score - a.score || a.index - b.index;
}

export function createTopK(k: number): TopK {
  return new MinHeap(k);
}
