import { useEffect, useState } from 'preact/hooks';
import { cairn, describeError } from './api.ts';
import { droppedFiles, pickedFiles } from './files.ts';
import { t } from './i18n.ts';
import { dismiss, JobList, restoreJobs, track, trackedJobs } from './jobs.tsx';
import { keepFiles } from './password-prompt.tsx';
import { useSignal } from './signal.ts';

/** Adding documents: drop files or folders, pick them, add a URL or paste a text; each becomes a followed job. */
export function AddDocuments({ collection }: { collection: string }) {
  const jobs = useSignal(trackedJobs).filter((job) => job.collection === collection);
  useEffect(() => {
    restoreJobs(collection).catch(() => undefined);
  }, [collection]);
  const [mode, setMode] = useState<'url' | 'text' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [over, setOver] = useState(false);

  async function submit(label: string, add: () => ReturnType<typeof cairn.documents.add>, files: File[] = []) {
    setError(null);
    try {
      const accepted = await add();
      if (files.length > 0) keepFiles(accepted.jobId, files);
      track(accepted, label);
      return true;
    } catch (failure) {
      setError(describeError(failure));
      return false;
    }
  }
  const upload = (files: File[]) =>
    files.length > 0 && submit(files.map((f) => f.name).join(', '), () => cairn.documents.add(collection, { files }), files);

  const onDrop = async (event: DragEvent) => {
    event.preventDefault();
    setOver(false);
    if (event.dataTransfer) upload(await droppedFiles(event.dataTransfer));
  };
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a drop target; keyboards use the buttons inside
    <div
      class={`add-documents${over ? ' over' : ''}`}
      id="dropzone"
      onDragOver={(e) => {
        e.preventDefault();
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={onDrop}
    >
      <p class="muted drop-hint">{t('dropHere')}</p>
      <div class="add-buttons">
        <label class="button">
          {t('chooseFiles')}
          <input
            id="files"
            type="file"
            multiple
            class="visually-hidden"
            onChange={(e) => upload(pickedFiles(e.currentTarget.files))}
          />
        </label>
        <button type="button" onClick={() => setMode(mode === 'url' ? null : 'url')} aria-expanded={mode === 'url'}>
          {t('addUrl')}
        </button>
        <button type="button" onClick={() => setMode(mode === 'text' ? null : 'text')} aria-expanded={mode === 'text'}>
          {t('pasteText')}
        </button>
      </div>
      {mode === 'url' && <UrlForm onAdd={(url) => submit(url, () => cairn.documents.add(collection, { urls: [url] }))} />}
      {mode === 'text' && (
        <TextForm
          onAdd={(title, text) =>
            submit(title || t('text'), () => cairn.documents.add(collection, { text, ...(title ? { title } : {}) }))
          }
        />
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <JobList jobs={jobs} onDismiss={dismiss} />
    </div>
  );
}

function UrlForm({ onAdd }: { onAdd: (url: string) => Promise<boolean> }) {
  const [url, setUrl] = useState('');
  return (
    <form
      class="inline-form"
      onSubmit={async (e) => {
        e.preventDefault();
        if (await onAdd(url.trim())) setUrl('');
      }}
    >
      <input
        type="url"
        required
        placeholder="https://…"
        aria-label={t('addUrl')}
        value={url}
        onInput={(e) => setUrl(e.currentTarget.value)}
      />
      <button type="submit" class="primary">
        {t('add')}
      </button>
    </form>
  );
}

function TextForm({ onAdd }: { onAdd: (title: string, text: string) => Promise<boolean> }) {
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  return (
    <form
      class="stack-form"
      onSubmit={async (e) => {
        e.preventDefault();
        if (await onAdd(title.trim(), text)) {
          setTitle('');
          setText('');
        }
      }}
    >
      <input placeholder={t('title')} aria-label={t('title')} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
      <textarea
        required
        rows={4}
        placeholder={t('text')}
        aria-label={t('text')}
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
      />
      <button type="submit" class="primary">
        {t('add')}
      </button>
    </form>
  );
}
