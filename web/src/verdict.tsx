import type { AnswerResult, Citation, Passage } from '../../sdk/index.ts';
import { t } from './i18n.ts';

/** A passage opened like a citation, so the source panel shows and highlights it the same way. */
export function passageCitation(passage: Passage, marker: number): Citation {
  return {
    marker,
    chunkId: passage.chunkId,
    documentId: passage.documentId,
    source: passage.source,
    title: passage.title,
    page: passage.page,
    start: passage.start,
    end: passage.end,
    quote: passage.text,
    ...('collection' in passage ? { collection: (passage as { collection?: string }).collection } : {}),
  } as Citation;
}

function Sentences({ result }: { result: AnswerResult }) {
  if (!result.sentences?.length) return null;
  return (
    <details class="sentences">
      <summary>{t('sentences')}</summary>
      <ul>
        {result.sentences.map((s, i) => (
          <li key={i} class={s.removed ? 'removed' : ''}>
            <span class={`support ${s.support ?? 'ungraded'}`}>{s.removed ? t('removedSentence') : (s.support ?? '–')}</span>{' '}
            {s.text}
          </li>
        ))}
      </ul>
    </details>
  );
}

function Closest({ result, onCite }: { result: AnswerResult; onCite: (c: Citation) => void }) {
  if (result.decision !== 'abstained' || !result.closestPassages?.length) return null;
  return (
    <details class="closest" open>
      <summary>{t('closestPassages')}</summary>
      <ul>
        {result.closestPassages.map((p, i) => (
          <li key={p.chunkId}>
            <button type="button" class="link" onClick={() => onCite(passageCitation(p, i + 1))}>
              {p.title || p.source}
            </button>
            <span class="muted"> {p.text.slice(0, 160)}…</span>
          </li>
        ))}
      </ul>
    </details>
  );
}

/** The reflection verdict, quiet: one line, the details on demand. */
export function Verdict({ result, onCite }: { result: AnswerResult; onCite: (c: Citation) => void }) {
  // A result from another server version may lack fields: show what is there.
  const score = result.score ?? null;
  return (
    <div class={`verdict ${result.decision}`}>
      <span class="badge">{t(result.decision)}</span>
      <span class="muted">
        {' '}
        · {result.mode}
        {score && ` · ${t('score', { score: score.total.toFixed(2), threshold: score.threshold.toFixed(2) })}`}
        {result.abstainReason && ` · ${result.abstainReason}`}
      </span>
      <Sentences result={result} />
      <Closest result={result} onCite={onCite} />
    </div>
  );
}
