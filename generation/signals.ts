import { CairnError, toCairnError } from '../core/index.ts';

/**
 * Every generator call races the caller's signal and a per-call deadline, so a backend that ignores
 * its AbortSignal (or stalls) still cannot hang an answer.
 */
export function callSignal(signal: AbortSignal | undefined, timeoutMs: number): AbortSignal {
  const deadline = AbortSignal.timeout(timeoutMs);
  return signal ? AbortSignal.any([signal, deadline]) : deadline;
}

export function abortReason(signal: AbortSignal): CairnError {
  const reason: unknown = signal.reason;
  if (reason instanceof CairnError) return reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') {
    return new CairnError('TIMEOUT', 'The generator did not answer in time');
  }
  return new CairnError('CANCELLED', 'The answer was cancelled');
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortReason(signal);
}

export function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => {});
    return Promise.reject(abortReason(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** A generator failure as a CairnError: aborts keep their reason, anything else is GENERATOR_FAILED. */
export function toGeneratorError(error: unknown, signal?: AbortSignal): CairnError {
  if (signal?.aborted) return abortReason(signal);
  if (error instanceof CairnError) return error;
  const wrapped = toCairnError(error);
  return new CairnError('GENERATOR_FAILED', `The generator failed: ${wrapped.message}`, undefined, { cause: error });
}
