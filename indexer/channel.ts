/**
 * A bounded queue between two async stages: the producer waits while the buffer holds `capacity`
 * units (chunks, here), so a fast loader never runs far ahead of a slow embedder.
 */
export interface Channel<T> {
  push(item: T, weight: number): Promise<void>;
  close(): void;
  fail(error: unknown): void;
  /** The next item, or undefined once closed and drained. */
  next(): Promise<T | undefined>;
  /** Items already buffered, without waiting. */
  size(): number;
}

export function createChannel<T>(capacity: number): Channel<T> {
  const items: { item: T; weight: number }[] = [];
  let load = 0;
  let closed = false;
  let failure: unknown = null;
  let wakeConsumer: (() => void) | null = null;
  let wakeProducer: (() => void) | null = null;
  const signalConsumer = () => {
    wakeConsumer?.();
    wakeConsumer = null;
  };
  return {
    async push(item, weight) {
      // Always admit one item into an empty buffer, however heavy, or a big document would block forever.
      while (load > 0 && load + weight > capacity && !closed) await new Promise<void>((r) => (wakeProducer = r));
      items.push({ item, weight });
      load += weight;
      signalConsumer();
    },
    close() {
      closed = true;
      signalConsumer();
    },
    fail(error) {
      failure = error;
      closed = true;
      signalConsumer();
    },
    async next() {
      while (items.length === 0) {
        if (failure) throw failure;
        if (closed) return undefined;
        await new Promise<void>((r) => (wakeConsumer = r));
      }
      const entry = items.shift() as { item: T; weight: number };
      load -= entry.weight;
      wakeProducer?.();
      wakeProducer = null;
      return entry.item;
    },
    size: () => items.length,
  };
}

/** Resolves after pending I/O callbacks (HTTP requests, timers) have had their turn. */
export type Pause = () => Promise<void> | undefined;

/**
 * Cooperative yielding for stages that are mostly synchronous (loading, splitting, SQLite writes):
 * once `sliceMs` of work has passed since the last turn, the returned promise waits for
 * setImmediate, so a long ingest never holds the event loop for much more than a slice.
 * Within the slice it returns undefined, costing a clock read and no promise.
 */
export function createPause(sliceMs = 10): Pause {
  let since = performance.now();
  let turn: Promise<void> | undefined;
  const resume = (resolve: () => void) => {
    since = performance.now();
    turn = undefined;
    resolve();
  };
  return () => {
    if (turn) return turn;
    if (performance.now() - since < sliceMs) return undefined;
    turn = new Promise<void>((resolve) => setImmediate(resume, resolve));
    return turn;
  };
}
