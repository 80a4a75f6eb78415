import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Job } from '../../core/index.ts';
import { openStore } from '../../store/index.ts';
import { json } from './helpers.ts';

const CHILD = path.join(import.meta.dirname, 'jobs-crash-child.ts');
const ROOT = path.join(import.meta.dirname, '..', '..');

let dataDir: string;
let child: ChildProcess | undefined;
beforeEach(() => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'cairn-poison-'));
});
afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
  child = undefined;
  rmSync(dataDir, { recursive: true, force: true });
});

type Started = { url: string } | { signal: NodeJS.Signals | null; code: number | null };

/** Starts the server in a child process: its url once it listens, or how it died before that. */
function startChild(): Promise<Started> {
  const proc = spawn(process.execPath, ['--import', 'tsx', CHILD, dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  child = proc;
  return new Promise((resolve) => {
    let out = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const url = /^ready (\S+)$/m.exec(out)?.[1];
      if (url) resolve({ url });
    });
    proc.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

function exitOf(proc: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (proc.exitCode !== null || proc.signalCode !== null)
    return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode });
  return new Promise((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
}

const died = async (proc: ChildProcess) => (await exitOf(proc)).signal;

function onlyJobId(): string {
  const store = openStore({ dataDir });
  try {
    const jobs = store.jobs.list();
    expect(jobs.length).toBe(1);
    return jobs[0]?.id as string;
  } finally {
    store.close();
  }
}

/** The job row as the database has it, read while no server runs. */
function storedJob(id: string): Job {
  const store = openStore({ dataDir });
  try {
    return store.jobs.require(id);
  } finally {
    store.close();
  }
}

describe('a job that kills the process', () => {
  it('is tried jobs.maxAttempts (3) times, then failed, and the server starts normally', async () => {
    const first = await startChild();
    if (!('url' in first)) throw new Error(`the server did not start: ${JSON.stringify(first)}`);
    const proc = child as ChildProcess;
    // The job starts at once and the process dies under the request: no answer comes back.
    const answer = await fetch(`${first.url}/v1/collections/c/documents`, json({ text: 'POISON pill', source: 'pill' })).catch(
      (error: Error) => error.message,
    );
    expect([answer, await died(proc)]).toEqual(['fetch failed', 'SIGKILL']);
    const jobId = onlyJobId();
    expect([storedJob(jobId).status, storedJob(jobId).attempts]).toEqual(['running', 1]);

    // Each start resumes the job, which kills the process again before the server is up.
    for (const attempt of [2, 3]) {
      expect(await startChild()).toEqual({ code: null, signal: 'SIGKILL' });
      expect(storedJob(jobId).attempts).toBe(attempt);
    }

    const fourth = await startChild();
    if (!('url' in fourth)) throw new Error(`the server did not start after the attempts: ${JSON.stringify(fourth)}`);
    const job = (await (await fetch(`${fourth.url}/v1/jobs/${jobId}`)).json()) as Job;
    expect([job.status, job.error, job.attempts]).toEqual(['failed', 'process crashed during this job', 3]);
    const ok = await fetch(`${fourth.url}/v1/collections/c/documents`, json({ text: 'A healthy note.', source: 'note' }));
    const okId = ((await ok.json()) as { jobId: string }).jobId;
    let status = '';
    for (let i = 0; i < 200 && status !== 'succeeded'; i++) {
      status = ((await (await fetch(`${fourth.url}/v1/jobs/${okId}`)).json()) as Job).status;
      if (status !== 'succeeded') await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const docs = (await (await fetch(`${fourth.url}/v1/collections/c/documents`)).json()) as { documents: { source: string }[] };
    expect([status, docs.documents.map((d) => d.source)]).toEqual(['succeeded', ['note']]);
  }, 120_000);

  it('fails with the error it threw when nothing caught it, after its attempts', async () => {
    const first = await startChild();
    if (!('url' in first)) throw new Error(`the server did not start: ${JSON.stringify(first)}`);
    await fetch(`${first.url}/v1/collections/c/documents`, json({ text: 'THROWS here', source: 't' })).catch(() => null);
    expect(await exitOf(child as ChildProcess)).toEqual({ code: 1, signal: null });
    const jobId = onlyJobId();
    for (const attempt of [2, 3]) {
      expect([storedJob(jobId).status, storedJob(jobId).error, storedJob(jobId).attempts]).toEqual([
        'running',
        'loader blew up',
        attempt - 1,
      ]);
      await startChild();
      expect(await exitOf(child as ChildProcess)).toEqual({ code: 1, signal: null });
    }
    const fourth = await startChild();
    if (!('url' in fourth)) throw new Error(`the server did not start after the attempts: ${JSON.stringify(fourth)}`);
    const job = (await (await fetch(`${fourth.url}/v1/jobs/${jobId}`)).json()) as Job;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect([job.status, job.error, job.attempts, child?.exitCode]).toEqual(['failed', 'loader blew up', 3, null]);
  }, 120_000);
});
