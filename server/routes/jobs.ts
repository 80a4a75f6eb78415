import { Hono } from 'hono';
import type { Job } from '../../core/index.ts';
import type { AppDeps } from '../deps.ts';
import type { AppEnv } from '../env.ts';
import { type JobEvent, progressView } from '../jobs/worker.ts';
import { hasScope, requireScope } from '../middleware/auth.ts';
import type { RouteDoc } from '../openapi.ts';
import { sseResponse } from '../sse.ts';
import { param } from '../validate.ts';

export const jobDocs: RouteDoc[] = [
  {
    method: 'get',
    path: '/v1/jobs',
    summary: 'Recent jobs the key can read (never what was posted)',
    tag: 'Jobs',
    scope: 'read',
  },
  {
    method: 'get',
    path: '/v1/jobs/{id}',
    summary: 'A job: status, progress, attempts, failures, result (never what was posted)',
    tag: 'Jobs',
    scope: 'read',
  },
  {
    method: 'get',
    path: '/v1/jobs/{id}/events',
    summary: 'Job progress as server-sent events: `progress` ({id, status, progress}), then `done` (the job)',
    tag: 'Jobs',
    scope: 'read',
    stream: true,
  },
  {
    method: 'post',
    path: '/v1/jobs/{id}/cancel',
    summary: 'Cancel a job: a queued one at once, a running one after its current document (written ones stay)',
    tag: 'Jobs',
    scope: 'write',
    responses: { 200: 'Cancelled', 202: 'Running: it stops after its current document', 409: 'The job has already finished' },
  },
];

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);

export function createJobRoutes(deps: AppDeps) {
  const { store } = deps;
  const readableJob = async (c: Parameters<typeof requireScope>[0], id: string): Promise<Job> => {
    const job = await store.jobs.require(id);
    requireScope(c, job.collectionId ?? '*', 'read');
    return job;
  };
  return new Hono<AppEnv>()
    .get('/', async (c) => {
      const principal = c.get('principal');
      const jobs = (await store.jobs.list({ limit: 100 })).filter((job) => hasScope(principal, job.collectionId ?? '*', 'read'));
      return c.json({ jobs });
    })
    .get('/:id', async (c) => c.json(await readableJob(c, param(c, 'id'))))
    .post('/:id/cancel', async (c) => {
      const job = await store.jobs.require(param(c, 'id'));
      requireScope(c, job.collectionId ?? '*', 'write');
      const now = await deps.jobs.cancel(job.id);
      return c.json({ job: now }, now.status === 'cancelled' ? 200 : 202);
    })
    .get('/:id/events', async (c) => {
      const job = await readableJob(c, param(c, 'id'));
      return sseResponse(c, { heartbeatMs: deps.config.server.sseHeartbeatMs, logger: deps.logger }, async (sink) => {
        let finished: (() => void) | undefined;
        const ended = new Promise<void>((resolve) => {
          finished = resolve;
        });
        const queue: JobEvent[] = [];
        let wake: (() => void) | undefined;
        const unsubscribe = deps.jobs.subscribe(job.id, (event) => {
          queue.push(event);
          wake?.();
        });
        const end = () => finished?.();
        sink.signal.addEventListener('abort', end, { once: true });
        deps.shutdown?.addEventListener('abort', end, { once: true });
        try {
          // Subscribe first, then read the row, so no transition between the two is missed.
          const current = await store.jobs.require(job.id);
          await sink.send(progressView(current), 'progress');
          if (FINISHED.has(current.status)) return void (await sink.send(current, 'done'));
          while (!sink.signal.aborted && !deps.shutdown?.aborted) {
            const event = queue.shift();
            if (!event) {
              await Promise.race([new Promise<void>((resolve) => (wake = resolve)), ended]);
              continue;
            }
            await sink.send(event.job, event.type);
            if (event.type === 'done') return;
          }
        } finally {
          unsubscribe();
          deps.shutdown?.removeEventListener('abort', end);
        }
      });
    });
}
