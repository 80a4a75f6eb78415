import { useState } from 'preact/hooks';
import { cairn, describeError } from './api.ts';
import { t } from './i18n.ts';

/** The files each upload job of this tab sent, by job id: an encrypted one can be sent again with its password. */
const sentFiles = new Map<string, File[]>();

export function keepFiles(jobId: string, files: File[]): void {
  sentFiles.set(jobId, files);
}

export function sentFile(jobId: string, name: string): File | null {
  return sentFiles.get(jobId)?.find((file) => file.name === name || file.webkitRelativePath === name) ?? null;
}

export interface PasswordPromptProps {
  collection: string;
  /** The file as this tab sent it; after a reload it is gone and the prompt asks for it again. */
  file: File | null;
  onSent: (jobId: string, files: File[]) => void;
}

/** An encrypted PDF's password, sending the file again with it (the server keeps it only until the job ends). */
export function PasswordPrompt({ collection, file, onSent }: PasswordPromptProps) {
  const [password, setPassword] = useState('');
  const [picked, setPicked] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const chosen = file ?? picked;
  const submit = async (event: Event) => {
    event.preventDefault();
    if (!chosen || !password) return;
    setBusy(true);
    try {
      const accepted = await cairn.documents.add(collection, { files: [chosen], password });
      keepFiles(accepted.jobId, [chosen]);
      onSent(accepted.jobId, [chosen]);
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="password-prompt" onSubmit={submit}>
      <span class="muted">{t('passwordNeeded')}</span>
      {!file && (
        <input
          type="file"
          accept="application/pdf,.pdf"
          aria-label={t('chooseFiles')}
          onChange={(e) => setPicked(e.currentTarget.files?.[0] ?? null)}
        />
      )}
      <input
        type="password"
        class="pdf-password"
        required
        autocomplete="off"
        aria-label={t('password')}
        placeholder={t('password')}
        value={password}
        onInput={(e) => setPassword(e.currentTarget.value)}
      />
      <button type="submit" class="primary" disabled={busy || !chosen || !password}>
        {t('retryWithPassword')}
      </button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
