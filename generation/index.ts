/** The answering room: grounded answers with citations, gated by Self-RAG reflection. */
export {
  type DocumentText,
  documentTextFrom,
  mapCitations,
  mapCitationsRanked,
  rankedSpan,
  type SpanBasis,
  type SpanScorer,
  supportingSpan,
} from './citations.ts';
export { type QaEvalDeps, type QaEvalOptions, type QaEvalReport, runQaEval } from './eval-qa.ts';
export { type ExtractiveAnswer, extractAnswer } from './extractive.ts';
export {
  gateThreshold,
  isrelScore,
  issupScore,
  isuseScore,
  likelihoodNote,
  passesGate,
  planRevision,
  removeUnsupported,
  scoreAnswer,
  scoreRange,
} from './gate.ts';
export { gradeJson } from './grader.ts';
export { answer } from './pipeline.ts';
export { ABSTAIN_TEXT, fencePassages } from './prompts.ts';
export {
  guardSql,
  listTables,
  resultTable,
  runSql,
  runSqlEval,
  type SqlDeps,
  type SqlEvalReport,
  type SqlResult,
  type TableListing,
} from './sql/index.ts';
export { exactMatch, f1Score, goldInAnswer, loadSquad, normalizeAnswer } from './squad.ts';
export { extractMarkers, splitSentences, stripMarkers } from './text.ts';
export type {
  AbstainReason,
  AnswerDeps,
  AnswerEvent,
  AnswerResult,
  AskRequest,
  Decision,
  GateScore,
  GradedPassage,
  RetrieveMode,
  SearchFn,
  SentenceVerdict,
  StageName,
  Support,
} from './types.ts';
