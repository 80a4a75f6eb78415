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
