import type { AnswerResult, AskEvent, Citation } from '../../sdk/index.ts';

/**
 * One answer as it streams, the same for the app and the widget: released text, draft text (shown,
 * if at all, only as unchecked), citations, the pipeline stage and the final result or error.
 */
export interface AnswerState {
  /** Released text (passed the gate) while streaming; the final answer after `final`/`done`. */
  answer: string;
  /** Unchecked draft tokens, replaced by `final`: the widget never shows them. */
  draft: string;
  citations: Citation[];
  /** What the pipeline is doing before text arrives: searching, or checking the answer against the sources. */
  stage: 'searching' | 'checking';
  result: AnswerResult | null;
  error: { code: string; message: string } | null;
}

export function newAnswer(): AnswerState {
  return { answer: '', draft: '', citations: [], stage: 'searching', result: null, error: null };
}

/** The answer after one stream event; events of types not known here change nothing. */
export function applyAnswerEvent(state: AnswerState, event: AskEvent): AnswerState {
  switch (event.type) {
    case 'retrieved':
      return { ...state, stage: 'searching' };
    case 'reflection':
      return { ...state, stage: 'checking' };
    case 'token':
      return event.draft ? { ...state, draft: state.draft + event.text } : { ...state, answer: state.answer + event.text };
    case 'citation':
      return { ...state, citations: [...state.citations.filter((c) => c.marker !== event.citation.marker), event.citation] };
    case 'final':
      return { ...state, answer: event.answer, draft: '', citations: event.citations };
    case 'done':
      return {
        ...state,
        answer: event.result.answer,
        draft: '',
        citations: event.result.citations ?? state.citations,
        result: event.result,
      };
    case 'error':
      return { ...state, result: event.result ?? null, error: event.error };
    default:
      return state;
  }
}
