import type { Context } from 'hono';
import { CairnError, type Job } from '../core/index.ts';
import type { StoreContract } from '../store/contract.ts';
import type { AppEnv } from './env.ts';
import { principalId } from './middleware/auth.ts';

/** Printable ASCII, as Stripe and the IETF draft's examples use; long enough for any UUID-based scheme. */
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

export interface IdempotencyKey {
  owner: string;
  key: string;
  scope: string;
}

/** The request's Idempotency-Key bound to its caller and target, or null when it sent none. */
export function idempotencyKey(c: Context<AppEnv>, scope: string): IdempotencyKey | null {
  const key = c.req.header('idempotency-key')?.trim();
  if (key === undefined || key === '') return null;
  if (!KEY_PATTERN.test(key)) {
    throw new CairnError('VALIDATION', 'The Idempotency-Key header must be 1-255 printable ASCII characters', {
      header: 'Idempotency-Key',
    });
  }
  return { owner: principalId(c.get('principal')), key, scope };
}

/**
 * The job an earlier request with this key started (within 24 h), or null to go ahead. A key used
 * for another target is refused rather than answered with a job from elsewhere; one whose job has
 * since been pruned is free again.
 */
export async function replayedJob(store: StoreContract, id: IdempotencyKey | null): Promise<Job | null> {
  if (id === null) return null;
  const record = await store.idempotency.find(id.owner, id.key);
  // No record, or a twin request holding the key while it starts its job (reserveOrReplay waits for it).
  if (record === null || record.jobId === '') return null;
  if (record.scope !== id.scope) {
    throw new CairnError('CONFLICT', 'This Idempotency-Key was already used for a different request', {
      header: 'Idempotency-Key',
    });
  }
  const job = await store.jobs.get(record.jobId);
  if (job === null || job === undefined) await store.idempotency.forget(id.owner, id.key);
  return job ?? null;
}

/** How long a request waits for a twin (same key, in flight) to start its job before answering 409. */
const TWIN_WAIT_MS = 5000;

/**
 * Reserves the key for this request, or returns the job an earlier request with it started. A
 * twin still starting its job (the key taken, no job yet) is waited for, up to a few seconds, then
 * answered with CONFLICT; a key used for another target is refused; a key whose job is gone is free
 * again. Exactly one of several concurrent requests with one key goes on to start a job.
 */
export async function reserveOrReplay(store: StoreContract, id: IdempotencyKey | null): Promise<Job | null> {
  if (id === null) return null;
  const until = Date.now() + TWIN_WAIT_MS;
  while (!(await store.idempotency.reserve(id.owner, id.key, id.scope))) {
    const record = await store.idempotency.find(id.owner, id.key);
    if (record?.scope !== undefined && record.scope !== id.scope) {
      throw new CairnError('CONFLICT', 'This Idempotency-Key was already used for a different request', {
        header: 'Idempotency-Key',
      });
    }
    if (record && record.jobId !== '') {
      const job = await store.jobs.get(record.jobId);
      if (job) return job;
      await store.idempotency.forget(id.owner, id.key);
    } else if (record && Date.now() > until) {
      throw new CairnError('CONFLICT', 'A request with this Idempotency-Key is still being processed; retry shortly', {
        header: 'Idempotency-Key',
      });
    } else if (record) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  return null;
}

/** Frees a reserved key whose request failed before starting a job, so a retry can go ahead. */
export async function releaseKey(store: StoreContract, id: IdempotencyKey | null): Promise<void> {
  if (id !== null) await store.idempotency.forget(id.owner, id.key);
}

export async function rememberJob(store: StoreContract, id: IdempotencyKey | null, job: Job): Promise<void> {
  if (id !== null) await store.idempotency.remember(id.owner, id.key, id.scope, job.id);
}

/** The answer the first request got: 202 with the job as it is now, marked as a replay. */
export function replayResponse(c: Context<AppEnv>, job: Job): Response {
  c.header('Location', `/v1/jobs/${job.id}`);
  c.header('Idempotent-Replayed', 'true');
  return c.json({ jobId: job.id, status: job.status, job }, 202);
}
