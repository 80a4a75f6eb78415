import { useEffect, useState } from 'preact/hooks';
import type { CollectionView } from '../../sdk/index.ts';
import { cairn, describeError } from './api.ts';
import { DefaultsFields, defaultsForm, defaultsPatch } from './collection-defaults.tsx';
import { t } from './i18n.ts';
import { useSignal } from './signal.ts';
import { collections, current, loadCollections, selectCollection, view } from './state.ts';

/** The server's rule for collection names (server/schemas.ts), checked as the user types. */
export const NAME_RULE = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export function nameProblem(name: string, existing: CollectionView[]): string | null {
  if (!name) return null;
  if (!NAME_RULE.test(name)) return t('nameRule');
  if (existing.some((c) => c.name === name)) return t('nameTaken');
  return null;
}

export function CollectionPicker() {
  const all = useSignal(collections);
  const name = useSignal(current);
  const page = useSignal(view);
  const [creating, setCreating] = useState(false);
  // the box is for the chat page; left open it would cover the settings and status pages
  useEffect(() => setCreating(false), [page]);
  return (
    <div class="collection-picker">
      <label class="visually-hidden" for="collection">
        {t('collection')}
      </label>
      {all.length > 0 && (
        <select id="collection" value={name ?? ''} onChange={(e) => selectCollection(e.currentTarget.value)}>
          {all.map((c) => (
            <option key={c.name} value={c.name}>
              {c.title || c.name} ({c.counts.documents})
            </option>
          ))}
        </select>
      )}
      <button
        type="button"
        class="icon"
        aria-label={t('newCollection')}
        title={t('newCollection')}
        aria-expanded={creating}
        onClick={() => setCreating(!creating)}
      >
        +
      </button>
      {(creating || (all.length === 0 && page === 'chat')) && <CreateCollection onDone={() => setCreating(false)} />}
    </div>
  );
}

function CreateCollection({ onDone }: { onDone: () => void }) {
  const all = useSignal(collections);
  const [name, setName] = useState('');
  const [error, setError] = useState<string | null>(null);
  const problem = nameProblem(name, all);
  const submit = async (event: Event) => {
    event.preventDefault();
    if (problem || !name) return;
    try {
      await cairn.collections.create({ name });
      await loadCollections();
      selectCollection(name);
      setName('');
      onDone();
    } catch (failure) {
      setError(describeError(failure));
    }
  };
  return (
    <form class="create-collection popover" id="new-collection" onSubmit={submit}>
      <input
        id="new-collection-name"
        placeholder={t('newCollection')}
        aria-label={t('newCollection')}
        aria-invalid={problem !== null}
        aria-describedby="collection-name-help"
        value={name}
        onInput={(e) => {
          setName(e.currentTarget.value);
          setError(null);
        }}
      />
      <button type="submit" class="primary" disabled={!name || problem !== null}>
        {t('create')}
      </button>
      <p id="collection-name-help" class={problem || error ? 'error' : 'muted'} role={problem || error ? 'alert' : undefined}>
        {error ?? problem ?? t('nameRule')}
      </p>
    </form>
  );
}

const text = (value: string | null) => value ?? '';
const SPLITTERS = ['auto', 'recursive', 'sentence', 'token', 'markdown'] as const;
const INDEXES = ['auto', 'flat', 'hnsw', 'ivf'] as const;
const orNull = (value: string) => (value.trim() ? value.trim() : null);

/** A collection's settings as the API allows editing them (PATCH); the name is fixed once created. */
export function CollectionSettingsForm({ collection }: { collection: CollectionView }) {
  const s = collection.settings;
  const [form, setForm] = useState({
    title: collection.title === collection.name ? '' : collection.title,
    description: collection.description,
    embedder: text(s.embedder),
    reranker: text(s.reranker),
    generator: text(s.generator),
    size: String(s.chunking.size ?? ''),
    overlap: String(s.chunking.overlap ?? ''),
    index: s.index,
    splitter: s.chunking.splitter,
  });
  const [defaults, setDefaults] = useState(defaultsForm(s));
  const [note, setNote] = useState<{ error: boolean; text: string } | null>(null);
  const field = (key: keyof typeof form, label: string) => (
    <label>
      {label}
      <input value={form[key]} onInput={(e) => setForm({ ...form, [key]: e.currentTarget.value })} />
    </label>
  );
  const choice = <K extends 'index' | 'splitter'>(key: K, label: string, values: readonly (typeof form)[K][]) => (
    <label>
      {label}
      <select value={form[key]} onChange={(e) => setForm({ ...form, [key]: e.currentTarget.value })}>
        {values.map((value) => (
          <option key={value} value={value}>
            {value}
          </option>
        ))}
      </select>
    </label>
  );
  const save = async (event: Event) => {
    event.preventDefault();
    try {
      const chunking = {
        ...(form.size ? { size: Number(form.size) } : {}),
        ...(form.overlap ? { overlap: Number(form.overlap) } : {}),
        splitter: form.splitter,
      };
      await cairn.collections.update(collection.name, {
        title: form.title.trim(),
        description: form.description,
        index: form.index,
        embedder: orNull(form.embedder),
        reranker: orNull(form.reranker),
        generator: orNull(form.generator),
        chunking,
        ...defaultsPatch(defaults),
      });
      await loadCollections();
      setNote({ error: false, text: t('saved') });
    } catch (failure) {
      setNote({ error: true, text: describeError(failure) });
    }
  };
  const remove = async () => {
    if (!confirm(t('confirmDeleteCollection', { name: collection.name }))) return;
    try {
      await cairn.collections.delete(collection.name);
      selectCollection(null);
      await loadCollections();
    } catch (failure) {
      setNote({ error: true, text: describeError(failure) });
    }
  };
  return (
    <form class="settings-form" onSubmit={save}>
      <h3>
        {t('collectionSettings')}: {collection.name}
      </h3>
      {field('title', `${t('renameCollection')} (${t('none')} = ${collection.name})`)}
      {field('description', t('description'))}
      {field('embedder', `${t('embedder')} (${t('none')} = BM25)`)}
      {field('reranker', t('reranker'))}
      {field('generator', t('generator'))}
      {field('size', `${t('chunkSize')} (${s.chunking.unit ?? 'tokens'})`)}
      {field('overlap', t('chunkOverlap'))}
      {choice('splitter', t('splitter'), SPLITTERS)}
      {choice('index', t('index'), INDEXES)}
      <DefaultsFields form={defaults} change={(change) => setDefaults({ ...defaults, ...change })} />
      <p class="muted">
        {collection.counts.documents} {t('documents')} · {collection.counts.chunks} {t('chunks')}
      </p>
      <div class="actions">
        <button type="submit" class="primary">
          {t('save')}
        </button>
        <button type="button" class="danger" onClick={remove}>
          {t('delete')}
        </button>
      </div>
      {note && (
        <p class={note.error ? 'error' : 'muted'} role={note.error ? 'alert' : 'status'}>
          {note.text}
        </p>
      )}
    </form>
  );
}
