import { useEffect, useState } from 'preact/hooks';
import type { Job, JobAccepted } from '../../sdk/index.ts';
import { cairn, describeError, jobWord } from './api.ts';
import { t } from './i18n.ts';
import { PasswordPrompt, sentFile } from './password-prompt.tsx';
import { signal } from './signal.ts';
import { documentsVersion } from './state.ts';

export interface Tracked {
  id: string;
  label: string;
  collection: string | null;
}

const FINISHED = new Set(['succeeded', 'failed', 'cancelled']);
/** Failures a password fixes: none given, or a wrong one. */
const PASSWORD_CODES = new Set(['PDF_ENCRYPTED', 'PDF_BAD_PASSWORD']);

/** An upload's source is `upload:<hash>/<name>`: the name is what the person dropped. */
export function shownSource(source: string): string {
  return source.replace(/^upload:[0-9a-f]+\//, '');
}

function summary(job: Job): string {
  const p = job.progress;
  const counts = t('jobProgress', { done: p.documentsDone, total: p.documentsTotal });
  const result = job.result as { added?: number; updated?: number; unchanged?: number } | null;
  if (!result || !FINISHED.has(job.status)) return counts;
  return `${counts} · ${t('jobResult', { added: result.added ?? 0, updated: result.updated ?? 0, unchanged: result.unchanged ?? 0 })}`;
}

/** One job followed live over SSE (progress events, then done), with cancel and every failure's reason. */
function JobRow({ tracked, onDismiss }: { tracked: Tracked; onDismiss: () => void }) {
  const [job, setJob] = useState<Job | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Encrypted files sent again with a password: their prompt goes, the new job follows in the list.
  const [retried, setRetried] = useState<Set<string>>(new Set());
  useEffect(() => {
    const stop = new AbortController();
    cairn.jobs
      .wait(tracked.id, {
        signal: stop.signal,
        onProgress: (p) => setJob((old) => (old ? { ...old, status: p.status, progress: p.progress } : null)),
      })
      .then((done) => {
        setJob(done);
        documentsVersion.set(documentsVersion.get() + 1);
      })
      .catch((failure) => !stop.signal.aborted && setError(describeError(failure)));
    cairn.jobs.get(tracked.id, { signal: stop.signal }).then(
      (j) => setJob((old) => old ?? j),
      () => undefined,
    );
    return () => stop.abort();
  }, [tracked.id]);
  const p = job?.progress;
  const running = !job || !FINISHED.has(job.status);
  return (
    <li class={`job ${job?.status ?? 'queued'}`} data-job={tracked.id}>
      <div class="job-head">
        <span class="job-label">{tracked.label}</span>
        <span class="job-status">{job ? `${jobWord(job.status)} · ${summary(job)}` : jobWord('queued')}</span>
        {running ? (
          <button
            type="button"
            class="link"
            onClick={() => cairn.jobs.cancel(tracked.id).catch((e) => setError(describeError(e)))}
          >
            {t('cancel')}
          </button>
        ) : (
          <button type="button" class="icon" aria-label={t('close')} onClick={onDismiss}>
            ✕
          </button>
        )}
      </div>
      {running && p && <progress max={Math.max(p.documentsTotal, 1)} value={p.documentsDone} />}
      {job?.failures.map((f) => (
        <div key={f.source}>
          <p class="failure" title={f.source}>
            <strong>{shownSource(f.source)}</strong> — <code>{f.code}</code>: {f.message}
          </p>
          {PASSWORD_CODES.has(f.code) && tracked.collection && !retried.has(f.source) && (
            <PasswordPrompt
              collection={tracked.collection}
              file={sentFile(tracked.id, shownSource(f.source))}
              onSent={(jobId) => {
                setRetried(new Set([...retried, f.source]));
                track({ jobId, job: { collectionId: tracked.collection } }, shownSource(f.source));
              }}
            />
          )}
        </div>
      ))}
      {job?.error && <p class="failure">{job.error}</p>}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </li>
  );
}

export function JobList({ jobs, onDismiss }: { jobs: Tracked[]; onDismiss: (id: string) => void }) {
  if (jobs.length === 0) return null;
  return (
    <ul class="jobs" aria-live="polite" aria-label="jobs">
      {jobs.map((job) => (
        <JobRow key={job.id} tracked={job} onDismiss={() => onDismiss(job.id)} />
      ))}
    </ul>
  );
}

/** The jobs this tab started (uploads and re-ingests), newest first, until dismissed. */
export const trackedJobs = signal<Tracked[]>([]);

export function track(accepted: { jobId: string; job: Pick<JobAccepted['job'], 'collectionId'> }, label: string): void {
  trackedJobs.set([{ id: accepted.jobId, label, collection: accepted.job.collectionId }, ...trackedJobs.get()]);
}

/**
 * After a reload, the collection's unfinished jobs and the last ones with failed files come back
 * into the list (newest first, at most five), so a failure's reason is not lost with the page.
 */
export async function restoreJobs(collection: string): Promise<void> {
  const known = new Set(trackedJobs.get().map((job) => job.id));
  const wanted = (await cairn.jobs.list())
    .filter((job) => job.collectionId === collection && !known.has(job.id))
    .filter((job) => !FINISHED.has(job.status) || job.failures.length > 0)
    .slice(0, 5)
    .map((job) => ({
      id: job.id,
      collection: job.collectionId,
      label: job.kind === 'reingest' ? t('reingest') : job.failures.map((f) => shownSource(f.source)).join(', ') || job.kind,
    }));
  if (wanted.length > 0) trackedJobs.set([...trackedJobs.get(), ...wanted]);
}

export function dismiss(id: string): void {
  trackedJobs.set(trackedJobs.get().filter((job) => job.id !== id));
}
