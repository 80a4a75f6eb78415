import { useEffect, useRef, useState } from 'preact/hooks';
import type { Citation, DocumentText } from '../../sdk/index.ts';
import { cairn, describeError } from './api.ts';
import { t } from './i18n.ts';
import { shownSource } from './jobs.tsx';

export interface OpenSource {
  citation: Citation;
  /** The document's collection: the citation's own (answers across collections name it), else the open one. */
  collection: string;
}

async function findText(open: OpenSource): Promise<{ collection: string; doc: DocumentText }> {
  return { collection: open.collection, doc: await cairn.documents.text(open.collection, open.citation.documentId) };
}

/** The slice of the text to show: the cited page when the document has pages, else all of it. */
function shownRange(doc: DocumentText, citation: Citation): [number, number] {
  const page = doc.pages.find((p) => p.start <= citation.start && citation.start < p.end);
  return page ? [page.start, page.end] : [0, doc.text.length];
}

/** The text with the quoted span marked; React text nodes, so document text is never parsed as HTML. */
function HighlightedText({ doc, citation }: { doc: DocumentText; citation: Citation }) {
  const [from, to] = shownRange(doc, citation);
  const start = Math.max(citation.start, from);
  const end = Math.min(Math.max(citation.end, start), to);
  return (
    <div class="source-text">
      {doc.text.slice(from, start)}
      <mark id="cited-span">{doc.text.slice(start, end)}</mark>
      {doc.text.slice(end, to)}
    </div>
  );
}

function isPdf(citation: Citation): boolean {
  return /\.pdf$/i.test(citation.source) || /\.pdf$/i.test(citation.title);
}

function PdfPage({ open, collection }: { open: OpenSource; collection: string }) {
  const host = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<'loading' | 'found' | 'not-found' | 'unavailable'>('loading');
  useEffect(() => {
    let live = true;
    (async () => {
      const blob = await cairn.documents.file(collection, open.citation.documentId);
      if (!live || !host.current) return;
      const { renderPdfPage } = await import('./pdf-view.ts');
      const found = await renderPdfPage(host.current, await blob.arrayBuffer(), open.citation.page ?? 1, open.citation.quote);
      if (!live) return;
      setState(found ? 'found' : 'not-found');
      host.current.querySelector('.pdf-mark')?.scrollIntoView({ block: 'center' });
    })().catch(() => live && setState('unavailable'));
    return () => {
      live = false;
    };
  }, [open, collection]);
  if (state === 'unavailable') return null;
  return <div class={`pdf-page ${state}`} ref={host} data-state={state} />;
}

export function SourcePanel({ open, onClose }: { open: OpenSource; onClose: () => void }) {
  const [found, setFound] = useState<{ collection: string; doc: DocumentText } | null>(null);
  const doc = found?.doc ?? null;
  const [error, setError] = useState<string | null>(null);
  const panel = useRef<HTMLElement>(null);
  const { citation } = open;
  useEffect(() => {
    let live = true;
    setFound(null);
    setError(null);
    findText(open)
      .then((result) => live && setFound(result))
      .catch((failure) => live && setError(describeError(failure)));
    panel.current?.focus();
    return () => {
      live = false;
    };
  }, [open]);
  useEffect(() => {
    if (doc) panel.current?.querySelector('#cited-span')?.scrollIntoView({ block: 'center' });
  }, [doc]);
  return (
    <aside
      class="source-panel"
      ref={panel}
      tabIndex={-1}
      aria-label={t('source')}
      onKeyDown={(e) => e.key === 'Escape' && onClose()}
    >
      <header>
        <div>
          <strong>
            [{citation.marker}] {citation.title || citation.source}
          </strong>
          <div class="muted" title={citation.source}>
            {shownSource(citation.source)}
            {citation.page !== null && ` · ${t('sourcePage', { page: citation.page })}`}
          </div>
        </div>
        <button type="button" class="icon" aria-label={t('close')} onClick={onClose}>
          ✕
        </button>
      </header>
      <blockquote class="quote">{citation.quote}</blockquote>
      {isPdf(citation) && found && <PdfPage open={open} collection={found.collection} />}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {!doc && !error && <p class="muted">{t('loadingSource')}</p>}
      {doc && <HighlightedText doc={doc} citation={citation} />}
    </aside>
  );
}
