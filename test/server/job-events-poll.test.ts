import { expect, it } from 'vitest';
import type { Job } from '../../core/index.ts';
import { pollJobEvents } from '../../server/jobs/shared.ts';
import type { JobEvent } from '../../server/jobs/worker.ts';

const job = (status: Job['status'], documentsDone: number): Job => ({
  id: 'job_1',
  kind: 'ingest',
  collectionId: 'docs',
  status,
  progress: { documentsDone, documentsTotal: 4, chunksDone: 0, chunksTotal: 0 },
  attempts: 1,
  result: null,
  failures: [],
  error: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  startedAt: null,
  finishedAt: null,
  updatedAt: '2026-01-01T00:00:00.000Z',
});

/** A jobs table read in turn: each call answers the next row, or throws the next error. */
function rows(answers: (Job | Error)[]) {
  let at = 0;
  return {
    jobs: {
      get: async () => {
        const answer = answers[Math.min(at++, answers.length - 1)] as Job | Error;
        if (answer instanceof Error) throw answer;
        return answer;
      },
    },
  } as unknown as Parameters<typeof pollJobEvents>[0];
}

function collect(store: Parameters<typeof pollJobEvents>[0]): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no done event: ${JSON.stringify(events)}`)), 2000);
    pollJobEvents(
      store,
      'job_1',
      (event) => {
        events.push(event);
        if (event.type !== 'done') return;
        clearTimeout(timer);
        resolve(events);
      },
      5,
    );
  });
}

it('a job row read from another instance: progress when it changes, then done', async () => {
  const events = await collect(rows([job('running', 1), job('running', 1), job('running', 3), job('succeeded', 4)]));
  expect(events.map((e) => [e.type, e.job.status, e.job.progress.documentsDone])).toEqual([
    ['progress', 'running', 1],
    ['progress', 'running', 3],
    ['done', 'succeeded', 4],
  ]);
});

it('a failed read of the row (the database busy or restarting) is retried, not the end of the events', async () => {
  const events = await collect(rows([job('running', 1), new Error('connection terminated'), job('succeeded', 4)]));
  expect(events.map((e) => [e.type, e.job.status])).toEqual([
    ['progress', 'running'],
    ['done', 'succeeded'],
  ]);
});
