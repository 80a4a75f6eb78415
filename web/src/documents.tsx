import { useEffect, useState } from 'preact/hooks';
import type { Citation, DocumentSummary } from '../../sdk/index.ts';
import { AddDocuments } from './add-documents.tsx';
import { cairn, describeError } from './api.ts';
import { formatBytes } from './files.ts';
import { type StringKey, t } from './i18n.ts';
import { shownSource, track } from './jobs.tsx';
import { useSignal } from './signal.ts';
import { current, documentsVersion, drawerOpen, loadCollections, view } from './state.ts';

type Sort = 'newest' | 'title' | 'size' | 'status';
const SORTS: Record<Sort, StringKey> = { newest: 'sortNewest', title: 'sortTitle', size: 'sortSize', status: 'sortStatus' };
const STATUS: Record<string, StringKey> = { ready: 'statusReady', pending_vectors: 'statusPending', failed: 'statusFailed' };

function sorted(docs: DocumentSummary[], sort: Sort, query: string): DocumentSummary[] {
  const q = query.trim().toLowerCase();
  const hits = q ? docs.filter((d) => `${d.title} ${d.source}`.toLowerCase().includes(q)) : docs;
  const by: Record<Sort, (a: DocumentSummary, b: DocumentSummary) => number> = {
    newest: (a, b) => b.updatedAt.localeCompare(a.updatedAt),
    title: (a, b) => (a.title || a.source).localeCompare(b.title || b.source),
    size: (a, b) => b.bytes - a.bytes,
    status: (a, b) => a.status.localeCompare(b.status),
  };
  return [...hits].sort(by[sort]);
}

/** What opening a document shows: its text from the start, nothing highlighted. */
function openCitation(doc: DocumentSummary): Citation {
  return {
    marker: 0,
    chunkId: '',
    documentId: doc.id,
    source: doc.source,
    title: doc.title,
    page: doc.pages.length ? 1 : null,
    start: 0,
    end: 0,
    quote: '',
  };
}

interface OcrInfo {
  engines: string[];
  meanConfidence: number;
  lowConfidencePages: number[];
  warning?: string;
}

/** A document read by OCR says so: its engines and mean confidence, and a warning for doubtful pages. */
function OcrBadge({ metadata }: { metadata: Record<string, unknown> }) {
  const ocr = metadata.ocr as Partial<OcrInfo> | undefined;
  if (!ocr || typeof ocr !== 'object') return null;
  const engines = (ocr.engines ?? []).join(', ');
  const mean = typeof ocr.meanConfidence === 'number' ? `${Math.round(ocr.meanConfidence * 100)}%` : '?';
  const detail = t('ocrDetail', { engines: engines || '?', confidence: mean });
  const low = ocr.lowConfidencePages ?? [];
  return (
    <details class={`ocr${low.length > 0 ? ' low' : ''}`}>
      <summary class="badge" title={detail}>
        {t('ocr')}
        {low.length > 0 && ' ⚠'}
      </summary>
      <p class="muted">{detail}</p>
      {low.length > 0 && <p class="failure">{ocr.warning ?? t('ocrLowPages', { pages: low.join(', ') })}</p>}
    </details>
  );
}

function DocumentRow({
  doc,
  onOpen,
  onChanged,
}: {
  doc: DocumentSummary;
  onOpen: (c: Citation) => void;
  onChanged: (e: string | null) => void;
}) {
  const name = doc.title || doc.source;
  const collection = current.get() ?? '';
  const run = (action: () => Promise<unknown>) =>
    action().then(
      () => onChanged(null),
      (e) => onChanged(describeError(e)),
    );
  const reason = typeof doc.metadata.error === 'string' ? doc.metadata.error : null;
  return (
    <li class={`document ${doc.status}`} title={doc.source}>
      <div class="doc-main">
        <button type="button" class="link doc-title" onClick={() => onOpen(openCitation(doc))}>
          {name}
        </button>
        <span class={`status ${doc.status}`}>{t(STATUS[doc.status] ?? 'statusReady')}</span>
      </div>
      <OcrBadge metadata={doc.metadata} />
      <div class="muted doc-meta">
        {shownSource(doc.source) !== name && <span>{shownSource(doc.source)} · </span>}
        {doc.mime} · {formatBytes(doc.bytes)}
        {doc.pages.length > 0 && ` · ${t('pages')}: ${doc.pages.length}`} · {t('chunks')}: {doc.chunkCount}
        {doc.language && ` · ${doc.language}`}
      </div>
      {reason && <p class="failure">{reason}</p>}
      <div class="doc-actions">
        <button
          type="button"
          class="link"
          onClick={() => run(async () => track(await cairn.documents.reingest(collection, doc.id), `${t('reingest')}: ${name}`))}
        >
          {t('reingest')}
        </button>
        <button
          type="button"
          class="link danger"
          onClick={() => confirm(t('confirmDeleteDocument', { name })) && run(() => cairn.documents.delete(collection, doc.id))}
        >
          {t('delete')}
        </button>
      </div>
    </li>
  );
}

export function Documents({ onOpen }: { onOpen: (c: Citation) => void }) {
  const name = useSignal(current);
  const version = useSignal(documentsVersion);
  const [docs, setDocs] = useState<DocumentSummary[]>([]);
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<Sort>('newest');
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (!name) return setDocs([]);
    let live = true;
    cairn.documents.list(name, { limit: 500 }).then(
      (list) => {
        if (!live) return;
        setDocs(list.documents);
        setError(null);
        // The collection's document count in the picker follows the library.
        if (version > 0) void loadCollections();
      },
      (e) => live && setError(describeError(e)),
    );
    return () => {
      live = false;
    };
  }, [name, version]);
  if (!name) return null;
  const changed = (e: string | null) => (e ? setError(e) : documentsVersion.set(documentsVersion.get() + 1));
  return (
    <section class="documents" aria-label={t('documents')}>
      <div class="documents-head">
        <h2>
          {t('documents')} <span class="muted">({docs.length})</span>
        </h2>
        <button
          type="button"
          class="link"
          id="open-tables"
          onClick={() => {
            view.set('tables');
            drawerOpen.set(false);
          }}
        >
          ⊞ {t('tables')}
        </button>
      </div>
      <div class="doc-tools">
        <input
          type="search"
          placeholder={t('searchDocuments')}
          aria-label={t('searchDocuments')}
          value={query}
          onInput={(e) => setQuery(e.currentTarget.value)}
        />
        <select aria-label={t('sortBy')} value={sort} onChange={(e) => setSort(e.currentTarget.value as Sort)}>
          {Object.entries(SORTS).map(([value, key]) => (
            <option key={value} value={value}>
              {t(key)}
            </option>
          ))}
        </select>
      </div>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <AddDocuments collection={name} />
      {docs.length === 0 && <p class="muted">{t('noDocuments')}</p>}
      <ul class="document-list" id="documents">
        {sorted(docs, sort, query).map((doc) => (
          <DocumentRow key={doc.id} doc={doc} onOpen={onOpen} onChanged={changed} />
        ))}
      </ul>
    </section>
  );
}
