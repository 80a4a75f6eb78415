/** Turns callback-style producers into an AsyncIterable, buffering values the consumer has not read. */
export function createPushIterator<T>(): {
  iterable: AsyncIterable<T>;
  push: (value: T) => void;
  end: () => void;
  fail: (error: unknown) => void;
} {
  const buffer: T[] = [];
  let done = false;
  let failure: { error: unknown } | null = null;
  let wake: (() => void) | null = null;
  const signal = () => {
    wake?.();
    wake = null;
  };
  async function* iterate(): AsyncGenerator<T> {
    while (true) {
      if (buffer.length > 0) {
        yield buffer.shift() as T;
        continue;
      }
      if (failure) throw failure.error;
      if (done) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }
  return {
    iterable: { [Symbol.asyncIterator]: iterate },
    push: (value) => {
      buffer.push(value);
      signal();
    },
    end: () => {
      done = true;
      signal();
    },
    fail: (error) => {
      failure = { error };
      signal();
    },
  };
}
